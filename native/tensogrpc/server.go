package tensogrpc

import (
	"context"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"github.com/tenso-go/tenso/native/tensogrpc/tensopb"
)

// DefaultMaxMessageBytes is the message limit of the reference's run_grpc:
// 256 MiB, both directions.
const DefaultMaxMessageBytes = 256 << 20

// DefaultWorkers is the reference's worker sizing: max(1, min(CPUs/2, 8)),
// doubled for the gRPC pool (run_grpc).
func DefaultWorkers() int {
	n := runtime.NumCPU() / 2
	if n > 8 {
		n = 8
	}
	if n < 1 {
		n = 1
	}
	return 2 * n
}

// ServerOptions configure NewServer, Serve and Run.
type ServerOptions struct {
	// MaxMessageBytes bounds received and sent messages (default 256 MiB).
	MaxMessageBytes int
	// Workers is the number of stream workers (default DefaultWorkers();
	// negative: one goroutine per stream, grpc-go's default).
	Workers int
	// ShutdownTimeout is how long Serve and Run wait for calls in flight
	// when stopping (default 10 s) before cancelling them.
	ShutdownTimeout time.Duration
	// GRPC holds further server options (credentials, interceptors).
	GRPC []grpc.ServerOption
}

// NewServer returns a gRPC server with the TensorInference service srv
// registered (under "tenso.TensorInference" and the unqualified
// "TensorInference").
func NewServer(srv tensopb.TensorInferenceServer, o ServerOptions) *grpc.Server {
	max := o.MaxMessageBytes
	if max <= 0 {
		max = DefaultMaxMessageBytes
	}
	opts := []grpc.ServerOption{grpc.MaxRecvMsgSize(max), grpc.MaxSendMsgSize(max)}
	w := o.Workers
	if w == 0 {
		w = DefaultWorkers()
	}
	if w > 0 {
		opts = append(opts, grpc.NumStreamWorkers(uint32(w)))
	}
	opts = append(opts, o.GRPC...)
	s := grpc.NewServer(opts...)
	tensopb.RegisterTensorInferenceServer(s, srv)
	alias := tensopb.TensorInference_ServiceDesc
	alias.ServiceName = "TensorInference"
	s.RegisterService(&alias, srv)
	return s
}

// Serve serves srv on lis until ctx is done, then stops gracefully (calls
// in flight get ShutdownTimeout). It returns nil after a clean stop.
func Serve(ctx context.Context, lis net.Listener, srv tensopb.TensorInferenceServer, o ServerOptions) error {
	s := NewServer(srv, o)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(lis) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace := o.ShutdownTimeout
	if grace <= 0 {
		grace = 10 * time.Second
	}
	done := make(chan struct{})
	go func() { s.GracefulStop(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.Stop()
		<-done
	}
	if err := <-errc; err != nil && err != grpc.ErrServerStopped {
		return err
	}
	return nil
}

// Run listens on addr (e.g. ":50051") and serves srv until SIGINT or
// SIGTERM, like the reference's run_grpc.
func Run(addr string, srv tensopb.TensorInferenceServer, o ServerOptions) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Serve(ctx, lis, srv, o)
}
