package tensogrpc

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/sysio"
	"github.com/tenso-go/tenso/native/tensogrpc/tensopb"
)

// Full method names of the service.
const (
	PredictMethod       = "/tenso.TensorInference/Predict"
	PredictStreamMethod = "/tenso.TensorInference/PredictStream"
)

// ClientOptions configure a Client.
type ClientOptions struct {
	// UseCodec sends and receives bare Tenso packets with the tenso codec
	// instead of protobuf messages. The server must be a Go server of this
	// package (or another that registers the codec); the reference's Python
	// server speaks protobuf only.
	UseCodec bool
	// ModelName is sent as PredictRequest.model_name (protobuf only).
	ModelName string
	// Encode are the options for request packets (integrity, compression).
	Encode tenso.Options
	// Limits are the decoder limits for response packets.
	Limits tenso.Limits
	// MaxMessageBytes bounds messages both ways (default 256 MiB).
	MaxMessageBytes int
	// Credentials for Dial; nil means an insecure (plaintext) connection,
	// as in the reference's examples.
	Credentials credentials.TransportCredentials
	// Dial holds further dial options.
	Dial []grpc.DialOption
}

// Client calls a TensorInference server. It is safe for concurrent use.
type Client struct {
	cc   grpc.ClientConnInterface
	own  *grpc.ClientConn
	stub tensopb.TensorInferenceClient
	o    ClientOptions
	call []grpc.CallOption
}

// Dial returns a Client for target (e.g. "127.0.0.1:50051"). The connection
// is made lazily on the first call.
func Dial(target string, o ClientOptions) (*Client, error) {
	creds := o.Credentials
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(creds)}, o.Dial...)
	cc, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("tensogrpc: %w", err)
	}
	c := NewClient(cc, o)
	c.own = cc
	return c, nil
}

// NewClient returns a Client on an existing connection.
func NewClient(cc grpc.ClientConnInterface, o ClientOptions) *Client {
	max := o.MaxMessageBytes
	if max <= 0 {
		max = DefaultMaxMessageBytes
	}
	c := &Client{cc: cc, stub: tensopb.NewTensorInferenceClient(cc), o: o,
		call: []grpc.CallOption{grpc.MaxCallRecvMsgSize(max), grpc.MaxCallSendMsgSize(max)}}
	if o.UseCodec {
		c.call = append(c.call, grpc.ForceCodecV2(Codec{Options: o.Encode, Limits: o.Limits}))
	}
	return c
}

// Close closes the connection made by Dial (not one given to NewClient).
func (c *Client) Close() error {
	if c.own != nil {
		return c.own.Close()
	}
	return nil
}

// Predict sends v and returns the decoded result, which owns its memory.
// Server errors are gRPC status errors (status.FromError).
func (c *Client) Predict(ctx context.Context, v tenso.Value, opts ...grpc.CallOption) (tenso.Value, error) {
	if v == nil {
		return nil, fmt.Errorf("%w: nil value", tenso.ErrInvalid)
	}
	opts = append(c.call[:len(c.call):len(c.call)], opts...)
	if c.o.UseCodec {
		var out tenso.Value
		if err := c.cc.Invoke(ctx, PredictMethod, v, &out, opts...); err != nil {
			return nil, err
		}
		return out, nil
	}
	p, err := tenso.Encode(v, c.o.Encode)
	if err != nil {
		return nil, err
	}
	resp, err := c.stub.Predict(ctx, &tensopb.PredictRequest{TensorPacket: p, ModelName: c.o.ModelName}, opts...)
	if err != nil {
		return nil, err
	}
	return c.decode(resp)
}

func (c *Client) decode(resp *tensopb.PredictResponse) (tenso.Value, error) {
	if s := resp.GetStatus(); s != "" && s != StatusSuccess {
		return nil, fmt.Errorf("tensogrpc: server status %q", s)
	}
	out, err := tenso.DecodeWith(sysio.AlignedCopy(resp.GetResultPacket()), c.o.Limits)
	if err != nil {
		return nil, fmt.Errorf("tensogrpc: result packet: %w", err)
	}
	return out, nil
}

// Stream is one PredictStream call: each Send is answered by one Recv, in
// order. Send and Recv may run in two goroutines.
type Stream struct {
	c  *Client
	cs grpc.ClientStream
}

// PredictStream opens a stream of predictions. Cancel ctx to abandon it.
func (c *Client) PredictStream(ctx context.Context, opts ...grpc.CallOption) (*Stream, error) {
	opts = append(c.call[:len(c.call):len(c.call)], opts...)
	desc := &tensopb.TensorInference_ServiceDesc.Streams[0]
	cs, err := c.cc.NewStream(ctx, desc, PredictStreamMethod, opts...)
	if err != nil {
		return nil, err
	}
	return &Stream{c: c, cs: cs}, nil
}

// Send sends one value. With the tenso codec its data must not change until
// the message has been sent (the next Send or CloseSend returns).
func (s *Stream) Send(v tenso.Value) error {
	if v == nil {
		return fmt.Errorf("%w: nil value", tenso.ErrInvalid)
	}
	if s.c.o.UseCodec {
		return s.cs.SendMsg(v)
	}
	p, err := tenso.Encode(v, s.c.o.Encode)
	if err != nil {
		return err
	}
	return s.cs.SendMsg(&tensopb.PredictRequest{TensorPacket: p, ModelName: s.c.o.ModelName})
}

// Recv returns the next result; io.EOF after the server has answered every
// request and ended the call.
func (s *Stream) Recv() (tenso.Value, error) {
	if s.c.o.UseCodec {
		var out tenso.Value
		if err := s.cs.RecvMsg(&out); err != nil {
			return nil, err
		}
		return out, nil
	}
	resp := new(tensopb.PredictResponse)
	if err := s.cs.RecvMsg(resp); err != nil {
		return nil, err
	}
	return s.c.decode(resp)
}

// CloseSend tells the server no more requests follow.
func (s *Stream) CloseSend() error { return s.cs.CloseSend() }
