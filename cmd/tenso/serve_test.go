package main

import (
	"context"
	"encoding/binary"
	"math"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/tensogrpc"
	"github.com/tenso-go/tenso/native/tensohttp"
)

func TestDoubleValue(t *testing.T) {
	le := binary.LittleEndian
	f32 := make([]byte, 8)
	le.PutUint32(f32, math.Float32bits(1.5))
	le.PutUint32(f32[4:], math.Float32bits(-3))
	i16 := []byte{0xff, 0x7f, 0x03, 0x00} // 32767, 3
	// float16: 1.0 (0x3c00), smallest subnormal (0x0001), largest subnormal
	// (0x03ff), 65504 (0x7bff, overflows), -inf, NaN.
	f16 := []byte{0x00, 0x3c, 0x01, 0x00, 0xff, 0x03, 0xff, 0x7b, 0x00, 0xfc, 0x01, 0x7e}
	// bfloat16: 1.0 (0x3f80), -2.0 (0xc000).
	bf16 := []byte{0x80, 0x3f, 0x00, 0xc0}
	cases := []struct {
		in   *tenso.Tensor
		want []byte
	}{
		{&tenso.Tensor{DType: tenso.Float32, Shape: []int{2}, Data: f32}, func() []byte {
			b := make([]byte, 8)
			le.PutUint32(b, math.Float32bits(3))
			le.PutUint32(b[4:], math.Float32bits(-6))
			return b
		}()},
		{&tenso.Tensor{DType: tenso.Int16, Shape: []int{2}, Data: i16}, []byte{0xfe, 0xff, 0x06, 0x00}},
		{&tenso.Tensor{DType: tenso.Uint8, Shape: []int{3}, Data: []byte{1, 128, 200}}, []byte{2, 0, 144}},
		{&tenso.Tensor{DType: tenso.Float16, Shape: []int{6}, Data: f16},
			[]byte{0x00, 0x40, 0x02, 0x00, 0xfe, 0x07, 0x00, 0x7c, 0x00, 0xfc, 0x01, 0x7e}},
		{&tenso.Tensor{DType: tenso.BFloat16, Shape: []int{2}, Data: bf16}, []byte{0x00, 0x40, 0x80, 0xc0}},
	}
	for _, c := range cases {
		got, err := doubleValue(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in.DType, err)
		}
		if g := got.(*tenso.Tensor).Data; !reflect.DeepEqual(g, c.want) {
			t.Errorf("%s: got % x, want % x", c.in.DType, g, c.want)
		}
	}
	if _, err := doubleValue(&tenso.Tensor{DType: tenso.Bool, Shape: []int{1}, Data: []byte{1}}); err == nil {
		t.Error("bool doubled")
	}
	if _, err := doubleValue(tenso.NewStrings("x")); err == nil {
		t.Error("strings doubled")
	}
	b, err := doubleValue((&tenso.Bundle{}).Add("a", &tenso.Tensor{DType: tenso.Int8, Shape: []int{1}, Data: []byte{5}}))
	if err != nil || b.(*tenso.Bundle).Get("a").(*tenso.Tensor).Data[0] != 10 {
		t.Errorf("bundle: %v %v", b, err)
	}
}

// TestPredictCommand runs `tenso predict` against the serve endpoint over
// HTTP and gRPC.
func TestPredictCommand(t *testing.T) {
	app := tensohttp.NewApp(tensohttp.Options{})
	app.Endpoint("/infer", func(_ context.Context, in tenso.Value) (tenso.Value, error) { return doubleValue(in) })
	srv := httptest.NewServer(app)
	defer srv.Close()

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tensogrpc.Serve(ctx, lis, tensogrpc.NewService(func(_ context.Context, in tenso.Value) (tenso.Value, error) {
			return doubleValue(in)
		}, tensogrpc.ServiceOptions{}), tensogrpc.ServerOptions{})
	}()
	defer func() { cancel(); <-done }()

	dir := t.TempDir()
	in := filepath.Join(dir, "in.tenso")
	p, err := tenso.Encode(&tenso.Tensor{DType: tenso.Int32, Shape: []int{2}, Data: []byte{1, 0, 0, 0, 2, 0, 0, 0}}, tenso.Options{})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(in, p, 0o644)
	for _, target := range []string{srv.URL + "/infer", "grpc://" + lis.Addr().String()} {
		for _, extra := range [][]string{nil, {"-stream"}} {
			out := filepath.Join(dir, "out.tenso")
			args := append([]string{target, in, "-o", out}, extra...)
			if st := runPredict(args); st != 0 {
				t.Fatalf("predict %v: exit %d", args, st)
			}
			b, _ := os.ReadFile(out)
			v, err := tenso.Decode(b)
			if err != nil || !reflect.DeepEqual(v.(*tenso.Tensor).Data, []byte{2, 0, 0, 0, 4, 0, 0, 0}) {
				t.Fatalf("predict %v: %v %v", args, v, err)
			}
		}
	}
	// Errors: a bad packet file, a server refusal, bad usage.
	bad := filepath.Join(dir, "bad.tenso")
	os.WriteFile(bad, []byte("nope"), 0o644)
	strs := filepath.Join(dir, "strs.tenso")
	sp, _ := tenso.Encode(tenso.NewStrings("x"), tenso.Options{})
	os.WriteFile(strs, sp, 0o644)
	for _, args := range [][]string{{srv.URL + "/infer", bad}, {srv.URL + "/infer", strs}, {srv.URL + "/nope", in}, {"ftp://x", in}} {
		if st := runPredict(args); st != 1 {
			t.Errorf("predict %v: exit %d, want 1", args, st)
		}
	}
	if st := runPredict([]string{in}); st != 2 {
		t.Errorf("one operand: exit %d, want 2", st)
	}
	if st := runServe([]string{"-bogus"}); st != 2 {
		t.Errorf("serve -bogus: exit %d, want 2", st)
	}
}

// The admission and budget flags parse (and -h exits 0); bad values exit 2.
func TestServeFlags(t *testing.T) {
	if st := runServe([]string{"-h"}); st != 0 {
		t.Errorf("serve -h: exit %d", st)
	}
	for _, args := range [][]string{{"-max-inflight", "lots"}, {"-body-grace", "soon"}, {"-min-body-rate", "1.5"}} {
		if st := runServe(args); st != 2 {
			t.Errorf("serve %v: exit %d, want 2", args, st)
		}
	}
}
