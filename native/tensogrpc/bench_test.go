package tensogrpc

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/tenso-go/tenso"
)

func identity(_ context.Context, in tenso.Value) (tenso.Value, error) { return in, nil }

// BenchmarkPredict: one Predict round trip over loopback, with the
// protobuf messages (the reference's wire format) and with the tenso codec
// (bare packets), same server, same tensor.
func BenchmarkPredict(b *testing.B) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, lis, NewService(identity, ServiceOptions{}), ServerOptions{}) }()
	defer func() { cancel(); <-done }()
	for _, elems := range []int{256, 1 << 20, 16 << 20} { // 1 KiB, 4 MiB, 64 MiB
		in := f32([]int{elems})
		size, _ := tenso.EncodedLen(in, tenso.Options{})
		for _, mode := range []string{"protobuf", "tenso-codec"} {
			b.Run(fmt.Sprintf("%dKiB/%s", 4*elems>>10, mode), func(b *testing.B) {
				c, err := Dial(lis.Addr().String(), ClientOptions{UseCodec: mode == "tenso-codec"})
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				if _, err := c.Predict(context.Background(), in); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(size)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := c.Predict(context.Background(), in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
