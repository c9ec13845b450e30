package tenso

import (
	"fmt"
	"io"
	"unsafe"

	"github.com/tenso-go/tenso/core"
	"github.com/tenso-go/tenso/internal/sysio"
)

// F16 is an IEEE binary16 value as its raw bits (dtype float16).
type F16 uint16

// BF16 is a bfloat16 value as its raw bits (dtype bfloat16).
type BF16 uint16

// Element is the set of Go element types with a Tenso dtype.
type Element interface {
	float32 | float64 | int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 |
		bool | complex64 | complex128 | F16 | BF16
}

// DTypeOf returns the dtype of the element type T.
func DTypeOf[T Element]() DType {
	var z T
	switch any(z).(type) {
	case float32:
		return Float32
	case float64:
		return Float64
	case int8:
		return Int8
	case int16:
		return Int16
	case int32:
		return Int32
	case int64:
		return Int64
	case uint8:
		return Uint8
	case uint16:
		return Uint16
	case uint32:
		return Uint32
	case uint64:
		return Uint64
	case bool:
		return Bool
	case complex64:
		return Complex64
	case complex128:
		return Complex128
	case F16:
		return Float16
	case BF16:
		return BFloat16
	}
	panic("unreachable")
}

// FromSlice wraps s as a tensor of the given shape (one dimension of
// len(s) if shape is empty). On little-endian hosts (all supported ones)
// Data aliases s: no copy is made, and s must not change while the tensor
// is in use. The element count must match the shape.
func FromSlice[T Element](s []T, shape ...int) (*Tensor, error) {
	dt := DTypeOf[T]()
	if len(shape) == 0 {
		shape = []int{len(s)}
	} else {
		shape = append([]int(nil), shape...)
	}
	size := dt.ItemSize()
	var data []byte
	if len(s) > 0 {
		data = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*size)
	}
	t := &Tensor{DType: dt, Shape: shape, Data: data}
	if err := t.Validate(); err != nil { // Encode's rule: the elements fill the shape
		return nil, err
	}
	if !sysio.LittleEndian {
		t.Data = swapped(data, wordSize(dt))
	}
	return t, nil
}

// As returns the elements of t as a []T. When T matches t's dtype, the
// host is little-endian and the data is aligned in memory for T, the slice
// aliases t.Data (zero-copy, valid as long as the packet is); otherwise it
// is a copy. As[float32] also widens float16, bfloat16 and float64 tensors
// (always a copy). A bool tensor whose bytes are not all 0 or 1 is
// ErrCorrupt, since Go bools must be 0 or 1.
func As[T Element](t *Tensor) ([]T, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: nil tensor", ErrInvalid)
	}
	want := DTypeOf[T]()
	n := t.NumElements()
	if t.DType != want {
		if want == Float32 {
			out := make([]float32, n)
			if _, err := Float32Into(out, t); err != nil {
				return nil, err
			}
			return any(out).([]T), nil
		}
		return nil, fmt.Errorf("%w: tensor has dtype %s, not %s", ErrInvalid, t.DType, want)
	}
	size := want.ItemSize()
	if len(t.Data) != n*size {
		return nil, fmt.Errorf("%w: %s tensor of shape %v has %d data bytes, want %d", ErrInvalid, t.DType, t.Shape, len(t.Data), n*size)
	}
	if n == 0 {
		return []T{}, nil
	}
	if want == Bool {
		for i, b := range t.Data {
			if b > 1 {
				return nil, &FormatError{Offset: int64(i), Field: "bool element", Msg: fmt.Sprintf("bool element %d has byte value %d (want 0 or 1)", i, b), Err: ErrCorrupt}
			}
		}
	}
	data := t.Data
	if !sysio.LittleEndian {
		data = swapped(data, wordSize(want))
	} else if !IsAligned(data, size) {
		data = append(make([]byte, 0, len(data)+size), data...)
		if !IsAligned(data, size) { // make's alignment covers every element type; be safe
			return nil, fmt.Errorf("tenso: internal error: unaligned allocation")
		}
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(data))), n), nil
}

// swapped returns a copy of b with the byte order of every w-byte word
// reversed (big-endian hosts only).
func swapped(b []byte, w int) []byte {
	out := make([]byte, len(b))
	for i := 0; i+w <= len(b); i += w {
		for j := 0; j < w; j++ {
			out[i+j] = b[i+w-1-j]
		}
	}
	return out
}

// wordSize is the unit of byte order: complex numbers are two floats.
func wordSize(d DType) int {
	if d == Complex64 || d == Complex128 {
		return d.ItemSize() / 2
	}
	return d.ItemSize()
}

// IsAligned reports whether b's first byte lies at an address that is a
// multiple of alignment, testing the caller's actual memory (never a
// copy). Empty input and alignment 1 are aligned; an alignment that is not
// a positive power of two is not. To learn whether a decoded body is
// aligned, test packet[info.BodyOffset:].
func IsAligned(b []byte, alignment int) bool { return sysio.IsAligned(b, alignment) }

// DecodePrefix decodes the packet at the start of p and reports how many
// bytes it occupies. It delimits the packet as PacketLen does, so more
// packets may follow any packet, a compressed dense one included (Decode
// ignores bytes only after an uncompressed packet).
func DecodePrefix(p []byte, l Limits) (Value, int, error) { return core.DecodePrefix(p, l) }

// InspectWith is Inspect under the given Limits.
func InspectWith(p []byte, l Limits) (Info, error) { return core.InspectWith(p, l) }

// PacketLen returns the exact length of the packet at the start of p from
// its own framing, never from len(p) (it walks the LZ4 frame of a
// compressed dense packet), so a packet can be found inside a larger
// buffer such as a shared-memory segment.
func PacketLen(p []byte, l Limits) (int, error) { return core.PacketLen(p, l) }

// Segments returns v's packet as buffers for a vectored write; tensor
// bodies are referenced, not copied. See core.Segments.
func Segments(v Value, o Options) ([][]byte, int64, error) { return core.Segments(v, o) }

// EncodedLen is the exact length of v's uncompressed packet.
func EncodedLen(v Value, o Options) (int64, error) { return core.EncodedLen(v, o) }

// WriteBuffers writes the concatenation of bufs to w in as few system
// calls as w allows — writev(2) on a net.Conn and, on Linux, an *os.File
// (in batches of IOV_MAX, retrying partial writes); one Write per buffer
// otherwise — and returns the bytes written. bufs is not modified. Use it
// with Segments to send a packet without copying its bodies.
func WriteBuffers(w io.Writer, bufs [][]byte) (int64, error) { return sysio.WriteBuffers(w, bufs) }
