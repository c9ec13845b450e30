// Package testutil holds helpers shared by the tests of several packages:
// a goroutine-leak check, a loopback server that lives as long as a test,
// and float32 tensor builders.
//
// It is an ordinary package so that test files in different packages can
// share it, but only _test.go files may import it.
package testutil

import (
	"context"
	"encoding/binary"
	"math"
	"net"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/tenso-go/tenso"
)

// CheckGoroutines fails the test if goroutines started during it are still
// running once every other cleanup has run. Call it first in a test: cleanups
// run last-registered first, so its own runs last. Stragglers get up to five
// seconds to exit.
func CheckGoroutines(t testing.TB) {
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

// Loopback listens on a free TCP port of 127.0.0.1; it fails the test if it
// cannot.
func Loopback(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// Serve runs serve in a goroutine until the test ends: a cleanup cancels its
// context, waits for it to return and reports a non-nil error.
func Serve(t testing.TB, serve func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

// F32 returns a little-endian float32 tensor of the given shape: element i
// is vals[i], or float32(i) past the end of vals.
func F32(shape []int, vals ...float32) *tenso.Tensor {
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

// F32s returns the elements of v, which must be a *tenso.Tensor, read as
// little-endian float32s.
func F32s(v tenso.Value) []float32 {
	t := v.(*tenso.Tensor)
	out := make([]float32, len(t.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out
}

// Bytes returns an n-element float32 tensor whose data bytes follow a
// fixed pattern (byte i is i·31 + 7): for tests that compare bytes rather
// than values.
func Bytes(n int) *tenso.Tensor {
	d := make([]byte, 4*n)
	for i := range d {
		d[i] = byte(i*31 + 7)
	}
	return &tenso.Tensor{DType: tenso.Float32, Shape: []int{n}, Data: d}
}

// Within reports whether inner is a non-empty sub-slice of the memory of
// outer: a zero-copy view rather than a copy.
func Within(inner, outer []byte) bool {
	if len(inner) == 0 || len(outer) == 0 {
		return false
	}
	a, b := uintptr(unsafe.Pointer(&inner[0])), uintptr(unsafe.Pointer(&outer[0]))
	return a >= b && a+uintptr(len(inner)) <= b+uintptr(len(outer))
}

// Doubled returns a new float32 tensor of t's shape whose elements are
// twice t's (a test model's answer); ok is false when t is not float32.
func Doubled(v tenso.Value) (out *tenso.Tensor, ok bool) {
	t, ok := v.(*tenso.Tensor)
	if !ok || t.DType != tenso.Float32 {
		return nil, false
	}
	out = &tenso.Tensor{DType: tenso.Float32, Shape: append([]int(nil), t.Shape...), Data: make([]byte, len(t.Data))}
	for i := 0; i+4 <= len(t.Data); i += 4 {
		v := math.Float32frombits(binary.LittleEndian.Uint32(t.Data[i:]))
		binary.LittleEndian.PutUint32(out.Data[i:], math.Float32bits(2*v))
	}
	return out, true
}
