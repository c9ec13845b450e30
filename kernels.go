package tenso

// Public entry points of the numeric hot paths: float16/bfloat16 ⇄ float32
// conversion and 4-bit packing. Each calls a kernel dispatcher (f16ToF32,
// …) defined per architecture: kernels_amd64.go and kernels_arm64.go pick
// an assembly implementation once at init from the CPU's features;
// kernels_other.go (other architectures, or the purego / noasm tags) calls
// the pure-Go twins of kernels_generic.go. Every implementation gives
// bit-identical results.

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/tenso-go/tenso/internal/sysio"
)

// Float16ToFloat32 widens IEEE binary16 values (raw bits, as stored in a
// float16 tensor) to float32. It converts min(len(dst), len(src)) elements
// and returns that count. The conversion is exact; a NaN keeps its sign and
// payload and comes out quiet. It allocates nothing.
func Float16ToFloat32(dst []float32, src []uint16) int {
	n := min(len(dst), len(src))
	f16ToF32(dst[:n], src[:n])
	return n
}

// Float32ToFloat16 narrows float32 values to IEEE binary16 bits, rounding
// to nearest with ties to even (overflow gives ±Inf, tiny values become
// subnormals or ±0; nothing is flushed to zero). A NaN stays a NaN with its
// sign and top payload bits, made quiet. It converts min(len(dst),
// len(src)) elements, returns that count and allocates nothing.
func Float32ToFloat16(dst []uint16, src []float32) int {
	n := min(len(dst), len(src))
	f32ToF16(dst[:n], src[:n])
	return n
}

// BFloat16ToFloat32 widens bfloat16 values (raw bits) to float32: exact,
// the bits become the upper half of the float32 (NaNs pass unchanged). It
// converts min(len(dst), len(src)) elements, returns that count and
// allocates nothing.
func BFloat16ToFloat32(dst []float32, src []uint16) int {
	n := min(len(dst), len(src))
	bf16ToF32(dst[:n], src[:n])
	return n
}

// Float32ToBFloat16 narrows float32 values to bfloat16 bits, rounding to
// nearest with ties to even (no flush to zero). A NaN stays a NaN with its
// sign and top payload bits, made quiet. It converts min(len(dst),
// len(src)) elements, returns that count and allocates nothing.
func Float32ToBFloat16(dst []uint16, src []float32) int {
	n := min(len(dst), len(src))
	f32ToBF16(dst[:n], src[:n])
	return n
}

// PackInt4 packs 4-bit two's-complement values (qint4, −8..7) two per
// byte in the nibble order of FORMAT.md §11: element 2i goes to the low
// nibble of dst[i], element 2i+1 to its high nibble, and for an odd count
// the last byte's high nibble is 0. Only the low 4 bits of each value are
// kept (values outside −8..7 wrap). It packs n = min(len(src), 2·len(dst))
// elements into (n+1)/2 bytes and returns n.
func PackInt4(dst []byte, src []int8) int {
	return PackUint4(dst, int8Bytes(src))
}

// PackUint4 is PackInt4 for unsigned 4-bit values (quint4, 0..15).
func PackUint4(dst []byte, src []uint8) int {
	n := min(len(src), 2*len(dst))
	pack4(dst[:(n+1)/2], src[:n])
	return n
}

// UnpackInt4 unpacks n = min(len(dst), 2·len(src)) 4-bit two's-complement
// values (qint4) packed as by PackInt4, sign-extending each to −8..7, and
// returns n.
func UnpackInt4(dst []int8, src []byte) int {
	n := min(len(dst), 2*len(src))
	unpack4(int8Bytes(dst[:n]), src[:(n+1)/2], true)
	return n
}

// UnpackUint4 unpacks n = min(len(dst), 2·len(src)) unsigned 4-bit values
// (quint4, 0..15) packed as by PackUint4 and returns n.
func UnpackUint4(dst []uint8, src []byte) int {
	n := min(len(dst), 2*len(src))
	unpack4(dst[:n], src[:(n+1)/2], false)
	return n
}

func int8Bytes(s []int8) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s))
}

// ConvertTensor returns a copy of a floating-point tensor converted to
// another floating-point dtype among Float32, Float16, BFloat16 and
// Float64, using the kernels above for the half-float cases (round to
// nearest even when narrowing). Converting to the same dtype copies;
// float64 narrows to float16 or bfloat16 through float32 (two roundings,
// which can differ from a direct rounding in the last bit).
func ConvertTensor(t *Tensor, to DType) (*Tensor, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: ConvertTensor: nil tensor", ErrInvalid)
	}
	n, err := denseCount(t)
	if err != nil {
		return nil, err
	}
	if !isFloatDType(t.DType) || !isFloatDType(to) {
		return nil, fmt.Errorf("%w: ConvertTensor: %v to %v: only float32, float64, float16 and bfloat16 convert", ErrInvalid, t.DType, to)
	}
	out := &Tensor{DType: to, Shape: append([]int(nil), t.Shape...), Data: make([]byte, n*to.ItemSize())}
	if t.DType == to {
		copy(out.Data, t.Data)
		return out, nil
	}
	if t.DType == Float32 && (to == Float16 || to == BFloat16) {
		narrowBytes(out.Data, t.Data, n, to)
		return out, nil
	}
	// Go through float32 in chunks (float64 narrows with one rounding).
	var buf [1024]float32
	for i := 0; i < n; i += len(buf) {
		c := min(len(buf), n-i)
		widenToFloat32(buf[:c], t, i)
		switch to {
		case Float32:
			putF32s(out.Data[4*i:], buf[:c])
		case Float64:
			for j, v := range buf[:c] {
				putU64le(out.Data[8*(i+j):], math.Float64bits(float64(v)))
			}
		default:
			narrowBytes(out.Data[2*i:], f32Bytes(buf[:c]), c, to)
		}
	}
	return out, nil
}

// Float32Into widens (or copies) the elements of a float32, float16,
// bfloat16 or float64 tensor into dst, which must hold the tensor's element
// count, and returns that count. float64 is rounded to nearest float32. It
// allocates nothing; the As[float32] helper uses it for half-float tensors.
func Float32Into(dst []float32, t *Tensor) (int, error) {
	if t == nil {
		return 0, fmt.Errorf("%w: Float32Into: nil tensor", ErrInvalid)
	}
	n, err := denseCount(t)
	if err != nil {
		return 0, err
	}
	if !isFloatDType(t.DType) {
		return 0, fmt.Errorf("%w: Float32Into: %v is not a floating-point dtype", ErrInvalid, t.DType)
	}
	if len(dst) < n {
		return 0, fmt.Errorf("%w: Float32Into: dst holds %d elements, tensor has %d", ErrInvalid, len(dst), n)
	}
	widenToFloat32(dst[:n], t, 0)
	return n, nil
}

func isFloatDType(d DType) bool {
	return d == Float32 || d == Float64 || d == Float16 || d == BFloat16
}

// denseCount validates a dense tensor as Encode does (Tensor.Validate) and
// returns its element count.
func denseCount(t *Tensor) (int, error) {
	if err := t.Validate(); err != nil {
		return 0, err
	}
	return t.NumElements(), nil
}

// u16View returns b as []uint16 without copying when the host is
// little-endian and b is 2-aligned.
func u16View(b []byte) ([]uint16, bool) {
	if len(b) == 0 {
		return nil, true
	}
	if !sysio.LittleEndian || uintptr(unsafe.Pointer(&b[0]))&1 != 0 {
		return nil, false
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2), true
}

// f32View returns b as []float32 without copying when the host is
// little-endian and b is 4-aligned.
func f32View(b []byte) ([]float32, bool) {
	if len(b) == 0 {
		return nil, true
	}
	if !sysio.LittleEndian || uintptr(unsafe.Pointer(&b[0]))&3 != 0 {
		return nil, false
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4), true
}

// f32Bytes views a []float32 as its bytes; only used on little-endian data
// paths (narrowBytes reads it back through f32View or getU32le).
func f32Bytes(s []float32) []byte {
	if len(s) == 0 {
		return nil
	}
	if sysio.LittleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 4*len(s))
	}
	b := make([]byte, 4*len(s))
	putF32s(b, s)
	return b
}

func getU16le(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func getU32le(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func putU32le(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
func putU64le(b []byte, v uint64) {
	putU32le(b, uint32(v))
	putU32le(b[4:], uint32(v>>32))
}

func putF32s(b []byte, s []float32) {
	if v, ok := f32View(b[:4*len(s)]); ok {
		copy(v, s)
		return
	}
	for i, f := range s {
		putU32le(b[4*i:], math.Float32bits(f))
	}
}

// widenToFloat32 converts len(dst) elements of t starting at element off
// into dst. t's dtype is a float dtype and its data length was validated.
func widenToFloat32(dst []float32, t *Tensor, off int) {
	n := len(dst)
	switch t.DType {
	case Float32:
		b := t.Data[4*off : 4*(off+n)]
		if v, ok := f32View(b); ok {
			copy(dst, v)
			return
		}
		for i := range dst {
			dst[i] = math.Float32frombits(getU32le(b[4*i:]))
		}
	case Float64:
		b := t.Data[8*off : 8*(off+n)]
		for i := range dst {
			dst[i] = float32(math.Float64frombits(uint64(getU32le(b[8*i:])) | uint64(getU32le(b[8*i+4:]))<<32))
		}
	case Float16, BFloat16:
		b := t.Data[2*off : 2*(off+n)]
		bf := t.DType == BFloat16
		if v, ok := u16View(b); ok {
			halfToF32(bf, dst, v)
			return
		}
		var buf [512]uint16
		for i := 0; i < n; i += len(buf) {
			c := min(len(buf), n-i)
			for j := range buf[:c] {
				buf[j] = getU16le(b[2*(i+j):])
			}
			halfToF32(bf, dst[i:i+c], buf[:c])
		}
	}
}

// narrowBytes converts n little-endian float32 values in src to float16 or
// bfloat16 little-endian bits in dst.
func narrowBytes(dst, src []byte, n int, to DType) {
	bf := to == BFloat16
	d, okd := u16View(dst[:2*n])
	s, oks := f32View(src[:4*n])
	if okd && oks {
		f32ToHalf(bf, d, s)
		return
	}
	var in [512]float32
	var out [512]uint16
	for i := 0; i < n; i += len(in) {
		c := min(len(in), n-i)
		for j := range in[:c] {
			in[j] = math.Float32frombits(getU32le(src[4*(i+j):]))
		}
		f32ToHalf(bf, out[:c], in[:c])
		for j, v := range out[:c] {
			dst[2*(i+j)] = byte(v)
			dst[2*(i+j)+1] = byte(v >> 8)
		}
	}
}

// halfToF32 and f32ToHalf pick the float16 or bfloat16 kernel without a
// func value (which would make the stack buffers above escape).
func halfToF32(bf bool, dst []float32, src []uint16) {
	if bf {
		bf16ToF32(dst, src)
	} else {
		f16ToF32(dst, src)
	}
}

func f32ToHalf(bf bool, dst []uint16, src []float32) {
	if bf {
		f32ToBF16(dst, src)
	} else {
		f32ToF16(dst, src)
	}
}
