package core

import (
	"bytes"
	"io"
	"math"
	"sync"
	"testing"

	"github.com/zeebo/xxh3"
)

// Benchmarks with their baselines beside them.
// Compare each result with its baseline from the same run:
//
//	go test ./core -run XXX -bench 'Decode|Encode|Append|Reader|Writer' -benchtime 0.5s
//
// Decode/dense_64MiB vs Decode/dense_1KiB (O(1) decode, ≤ 2 allocs);
// Encode/64MiB vs Encode/make+copy (≤ 1.3×); Append/64MiB vs Append/copy
// (≤ 1.1×); EncodeIntegrity vs EncodeIntegrity/copy+xxh3.Hash (≤ 1.15×);
// Reader/64MiB vs Reader/io.ReadFull (≤ 1.2×); Writer B/op (no body copy);
// Append/1KiB (≤ 0.16 µs).

var (
	benchOnce  sync.Once
	bench64    *Tensor // 16 Mi float32 = 64 MiB
	bench64Pkt []byte
	bench1K    *Tensor // 256 float32 = 1 KiB
	bench1KPkt []byte
)

func benchData(b testing.TB) {
	benchOnce.Do(func() {
		mk := func(n int) *Tensor {
			data := make([]byte, 4*n)
			for i := 0; i < n; i++ {
				putU32(data[4*i:], math.Float32bits(float32(i%1000)*0.25-100))
			}
			return &Tensor{DType: Float32, Shape: []int{n}, Data: data}
		}
		bench64 = mk(16 << 20)
		bench1K = mk(256)
		var err error
		if bench64Pkt, err = Encode(bench64, Options{}); err != nil {
			panic(err)
		}
		if bench1KPkt, err = Encode(bench1K, Options{}); err != nil {
			panic(err)
		}
	})
}

// TestDecodeAllocs: dense decode allocates at most twice (the *Tensor and
// its shape) at any size, and its body is a view into the packet.
func TestDecodeAllocs(t *testing.T) {
	benchData(t)
	for _, p := range [][]byte{bench1KPkt, bench64Pkt} {
		var v Value
		allocs := testing.AllocsPerRun(100, func() {
			var err error
			if v, err = Decode(p); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 2 {
			t.Errorf("Decode of %d bytes: %.1f allocations, want ≤ 2", len(p), allocs)
		}
		if d := v.(*Tensor).Data; &d[0] != &p[64] {
			t.Errorf("Decode of %d bytes copied the body", len(p))
		}
	}
}

// TestWriterNoBodyCopy: writing a 64 MiB tensor through a Writer
// allocates a few hundred bytes, not the body.
func TestWriterNoBodyCopy(t *testing.T) {
	benchData(t)
	w := NewWriter(io.Discard)
	per := totalAlloc(5, func() {
		if _, err := w.Write(bench64, Options{Integrity: true}); err != nil {
			t.Fatal(err)
		}
	})
	if per > 4096 {
		t.Errorf("Writer.Write of a 64 MiB tensor allocated %d bytes per packet", per)
	}
}

func BenchmarkDecode(b *testing.B) {
	benchData(b)
	for _, c := range []struct {
		name string
		p    []byte
	}{{"dense_1KiB", bench1KPkt}, {"dense_64MiB", bench64Pkt}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.p)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := Decode(c.p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodePrefix: DecodePrefix delimits the packet (PacketLen's
// walk) before decoding it; its baseline is Decode of the same packet,
// uncompressed and LZ4-compressed (1 MiB of float32).
func BenchmarkDecodePrefix(b *testing.B) {
	benchData(b)
	mib := &Tensor{DType: Float32, Shape: []int{256 << 10}, Data: bench64.Data[:1<<20]}
	lz, err := Encode(mib, Options{Compress: true})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    []byte
	}{{"dense_1KiB", bench1KPkt}, {"lz4_1MiB", lz}} {
		for _, f := range []struct {
			name string
			fn   func([]byte) error
		}{
			{"Decode", func(p []byte) error { _, err := Decode(p); return err }},
			{"DecodePrefix", func(p []byte) error { _, _, err := DecodePrefix(p, Limits{}); return err }},
		} {
			b.Run(c.name+"/"+f.name, func(b *testing.B) {
				b.SetBytes(int64(len(c.p)))
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if err := f.fn(c.p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	benchData(b)
	n := int64(len(bench64Pkt))
	b.Run("64MiB", func(b *testing.B) {
		b.SetBytes(n)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := Encode(bench64, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("make+copy", func(b *testing.B) {
		b.SetBytes(n)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			p := make([]byte, n)
			copy(p[64:], bench64.Data)
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	benchData(b)
	for _, c := range []struct {
		name string
		v    *Tensor
		p    []byte
	}{{"64MiB", bench64, bench64Pkt}, {"1KiB", bench1K, bench1KPkt}} {
		buf := make([]byte, 0, len(c.p))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.p)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var err error
				if buf, err = Append(buf[:0], c.v, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/copy", func(b *testing.B) {
			dst := make([]byte, len(c.p))
			b.SetBytes(int64(len(c.p)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				copy(dst[64:], c.v.Data)
			}
		})
	}
}

func BenchmarkEncodeIntegrity(b *testing.B) {
	benchData(b)
	n := int64(len(bench64Pkt) + 8)
	buf := make([]byte, 0, n)
	b.Run("64MiB", func(b *testing.B) {
		b.SetBytes(n)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var err error
			if buf, err = Append(buf[:0], bench64, Options{Integrity: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("copy+xxh3.Hash", func(b *testing.B) {
		dst := make([]byte, n)
		b.SetBytes(n)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			copy(dst[64:], bench64.Data)
			putU64(dst[n-8:], xxh3.Hash(bench64.Data))
		}
	})
}

func BenchmarkReader(b *testing.B) {
	benchData(b)
	p := bench64Pkt
	b.Run("64MiB", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		b.ReportAllocs()
		var br bytes.Reader
		for i := 0; i < b.N; i++ {
			br.Reset(p)
			if _, err := NewReader(&br).Read(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// ReuseBuffer: one buffer for every packet (values valid until the
	// next Read), the like-for-like match of the io.ReadFull baseline.
	b.Run("64MiB/reuse", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		b.ReportAllocs()
		var br bytes.Reader
		r := NewReader(&br)
		r.ReuseBuffer(true)
		for i := 0; i < b.N; i++ {
			br.Reset(p)
			if _, err := r.Read(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The Reader must give every packet its own buffer (decoded values
	// are views into it): this baseline shows what that allocation costs.
	b.Run("make+io.ReadFull", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		b.ReportAllocs()
		var br bytes.Reader
		for i := 0; i < b.N; i++ {
			br.Reset(p)
			if _, err := io.ReadFull(&br, make([]byte, len(p))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("io.ReadFull", func(b *testing.B) {
		dst := make([]byte, len(p))
		b.SetBytes(int64(len(p)))
		b.ReportAllocs()
		var br bytes.Reader
		for i := 0; i < b.N; i++ {
			br.Reset(p)
			if _, err := io.ReadFull(&br, dst); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkWriter(b *testing.B) {
	benchData(b)
	n := int64(len(bench64Pkt))
	b.Run("64MiB", func(b *testing.B) {
		w := NewWriter(io.Discard)
		b.SetBytes(n)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := w.Write(bench64, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Encode+Write", func(b *testing.B) {
		b.SetBytes(n)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			p, err := Encode(bench64, Options{})
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Discard.Write(p)
		}
	})
}
