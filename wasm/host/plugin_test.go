package host

import (
	"context"
	"errors"
	"github.com/tenso-go/tenso/internal/golden"
	"strings"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

func f32tensor(vals ...float32) *tenso.Tensor { return testutil.F32([]int{len(vals)}, vals...) }

func floatsOf(t *testing.T, v tenso.Value) []float32 {
	t.Helper()
	if ten, ok := v.(*tenso.Tensor); !ok || ten.DType != tenso.Float32 {
		t.Fatalf("not a float32 tensor: %v", v)
	}
	return testutil.F32s(v)
}

func loadPlugin(t *testing.T, r *Runtime, rel string, cfg PluginConfig) *Plugin {
	t.Helper()
	p, err := r.LoadPlugin(context.Background(), pluginBytes(t, rel), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func TestScalePlugin(t *testing.T) {
	r := newRuntime(t)
	p := loadPlugin(t, r, "wasm/examples/scale", PluginConfig{})
	ctx := context.Background()
	out, err := p.CallValue(ctx, "scale", f32tensor(1, -2.5, 3, 0), tenso.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := floatsOf(t, out); len(got) != 4 || got[0] != 2 || got[1] != -5 || got[2] != 6 || got[3] != 0 {
		t.Fatalf("scale: %v", got)
	}
	// A bundle carries its own factor; integrity-protected input works too.
	b := (&tenso.Bundle{}).Add("x", f32tensor(1, 2)).Add("factor", f32tensor(0.5))
	out, err = p.CallValue(ctx, "scale", b, tenso.Options{Integrity: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := floatsOf(t, out); got[0] != 0.5 || got[1] != 1 {
		t.Fatalf("scale bundle: %v", got)
	}
	// A reported error keeps the instance, and is a *PluginError.
	_, err = p.CallValue(ctx, "scale", tenso.NewStrings("no"), tenso.Options{})
	var pe *PluginError
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "float32") {
		t.Fatalf("want a PluginError, got %v", err)
	}
	// Bad input packets are the plugin's decode error, reported.
	if _, err := p.Call(ctx, "scale", []byte("TNSO junk")); !errors.As(err, &pe) {
		t.Fatalf("bad input: %v", err)
	}
	if _, err := p.Call(ctx, "nosuch", []byte{}); !errors.Is(err, ErrPlugin) {
		t.Fatalf("missing export: %v", err)
	}
	// Large tensor.
	big := make([]float32, 1<<18)
	for i := range big {
		big[i] = float32(i)
	}
	out, err = p.CallValue(ctx, "scale", f32tensor(big...), tenso.Options{Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := floatsOf(t, out); got[len(got)-1] != 2*float32(len(big)-1) {
		t.Fatalf("big: %v", got[len(got)-1])
	}
}

func TestPluginTrapRecovers(t *testing.T) {
	r := newRuntime(t)
	p := loadPlugin(t, r, "wasm/host/testdata/badplugin", PluginConfig{})
	pkt, _ := tenso.Encode(f32tensor(1), tenso.Options{})
	for i := 0; i < 3; i++ {
		if _, err := p.Call(context.Background(), "trap", pkt); !errors.Is(err, ErrPlugin) {
			t.Fatalf("call %d: want ErrPlugin, got %v", i, err)
		}
	}
}

func TestPluginInfiniteLoopTimesOut(t *testing.T) {
	r := newRuntime(t)
	p := loadPlugin(t, r, "wasm/host/testdata/badplugin", PluginConfig{Timeout: 200 * time.Millisecond})
	pkt, _ := tenso.Encode(f32tensor(1), tenso.Options{})
	for i := 0; i < 2; i++ {
		start := time.Now()
		_, err := p.Call(context.Background(), "loop", pkt)
		if !errors.Is(err, ErrPlugin) || !strings.Contains(err.Error(), "deadline") {
			t.Fatalf("want a deadline ErrPlugin, got %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("timeout took %v", d)
		}
	}
	// The caller's own cancellation stops it too.
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	if _, err := p.Call(ctx, "loop", pkt); !errors.Is(err, ErrPlugin) {
		t.Fatalf("cancel: %v", err)
	}
}

func TestPluginBadOutputs(t *testing.T) {
	r := newRuntime(t)
	p := loadPlugin(t, r, "wasm/host/testdata/badplugin", PluginConfig{})
	ctx := context.Background()
	pkt, _ := tenso.Encode(f32tensor(1, 2, 3), tenso.Options{})
	for _, fn := range []string{"garbage", "outofrange", "truncated", "wrongsig"} {
		if _, err := p.Call(ctx, fn, pkt); !errors.Is(err, ErrPlugin) {
			t.Errorf("%s: want ErrPlugin, got %v", fn, err)
		}
	}
	if _, err := p.Call(ctx, "garbage", pkt); !errors.Is(err, tenso.ErrCorrupt) {
		t.Errorf("garbage: want the decoder's ErrCorrupt, got %v", err)
	}
	out, err := p.Call(ctx, "echo", pkt)
	if err != nil || string(out) != string(pkt) {
		t.Fatalf("echo after failures: %v", err)
	}
}

func TestPluginReportedError(t *testing.T) {
	r := newRuntime(t)
	p := loadPlugin(t, r, "wasm/host/testdata/badplugin", PluginConfig{})
	pkt, _ := tenso.Encode(f32tensor(1), tenso.Options{})
	_, err := p.Call(context.Background(), "fail", pkt)
	var pe *PluginError
	if !errors.As(err, &pe) || pe.Msg != "refusing on purpose" || err.Error() != "tenso plugin fail: refusing on purpose" {
		t.Fatalf("got %v", err)
	}
}

func TestLoadPluginChecksExports(t *testing.T) {
	r := newRuntime(t)
	if _, err := r.LoadPlugin(context.Background(), module(t), PluginConfig{}); !errors.Is(err, ErrPlugin) {
		t.Fatalf("the codec module is not a plugin: %v", err)
	}
	if _, err := r.LoadPlugin(context.Background(), []byte("\x00asm junk"), PluginConfig{}); !errors.Is(err, ErrPlugin) {
		t.Fatalf("junk: %v", err)
	}
}

func TestConcurrentCodec(t *testing.T) {
	c := newCodec(t)
	pkt := golden.Read(t, "dense_f32.tenso")
	want, _ := tenso.Decode(pkt)
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 20; i++ {
				v, err := c.Decode(context.Background(), pkt)
				if err != nil || describe(v) != describe(want) {
					done <- errors.New("mismatch")
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
