//go:build !purego && !noasm

package tenso

// amd64 kernel dispatch. The assembly lives in core_amd64.s: an AVX-512
// path (F+BW+VL, ZMM registers, masked tails for the conversions,
// dequant8 and quant8) and an AVX2+F16C path (YMM registers). Kernels
// without masked tails process whole blocks; the pure-Go twin finishes the
// last few elements, which is bit-identical by definition. Grouped
// dequantization kernels (…GAVX512, …GAVX2) handle many per_group groups
// or per_channel runs in one call. The choice is made once at init from
// cpuid and kept in kimpl.

import "github.com/klauspost/cpuid/v2"

const (
	implGo = iota
	implAVX2
	implAVX512
)

var implNames = []string{implGo: "go", implAVX2: "avx2", implAVX512: "avx512"}

// CPU features, read once.
var (
	hasAVX2   = cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.F16C)
	hasAVX512 = hasAVX2 && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512VL)
)

// kimpl is the implementation in use (the tests switch it, see
// kernels_hook_test.go).
var kimpl = func() int {
	switch {
	case hasAVX512:
		return implAVX512
	case hasAVX2:
		return implAVX2
	}
	return implGo
}()

func implSupported(i int) bool {
	switch i {
	case implGo:
		return true
	case implAVX2:
		return hasAVX2
	case implAVX512:
		return hasAVX512
	}
	return false
}

//go:noescape
func f16ToF32AVX512(dst []float32, src []uint16)

//go:noescape
func f16ToF32AVX2(dst []float32, src []uint16)

//go:noescape
func f32ToF16AVX512(dst []uint16, src []float32)

//go:noescape
func f32ToF16AVX2(dst []uint16, src []float32)

//go:noescape
func bf16ToF32AVX512(dst []float32, src []uint16)

//go:noescape
func bf16ToF32AVX2(dst []float32, src []uint16)

//go:noescape
func f32ToBF16AVX512(dst []uint16, src []float32)

//go:noescape
func f32ToBF16AVX2(dst []uint16, src []float32)

//go:noescape
func dequant8AVX512(dst []float32, src []byte, signed bool, zp, scale float32)

//go:noescape
func dequant8AVX2(dst []float32, src []byte, signed bool, zp, scale float32)

//go:noescape
func dequant4AVX512(dst []float32, src []byte, signed bool, zp, scale float32)

//go:noescape
func dequant4AVX2(dst []float32, src []byte, signed bool, zp, scale float32)

//go:noescape
func dequant8GAVX512(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)

//go:noescape
func dequant8GAVX2(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)

//go:noescape
func dequant4GAVX512(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)

//go:noescape
func dequant4GAVX2(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)

//go:noescape
func minMaxGAVX512(src []float32, gs int, lo, hi []float32) (amax uint32)

//go:noescape
func minMaxGAVX2(src []float32, gs int, lo, hi []float32) (amax uint32)

//go:noescape
func quant8GAVX512(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32)

//go:noescape
func quant8GAVX2(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32)

//go:noescape
func minMaxAVX512(src []float32) (lo, hi float32, amax uint32)

//go:noescape
func minMaxAVX2(src []float32) (lo, hi float32, amax uint32)

//go:noescape
func quant8AVX512(dst []byte, src []float32, scale, zp, qmin, qmax float32)

//go:noescape
func quant8AVX2(dst []byte, src []float32, scale, zp, qmin, qmax float32)

//go:noescape
func pack4AVX512(dst []byte, src []byte)

//go:noescape
func pack4AVX2(dst []byte, src []byte)

//go:noescape
func unpack4AVX512(dst []byte, src []byte, signed bool)

//go:noescape
func unpack4AVX2(dst []byte, src []byte, signed bool)

func f16ToF32(dst []float32, src []uint16) {
	switch kimpl {
	case implAVX512:
		f16ToF32AVX512(dst, src[:len(dst)])
	case implAVX2:
		m := len(dst) &^ 7
		f16ToF32AVX2(dst[:m], src[:m])
		f16ToF32Go(dst[m:], src[m:])
	default:
		f16ToF32Go(dst, src)
	}
}

func f32ToF16(dst []uint16, src []float32) {
	switch kimpl {
	case implAVX512:
		f32ToF16AVX512(dst, src[:len(dst)])
	case implAVX2:
		m := len(dst) &^ 7
		f32ToF16AVX2(dst[:m], src[:m])
		f32ToF16Go(dst[m:], src[m:])
	default:
		f32ToF16Go(dst, src)
	}
}

func bf16ToF32(dst []float32, src []uint16) {
	switch kimpl {
	case implAVX512:
		bf16ToF32AVX512(dst, src[:len(dst)])
	case implAVX2:
		m := len(dst) &^ 7
		bf16ToF32AVX2(dst[:m], src[:m])
		bf16ToF32Go(dst[m:], src[m:])
	default:
		bf16ToF32Go(dst, src)
	}
}

func f32ToBF16(dst []uint16, src []float32) {
	switch kimpl {
	case implAVX512:
		f32ToBF16AVX512(dst, src[:len(dst)])
	case implAVX2:
		m := len(dst) &^ 15
		f32ToBF16AVX2(dst[:m], src[:m])
		f32ToBF16Go(dst[m:], src[m:])
	default:
		f32ToBF16Go(dst, src)
	}
}

func dequant8(dst []float32, src []byte, signed bool, zp, scale float32) {
	switch kimpl {
	case implAVX512:
		dequant8AVX512(dst, src[:len(dst)], signed, zp, scale)
	case implAVX2:
		m := len(dst) &^ 7
		dequant8AVX2(dst[:m], src[:m], signed, zp, scale)
		dequant8Go(dst[m:], src[m:], signed, zp, scale)
	default:
		dequant8Go(dst, src, signed, zp, scale)
	}
}

func dequant4(dst []float32, src []byte, signed bool, zp, scale float32) {
	var m int
	switch kimpl {
	case implAVX512:
		m = len(dst) &^ 31
		dequant4AVX512(dst[:m], src[:m/2], signed, zp, scale)
	case implAVX2:
		m = len(dst) &^ 15
		dequant4AVX2(dst[:m], src[:m/2], signed, zp, scale)
	}
	dequant4Go(dst[m:], src[m/2:], signed, zp, scale)
}

// groupKernel reports whether the current implementation dequantizes
// groups of gs elements in one call (gs a multiple of its block).
func groupKernel(gs int) bool {
	switch kimpl {
	case implAVX512:
		return gs%32 == 0
	case implAVX2:
		return gs%16 == 0
	}
	return false
}

// dequantGroups dequantizes len(zps) consecutive groups of gs elements,
// group g with zps[g] and scales[g], as dequantGroupsGo. gs must satisfy
// groupKernel for an assembly implementation.
func dequantGroups(dst []float32, src []byte, four, signed bool, zps, scales []float32, gs int) {
	ng := len(zps)
	m := ng * gs
	if !groupKernel(gs) {
		dequantGroupsGo(dst, src, four, signed, zps, scales, gs)
		return
	}
	switch {
	case kimpl == implAVX512 && four:
		dequant4GAVX512(dst[:m], src[:m/2], signed, zps, scales[:ng], gs)
	case kimpl == implAVX512:
		dequant8GAVX512(dst[:m], src[:m], signed, zps, scales[:ng], gs)
	case four:
		dequant4GAVX2(dst[:m], src[:m/2], signed, zps, scales[:ng], gs)
	default:
		dequant8GAVX2(dst[:m], src[:m], signed, zps, scales[:ng], gs)
	}
}

// minMaxGroups folds the minimum and maximum of each of len(lo)
// consecutive groups of gs elements into lo[g], hi[g], as minMaxGroupsGo,
// and reports whether every value was finite.
func minMaxGroups(src []float32, gs int, lo, hi []float32) bool {
	ng := len(lo)
	var amax uint32
	switch {
	case !groupKernel(gs):
		return minMaxGroupsGo(src, gs, lo, hi)
	case kimpl == implAVX512:
		amax = minMaxGAVX512(src[:ng*gs], gs, lo, hi[:ng])
	default:
		amax = minMaxGAVX2(src[:ng*gs], gs, lo, hi[:ng])
	}
	return amax < 0x7F800000
}

// quant8Groups quantizes len(scales) consecutive groups of gs elements,
// group g with scales[g] and zps[g], as quant8GroupsGo.
func quant8Groups(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32) {
	ng := len(scales)
	m := ng * gs
	switch {
	case !groupKernel(gs):
		quant8GroupsGo(dst, src, scales, zps, gs, qmin, qmax)
	case kimpl == implAVX512:
		quant8GAVX512(dst[:m], src[:m], scales, zps[:ng], gs, qmin, qmax)
	default:
		quant8GAVX2(dst[:m], src[:m], scales, zps[:ng], gs, qmin, qmax)
	}
}

func minMax(src []float32) (lo, hi float32, finite bool) {
	var m int
	var amax uint32
	switch kimpl {
	case implAVX512:
		m = len(src) &^ 31
		lo, hi, amax = minMaxAVX512(src[:m])
	case implAVX2:
		m = len(src) &^ 15
		lo, hi, amax = minMaxAVX2(src[:m])
	default:
		return minMaxGo(src)
	}
	l, h, ok := minMaxGo(src[m:])
	return min(lo, l), max(hi, h), ok && amax < 0x7F800000
}

func quant8(dst []byte, src []float32, scale, zp, qmin, qmax float32) {
	switch kimpl {
	case implAVX512:
		quant8AVX512(dst, src[:len(dst)], scale, zp, qmin, qmax)
	case implAVX2:
		m := len(dst) &^ 15
		quant8AVX2(dst[:m], src[:m], scale, zp, qmin, qmax)
		quant8Go(dst[m:], src[m:], scale, zp, qmin, qmax)
	default:
		quant8Go(dst, src, scale, zp, qmin, qmax)
	}
}

func pack4(dst []byte, src []byte) {
	var m int
	switch kimpl {
	case implAVX512:
		m = len(src) &^ 63
		pack4AVX512(dst[:m/2], src[:m])
	case implAVX2:
		m = len(src) &^ 31
		pack4AVX2(dst[:m/2], src[:m])
	}
	pack4Go(dst[m/2:], src[m:])
}

func unpack4(dst []byte, src []byte, signed bool) {
	var m int
	switch kimpl {
	case implAVX512:
		m = len(dst) &^ 63
		unpack4AVX512(dst[:m], src[:m/2], signed)
	case implAVX2:
		m = len(dst) &^ 31
		unpack4AVX2(dst[:m], src[:m/2], signed)
	}
	unpack4Go(dst[m:], src[m/2:], signed)
}
