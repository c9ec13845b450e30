package tensohttp

import (
	"context"
	"encoding/binary"
	"math"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
)

// checkGoroutines fails the test if goroutines started during it are still
// running once every other cleanup has run (it registers itself first, so
// its cleanup runs last).
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		n := 0
		for {
			n = runtime.NumGoroutine()
			if n <= before || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if n > before {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
		}
	})
}

func f32(shape []int, vals ...float32) *tenso.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	b := make([]byte, 4*n)
	for i := 0; i < n; i++ {
		v := float32(i)
		if i < len(vals) {
			v = vals[i]
		}
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return &tenso.Tensor{DType: tenso.Float32, Shape: shape, Data: b}
}

func f32s(t *tenso.Tensor) []float32 {
	out := make([]float32, len(t.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out
}

// double is the test endpoint: float32 tensors times two, in a new buffer.
func double(_ context.Context, in tenso.Value) (tenso.Value, error) {
	t, ok := in.(*tenso.Tensor)
	if !ok || t.DType != tenso.Float32 {
		return nil, Error(422, "want a float32 tensor")
	}
	out := &tenso.Tensor{DType: t.DType, Shape: append([]int(nil), t.Shape...), Data: make([]byte, len(t.Data))}
	for i := 0; i+4 <= len(t.Data); i += 4 {
		v := math.Float32frombits(binary.LittleEndian.Uint32(t.Data[i:]))
		binary.LittleEndian.PutUint32(out.Data[i:], math.Float32bits(2*v))
	}
	return out, nil
}

func identity(_ context.Context, in tenso.Value) (tenso.Value, error) { return in, nil }

// startApp serves a on a loopback port until the test ends and returns the
// base URL.
func startApp(t *testing.T, a *App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func newClient(t *testing.T, base string, o ClientOptions) *Client {
	t.Helper()
	c, err := NewClient(base, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func mustEncode(t testing.TB, v tenso.Value, o tenso.Options) []byte {
	t.Helper()
	p, err := tenso.Encode(v, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
