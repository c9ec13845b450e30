package tenso

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Kernel benchmarks on 1M elements. Each family has a sub-benchmark per
// implementation the host supports (go, avx2, avx512 on amd64; go, neon,
// bf16 on arm64) and a "copy" baseline that copies as many bytes as the
// kernel writes, in the same run. SetBytes is the output size (the input
// size for minmax, which writes nothing), so MB/s compare directly with
// copy. Goal: asm ≥ 4× go and ≥ 0.5× copy.

const benchN = 1 << 20

func benchKernel(b *testing.B, bytes int, fn func()) {
	cpSrc := make([]byte, bytes)
	for i := range cpSrc {
		cpSrc[i] = byte(i)
	}
	cpDst := make([]byte, bytes)
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(int64(bytes))
		b.ReportAllocs()
		for b.Loop() {
			copy(cpDst, cpSrc)
		}
	})
	for _, impl := range kernelImpls() {
		restore, _ := useKernelImpl(impl)
		b.Run(impl, func(b *testing.B) {
			b.SetBytes(int64(bytes))
			b.ReportAllocs()
			for b.Loop() {
				fn()
			}
		})
		restore()
	}
}

func benchData() (f32 []float32, u16 []uint16, u8 []byte) {
	r := rand.New(rand.NewPCG(1, 1))
	f32 = make([]float32, benchN)
	u16 = make([]uint16, benchN)
	u8 = make([]byte, benchN)
	for i := range f32 {
		f32[i] = float32(r.NormFloat64())
		u16[i] = uint16(math.Float32bits(f32[i]) >> 16) // a plausible bf16/f16 mix
		u8[i] = byte(r.Uint32())
	}
	return
}

func BenchmarkKernelF16ToF32(b *testing.B) {
	_, u16, _ := benchData()
	dst := make([]float32, benchN)
	benchKernel(b, 4*benchN, func() { Float16ToFloat32(dst, u16) })
}

func BenchmarkKernelF32ToF16(b *testing.B) {
	f32, _, _ := benchData()
	dst := make([]uint16, benchN)
	benchKernel(b, 2*benchN, func() { Float32ToFloat16(dst, f32) })
}

func BenchmarkKernelBF16ToF32(b *testing.B) {
	_, u16, _ := benchData()
	dst := make([]float32, benchN)
	benchKernel(b, 4*benchN, func() { BFloat16ToFloat32(dst, u16) })
}

func BenchmarkKernelF32ToBF16(b *testing.B) {
	f32, _, _ := benchData()
	dst := make([]uint16, benchN)
	benchKernel(b, 2*benchN, func() { Float32ToBFloat16(dst, f32) })
}

// quantizedBench builds a 1M-element quantized tensor.
func quantizedBench(b *testing.B, d DType, s Scheme, gs int) *Quantized {
	f32, _, _ := benchData()
	q, err := Quantize(&Tensor{DType: Float32, Shape: []int{1024, 1024}, Data: f32Bytes(f32)}, d, s, 0, gs)
	if err != nil {
		b.Fatal(err)
	}
	return q
}

func BenchmarkKernelDequantInt8(b *testing.B) {
	q := quantizedBench(b, QInt8, PerTensor, 0)
	dst := make([]float32, benchN)
	benchKernel(b, 4*benchN, func() { DequantizeInto(dst, q) })
}

func BenchmarkKernelDequantUint8PerChannel(b *testing.B) {
	q := quantizedBench(b, QUint8, PerChannel, 0)
	dst := make([]float32, benchN)
	benchKernel(b, 4*benchN, func() { DequantizeInto(dst, q) })
}

func BenchmarkKernelDequantInt4(b *testing.B) {
	q := quantizedBench(b, QInt4, PerTensor, 0)
	dst := make([]float32, benchN)
	benchKernel(b, 4*benchN, func() { DequantizeInto(dst, q) })
}

func BenchmarkKernelDequantInt4Group128(b *testing.B) {
	q := quantizedBench(b, QInt4, PerGroup, 128)
	dst := make([]float32, benchN)
	benchKernel(b, 4*benchN, func() { DequantizeInto(dst, q) })
}

func BenchmarkKernelMinMax(b *testing.B) {
	f32, _, _ := benchData()
	benchKernel(b, 4*benchN, func() { minMax(f32) })
}

func BenchmarkKernelQuantInt8(b *testing.B) {
	f32, _, _ := benchData()
	dst := make([]byte, benchN)
	lo, hi, _ := minMaxGo(f32)
	s, zp, _ := quantParams(lo, hi, -128, 127)
	benchKernel(b, benchN, func() { quant8(dst, f32, s, zp, -128, 127) })
}

// BenchmarkQuantizeInt4Group128 is the whole Quantize call (grouped
// min/max scan, scale and zero point per group, quantize, pack, allocation
// of the result) for qint4 per_group(128), per implementation. It is not a
// kernel, so it has no copy baseline.
func BenchmarkQuantizeInt4Group128(b *testing.B) {
	f32, _, _ := benchData()
	t := &Tensor{DType: Float32, Shape: []int{benchN}, Data: f32Bytes(f32)}
	for _, impl := range kernelImpls() {
		restore, _ := useKernelImpl(impl)
		b.Run(impl, func(b *testing.B) {
			b.SetBytes(benchN / 2)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Quantize(t, QInt4, PerGroup, 0, 128); err != nil {
					b.Fatal(err)
				}
			}
		})
		restore()
	}
}

// BenchmarkKernelQuantInt8Group128 is the grouped quantization kernel:
// 8192 groups of 128 elements with their own scale and zero point.
func BenchmarkKernelQuantInt8Group128(b *testing.B) {
	f32, _, _ := benchData()
	dst := make([]byte, benchN)
	ng := benchN / 128
	scales, zps := make([]float32, ng), make([]float32, ng)
	for g := range scales {
		scales[g], zps[g], _ = quantParams(-4, 4, -128, 127)
	}
	benchKernel(b, benchN, func() { quant8Groups(dst, f32, scales, zps, 128, -128, 127) })
}

func BenchmarkKernelPackInt4(b *testing.B) {
	_, _, u8 := benchData()
	dst := make([]byte, benchN/2)
	benchKernel(b, benchN/2, func() { PackUint4(dst, u8) })
}

func BenchmarkKernelUnpackInt4(b *testing.B) {
	_, _, u8 := benchData()
	dst := make([]int8, benchN)
	benchKernel(b, benchN, func() { UnpackInt4(dst, u8[:benchN/2]) })
}
