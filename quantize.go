package tenso

// Quantization (FORMAT.md §11, §11.1) on top of the kernels: min/max scans,
// quantize, dequantize and 4-bit packing run in assembly where the CPU
// allows it (kernels_amd64.go, kernels_arm64.go).

import (
	"fmt"
	"math"
)

// qRange returns the integer range of a quantized dtype.
func qRange(d DType) (qmin, qmax float32, four, signed bool) {
	switch d {
	case QInt8:
		return -128, 127, false, true
	case QUint8:
		return 0, 255, false, false
	case QInt4:
		return -8, 7, true, true
	case QUint4:
		return 0, 15, true, false
	}
	return 0, 0, false, false
}

// quantParams is the reference's scale and zero point for one slice
// (FORMAT.md §11.1) with the NumPy 2.x zero-point rule:
//
//	scale = float32((float64(max) − float64(min)) / float64(qmax − qmin))
//	zp    = float32(qmin − float32(min / scale))
//
// The golden corpus was written under NumPy 1.x, whose zero point is
// float32(qmin − float64(min)/float64(scale)) (one rounding); it can differ
// from ours in the last bit (quant_qint8_upstream_fixture_input: 0xBF00007F
// there, 0xBF000080 here). This project follows the NumPy 2.x rule because
// FORMAT.md makes it binding: it is what the reference pins in its own
// conformance fixture (quantized_qint8_per_tensor.tenso), and it keeps every
// step in float32 so that the SIMD paths can reproduce it. The packed values
// agree in both cases for every golden input we know.
//
// An empty slice (lo > hi) and a constant one get scale 1, zero point 0.
// ok is false when the range is non-zero but the scale rounds to 0 in
// float32 (values a few subnormal steps apart): no scale can represent it.
func quantParams(lo, hi, qmin, qmax float32) (scale, zp float32, ok bool) {
	if !(lo < hi) {
		return 1, 0, true
	}
	r := float64(float64(hi) - float64(lo))
	scale = float32(r / float64(qmax-qmin))
	if scale == 0 {
		return 0, 0, false
	}
	t := float32(lo / scale)
	zp = float32(qmin - t)
	return scale, zp, true
}

// Quantize quantizes a dense float32 tensor (float16, bfloat16 and float64
// are converted to float32 first) to dtype (QInt8, QUint8, QInt4, QUint4)
// with the reference's rules (FORMAT.md §11.1): per slice — the whole
// tensor, one index along axis (PerChannel), or groupSize consecutive
// elements in C order (PerGroup, the last group possibly short) — the
// minimum and maximum give scale and zero point, and each value becomes
// clip(round_half_even(f32(f32(x / scale) + zp)), qmin, qmax). The zero
// point follows the NumPy 2.x float32 evaluation (see quantParams).
//
// axis is used only for PerChannel and must be in [0, ndim); groupSize
// only for PerGroup and must be positive. The result stores axis 0 unless
// per-channel and group size 0 unless per-group. NaN or ±Inf in the input
// is an error; an empty tensor or channel gets scale 1 and zero point 0.
// Errors wrap ErrInvalid.
func Quantize(t *Tensor, dtype DType, scheme Scheme, axis, groupSize int) (*Quantized, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: Quantize: nil tensor", ErrInvalid)
	}
	n, err := denseCount(t)
	if err != nil {
		return nil, err
	}
	if !isFloatDType(t.DType) {
		return nil, fmt.Errorf("%w: Quantize: input dtype %v is not floating point", ErrInvalid, t.DType)
	}
	if !dtype.IsQuantized() {
		return nil, fmt.Errorf("%w: Quantize: %v is not a quantized dtype", ErrInvalid, dtype)
	}
	q := &Quantized{DType: dtype, Shape: append([]int(nil), t.Shape...), Scheme: scheme}
	var nparams int
	switch scheme {
	case PerTensor:
		nparams = 1
	case PerChannel:
		if axis < 0 || axis >= len(t.Shape) {
			return nil, fmt.Errorf("%w: Quantize: axis %d out of range for %d dims", ErrInvalid, axis, len(t.Shape))
		}
		q.Axis = axis
		nparams = t.Shape[axis]
	case PerGroup:
		if groupSize <= 0 || uint64(groupSize) > math.MaxUint32 {
			return nil, fmt.Errorf("%w: Quantize: group size %d must be in 1..2^32-1", ErrInvalid, groupSize)
		}
		q.GroupSize = groupSize
		nparams = (n + groupSize - 1) / groupSize
	default:
		return nil, fmt.Errorf("%w: Quantize: unknown scheme %v", ErrInvalid, scheme)
	}

	var x []float32
	if v, ok := f32View(t.Data); ok && t.DType == Float32 {
		x = v
	} else {
		x = make([]float32, n)
		widenToFloat32(x, t, 0)
	}

	// Min/max per slice.
	lo := make([]float32, nparams)
	hi := make([]float32, nparams)
	for i := range lo {
		lo[i], hi[i] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	size, np := runLayout(q, n)
	finite := true
	switch {
	case grouped(q, n, size) && scheme == PerGroup:
		full := n / size
		m := full * size
		finite = minMaxGroups(x[:m], size, lo[:full], hi[:full])
		if m < n {
			l, h, ok := minMax(x[m:])
			lo[full], hi[full], finite = l, h, finite && ok
		}
	case grouped(q, n, size): // per_channel, one slab of shape[axis] runs at a time
		for s := 0; s < n; s += size * np {
			finite = minMaxGroups(x[s:s+size*np], size, lo, hi) && finite
		}
	default:
		for start, p := 0, 0; start < n; start += size {
			var l, h float32
			var ok bool
			if size < smallRun {
				l, h, ok = minMaxGo(x[start:min(start+size, n)])
			} else {
				l, h, ok = minMax(x[start:min(start+size, n)])
			}
			lo[p], hi[p], finite = min(lo[p], l), max(hi[p], h), finite && ok
			if p++; p == np {
				p = 0
			}
		}
	}
	if !finite {
		return nil, fmt.Errorf("%w: Quantize: input contains NaN or ±Inf", ErrInvalid)
	}
	qmin, qmax, _, _ := qRange(dtype)
	q.Scales = make([]float32, nparams)
	q.ZeroPoints = make([]float32, nparams)
	for i := range lo {
		s, zp, ok := quantParams(lo[i], hi[i], qmin, qmax)
		if !ok {
			return nil, fmt.Errorf("%w: Quantize: value range [%g, %g] too narrow: the scale underflows float32", ErrInvalid, lo[i], hi[i])
		}
		q.Scales[i], q.ZeroPoints[i] = s, zp
	}
	q.Data = make([]byte, dtype.DataLen(n))
	quantizeValues(q, x, nil)
	return q, nil
}

// runLayout describes the slices of a quantized tensor of n elements: runs
// of size consecutive elements (the last possibly short) whose parameter
// index cycles through 0..np-1 (per_tensor: one run; per_group: one run per
// group; per_channel: runs of prod(shape[axis+1:]) elements, channel =
// run index mod shape[axis]). The fields were validated.
func runLayout(q *Quantized, n int) (size, np int) {
	switch q.Scheme {
	case PerChannel:
		size = 1
		for _, d := range q.Shape[q.Axis+1:] {
			size *= d
		}
		return size, q.Shape[q.Axis]
	case PerGroup:
		return q.GroupSize, (n + q.GroupSize - 1) / q.GroupSize
	}
	return n, 1
}

// quantizeValues quantizes x (len = element count) into q.Data with q's
// own dtype, scheme, scales and zero points. q must be valid. For 4-bit
// dtypes it needs an n-byte scratch buffer (allocated when tmp is short).
// It is also the test suite's "requantize" helper.
func quantizeValues(q *Quantized, x []float32, tmp []byte) {
	n := len(x)
	qmin, qmax, four, _ := qRange(q.DType)
	var vals []byte
	if four {
		if cap(tmp) < n {
			tmp = make([]byte, n)
		}
		vals = tmp[:n]
	} else {
		vals = q.Data[:n]
	}
	size, np := runLayout(q, n)
	switch {
	case grouped(q, n, size) && q.Scheme == PerGroup:
		full := n / size
		m := full * size
		quant8Groups(vals[:m], x[:m], q.Scales[:full], q.ZeroPoints[:full], size, qmin, qmax)
		if m < n {
			quant8(vals[m:], x[m:], q.Scales[full], q.ZeroPoints[full], qmin, qmax)
		}
	case grouped(q, n, size): // per_channel, one slab of shape[axis] runs at a time
		for s := 0; s < n; s += size * np {
			quant8Groups(vals[s:s+size*np], x[s:s+size*np], q.Scales, q.ZeroPoints, size, qmin, qmax)
		}
	default:
		for start, p := 0, 0; start < n; start += size {
			end := min(start+size, n)
			if size < smallRun {
				quant8Go(vals[start:end], x[start:end], q.Scales[p], q.ZeroPoints[p], qmin, qmax)
			} else {
				quant8(vals[start:end], x[start:end], q.Scales[p], q.ZeroPoints[p], qmin, qmax)
			}
			if p++; p == np {
				p = 0
			}
		}
	}
	if four {
		pack4(q.Data[:(n+1)/2], vals)
	}
}

// checkQuantized validates q as Encode does (Quantized.Validate) and
// returns its element count.
func checkQuantized(q *Quantized) (int, error) {
	if err := q.Validate(); err != nil {
		return 0, err
	}
	return q.NumElements(), nil
}

// Dequantize returns the float32 tensor (same shape) of q: each element is
// (q − zero_point) × scale evaluated in float32 with the parameters of its
// tensor, channel or group (FORMAT.md §11). Invalid fields in q give an
// error wrapping ErrInvalid.
func Dequantize(q *Quantized) (*Tensor, error) {
	n, err := checkQuantized(q)
	if err != nil {
		return nil, err
	}
	t := &Tensor{DType: Float32, Shape: append([]int(nil), q.Shape...), Data: make([]byte, 4*n)}
	if v, ok := f32View(t.Data); ok {
		dequantizeRuns(v, q, n)
		return t, nil
	}
	tmp := make([]float32, n)
	dequantizeRuns(tmp, q, n)
	putF32s(t.Data, tmp)
	return t, nil
}

// DequantizeInto is Dequantize into the caller's dst, which must hold at
// least q's element count; it writes exactly that many elements, in C
// order, and allocates nothing.
func DequantizeInto(dst []float32, q *Quantized) error {
	n, err := checkQuantized(q)
	if err != nil {
		return err
	}
	if len(dst) < n {
		return fmt.Errorf("%w: DequantizeInto: dst holds %d elements, tensor has %d", ErrInvalid, len(dst), n)
	}
	dequantizeRuns(dst[:n], q, n)
	return nil
}

// grouped reports whether the runs of q (n elements, runs of size) go to
// the grouped kernels: per_group or per_channel with several runs whose
// length the current implementation handles in one call.
func grouped(q *Quantized, n, size int) bool {
	return q.Scheme != PerTensor && n > 0 && size >= smallRun && size < n && groupKernel(size)
}

// smallRun is the run length below which the quantization loops call the
// Go twins directly: a kernel call per run of a few elements (per_channel
// along a trailing axis, tiny groups) costs more than it saves.
const smallRun = 16

func dequantizeRuns(dst []float32, q *Quantized, n int) {
	_, _, four, signed := qRange(q.DType)
	size, np := runLayout(q, n)
	if grouped(q, n, size) {
		// One kernel call for many runs: every full group, or one slab of
		// shape[axis] channels at a time.
		switch q.Scheme {
		case PerGroup:
			full := n / size
			m := full * size
			dequantGroups(dst[:m], q.Data[:q.DType.DataLen(m)], four, signed, q.ZeroPoints[:full], q.Scales[:full], size)
			if m < n {
				dequantRun(dst, q, m, n, full, four, signed)
			}
			return
		case PerChannel:
			slab := size * np
			for s := 0; s < n; s += slab {
				dequantGroups(dst[s:s+slab], q.Data[q.DType.DataLen(s):q.DType.DataLen(s+slab)], four, signed, q.ZeroPoints, q.Scales, size)
			}
			return
		}
	}
	for start, p := 0, 0; start < n; start += size {
		dequantRun(dst, q, start, min(start+size, n), p, four, signed)
		if p++; p == np {
			p = 0
		}
	}
}

// dequantRun dequantizes elements start..end-1 of q with parameters p.
func dequantRun(dst []float32, q *Quantized, start, end, p int, four, signed bool) {
	zp, scale := q.ZeroPoints[p], q.Scales[p]
	switch {
	case end-start < smallRun && four:
		for i := start; i < end; i++ {
			dst[i] = float32(nib4(q.Data[i>>1]>>(4*(i&1))&0xF, signed)-zp) * scale
		}
	case end-start < smallRun:
		dequant8Go(dst[start:end], q.Data[start:end], signed, zp, scale)
	case !four:
		dequant8(dst[start:end], q.Data[start:end], signed, zp, scale)
	default:
		s := start
		if s&1 == 1 { // run starts in a high nibble
			dst[s] = float32(nib4(q.Data[s>>1]>>4, signed)-zp) * scale
			s++
		}
		dequant4(dst[s:end], q.Data[s>>1:], signed, zp, scale)
	}
}
