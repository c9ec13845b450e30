package tensogrpc_test

import (
	"context"
	"fmt"
	"net"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/tensogrpc"
)

// A TensorInference server from a plain function, called once over the
// protobuf messages (what the reference's Python stub speaks) and once with
// the tenso codec (bare packets, Go to Go).
func Example() {
	lis, err := net.Listen("tcp", "127.0.0.1:0") // tensogrpc.Run(":50051", …) in a program
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	svc := tensogrpc.NewService(func(_ context.Context, in tenso.Value) (tenso.Value, error) {
		t := in.(*tenso.Tensor)
		out := &tenso.Tensor{DType: t.DType, Shape: t.Shape, Data: make([]byte, len(t.Data))}
		for i, b := range t.Data {
			out.Data[i] = b + 1
		}
		return out, nil
	}, tensogrpc.ServiceOptions{})
	go func() { done <- tensogrpc.Serve(ctx, lis, svc, tensogrpc.ServerOptions{}) }()

	for _, useCodec := range []bool{false, true} {
		c, err := tensogrpc.Dial(lis.Addr().String(), tensogrpc.ClientOptions{UseCodec: useCodec})
		if err != nil {
			panic(err)
		}
		out, err := c.Predict(context.Background(), &tenso.Tensor{DType: tenso.Uint8, Shape: []int{3}, Data: []byte{1, 2, 3}})
		if err != nil {
			panic(err)
		}
		fmt.Println(useCodec, out.(*tenso.Tensor).Data)
		c.Close()
	}
	cancel()
	<-done
	// Output:
	// false [2 3 4]
	// true [2 3 4]
}
