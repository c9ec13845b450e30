package tensonet_test

import (
	"context"
	"fmt"
	"net"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/tensonet"
)

// A server that answers each packet with its shape doubled in length, and
// a client pipelining three requests on one TCP connection.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- tensonet.Serve(ctx, ln, func(_ context.Context, in tenso.Value) (tenso.Value, error) {
			t := in.(*tenso.Tensor)
			return &tenso.Tensor{DType: t.DType, Shape: []int{2, len(t.Data) / t.DType.ItemSize()},
				Data: append(append([]byte(nil), t.Data...), t.Data...)}, nil
		}, tensonet.Options{})
	}()

	c, err := tensonet.Dial(ctx, "tcp", ln.Addr().String(), tensonet.Options{})
	if err != nil {
		panic(err)
	}
	for n := 1; n <= 3; n++ { // three packets back to back
		c.Send(&tenso.Tensor{DType: tenso.Int32, Shape: []int{n}, Data: make([]byte, 4*n)})
	}
	for i := 0; i < 3; i++ {
		v, err := c.Recv(ctx)
		if err != nil {
			panic(err)
		}
		t := v.(*tenso.Tensor)
		fmt.Println(t.DType, t.Shape)
	}
	c.Close()
	cancel()
	<-done
	// Output:
	// int32 [2 1]
	// int32 [2 2]
	// int32 [2 3]
}
