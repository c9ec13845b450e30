package tensogrpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/sysio"
	"github.com/tenso-go/tenso/native/budget"
	"github.com/tenso-go/tenso/native/tensogrpc/tensopb"
)

// StatusSuccess is the PredictResponse status of a successful call, as in
// the reference's servicers.
const StatusSuccess = "SUCCESS"

// Handler runs a model on one decoded value. The input is a view into the
// request message and is valid only during the call. Return a gRPC status
// error (status.Error) to choose the code; any other error is sent as
// codes.Internal with its text.
type Handler func(ctx context.Context, in tenso.Value) (tenso.Value, error)

// ServiceOptions configure NewService.
type ServiceOptions struct {
	// Limits are the decoder limits for request packets. A zero
	// MaxDecodedBytes means budget.DecodedPerBody × DefaultMaxMessageBytes.
	Limits tenso.Limits
	Encode tenso.Options // response encoding (integrity footer, compression)
	// Budget bounds the bytes held by requests being handled: each
	// request's packet (copied out of gRPC's buffer) plus what decoding it
	// allocates, reserved before decoding. A request larger than the whole
	// budget is answered codes.ResourceExhausted, one that does not fit
	// beside the others codes.Unavailable (retryable). Several servers may
	// share one Budget. Nil: a budget of MaxInflightBytes of the Service's
	// own.
	Budget *budget.Budget
	// MaxInflightBytes sizes the Service's own budget when Budget is nil
	// (default budget.DefaultLimit; negative: unbounded).
	MaxInflightBytes int64
	// ErrorLog receives one line per refused request (its cause, code
	// and reason); nil means the standard logger.
	ErrorLog *log.Logger
}

// ServiceStats are the Service's gauges.
type ServiceStats struct {
	Budget   budget.Stats     `json:"budget"`   // bytes held by requests being handled
	Rejected map[string]int64 `json:"rejected"` // refused requests by cause (budget.Causes)
}

// Service implements tensopb.TensorInferenceServer with a Handler. Bad
// request packets are answered codes.InvalidArgument with the decode
// error's text.
type Service struct {
	tensopb.UnimplementedTensorInferenceServer
	h        Handler
	o        ServiceOptions
	rejected budget.Rejections
}

// NewService returns the TensorInference service for h.
func NewService(h Handler, o ServiceOptions) *Service {
	if o.Budget == nil {
		o.Budget = budget.New(o.MaxInflightBytes)
	}
	o.Limits = budget.Limits(o.Limits, DefaultMaxMessageBytes)
	return &Service{h: h, o: o}
}

// Budget returns the budget the Service draws on (its gauges: Stats).
func (s *Service) Budget() *budget.Budget { return s.o.Budget }

// Stats returns the Service's gauges.
func (s *Service) Stats() ServiceStats {
	return ServiceStats{Budget: s.o.Budget.Stats(), Rejected: s.rejected.Snapshot()}
}

// reject counts and logs a request the Service refuses before its
// handler runs, and returns its status error.
func (s *Service) reject(ctx context.Context, cause string, code codes.Code, msg string) error {
	s.rejected.Add(cause)
	from := "unknown peer"
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		from = p.Addr.String()
	}
	line := fmt.Sprintf("tensogrpc: rejected Predict from %s: %s: %s %s", from, cause, code, msg)
	if s.o.ErrorLog != nil {
		s.o.ErrorLog.Print(line)
	} else {
		log.Print(line)
	}
	return status.Error(code, msg)
}

type modelKey struct{}

// ModelName returns the model_name of the request being handled ("" if the
// client sent none, or used the tenso codec).
func ModelName(ctx context.Context) string {
	s, _ := ctx.Value(modelKey{}).(string)
	return s
}

func (s *Service) call(ctx context.Context, req *tensopb.PredictRequest) (*tensopb.PredictResponse, error) {
	p := req.GetTensorPacket()
	n, err := budget.DecodedBytes(p, s.o.Limits)
	if err != nil {
		return nil, s.reject(ctx, budget.CauseBadPacket, codes.InvalidArgument, "Invalid Tenso packet: "+err.Error())
	}
	if d := n - int64(len(p)); d > s.o.Limits.MaxDecodedBytes {
		return nil, s.reject(ctx, budget.CauseTooLarge, codes.ResourceExhausted, fmt.Sprintf("tensogrpc: packet decodes to %d bytes: the limit is %d", d, s.o.Limits.MaxDecodedBytes))
	}
	if err := s.o.Budget.TryAcquire(n); err != nil {
		if errors.Is(err, budget.ErrNeverFits) {
			return nil, s.reject(ctx, budget.CauseTooLarge, codes.ResourceExhausted, err.Error())
		}
		return nil, s.reject(ctx, budget.CauseMemory, codes.Unavailable, err.Error())
	}
	defer s.o.Budget.Release(n)
	in, err := tenso.DecodeWith(sysio.AlignedCopy(p), s.o.Limits)
	if err != nil {
		return nil, s.reject(ctx, budget.CauseBadPacket, codes.InvalidArgument, "Invalid Tenso packet: "+err.Error())
	}
	if name := req.GetModelName(); name != "" {
		ctx = context.WithValue(ctx, modelKey{}, name)
	}
	out, err := s.h(ctx, in)
	if err != nil {
		if _, ok := status.FromError(err); ok {
			return nil, err
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, status.FromContextError(err).Err()
		}
		return nil, status.Error(codes.Internal, err.Error())
	}
	if out == nil {
		return nil, status.Error(codes.Internal, "tensogrpc: handler returned a nil value")
	}
	res, err := tenso.Encode(out, s.o.Encode)
	if err != nil {
		return nil, status.Error(codes.Internal, "tensogrpc: encoding the result: "+err.Error())
	}
	return &tensopb.PredictResponse{ResultPacket: res, Status: StatusSuccess}, nil
}

// Predict decodes the request packet, calls the handler and encodes its
// result.
func (s *Service) Predict(ctx context.Context, req *tensopb.PredictRequest) (*tensopb.PredictResponse, error) {
	return s.call(ctx, req)
}

// PredictStream answers each request of the stream with one response, in
// order. The first failing request ends the call with its status.
func (s *Service) PredictStream(stream tensopb.TensorInference_PredictStreamServer) error {
	ctx := stream.Context()
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		resp, err := s.call(ctx, req)
		if err != nil {
			return err
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}
