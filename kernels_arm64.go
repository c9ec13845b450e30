//go:build !purego && !noasm

package tenso

// arm64 kernel dispatch. The assembly lives in core_arm64.s: a NEON path
// (AdvSIMD, baseline on every arm64 CPU; its float16 conversions use
// FCVTL/FCVTN, which are ARMv8.0 and need no FEAT_FP16) and a "bf16" path,
// the NEON path with BFCVTN for float32 → bfloat16 where the CPU has
// FEAT_BF16 (cortex-a72 does not; QEMU's "max" CPU does). Kernels process
// whole blocks; the pure-Go twin finishes the last few elements, which is
// bit-identical by definition. Grouped dequantization kernels handle many
// per_group groups or per_channel runs in one call. The choice is made
// once at init from cpuid and kept in kimpl.
//
// There is no separate FEAT_FP16 path: the half-precision instructions it
// adds are arithmetic, which these kernels do not need; the conversions
// they use (FCVTL/FCVTN) are baseline.

import "github.com/klauspost/cpuid/v2"

const (
	implGo = iota
	implNEON
	implBF16
)

var implNames = []string{implGo: "go", implNEON: "neon", implBF16: "bf16"}

// CPU features, read once. AdvSIMD is part of every arm64 CPU Go runs on
// (the runtime itself relies on it), so it is not probed: an OS where
// cpuid cannot read the feature registers still gets the NEON path.
var (
	hasNEON = true
	hasBF16 = cpuid.CPU.Supports(cpuid.BF16)
)

// kimpl is the implementation in use (the tests switch it, see
// kernels_hook_test.go).
var kimpl = func() int {
	switch {
	case hasBF16:
		return implBF16
	case hasNEON:
		return implNEON
	}
	return implGo
}()

func implSupported(i int) bool {
	switch i {
	case implGo:
		return true
	case implNEON:
		return hasNEON
	case implBF16:
		return hasBF16
	}
	return false
}

//go:noescape
func f16ToF32NEON(dst []float32, src []uint16)

//go:noescape
func f32ToF16NEON(dst []uint16, src []float32)

//go:noescape
func bf16ToF32NEON(dst []float32, src []uint16)

//go:noescape
func f32ToBF16NEON(dst []uint16, src []float32)

//go:noescape
func f32ToBF16BF16(dst []uint16, src []float32)

//go:noescape
func dequant8NEON(dst []float32, src []byte, signed bool, zp, scale float32)

//go:noescape
func dequant4NEON(dst []float32, src []byte, signed bool, zp, scale float32)

//go:noescape
func dequant8GNEON(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)

//go:noescape
func dequant4GNEON(dst []float32, src []byte, signed bool, zps, scales []float32, gs int)

//go:noescape
func minMaxGNEON(src []float32, gs int, lo, hi []float32) (amax uint32)

//go:noescape
func quant8GNEON(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32)

//go:noescape
func minMaxNEON(src []float32) (lo, hi float32, amax uint32)

//go:noescape
func quant8NEON(dst []byte, src []float32, scale, zp, qmin, qmax float32)

//go:noescape
func pack4NEON(dst []byte, src []byte)

//go:noescape
func unpack4NEON(dst []byte, src []byte, signed bool)

func f16ToF32(dst []float32, src []uint16) {
	m := 0
	if kimpl != implGo {
		m = len(dst) &^ 15
		f16ToF32NEON(dst[:m], src[:m])
	}
	f16ToF32Go(dst[m:], src[m:])
}

func f32ToF16(dst []uint16, src []float32) {
	m := 0
	if kimpl != implGo {
		m = len(dst) &^ 15
		f32ToF16NEON(dst[:m], src[:m])
	}
	f32ToF16Go(dst[m:], src[m:])
}

func bf16ToF32(dst []float32, src []uint16) {
	m := 0
	if kimpl != implGo {
		m = len(dst) &^ 15
		bf16ToF32NEON(dst[:m], src[:m])
	}
	bf16ToF32Go(dst[m:], src[m:])
}

func f32ToBF16(dst []uint16, src []float32) {
	m := 0
	switch kimpl {
	case implBF16:
		m = len(dst) &^ 15
		f32ToBF16BF16(dst[:m], src[:m])
	case implNEON:
		m = len(dst) &^ 15
		f32ToBF16NEON(dst[:m], src[:m])
	}
	f32ToBF16Go(dst[m:], src[m:])
}

func dequant8(dst []float32, src []byte, signed bool, zp, scale float32) {
	m := 0
	if kimpl != implGo {
		m = len(dst) &^ 15
		dequant8NEON(dst[:m], src[:m], signed, zp, scale)
	}
	dequant8Go(dst[m:], src[m:], signed, zp, scale)
}

func dequant4(dst []float32, src []byte, signed bool, zp, scale float32) {
	m := 0
	if kimpl != implGo {
		m = len(dst) &^ 15
		dequant4NEON(dst[:m], src[:m/2], signed, zp, scale)
	}
	dequant4Go(dst[m:], src[m/2:], signed, zp, scale)
}

// groupKernel reports whether the current implementation dequantizes
// groups of gs elements in one call (gs a multiple of its block).
func groupKernel(gs int) bool { return kimpl != implGo && gs%16 == 0 }

// dequantGroups dequantizes len(zps) consecutive groups of gs elements,
// group g with zps[g] and scales[g], as dequantGroupsGo. gs must satisfy
// groupKernel for an assembly implementation.
func dequantGroups(dst []float32, src []byte, four, signed bool, zps, scales []float32, gs int) {
	ng := len(zps)
	m := ng * gs
	switch {
	case !groupKernel(gs):
		dequantGroupsGo(dst, src, four, signed, zps, scales, gs)
	case four:
		dequant4GNEON(dst[:m], src[:m/2], signed, zps, scales[:ng], gs)
	default:
		dequant8GNEON(dst[:m], src[:m], signed, zps, scales[:ng], gs)
	}
}

// minMaxGroups folds the minimum and maximum of each of len(lo)
// consecutive groups of gs elements into lo[g], hi[g], as minMaxGroupsGo,
// and reports whether every value was finite.
func minMaxGroups(src []float32, gs int, lo, hi []float32) bool {
	if !groupKernel(gs) {
		return minMaxGroupsGo(src, gs, lo, hi)
	}
	ng := len(lo)
	return minMaxGNEON(src[:ng*gs], gs, lo, hi[:ng]) < 0x7F800000
}

// quant8Groups quantizes len(scales) consecutive groups of gs elements,
// group g with scales[g] and zps[g], as quant8GroupsGo.
func quant8Groups(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32) {
	if !groupKernel(gs) {
		quant8GroupsGo(dst, src, scales, zps, gs, qmin, qmax)
		return
	}
	m := len(scales) * gs
	quant8GNEON(dst[:m], src[:m], scales, zps[:len(scales)], gs, qmin, qmax)
}

func minMax(src []float32) (lo, hi float32, finite bool) {
	if kimpl == implGo {
		return minMaxGo(src)
	}
	m := len(src) &^ 15
	lo, hi, amax := minMaxNEON(src[:m])
	l, h, ok := minMaxGo(src[m:])
	return min(lo, l), max(hi, h), ok && amax < 0x7F800000
}

func quant8(dst []byte, src []float32, scale, zp, qmin, qmax float32) {
	m := 0
	if kimpl != implGo {
		m = len(dst) &^ 15
		quant8NEON(dst[:m], src[:m], scale, zp, qmin, qmax)
	}
	quant8Go(dst[m:], src[m:], scale, zp, qmin, qmax)
}

func pack4(dst []byte, src []byte) {
	m := 0
	if kimpl != implGo {
		m = len(src) &^ 31
		pack4NEON(dst[:m/2], src[:m])
	}
	pack4Go(dst[m/2:], src[m:])
}

func unpack4(dst []byte, src []byte, signed bool) {
	m := 0
	if kimpl != implGo {
		m = len(dst) &^ 31
		unpack4NEON(dst[:m], src[:m/2], signed)
	}
	unpack4Go(dst[m:], src[m/2:], signed)
}
