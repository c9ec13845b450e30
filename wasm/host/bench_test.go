package host

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
	"github.com/tetratelabs/wazero"
)

// Instantiation: the first one compiles the module (a fresh cache each
// iteration), the second one hits the compilation cache. Compare the two
// ns/op: the budget is cached ≤ 1/10 of first.
func BenchmarkInstantiate(b *testing.B) {
	ctx := context.Background()
	bin := module(b)
	start := func(b *testing.B, cache wazero.CompilationCache) {
		r, err := New(ctx, Config{Module: bin, Cache: cache})
		if err != nil {
			b.Fatal(err)
		}
		c, err := r.NewCodec(ctx)
		if err != nil {
			b.Fatal(err)
		}
		c.Close(ctx)
		r.Close(ctx)
	}
	b.Run("first", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			cache := wazero.NewCompilationCache()
			start(b, cache)
			cache.Close(ctx)
		}
	})
	b.Run("cached", func(b *testing.B) {
		cache := wazero.NewCompilationCache()
		defer cache.Close(ctx)
		start(b, cache)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			start(b, cache)
		}
	})
}

func kib(n int) *tenso.Tensor { return testutil.F32([]int{n * 256}) }

// A plugin round trip of a 1 KiB float32 tensor (encode in the host, copy
// into the plugin, decode, scale, encode in the plugin, copy out, validate),
// beside the same work done natively.
func BenchmarkPluginRoundTrip1KiB(b *testing.B) {
	ctx := context.Background()
	pkt, _ := tenso.Encode(kib(1), tenso.Options{})
	b.Run("wazero", func(b *testing.B) {
		r := newRuntime(b)
		p, err := r.LoadPlugin(ctx, pluginBytes(b, "wasm/examples/scale"), PluginConfig{})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close(ctx)
		if _, err := p.Call(ctx, "scale", pkt); err != nil { // instantiate outside the timing
			b.Fatal(err)
		}
		b.SetBytes(int64(len(pkt)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := p.Call(ctx, "scale", pkt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("native", func(b *testing.B) {
		b.SetBytes(int64(len(pkt)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			v, err := tenso.Decode(pkt)
			if err != nil {
				b.Fatal(err)
			}
			t := v.(*tenso.Tensor)
			out := &tenso.Tensor{DType: tenso.Float32, Shape: t.Shape, Data: make([]byte, len(t.Data))}
			for j := 0; j < len(t.Data); j += 4 {
				x := math.Float32frombits(binary.LittleEndian.Uint32(t.Data[j:]))
				binary.LittleEndian.PutUint32(out.Data[j:], math.Float32bits(2*x))
			}
			o, _ := tenso.Encode(out, tenso.Options{})
			if _, err := tenso.Decode(o); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Decode through the module vs natively: 1 KiB, 4 MiB with integrity,
// 16 MiB LZ4-compressed (SetBytes counts packet bytes).
func BenchmarkCodecDecode(b *testing.B) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		n    int
		o    tenso.Options
	}{{"1KiB", 1, tenso.Options{}}, {"4MiB-integrity", 4096, tenso.Options{Integrity: true}}, {"16MiB-lz4", 16384, tenso.Options{Compress: true}}} {
		pkt, _ := tenso.Encode(kib(tc.n), tc.o)
		b.Run(tc.name+"/wazero", func(b *testing.B) {
			c := newCodec(b)
			c.Decode(ctx, pkt)
			b.SetBytes(int64(len(pkt)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Decode(ctx, pkt); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/native", func(b *testing.B) {
			b.SetBytes(int64(len(pkt)))
			for i := 0; i < b.N; i++ {
				if _, err := tenso.Decode(pkt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
