package host

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/golden"
	"github.com/tetratelabs/wazero/api"
)

// TestModulePanicReachesCaller: a panic inside the codec module reaches
// the caller with its message (not only wazero's "wasm error:
// unreachable" of the runtime's abort), without
// the goroutine trace, bounded in size, and the codec works afterwards.
// The module is built with -tags tensotestpanic, which adds the export
// tenso_test_panic (absent from make wasm's module).
func TestModulePanicReachesCaller(t *testing.T) {
	ctx := context.Background()
	out := filepath.Join(built.dir, "tenso-testpanic.wasm")
	if err := buildWasm(out, "./wasm/module", "-tags", "tensotestpanic"); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(ctx, Config{Module: bin})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	c, err := r.NewCodec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	panicWith := func(msg string) error {
		return c.call(ctx, func(m api.Module) error {
			_, err := c.callOn(ctx, m, "tenso_test_panic", []byte(msg))
			return err
		})
	}
	pkt := golden.Read(t, "dense_f32.tenso")
	want, _ := tenso.Decode(pkt)
	for i, msg := range []string{"boom at offset 12", strings.Repeat("x", 3*stderrMax)} {
		err := panicWith(msg)
		var me *Error
		if err == nil || errors.As(err, &me) {
			t.Fatalf("call %d: want the module's trap, got %v", i, err)
		}
		s := err.Error()
		if i == 0 && !strings.HasPrefix(s, "tenso: the wasm module failed: panic: boom at offset 12") {
			t.Fatalf("the panic's message is not in the error: %q", s)
		}
		if strings.Contains(s, "goroutine") || len(s) > stderrMax+512 {
			t.Fatalf("call %d: %d bytes of error, trace or unbounded: %.300q", i, len(s), s)
		}
		got, err := c.Decode(ctx, pkt)
		if err != nil || describe(got) != describe(want) {
			t.Fatalf("decode after a panic: %v", err)
		}
	}
	// An ordinary decode error has nothing from stderr.
	if _, err := c.Decode(ctx, pkt[:9]); err == nil || strings.Contains(err.Error(), "wasm module failed") {
		t.Fatalf("truncated packet: %v", err)
	}
}

// TestPluginPanicReachesCaller: a plugin's panic (badplugin's trap, a nil
// map write) reaches the caller with its message.
func TestPluginPanicReachesCaller(t *testing.T) {
	r := newRuntime(t)
	p := loadPlugin(t, r, "wasm/host/testdata/badplugin", PluginConfig{})
	pkt, _ := tenso.Encode(f32tensor(1), tenso.Options{})
	_, err := p.Call(context.Background(), "trap", pkt)
	if !errors.Is(err, ErrPlugin) || !strings.Contains(err.Error(), "trap: panic: assignment to entry in nil map") {
		t.Fatalf("want the panic's message, got %v", err)
	}
}
