package tenso

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// withImpl runs f once per implementation the host supports (the pure-Go
// path included), with that implementation forced through the test hook.
func withImpl(t *testing.T, f func(t *testing.T, impl string)) {
	t.Helper()
	for _, name := range kernelImpls() {
		restore, ok := useKernelImpl(name)
		if !ok {
			t.Fatalf("kernelImpls lists %q but useKernelImpl refuses it", name)
		}
		t.Run(name, func(t *testing.T) { f(t, name) })
		restore()
	}
}

// asImpl runs f with impl forced and restores the previous choice.
func asImpl(impl string, f func()) {
	restore, ok := useKernelImpl(impl)
	if !ok {
		panic("unsupported impl " + impl)
	}
	defer restore()
	f()
}

// specialF32 holds float32 bit patterns every conversion test includes.
var specialF32 = []uint32{
	0x00000000, 0x80000000, // ±0
	0x7F800000, 0xFF800000, // ±Inf
	0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FBFFFFF, 0x7FFFFFFF, 0x7FA00000, 0x7F802000, 0x7F801FFF, 0xFFE0F0F0, // NaNs
	0x00000001, 0x80000001, 0x007FFFFF, 0x00400000, 0x00800000, // float32 subnormals, smallest normal
	0x3F800000, 0xBF800000, 0x477FE000, 0x477FF000, 0x477FEFFF, 0x47800000, 0xC77FF000, // 1, 65504, 65520 (tie to Inf), 65536
	0x33800000, 0x33000000, 0x33000001, 0x33C00000, 0x33400000, // 2^-24, 2^-25 (tie to 0), 1.5·2^-24
	0x38800000, 0x387FC000, 0x387FE000, 0x387FFFFF, // around the smallest normal float16
	0x3F801000, 0x3F803000, 0x3F800FFF, 0x3F801001, // float16 ties at 1.0
	0x3F808000, 0x3F818000, 0x3F807FFF, 0x3F808001, // bfloat16 ties at 1.0
	0x7F7F8000, 0x7F7FFFFF, 0xFF7F8000, // bfloat16 overflow to Inf
	0x00008000, 0x00018000, 0x00007FFF, // bfloat16 subnormal ties
}

// randF32Bits returns random float32 bits biased towards interesting
// values: specials, half-float ties, small exponents.
func randF32Bits(r *rand.Rand) uint32 {
	switch r.IntN(8) {
	case 0:
		return specialF32[r.IntN(len(specialF32))]
	case 1: // float16 tie or near-tie
		return r.Uint32()&^0x1FFF | 0x1000 + uint32(r.IntN(3)) - 1
	case 2: // bfloat16 tie or near-tie
		return r.Uint32()&^0xFFFF | 0x8000 + uint32(r.IntN(3)) - 1
	case 3: // float16 subnormal / underflow range
		return r.Uint32()&0x807FFFFF | uint32(100+r.IntN(16))<<23
	case 4: // NaN with random payload
		return r.Uint32() | 0x7F800001
	}
	return r.Uint32()
}

func f32sFromBits(b []uint32) []float32 {
	out := make([]float32, len(b))
	for i, v := range b {
		out[i] = math.Float32frombits(v)
	}
	return out
}

func bitsOf(f []float32) []uint32 {
	out := make([]uint32, len(f))
	for i, v := range f {
		out[i] = math.Float32bits(v)
	}
	return out
}

// guarded returns a slice of n elements at offset off inside a larger
// buffer filled with fill, so that writes before or after it are seen by
// checkGuards. Offsets make the slice unaligned.
func guarded[T any](off, n int, fill T) (full, s []T) {
	full = make([]T, off+n+67)
	for i := range full {
		full[i] = fill
	}
	return full, full[off : off+n]
}

func checkGuards[T comparable](t *testing.T, what string, full []T, off, n int, fill T) {
	t.Helper()
	for i := range full {
		if (i < off || i >= off+n) && full[i] != fill {
			t.Fatalf("%s: n=%d off=%d: wrote outside dst at index %d", what, n, off, i-off)
		}
	}
}

// TestKernelFloat16AllPatterns converts every float16 bit pattern to
// float32 and back with each implementation.
func TestKernelFloat16AllPatterns(t *testing.T) {
	src := make([]uint16, 65536)
	for i := range src {
		src[i] = uint16(i)
	}
	want := make([]float32, len(src))
	f16ToF32Go(want, src)
	wantBack := make([]uint16, len(src))
	f32ToF16Go(wantBack, want)
	for i, h := range wantBack {
		// Round trip is the identity, except that signalling NaNs come
		// back quiet.
		exp := uint16(i)
		if exp&0x7C00 == 0x7C00 && exp&0x3FF != 0 {
			exp |= 0x200
		}
		if h != exp {
			t.Fatalf("go round trip of %#04x gives %#04x", i, h)
		}
	}
	withImpl(t, func(t *testing.T, impl string) {
		for off := 0; off < 4; off++ {
			full, dst := guarded(off, len(src), float32(-7))
			if n := Float16ToFloat32(dst, src); n != len(src) {
				t.Fatalf("returned %d", n)
			}
			checkGuards(t, impl, full, off, len(src), -7)
			for i := range dst {
				if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
					t.Fatalf("f16 %#04x: got %#08x want %#08x", i, math.Float32bits(dst[i]), math.Float32bits(want[i]))
				}
			}
			fullb, back := guarded(off, len(src), uint16(0xABCD))
			Float32ToFloat16(back, dst)
			checkGuards(t, impl, fullb, off, len(src), 0xABCD)
			for i := range back {
				if back[i] != wantBack[i] {
					t.Fatalf("f32 %#08x: got %#04x want %#04x", math.Float32bits(dst[i]), back[i], wantBack[i])
				}
			}
		}
	})
}

// TestKernelBFloat16AllPatterns does the same for bfloat16.
func TestKernelBFloat16AllPatterns(t *testing.T) {
	src := make([]uint16, 65536)
	for i := range src {
		src[i] = uint16(i)
	}
	withImpl(t, func(t *testing.T, impl string) {
		for off := 0; off < 4; off++ {
			full, dst := guarded(off, len(src), float32(-7))
			BFloat16ToFloat32(dst, src)
			checkGuards(t, impl, full, off, len(src), -7)
			for i := range dst {
				if math.Float32bits(dst[i]) != uint32(i)<<16 {
					t.Fatalf("bf16 %#04x: got %#08x", i, math.Float32bits(dst[i]))
				}
			}
			fullb, back := guarded(off, len(src), uint16(0xABCD))
			Float32ToBFloat16(back, dst)
			checkGuards(t, impl, fullb, off, len(src), 0xABCD)
			for i := range back {
				want := uint16(i)
				if want&0x7F80 == 0x7F80 && want&0x7F != 0 {
					want |= 0x40 // signalling NaN comes back quiet
				}
				if back[i] != want {
					t.Fatalf("bf16 round trip %#04x: got %#04x", i, back[i])
				}
			}
		}
	})
}

// TestKernelHalfKnownValues pins conversions whose results are known
// independently of the Go twin.
func TestKernelHalfKnownValues(t *testing.T) {
	f16 := []struct {
		f uint32
		h uint16
	}{
		{0x3F800000, 0x3C00}, {0xC0000000, 0xC000}, {0x477FE000, 0x7BFF}, // 1, -2, 65504
		{0x477FF000, 0x7C00}, {0x477FEFFF, 0x7BFF}, {0x47800000, 0x7C00}, // 65520 ties to Inf
		{0x33800000, 0x0001}, {0x33000000, 0x0000}, {0x33000001, 0x0001}, // 2^-24, 2^-25 tie to 0
		{0x33C00000, 0x0002}, {0x34200000, 0x0002}, {0x34600000, 0x0004}, // 1.5·2^-24 → 2, 2.5·2^-24 → 2, 3.5·2^-24 → 4
		{0x387FC000, 0x03FF}, {0x387FE000, 0x0400}, {0x38800000, 0x0400}, // largest subnormal, tie up to smallest normal
		{0x3F801000, 0x3C00}, {0x3F803000, 0x3C02}, {0x3F801001, 0x3C01}, // ties to even at 1
		{0x7F800000, 0x7C00}, {0xFF800000, 0xFC00}, {0x00000001, 0x0000}, {0x80000001, 0x8000},
		{0x7FC00000, 0x7E00}, {0x7F800001, 0x7E00}, {0xFFA02000, 0xFF01}, {0x7FBFE000, 0x7FFF},
	}
	bf16 := []struct {
		f uint32
		h uint16
	}{
		{0x3F800000, 0x3F80}, {0xBFC00000, 0xBFC0}, {0x3E800000, 0x3E80}, {0x40700000, 0x4070}, // FORMAT.md §4 fixture
		{0x3F808000, 0x3F80}, {0x3F818000, 0x3F82}, {0x3F808001, 0x3F81}, {0x7F7F8000, 0x7F80},
		{0x00008000, 0x0000}, {0x00018000, 0x0002}, {0x00008001, 0x0001}, {0x80000001, 0x8000},
		{0x7F800001, 0x7FC0}, {0xFFC00000, 0xFFC0}, {0x7FFFFFFF, 0x7FFF}, {0xFF800000, 0xFF80},
	}
	// narrow checks that conv puts want at every position of a 19-element
	// vector holding f there (so that vector bodies and tails see it).
	narrow := func(t *testing.T, name string, conv func(dst []uint16, src []float32) int, f uint32, want uint16) {
		for pos := 0; pos < 19; pos++ {
			src := make([]float32, 19)
			src[pos] = math.Float32frombits(f)
			dst := make([]uint16, 19)
			conv(dst, src)
			if dst[pos] != want {
				t.Fatalf("%s(%#08x) = %#04x, want %#04x", name, f, dst[pos], want)
			}
		}
	}
	withImpl(t, func(t *testing.T, impl string) {
		for _, c := range f16 {
			narrow(t, "f16", Float32ToFloat16, c.f, c.h)
			if c.f&0x7FFFFFFF <= 0x7F800000 && c.f&0x7F800000 != 0 { // not NaN, not f32 subnormal
				var back [1]float32
				Float16ToFloat32(back[:], []uint16{c.h})
				if got := f32ToF16One(math.Float32bits(back[0])); got != c.h {
					t.Fatalf("f16 %#04x does not round-trip", c.h)
				}
			}
		}
		for _, c := range bf16 {
			narrow(t, "bf16", Float32ToBFloat16, c.f, c.h)
		}
	})
}

// TestKernelFloat16Sweep compares every implementation with the Go twin on
// a sweep through the float32 bit patterns plus random values.
func TestKernelFloat16Sweep(t *testing.T) {
	const stride = 1021
	src := make([]float32, 0, 1<<22+1)
	for b := uint64(0); b < 1<<32; b += stride {
		src = append(src, math.Float32frombits(uint32(b)))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1 << 16 {
		src = append(src, math.Float32frombits(randF32Bits(r)))
	}
	wantH := make([]uint16, len(src))
	wantB := make([]uint16, len(src))
	f32ToF16Go(wantH, src)
	f32ToBF16Go(wantB, src)
	withImpl(t, func(t *testing.T, impl string) {
		got := make([]uint16, len(src))
		Float32ToFloat16(got, src)
		for i := range got {
			if got[i] != wantH[i] {
				t.Fatalf("f16(%#08x) = %#04x, go %#04x", math.Float32bits(src[i]), got[i], wantH[i])
			}
		}
		Float32ToBFloat16(got, src)
		for i := range got {
			if got[i] != wantB[i] {
				t.Fatalf("bf16(%#08x) = %#04x, go %#04x", math.Float32bits(src[i]), got[i], wantB[i])
			}
		}
	})
}

// kernelCase runs every kernel on one random input of n elements at
// offset off with the current implementation and compares with the Go
// twins; guard elements around every destination catch overruns.
func kernelCase(t *testing.T, r *rand.Rand, impl string, n, off int) {
	t.Helper()
	what := func(k string) string { return fmt.Sprintf("%s/%s n=%d off=%d", impl, k, n, off) }

	// Inputs, unaligned by off elements.
	f32 := make([]float32, n+off)[off:]
	for i := range f32 {
		f32[i] = math.Float32frombits(randF32Bits(r))
	}
	u16 := make([]uint16, n+off)[off:]
	for i := range u16 {
		u16[i] = uint16(r.Uint32())
	}
	u8 := make([]byte, n+off)[off:]
	for i := range u8 {
		u8[i] = byte(r.Uint32())
	}

	// Conversions.
	{
		full, dst := guarded(off, n, float32(-3))
		want := make([]float32, n)
		f16ToF32(dst, u16)
		f16ToF32Go(want, u16)
		checkGuards(t, what("f16ToF32"), full, off, n, -3)
		cmpBits(t, what("f16ToF32"), bitsOf(dst), bitsOf(want))
		bf16ToF32(dst, u16)
		bf16ToF32Go(want, u16)
		checkGuards(t, what("bf16ToF32"), full, off, n, -3)
		cmpBits(t, what("bf16ToF32"), bitsOf(dst), bitsOf(want))
	}
	{
		full, dst := guarded(off, n, uint16(0xBEEF))
		want := make([]uint16, n)
		f32ToF16(dst, f32)
		f32ToF16Go(want, f32)
		checkGuards(t, what("f32ToF16"), full, off, n, 0xBEEF)
		cmpBits(t, what("f32ToF16"), dst, want)
		f32ToBF16(dst, f32)
		f32ToBF16Go(want, f32)
		checkGuards(t, what("f32ToBF16"), full, off, n, 0xBEEF)
		cmpBits(t, what("f32ToBF16"), dst, want)
	}

	// Dequantization, 8 and 4 bit, signed and unsigned.
	zp := float32(r.NormFloat64() * 50)
	scale := float32(r.ExpFloat64() * 0.1)
	for _, signed := range []bool{false, true} {
		full, dst := guarded(off, n, float32(-3))
		want := make([]float32, n)
		dequant8(dst, u8, signed, zp, scale)
		dequant8Go(want, u8, signed, zp, scale)
		checkGuards(t, what("dequant8"), full, off, n, -3)
		cmpBits(t, what("dequant8"), bitsOf(dst), bitsOf(want))
		dequant4(dst, u8, signed, zp, scale)
		dequant4Go(want, u8, signed, zp, scale)
		checkGuards(t, what("dequant4"), full, off, n, -3)
		cmpBits(t, what("dequant4"), bitsOf(dst), bitsOf(want))

		fullu, un := guarded(off, n, byte(0xA5))
		wantu := make([]byte, n)
		unpack4(un, u8, signed)
		unpack4Go(wantu, u8, signed)
		checkGuards(t, what("unpack4"), fullu, off, n, 0xA5)
		cmpBits(t, what("unpack4"), un, wantu)
	}

	// 4-bit pack.
	{
		m := (n + 1) / 2
		full, dst := guarded(off, m, byte(0xA5))
		want := make([]byte, m)
		pack4(dst, u8)
		pack4Go(want, u8)
		checkGuards(t, what("pack4"), full, off, m, 0xA5)
		cmpBits(t, what("pack4"), dst, want)
	}

	// Min/max over finite values, then with a NaN or Inf planted.
	x := make([]float32, n+off)[off:]
	for i := range x {
		x[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(20)-10)))
	}
	lo, hi, fin := minMax(x)
	wlo, whi, wfin := minMaxGo(x)
	if lo != wlo || hi != whi || fin != wfin {
		t.Fatalf("%s: (%v, %v, %v), go (%v, %v, %v)", what("minMax"), lo, hi, fin, wlo, whi, wfin)
	}
	if n > 0 {
		bad := x[r.IntN(n)]
		x[r.IntN(n)] = math.Float32frombits(specialF32[2+r.IntN(12)])
		if _, _, fin := minMax(x); fin {
			t.Fatalf("%s: non-finite value not reported", what("minMax"))
		}
		_ = bad
	}

	// Quantization with each dtype's range, the parameters of the random
	// data, and sometimes degenerate parameters.
	for _, d := range []DType{QInt8, QUint8, QInt4, QUint4} {
		qmin, qmax, _, _ := qRange(d)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 3)
			switch r.IntN(16) {
			case 0, 1: // exact ties after division by 0.5
				x[i] = float32(r.IntN(64)-32) * 0.25
			case 2: // NaN (quiet or signalling), ±Inf, subnormals
				x[i] = math.Float32frombits(specialF32[2+r.IntN(17)])
			}
		}
		l, h, _ := minMaxGo(x)
		if math.IsInf(float64(l), 0) || math.IsInf(float64(h), 0) || l != l || h != h {
			l, h = -3, 3
		}
		s, z, _ := quantParams(l, h, qmin, qmax)
		switch r.IntN(6) {
		case 0:
			s, z = 0.5, 0
		case 1:
			s = 0 // x/0: ±Inf, and NaN for x = 0
		case 2:
			s = float32(math.Inf(1))
		}
		full, dst := guarded(off, n, byte(0xA5))
		want := make([]byte, n)
		quant8(dst, x, s, z, qmin, qmax)
		quant8Go(want, x, s, z, qmin, qmax)
		checkGuards(t, what("quant8"), full, off, n, 0xA5)
		cmpBits(t, what(fmt.Sprintf("quant8 %v s=%v zp=%v", d, s, z)), dst, want)
	}
}

func cmpBits[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: element %d is %#x, go gives %#x", what, i, any(got[i]), any(want[i]))
		}
	}
}

// TestKernelImplsMatchGo runs every kernel of every implementation on
// lengths 0..257 at offsets 0..3 and larger random lengths.
func TestKernelImplsMatchGo(t *testing.T) {
	withImpl(t, func(t *testing.T, impl string) {
		r := rand.New(rand.NewPCG(3, 4))
		for n := 0; n <= 257; n++ {
			for off := 0; off < 4; off++ {
				kernelCase(t, r, impl, n, off)
			}
		}
		for range 20 {
			kernelCase(t, r, impl, 258+r.IntN(5000), r.IntN(4))
		}
	})
}

// TestKernelPackInt4 checks the public 4-bit helpers against FORMAT.md's
// example and their length rules.
func TestKernelPackInt4(t *testing.T) {
	withImpl(t, func(t *testing.T, impl string) {
		vals := []int8{-8, -6, -3, -1, 2, 4, 7}
		dst := make([]byte, 4)
		if n := PackInt4(dst, vals); n != 7 || fmt.Sprintf("% X", dst) != "A8 FD 42 07" {
			t.Fatalf("PackInt4 = %d, % X; want 7, A8 FD 42 07", n, dst)
		}
		back := make([]int8, 7)
		if n := UnpackInt4(back, dst); n != 7 || fmt.Sprint(back) != fmt.Sprint(vals) {
			t.Fatalf("UnpackInt4 = %d, %v", n, back)
		}
		u := make([]uint8, 8)
		if n := UnpackUint4(u, dst); n != 8 || fmt.Sprint(u) != "[8 10 13 15 2 4 7 0]" {
			t.Fatalf("UnpackUint4 = %d, %v", n, u)
		}
		if n := PackUint4(dst[:2], []uint8{1, 2, 3, 4, 5}); n != 4 || dst[0] != 0x21 || dst[1] != 0x43 {
			t.Fatalf("PackUint4 into a short dst = %d, % X", n, dst)
		}
		if n := PackInt4(nil, vals); n != 0 {
			t.Fatalf("PackInt4(nil) = %d", n)
		}
		// Large: every implementation agrees with the Go twin.
		r := rand.New(rand.NewPCG(5, 6))
		big := make([]int8, 1001)
		for i := range big {
			big[i] = int8(r.IntN(16) - 8)
		}
		p := make([]byte, 501)
		PackInt4(p, big)
		got := make([]int8, 1001)
		UnpackInt4(got, p)
		if fmt.Sprint(got) != fmt.Sprint(big) {
			t.Fatal("pack/unpack round trip differs")
		}
	})
}

// TestKernelConversionLengths checks the min(len(dst), len(src)) rule.
func TestKernelConversionLengths(t *testing.T) {
	withImpl(t, func(t *testing.T, impl string) {
		f := make([]float32, 40)
		h := make([]uint16, 33)
		for i := range h {
			h[i] = 0x3C00
		}
		if n := Float16ToFloat32(f, h); n != 33 || f[32] != 1 || f[33] != 0 {
			t.Fatalf("Float16ToFloat32 = %d", n)
		}
		if n := BFloat16ToFloat32(f[:5], h); n != 5 {
			t.Fatalf("BFloat16ToFloat32 = %d", n)
		}
		if n := Float32ToFloat16(h[:20], f); n != 20 {
			t.Fatalf("Float32ToFloat16 = %d", n)
		}
		if n := Float32ToBFloat16(h, f[:0]); n != 0 {
			t.Fatalf("Float32ToBFloat16 = %d", n)
		}
	})
}

// TestKernelAllocs requires zero allocations from the slice conversions,
// the 4-bit helpers and DequantizeInto.
func TestKernelAllocs(t *testing.T) {
	f := make([]float32, 1000)
	h := make([]uint16, 1000)
	b := make([]byte, 500)
	i8 := make([]int8, 1000)
	for i := range f {
		f[i] = float32(i) * 0.01
	}
	x := &Tensor{DType: Float32, Shape: []int{10, 100}, Data: f32Bytes(f)}
	var qs []*Quantized
	for _, d := range []DType{QInt8, QUint4} {
		for _, s := range []Scheme{PerTensor, PerChannel, PerGroup} {
			q, err := Quantize(x, d, s, 1, 64)
			if err != nil {
				t.Fatal(err)
			}
			qs = append(qs, q)
		}
	}
	withImpl(t, func(t *testing.T, impl string) {
		allocs := testing.AllocsPerRun(20, func() {
			Float16ToFloat32(f, h)
			Float32ToFloat16(h, f)
			BFloat16ToFloat32(f, h)
			Float32ToBFloat16(h, f)
			PackInt4(b, i8)
			UnpackInt4(i8, b)
			for _, q := range qs {
				if err := DequantizeInto(f, q); err != nil {
					panic(err)
				}
			}
		})
		if allocs != 0 {
			t.Fatalf("%v allocations per run, want 0", allocs)
		}
	})
}

// TestKernelConvertTensor covers the tensor-level conversions.
func TestKernelConvertTensor(t *testing.T) {
	src := []float32{1, -1.5, 0.25, 3.75, 65520, float32(math.Inf(-1))}
	x := &Tensor{DType: Float32, Shape: []int{2, 3}, Data: f32Bytes(src)}
	bf, err := ConvertTensor(x, BFloat16)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("% X", bf.Data[:8]); got != "80 3F C0 BF 80 3E 70 40" {
		t.Fatalf("bfloat16 bytes %s", got)
	}
	h, err := ConvertTensor(x, Float16)
	if err != nil {
		t.Fatal(err)
	}
	if h.Data[8] != 0x00 || h.Data[9] != 0x7C {
		t.Fatalf("65520 → float16 % X, want 00 7C", h.Data[8:10])
	}
	// float16 → float64 → float32, unaligned source data.
	raw := make([]byte, len(h.Data)+1)[1:]
	copy(raw, h.Data)
	h.Data = raw
	d, err := ConvertTensor(h, Float64)
	if err != nil {
		t.Fatal(err)
	}
	back := make([]float32, 6)
	if n, err := Float32Into(back, d); err != nil || n != 6 {
		t.Fatal(n, err)
	}
	if fmt.Sprint(back) != "[1 -1.5 0.25 3.75 +Inf -Inf]" {
		t.Fatalf("round trip %v", back)
	}
	if _, err := ConvertTensor(&Tensor{DType: Int32, Shape: []int{1}, Data: make([]byte, 4)}, Float32); err == nil {
		t.Fatal("int32 conversion accepted")
	}
	if _, err := Float32Into(back[:1], d); err == nil {
		t.Fatal("short dst accepted")
	}
}

// TestKernelExpectedImpls checks, when TENSO_EXPECT_IMPLS is set (make
// test-arm64 sets it per emulated CPU), that the host offers exactly those
// implementations, so that a feature-detection mistake cannot silently
// skip a path.
func TestKernelExpectedImpls(t *testing.T) {
	want := os.Getenv("TENSO_EXPECT_IMPLS")
	if want == "" {
		t.Skip("TENSO_EXPECT_IMPLS not set")
	}
	if got := strings.Join(kernelImpls(), ","); got != want {
		t.Fatalf("implementations %s, want %s", got, want)
	}
}

func ExampleFloat32ToFloat16() {
	src := []float32{1, -1.5, 65504, 65520, 1e-8}
	h := make([]uint16, len(src))
	Float32ToFloat16(h, src)
	fmt.Printf("%04X\n", h)
	back := make([]float32, len(h))
	Float16ToFloat32(back, h)
	fmt.Println(back)
	// Output:
	// [3C00 BE00 7BFF 7C00 0000]
	// [1 -1.5 65504 +Inf 0]
}

// TestKernelDequantGroups compares the grouped dequantization kernels
// (one call for many groups) with their Go twin, with guards around dst.
func TestKernelDequantGroups(t *testing.T) {
	withImpl(t, func(t *testing.T, impl string) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, gs := range []int{16, 17, 32, 48, 64, 96, 128, 160} {
			for _, ng := range []int{0, 1, 3, 7} {
				for _, four := range []bool{false, true} {
					if four && gs%2 == 1 {
						continue
					}
					signed := r.IntN(2) == 0
					off := r.IntN(4)
					zps := make([]float32, ng)
					scales := make([]float32, ng)
					for i := range zps {
						zps[i] = float32(r.NormFloat64() * 20)
						scales[i] = float32(r.ExpFloat64() * 0.05)
					}
					n := ng * gs
					src := make([]byte, n+off)[off:]
					for i := range src {
						src[i] = byte(r.Uint32())
					}
					if four {
						src = src[:n/2]
					}
					full, dst := guarded(off, n, float32(-5))
					dequantGroups(dst, src, four, signed, zps, scales, gs)
					checkGuards(t, impl, full, off, n, -5)
					want := make([]float32, n)
					dequantGroupsGo(want, src, four, signed, zps, scales, gs)
					cmpBits(t, fmt.Sprintf("%s gs=%d ng=%d four=%v", impl, gs, ng, four), bitsOf(dst), bitsOf(want))
				}
			}
		}
	})
}

// TestKernelQuantGroups compares the grouped min/max and quantization
// kernels with their Go twins, folding into existing lo/hi values, with
// guards around dst.
func TestKernelQuantGroups(t *testing.T) {
	withImpl(t, func(t *testing.T, impl string) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, gs := range []int{16, 17, 32, 48, 64, 96, 128, 160} {
			for _, ng := range []int{0, 1, 3, 7} {
				n := ng * gs
				off := r.IntN(4)
				x := make([]float32, n+off)[off:]
				for i := range x {
					x[i] = float32(r.NormFloat64() * 4)
				}
				lo, hi := make([]float32, ng), make([]float32, ng)
				wlo, whi := make([]float32, ng), make([]float32, ng)
				for g := range lo {
					lo[g], hi[g] = float32(r.NormFloat64()), float32(r.NormFloat64())+5
					wlo[g], whi[g] = lo[g], hi[g]
				}
				fin := minMaxGroups(x, gs, lo, hi)
				wfin := minMaxGroupsGo(x, gs, wlo, whi)
				if fin != wfin || fmt.Sprint(lo, hi) != fmt.Sprint(wlo, whi) {
					t.Fatalf("%s minMaxGroups gs=%d ng=%d: %v %v %v, go %v %v %v", impl, gs, ng, lo, hi, fin, wlo, whi, wfin)
				}
				if n > 0 {
					x[r.IntN(n)] = math.Float32frombits(specialF32[2+r.IntN(12)])
					if minMaxGroups(x, gs, lo, hi) {
						t.Fatalf("%s minMaxGroups: non-finite value not reported", impl)
					}
					x[0] = 0
					for i := range x {
						if math.IsNaN(float64(x[i])) || math.IsInf(float64(x[i]), 0) {
							x[i] = 1
						}
					}
				}
				for _, d := range []DType{QInt8, QUint8, QInt4, QUint4} {
					qmin, qmax, _, _ := qRange(d)
					scales, zps := make([]float32, ng), make([]float32, ng)
					for g := range scales {
						scales[g], zps[g], _ = quantParams(-4, 4+float32(g), qmin, qmax)
					}
					full, dst := guarded(off, n, byte(0x5A))
					quant8Groups(dst, x, scales, zps, gs, qmin, qmax)
					checkGuards(t, impl, full, off, n, 0x5A)
					want := make([]byte, n)
					quant8GroupsGo(want, x, scales, zps, gs, qmin, qmax)
					cmpBits(t, fmt.Sprintf("%s quant8Groups %v gs=%d ng=%d", impl, d, gs, ng), dst, want)
				}
			}
		}
	})
}

// TestKernelConvertTensorMatrix converts between every pair of float
// dtypes, from aligned and unaligned data, and checks each element against
// the scalar definitions.
func TestKernelConvertTensorMatrix(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	const n = 1500 // more than one internal chunk
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = math.Float32frombits(randF32Bits(r))
		if vals[i] != vals[i] {
			vals[i] = 1.5 // NaN payload rules differ per path; checked elsewhere
		}
	}
	encode := func(d DType, v []float32, off int) *Tensor {
		b := make([]byte, off+n*d.ItemSize())[off:]
		for i, f := range v {
			switch d {
			case Float32:
				putU32le(b[4*i:], math.Float32bits(f))
			case Float64:
				putU64le(b[8*i:], math.Float64bits(float64(f)))
			case Float16:
				h := f32ToF16One(math.Float32bits(f))
				b[2*i], b[2*i+1] = byte(h), byte(h>>8)
			case BFloat16:
				h := f32ToBF16One(math.Float32bits(f))
				b[2*i], b[2*i+1] = byte(h), byte(h>>8)
			}
		}
		return &Tensor{DType: d, Shape: []int{n}, Data: b}
	}
	// element i of t as float64 (exact for every float dtype)
	elem := func(t *Tensor, i int) float64 {
		switch t.DType {
		case Float32:
			return float64(math.Float32frombits(getU32le(t.Data[4*i:])))
		case Float64:
			return math.Float64frombits(uint64(getU32le(t.Data[8*i:])) | uint64(getU32le(t.Data[8*i+4:]))<<32)
		case Float16:
			return float64(math.Float32frombits(f16ToF32One(getU16le(t.Data[2*i:]))))
		}
		return float64(math.Float32frombits(bf16ToF32One(getU16le(t.Data[2*i:]))))
	}
	narrow := func(to DType, v float64) float64 {
		f := math.Float32bits(float32(v))
		switch to {
		case Float16:
			return float64(math.Float32frombits(f16ToF32One(f32ToF16One(f))))
		case BFloat16:
			return float64(math.Float32frombits(bf16ToF32One(f32ToBF16One(f))))
		case Float32:
			return float64(float32(v))
		}
		return v
	}
	dts := []DType{Float32, Float64, Float16, BFloat16}
	withImpl(t, func(t *testing.T, impl string) {
		for _, from := range dts {
			for _, to := range dts {
				for off := 0; off < 2; off++ {
					in := encode(from, vals, off)
					out, err := ConvertTensor(in, to)
					if err != nil {
						t.Fatal(err)
					}
					f32 := make([]float32, n)
					if _, err := Float32Into(f32, in); err != nil {
						t.Fatal(err)
					}
					for i := 0; i < n; i++ {
						want := narrow(to, elem(in, i))
						if got := elem(out, i); math.Float64bits(got) != math.Float64bits(want) {
							t.Fatalf("%v→%v off=%d [%d]: %v, want %v", from, to, off, i, got, want)
						}
						if w := float32(elem(in, i)); math.Float32bits(f32[i]) != math.Float32bits(w) {
							t.Fatalf("Float32Into %v [%d]: %v, want %v", from, i, f32[i], w)
						}
					}
				}
			}
		}
	})
}
