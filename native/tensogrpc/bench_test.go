package tensogrpc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

func identity(_ context.Context, in tenso.Value) (tenso.Value, error) { return in, nil }

// BenchmarkPredict: one Predict round trip over loopback, with the
// protobuf messages (the reference's wire format) and with the tenso codec
// (bare packets), same server, same tensor.
func BenchmarkPredict(b *testing.B) {
	addr := start(b, identity, ServerOptions{})
	for _, elems := range []int{256, 1 << 20, 16 << 20} { // 1 KiB, 4 MiB, 64 MiB
		in := testutil.F32([]int{elems})
		size, _ := tenso.EncodedLen(in, tenso.Options{})
		for _, mode := range []string{"protobuf", "tenso-codec"} {
			b.Run(fmt.Sprintf("%dKiB/%s", 4*elems>>10, mode), func(b *testing.B) {
				c, err := Dial(addr, ClientOptions{UseCodec: mode == "tenso-codec"})
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

// BenchmarkPredictInterleaved alternates a protobuf and a tenso-codec
// Predict of the same tensor in every iteration and reports both times per
// call and their ratio (tenso/protobuf), robust to load changes.
func BenchmarkPredictInterleaved(b *testing.B) {
	addr := start(b, identity, ServerOptions{})
	pc, err := Dial(addr, ClientOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	tc, err := Dial(addr, ClientOptions{UseCodec: true})
	if err != nil {
		b.Fatal(err)
	}
	defer tc.Close()
	for _, elems := range []int{256, 1 << 20, 16 << 20} {
		in := testutil.F32([]int{elems})
		size, _ := tenso.EncodedLen(in, tenso.Options{})
		b.Run(fmt.Sprintf("%dKiB", 4*elems>>10), func(b *testing.B) {
			call := func(c *Client) {
				if _, err := c.Predict(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
			call(pc)
			call(tc)
			var tp, tt time.Duration
			b.SetBytes(2 * size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				call(pc)
				t1 := time.Now()
				call(tc)
				tt += time.Since(t1)
				tp += t1.Sub(t0)
			}
			b.ReportMetric(float64(tp.Nanoseconds())/float64(b.N), "protobuf-ns/call")
			b.ReportMetric(float64(tt.Nanoseconds())/float64(b.N), "tenso-ns/call")
			b.ReportMetric(float64(tt)/float64(tp), "tenso/protobuf")
		})
	}
}
