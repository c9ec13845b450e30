package core

import (
	"sync"
	"testing"

	"github.com/pierrec/lz4/v4"
)

const lz4BenchSize = 64 << 20

var lz4BenchData = sync.OnceValue(func() map[string][]byte {
	return map[string][]byte{
		"normal_f32": lz4NormalF32(lz4BenchSize, 42), // compresses poorly
		"pattern":    lz4Pattern(lz4BenchSize),       // compresses well
	}
})

// BenchmarkLZ4 compares the frame codec with its physical baseline, a bare
// loop of pierrec block calls over 64 KiB blocks (the same block size, no
// frame header, no raw-block fallback), on the same data.
func BenchmarkLZ4(b *testing.B) {
	for _, name := range []string{"normal_f32", "pattern"} {
		src := lz4BenchData()[name]
		b.Run(name+"/compress/frame", func(b *testing.B) {
			out := make([]byte, 0, lz4FrameBound(len(src)))
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				out = appendLZ4Frame(out[:0], src)
			}
			b.ReportMetric(float64(len(out))/float64(len(src)), "ratio")
		})
		b.Run(name+"/compress/block", func(b *testing.B) {
			bound := lz4.CompressBlockBound(lz4WriteBlockSize)
			out := make([]byte, (len(src)/lz4WriteBlockSize+1)*bound)
			var c lz4.Compressor
			total := 0
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				total = 0
				for off := 0; off < len(src); off += lz4WriteBlockSize {
					n, err := c.CompressBlock(src[off:min(off+lz4WriteBlockSize, len(src))], out[total:total+bound])
					if err != nil {
						b.Fatal(err)
					}
					total += n
				}
			}
			b.ReportMetric(float64(total)/float64(len(src)), "ratio")
		})
		b.Run(name+"/decompress/frame", func(b *testing.B) {
			frame := appendLZ4Frame(nil, src)
			dst := make([]byte, len(src))
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				if err := decodeLZ4Frames(dst, frame, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/decompress/block", func(b *testing.B) {
			var c lz4.Compressor
			var blocks [][]byte
			for off := 0; off < len(src); off += lz4WriteBlockSize {
				blk := make([]byte, lz4.CompressBlockBound(lz4WriteBlockSize))
				n, err := c.CompressBlock(src[off:min(off+lz4WriteBlockSize, len(src))], blk)
				if err != nil {
					b.Fatal(err)
				}
				blocks = append(blocks, blk[:n])
			}
			dst := make([]byte, len(src))
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				off := 0
				for _, blk := range blocks {
					n, err := lz4.UncompressBlock(blk, dst[off:min(off+lz4WriteBlockSize, len(dst))])
					if err != nil {
						b.Fatal(err)
					}
					off += n
				}
			}
		})
	}
}
