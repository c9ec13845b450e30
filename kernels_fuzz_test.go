package tenso

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// FuzzKernels feeds the same bytes, read as float32, float16/bfloat16 bits
// and packed integers, to every kernel of every implementation the host
// has and requires results bit-identical to the pure-Go twins, with guard
// elements after every destination.
func FuzzKernels(f *testing.F) {
	f.Add([]byte{}, uint8(0), float32(0.5), float32(3))
	f.Add([]byte("\x00\x00\x80\x7f\x01\x00\x80\x7f\x00\x10\x80\x3f\x00\x80\x80\x3f"), uint8(1), float32(1), float32(0))
	seed := make([]byte, 260)
	for i := range seed {
		seed[i] = byte(i * 37)
	}
	f.Add(seed, uint8(2), float32(0.01), float32(-100))
	f.Add(seed[:67], uint8(3), float32(0), float32(1))
	f.Fuzz(func(t *testing.T, data []byte, off uint8, scale, zp float32) {
		o := int(off % 4)
		n := len(data) / 4
		f32 := make([]float32, n+o)[o:]
		for i := range f32 {
			f32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		u16 := make([]uint16, len(data)/2+o)[o:]
		for i := range u16 {
			u16[i] = binary.LittleEndian.Uint16(data[2*i:])
		}
		u8 := append(make([]byte, o), data...)[o:]

		type result struct {
			h2s, b2s, dq8, dq4 []float32
			s2h, s2b           []uint16
			q8, p4, u4, q8g    []byte
			dqg                []float32
			lo, hi             float32
			glo, ghi           []float32
			fin, gfin          bool
		}
		run := func() result {
			var r result
			r.h2s = guardedRun(t, len(u16), float32(-1), func(d []float32) { f16ToF32(d, u16) })
			r.b2s = guardedRun(t, len(u16), float32(-1), func(d []float32) { bf16ToF32(d, u16) })
			r.s2h = guardedRun(t, n, uint16(0xDEAD), func(d []uint16) { f32ToF16(d, f32) })
			r.s2b = guardedRun(t, n, uint16(0xDEAD), func(d []uint16) { f32ToBF16(d, f32) })
			signed := off&4 != 0
			r.dq8 = guardedRun(t, len(u8), float32(-1), func(d []float32) { dequant8(d, u8, signed, zp, scale) })
			r.dq4 = guardedRun(t, 2*len(u8), float32(-1), func(d []float32) { dequant4(d, u8, signed, zp, scale) })
			r.u4 = guardedRun(t, 2*len(u8), byte(0x5A), func(d []byte) { unpack4(d, u8, signed) })
			r.p4 = guardedRun(t, (len(u8)+1)/2, byte(0x5A), func(d []byte) { pack4(d, u8) })
			qmin, qmax, _, _ := qRange(QInt8 + DType(off%4))
			r.q8 = guardedRun(t, n, byte(0x5A), func(d []byte) { quant8(d, f32, scale, zp, qmin, qmax) })
			r.lo, r.hi, r.fin = minMax(f32)
			// Grouped kernels: groups of 32 with per-group parameters
			// derived from the fuzz values.
			ng := n / 32
			zps, scales := make([]float32, ng), make([]float32, ng)
			for g := range zps {
				zps[g], scales[g] = zp+float32(g), scale*float32(g+1)
			}
			r.dqg = guardedRun(t, 32*ng, float32(-1), func(d []float32) { dequantGroups(d, u8, off&8 != 0, signed, zps, scales, 32) })
			r.q8g = guardedRun(t, 32*ng, byte(0x5A), func(d []byte) { quant8Groups(d, f32, scales, zps, 32, qmin, qmax) })
			r.glo, r.ghi = make([]float32, ng), make([]float32, ng)
			r.gfin = minMaxGroups(f32, 32, r.glo, r.ghi)
			return r
		}
		var want result
		asImpl("go", func() { want = run() })
		for _, impl := range kernelImpls()[1:] {
			var got result
			asImpl(impl, func() { got = run() })
			same32 := func(what string, a, b []float32, nanOK bool) {
				for i := range a {
					x, y := math.Float32bits(a[i]), math.Float32bits(b[i])
					// With a NaN scale or zero point as well as a NaN
					// operand, which payload wins depends on operand
					// order; only NaN-ness is defined then.
					if x != y && !(nanOK && a[i] != a[i] && b[i] != b[i]) {
						t.Fatalf("%s %s[%d]: %#08x, go %#08x", impl, what, i, x, y)
					}
				}
			}
			paramNaN := scale != scale || zp != zp
			same32("f16ToF32", got.h2s, want.h2s, false)
			same32("bf16ToF32", got.b2s, want.b2s, false)
			same32("dequant8", got.dq8, want.dq8, paramNaN)
			same32("dequant4", got.dq4, want.dq4, paramNaN)
			cmpBits(t, impl+" f32ToF16", got.s2h, want.s2h)
			cmpBits(t, impl+" f32ToBF16", got.s2b, want.s2b)
			cmpBits(t, impl+" quant8", got.q8, want.q8)
			cmpBits(t, impl+" pack4", got.p4, want.p4)
			cmpBits(t, impl+" unpack4", got.u4, want.u4)
			same32("dequantGroups", got.dqg, want.dqg, paramNaN)
			cmpBits(t, impl+" quant8Groups", got.q8g, want.q8g)
			// Finite min/max compare as numbers, as minMax's do: which
			// zero a SIMD min or max returns among -0 and +0 depends on
			// operand order, and Quantize cannot tell them apart.
			if got.gfin != want.gfin || (want.gfin && (!slices.Equal(got.glo, want.glo) || !slices.Equal(got.ghi, want.ghi))) {
				t.Fatalf("%s minMaxGroups (%v %v %v), go (%v %v %v)", impl, got.glo, got.ghi, got.gfin, want.glo, want.ghi, want.gfin)
			}
			if got.fin != want.fin || (want.fin && (got.lo != want.lo || got.hi != want.hi)) {
				t.Fatalf("%s minMax (%v %v %v), go (%v %v %v)", impl, got.lo, got.hi, got.fin, want.lo, want.hi, want.fin)
			}
		}
	})
}

// guardedRun calls f on an n-element slice followed by guard elements and
// fails if f wrote past it.
func guardedRun[T comparable](t *testing.T, n int, fill T, f func([]T)) []T {
	t.Helper()
	full := make([]T, n+33)
	for i := range full {
		full[i] = fill
	}
	f(full[:n])
	checkGuards(t, "fuzz", full, 0, n, fill)
	return full[:n]
}
