package tenso

// Pure-Go twins of the SIMD kernels in core_amd64.s and core_arm64.s.
//
// This file is compiled on every architecture and under every build tag:
// on amd64 and arm64 the tests run these functions beside the assembly and
// require bit-identical results; elsewhere, and under the purego or noasm
// tags, they are the implementation (kernels_other.go).
//
// Every kernel works on the first len(dst) elements; the dispatching
// wrappers in kernels.go make sure src is long enough. The definitions here
// are the specification of each kernel: where a hardware instruction could
// behave differently (NaN payloads, subnormals, ties, clipping of NaN) the
// rule is written down here and the assembly follows it.

import "math"

// f16ToF32One widens one IEEE binary16 value. Exact for every input; a NaN
// keeps its sign and payload (shifted to the top of the float32 payload)
// and comes out quiet (bit 22 set), which is what VCVTPH2PS and FCVTL do.
func f16ToF32One(h uint16) uint32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1F
	mant := uint32(h & 0x3FF)
	switch exp {
	case 0x1F:
		if mant == 0 {
			return sign | 0x7F800000
		}
		return sign | 0x7FC00000 | mant<<13
	case 0:
		if mant == 0 {
			return sign
		}
		// Subnormal: mant × 2^-24. Normalise.
		e := uint32(113)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		return sign | e<<23 | (mant&0x3FF)<<13
	}
	return sign | (exp+112)<<23 | mant<<13
}

// f32ToF16One narrows one float32 to binary16, rounding to nearest with
// ties to even. Overflow gives ±Inf, values below half the smallest
// subnormal give ±0, subnormal results are exact-rounded (no flush to
// zero, float32 subnormal inputs are not treated as zero). A NaN keeps its
// sign and the top 9 payload bits and is made quiet (bit 9 set), which is
// what VCVTPS2PH and FCVTN do.
func f32ToF16One(f uint32) uint16 {
	sign := uint16(f>>16) & 0x8000
	exp := int(f>>23) & 0xFF
	mant := f & 0x7FFFFF
	if exp == 0xFF {
		if mant != 0 {
			return sign | 0x7E00 | uint16(mant>>13)
		}
		return sign | 0x7C00
	}
	if exp >= 143 { // ≥ 2^16: overflow
		return sign | 0x7C00
	}
	if exp >= 113 { // normal binary16 (before rounding)
		h := uint32(exp-112)<<10 | mant>>13
		rem := mant & 0x1FFF
		if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
			h++ // may carry into the exponent, up to Inf: correct
		}
		return sign | uint16(h)
	}
	// Subnormal binary16 result (or zero): value = M × 2^(exp-150) and the
	// result is round(M × 2^(exp-126)).
	if exp == 0 {
		return sign // float32 subnormals are < 2^-126, far below 2^-25
	}
	s := uint32(126 - exp) // 14..125
	if s >= 25 {
		return sign
	}
	m := mant | 0x800000
	q := m >> s
	rem := m & (1<<s - 1)
	half := uint32(1) << (s - 1)
	if rem > half || (rem == half && q&1 == 1) {
		q++
	}
	return sign | uint16(q)
}

// bf16ToF32One widens one bfloat16: the bits become the top half of the
// float32. Exact; NaNs are passed through unchanged (signalling stays
// signalling), as every bfloat16 widening (shift) instruction does.
func bf16ToF32One(b uint16) uint32 { return uint32(b) << 16 }

// f32ToBF16One narrows one float32 to bfloat16, rounding to nearest with
// ties to even, no flush to zero. A NaN keeps its sign and top 7 payload
// bits and is made quiet (bit 6 set).
func f32ToBF16One(f uint32) uint16 {
	if f&0x7FFFFFFF > 0x7F800000 {
		return uint16(f>>16) | 0x40
	}
	f += 0x7FFF + (f>>16)&1
	return uint16(f >> 16)
}

func f16ToF32Go(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i, h := range src {
		dst[i] = math.Float32frombits(f16ToF32One(h))
	}
}

func f32ToF16Go(dst []uint16, src []float32) {
	src = src[:len(dst)]
	for i, f := range src {
		dst[i] = f32ToF16One(math.Float32bits(f))
	}
}

func bf16ToF32Go(dst []float32, src []uint16) {
	src = src[:len(dst)]
	for i, b := range src {
		dst[i] = math.Float32frombits(bf16ToF32One(b))
	}
}

func f32ToBF16Go(dst []uint16, src []float32) {
	src = src[:len(dst)]
	for i, f := range src {
		dst[i] = f32ToBF16One(math.Float32bits(f))
	}
}

// dequant8Go computes dst[i] = (q[i] − zp) × scale in float32, each
// operation rounded to float32, q[i] = int8(src[i]) when signed and
// uint8(src[i]) otherwise.
func dequant8Go(dst []float32, src []byte, signed bool, zp, scale float32) {
	src = src[:len(dst)]
	if signed {
		for i, b := range src {
			dst[i] = float32(float32(int8(b))-zp) * scale
		}
		return
	}
	for i, b := range src {
		dst[i] = float32(float32(b)-zp) * scale
	}
}

// dequantGroupsGo dequantizes len(zps) consecutive groups of gs elements,
// group g with zps[g] and scales[g] (4-bit when four; gs is even then, so
// every group starts at a byte). It is the twin of the grouped kernels.
func dequantGroupsGo(dst []float32, src []byte, four, signed bool, zps, scales []float32, gs int) {
	for g := range zps {
		d := dst[g*gs : (g+1)*gs]
		if four {
			dequant4Go(d, src[g*gs/2:], signed, zps[g], scales[g])
		} else {
			dequant8Go(d, src[g*gs:], signed, zps[g], scales[g])
		}
	}
}

// nib4 returns the value of a 4-bit nibble v (0..15): itself for quint4,
// sign-extended for qint4.
func nib4(v byte, signed bool) float32 {
	if signed {
		return float32(int8(v<<4) >> 4)
	}
	return float32(v)
}

// dequant4Go is dequant8Go for 4-bit values: element 2i is the low nibble
// of src[i], element 2i+1 its high nibble (FORMAT.md §11). src must hold
// (len(dst)+1)/2 bytes.
func dequant4Go(dst []float32, src []byte, signed bool, zp, scale float32) {
	n := len(dst)
	src = src[:(n+1)/2]
	for i := 0; i+1 < n; i += 2 {
		b := src[i>>1]
		dst[i] = float32(nib4(b&0xF, signed)-zp) * scale
		dst[i+1] = float32(nib4(b>>4, signed)-zp) * scale
	}
	if n&1 == 1 {
		dst[n-1] = float32(nib4(src[n>>1]&0xF, signed)-zp) * scale
	}
}

// minMaxGo returns the minimum and maximum of src and whether every value
// is finite. With a NaN or ±Inf present, finite is false and min and max
// are unspecified (the caller reports an error). For an empty src it
// returns (+Inf, −Inf, true). min and max compare −0 and +0 as equal and
// may return either; every use of them (range, scale, zero point) gives the
// same result for both.
func minMaxGo(src []float32) (lo, hi float32, finite bool) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	var bad uint32
	for _, v := range src {
		if math.Float32bits(v)&0x7F800000 == 0x7F800000 {
			bad = 1
		}
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi, bad == 0
}

// minMaxGroupsGo folds the minimum and maximum of each of len(lo)
// consecutive groups of gs elements of src into lo[g] and hi[g] and reports
// whether every value was finite (lo and hi are unspecified otherwise).
// Folding lets per_channel slabs accumulate into the same arrays.
func minMaxGroupsGo(src []float32, gs int, lo, hi []float32) bool {
	finite := true
	for g := range lo {
		l, h, ok := minMaxGo(src[g*gs : (g+1)*gs])
		lo[g], hi[g] = min(lo[g], l), max(hi[g], h)
		finite = finite && ok
	}
	return finite
}

// quant8GroupsGo quantizes len(scales) consecutive groups of gs elements,
// group g with scales[g] and zps[g], as quant8Go.
func quant8GroupsGo(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32) {
	for g := range scales {
		quant8Go(dst[g*gs:(g+1)*gs], src[g*gs:(g+1)*gs], scales[g], zps[g], qmin, qmax)
	}
}

// quantOne is the quantization of one value with the reference's rules
// (FORMAT.md §11.1): v = f32(f32(x / scale) + zp), clipped into
// [qmin, qmax] (a NaN v — only possible when the caller's scale is 0 or not
// finite — becomes qmin, which is what VMAXPS and FMAXNM give), then
// rounded half to even. Clipping before rounding equals NumPy's
// clip(round(v)) because the bounds are integers.
func quantOne(x, scale, zp, qmin, qmax float32) int32 {
	v := float32(float32(x/scale) + zp)
	if !(v >= qmin) {
		v = qmin
	}
	if v > qmax {
		v = qmax
	}
	return int32(math.RoundToEven(float64(v)))
}

// quant8Go quantizes len(dst) values into bytes (two's complement for
// signed ranges): dst[i] = byte(quantOne(src[i], …)).
func quant8Go(dst []byte, src []float32, scale, zp, qmin, qmax float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = byte(quantOne(x, scale, zp, qmin, qmax))
	}
}

// pack4Go packs the low nibbles of src two per byte: element 2i in the low
// nibble of dst[i], 2i+1 in the high nibble; for an odd count the last
// byte's high nibble is 0. dst must hold (len(src)+1)/2 bytes.
func pack4Go(dst []byte, src []byte) {
	n := len(src)
	dst = dst[:(n+1)/2]
	for i := 0; i+1 < n; i += 2 {
		dst[i>>1] = src[i]&0xF | src[i+1]<<4
	}
	if n&1 == 1 {
		dst[n>>1] = src[n-1] & 0xF
	}
}

// unpack4Go is the inverse of pack4Go for len(dst) elements: each nibble
// becomes one byte, sign-extended (qint4, −8..7) when signed, else 0..15.
// src must hold (len(dst)+1)/2 bytes.
func unpack4Go(dst []byte, src []byte, signed bool) {
	n := len(dst)
	src = src[:(n+1)/2]
	for i := 0; i+1 < n; i += 2 {
		b := src[i>>1]
		dst[i], dst[i+1] = b&0xF, b>>4
	}
	if n&1 == 1 {
		dst[n-1] = src[n>>1] & 0xF
	}
	if signed {
		for i, v := range dst {
			dst[i] = byte(int8(v<<4) >> 4)
		}
	}
}
