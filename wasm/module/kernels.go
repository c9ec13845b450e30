package main

import (
	"fmt"
	"math"

	"github.com/tenso-go/tenso/core"
)

// dequantize computes (q − zero_point) × scale in float32 for every element
// (FORMAT.md §11), after checking that the metadata is consistent.
func dequantize(q *core.Quantized) ([]float32, error) {
	n := 1
	for _, d := range q.Shape {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return nil, fmt.Errorf("%w: quantized shape too large", core.ErrInvalid)
		}
		n *= d
	}
	if !q.DType.IsQuantized() {
		return nil, fmt.Errorf("%w: dtype %s is not quantized", core.ErrInvalid, q.DType)
	}
	if len(q.Data) < core.PackedLen(q.DType, n) {
		return nil, fmt.Errorf("%w: quantized data holds %d bytes, want %d", core.ErrInvalid, len(q.Data), core.PackedLen(q.DType, n))
	}
	if len(q.Scales) != len(q.ZeroPoints) {
		return nil, fmt.Errorf("%w: %d scales but %d zero points", core.ErrInvalid, len(q.Scales), len(q.ZeroPoints))
	}
	// index maps flat element i to its scale.
	var index func(i int) int
	switch q.Scheme {
	case core.PerTensor:
		if len(q.Scales) != 1 {
			return nil, fmt.Errorf("%w: per_tensor needs 1 scale, got %d", core.ErrInvalid, len(q.Scales))
		}
		index = func(int) int { return 0 }
	case core.PerChannel:
		if q.Axis < 0 || q.Axis >= len(q.Shape) || len(q.Scales) != q.Shape[q.Axis] {
			return nil, fmt.Errorf("%w: per_channel axis %d and %d scales do not fit shape %v", core.ErrInvalid, q.Axis, len(q.Scales), q.Shape)
		}
		inner := 1
		for _, d := range q.Shape[q.Axis+1:] {
			inner *= d
		}
		ch := q.Shape[q.Axis]
		index = func(i int) int { return (i / inner) % ch }
	case core.PerGroup:
		if q.GroupSize <= 0 || len(q.Scales) != (n+q.GroupSize-1)/q.GroupSize {
			return nil, fmt.Errorf("%w: per_group size %d and %d scales do not fit %d elements", core.ErrInvalid, q.GroupSize, len(q.Scales), n)
		}
		g := q.GroupSize
		index = func(i int) int { return i / g }
	default:
		return nil, fmt.Errorf("%w: unknown quantization scheme %d", core.ErrInvalid, q.Scheme)
	}
	out := make([]float32, n)
	for i := range out {
		var v int32
		switch q.DType {
		case core.QInt8:
			v = int32(int8(q.Data[i]))
		case core.QUint8:
			v = int32(q.Data[i])
		case core.QInt4, core.QUint4:
			nib := q.Data[i>>1]
			if i&1 == 1 {
				nib >>= 4
			}
			nib &= 15
			v = int32(nib)
			if q.DType == core.QInt4 && nib >= 8 {
				v -= 16
			}
		}
		k := index(i)
		d := float32(v) - q.ZeroPoints[k]
		out[i] = float32(d * q.Scales[k])
	}
	return out, nil
}

// f16ToF32 converts IEEE binary16 bits to float32 exactly (NaN payloads kept).
func f16ToF32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	case man == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal half: normalise.
	e := uint32(113)
	for man&0x400 == 0 {
		man <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
}
