//go:build (!amd64 && !arm64) || purego || noasm

package tenso

// Kernel dispatch without assembly: other architectures (wasm, riscv64,
// …), or the purego / noasm build tags. Everything runs the pure-Go twins
// of kernels_generic.go.

var implNames = []string{"go"}

// kimpl is the implementation in use: always the Go one here.
var kimpl = 0

func implSupported(i int) bool { return i == 0 }

func f16ToF32(dst []float32, src []uint16)  { f16ToF32Go(dst, src) }
func f32ToF16(dst []uint16, src []float32)  { f32ToF16Go(dst, src) }
func bf16ToF32(dst []float32, src []uint16) { bf16ToF32Go(dst, src) }
func f32ToBF16(dst []uint16, src []float32) { f32ToBF16Go(dst, src) }

func dequant8(dst []float32, src []byte, signed bool, zp, scale float32) {
	dequant8Go(dst, src, signed, zp, scale)
}

func dequant4(dst []float32, src []byte, signed bool, zp, scale float32) {
	dequant4Go(dst, src, signed, zp, scale)
}

func minMax(src []float32) (lo, hi float32, finite bool) { return minMaxGo(src) }

func quant8(dst []byte, src []float32, scale, zp, qmin, qmax float32) {
	quant8Go(dst, src, scale, zp, qmin, qmax)
}

func pack4(dst []byte, src []byte)                { pack4Go(dst, src) }
func unpack4(dst []byte, src []byte, signed bool) { unpack4Go(dst, src, signed) }

// groupKernel reports whether dequantGroups has a kernel for groups of gs
// elements; never here.
func groupKernel(gs int) bool { return false }

func dequantGroups(dst []float32, src []byte, four, signed bool, zps, scales []float32, gs int) {
	dequantGroupsGo(dst, src, four, signed, zps, scales, gs)
}

func minMaxGroups(src []float32, gs int, lo, hi []float32) bool {
	return minMaxGroupsGo(src, gs, lo, hi)
}

func quant8Groups(dst []byte, src []float32, scales, zps []float32, gs int, qmin, qmax float32) {
	quant8GroupsGo(dst, src, scales, zps, gs, qmin, qmax)
}
