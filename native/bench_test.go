package native

import (
	"os"
	"path/filepath"
	"testing"

	tenso "github.com/tenso-go/tenso"
)

// LoadFile maps and decodes without touching the body: its cost does not
// depend on the file size. The baseline reads the same file (os.ReadFile).
func BenchmarkLoadFile(b *testing.B) {
	dir := b.TempDir()
	for _, size := range []int{1 << 20, 256 << 20} {
		p := filepath.Join(dir, "t.tenso")
		t := &tenso.Tensor{DType: tenso.Uint8, Shape: []int{size}, Data: make([]byte, size)}
		if _, err := DumpFile(p, t, DumpOptions{}); err != nil {
			b.Fatal(err)
		}
		name := map[int]string{1 << 20: "1MiB", 256 << 20: "256MiB"}[size]
		b.Run("LoadFile-"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				f, err := LoadFile(p)
				if err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
		b.Run("ReadFile-baseline-"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := os.ReadFile(p); err != nil {
					b.Fatal(err)
				}
			}
		})
		os.Remove(p)
	}
}

// DumpFile of a 64 MiB tensor (one writev, no body copy) against writing
// the Encode output (encode copies the body, then one write).
func BenchmarkDumpFile64MiB(b *testing.B) {
	dir := b.TempDir()
	t := &tenso.Tensor{DType: tenso.Uint8, Shape: []int{64 << 20}, Data: make([]byte, 64<<20)}
	b.Run("DumpFile", func(b *testing.B) {
		b.SetBytes(64 << 20)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DumpFile(filepath.Join(dir, "d"), t, DumpOptions{InPlace: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Encode+WriteFile-baseline", func(b *testing.B) {
		b.SetBytes(64 << 20)
		b.ReportAllocs()
		for b.Loop() {
			p, _ := tenso.Encode(t, tenso.Options{})
			if err := os.WriteFile(filepath.Join(dir, "d"), p, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	})
}
