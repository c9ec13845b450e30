//go:build wasip1

package main

import (
	"errors"
	"unsafe"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/wasm/internal/layout"
)

// Return codes of the exported functions.
const (
	rcOK       = 0
	rcError    = -1
	rcNeedFull = -2
)

// Error codes written to state word 4.
const (
	errNone        = 0
	errCorrupt     = 1
	errTooLarge    = 2
	errChecksum    = 3
	errUnsupported = 4
	errUnframed    = 5
	errInvalid     = 6
	errOther       = 7
)

// prefixMax is the most bytes a host needs to copy in for the zero-copy fast
// path of tenso_decode: a dense header is at most 10+4*32+1 bytes, and the
// padding up to the body offset is never read.
const prefixMax = 256

var (
	state   [8]uint32
	errMsg  []byte
	live    any // keeps the last result (and what it points into) reachable
	scratch []byte
	// The dense fast path of tenso_decode: the parsed header and tensor
	// (their shapes kept in shapeBuf), the layout words and the reusable
	// buffer for decompressed bodies (allocation-free once warm).
	info      tenso.Info
	tensor    tenso.Tensor
	shapeBuf  [tenso.DefaultMaxDims]int
	fastWords [6 + tenso.DefaultMaxDims]uint32
	body      []byte
	// slowWords is reused for the layout words of tenso.Decode's results.
	slowWords []uint32
	pinned    = map[uintptr][]byte{}
)

func addr(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

func mem(p unsafe.Pointer, n uint32) []byte {
	if n == 0 || p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(p), n)
}

func setResult(b []byte, keep any) int32 {
	live = keep
	setWords(b)
	return rcOK
}

func setError(err error) int32 {
	live = nil
	errMsg = []byte(err.Error())
	state[0], state[1] = 0, 0
	state[2] = addr(errMsg)
	state[3] = uint32(len(errMsg))
	state[4] = errCodeOf(err)
	off := formatOffset(err)
	state[5] = uint32(uint64(off))
	state[6] = uint32(uint64(off) >> 32)
	return rcError
}

func errCodeOf(err error) uint32 {
	switch {
	case errors.Is(err, tenso.ErrChecksum):
		return errChecksum
	case errors.Is(err, tenso.ErrTooLarge):
		return errTooLarge
	case errors.Is(err, tenso.ErrUnframed):
		return errUnframed
	case errors.Is(err, tenso.ErrUnsupported):
		return errUnsupported
	case errors.Is(err, tenso.ErrCorrupt):
		return errCorrupt
	case errors.Is(err, tenso.ErrInvalid):
		return errInvalid
	}
	return errOther
}

// tenso_state returns the address of the 8-word state block.
//
//go:wasmexport tenso_state
func tensoState() unsafe.Pointer { return unsafe.Pointer(&state[0]) }

// tenso_prefix_max is how many leading bytes of a packet tenso_decode wants
// for its header-only fast path.
//
//go:wasmexport tenso_prefix_max
func tensoPrefixMax() uint32 { return prefixMax }

// tenso_reserve returns a region of at least n bytes, reused across calls
// (its content is not preserved). It is the input area for decode, encode,
// dequantize and the conversions; the previous result stays valid.
//
//go:wasmexport tenso_reserve
func tensoReserve(n uint32) unsafe.Pointer {
	if uint32(cap(scratch)) < n || scratch == nil {
		c := int(n)
		if c < 64<<10 {
			c = 64 << 10
		}
		scratch = make([]byte, c)
	}
	scratch = scratch[:cap(scratch)]
	return unsafe.Pointer(&scratch[0])
}

// tenso_alloc returns n bytes that stay valid until tenso_free (0 for n = 0).
//
//go:wasmexport tenso_alloc
func tensoAlloc(n uint32) unsafe.Pointer {
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	p := unsafe.Pointer(&b[0])
	pinned[uintptr(p)] = b
	return p
}

// tenso_free releases memory from tenso_alloc; other pointers are ignored.
//
//go:wasmexport tenso_free
func tensoFree(p unsafe.Pointer) { delete(pinned, uintptr(p)) }

// tenso_release drops the last result so that its memory can be reused
// (the decompressed-body buffer is kept up to bodyKeepMax).
//
//go:wasmexport tenso_release
func tensoRelease() {
	live = nil
	clear(kept)
	kept = kept[:0]
	if cap(body) > bodyKeepMax {
		body = nil
	}
	state[0], state[1] = 0, 0
}

// bodyKeepMax is the largest decompressed-body buffer tenso_release keeps
// for reuse; a larger one goes back to Go's heap for other allocations.
const bodyKeepMax = 256 << 20

// tenso_decode decodes the packet whose first n bytes are at p; total is
// the packet's full length. With n == total it is a full decode: integrity
// is verified, bodies decompressed, everything validated. With n < total
// (n ≥ min(total, tenso_prefix_max)) only an uncompressed dense packet
// without a footer can be described from its header, whose body the caller
// then views in its own buffer; any other packet returns rcNeedFull.
// The result is the layout (layout.go).
//
// Top-level dense packets take an allocation-free path (tenso.InspectInto
// and tenso.DecodeTensor validate exactly as tenso.Decode does and give its
// errors; any other kind goes through tenso.Decode): Go's allocator and
// garbage collector dominate a small decode under wasm.
//
//go:wasmexport tenso_decode
func tensoDecode(p unsafe.Pointer, n, total uint32) int32 {
	in := mem(p, n)
	info.Shape = shapeBuf[:0]
	ierr := tenso.InspectInto(&info, in, tenso.Limits{})
	if n < total {
		pl, ok := info.PacketLen()
		if ierr != nil || info.Kind != tenso.KindDense || info.Compressed || info.Integrity || !ok || pl > int64(total) {
			live = nil
			return rcNeedFull
		}
		return denseResult(info.DType, info.Shape, layout.SrcInput, uint32(info.BodyOffset), info.DataSize)
	}
	if ierr == nil && info.Kind == tenso.KindDense && info.DataSize <= 1<<32-1 {
		tensor.Shape = shapeBuf[:0]
		if err := tenso.DecodeTensor(&tensor, in, body, tenso.Limits{}); err != nil {
			return setError(err)
		}
		t := &tensor
		switch {
		case !info.Compressed:
			return denseResult(t.DType, t.Shape, layout.SrcInput, uint32(info.BodyOffset), info.DataSize)
		case len(t.Data) == 0:
			return denseResult(t.DType, t.Shape, layout.SrcInput, 0, 0)
		}
		keepBody(t.Data)
		return denseResult(t.DType, t.Shape, layout.SrcWasm, addr(t.Data), info.DataSize)
	}
	v, err := tenso.Decode(in)
	if err != nil {
		return setError(err)
	}
	w := newWriter(slowWords[:0], uintptr(p), uintptr(n))
	if err := w.Value(v, 0); err != nil {
		return setError(err)
	}
	slowWords = w.Words
	live = v // keeps what the layout points into; the words are slowWords
	setWords(wordBytes(w.Words))
	return rcOK
}

// keepBody keeps the buffer a decompressed dense body was written to for
// the next decode: hosts copy a src-1 range out before calling the module
// again (and memory the module once had is never returned to the host
// anyway, so keeping it costs nothing a fresh allocation would not). Reuse
// also skips zeroing: LZ4 decoding writes every byte.
func keepBody(b []byte) {
	if cap(b) > cap(body) {
		body = b[:0]
	}
}

// denseResult writes the layout of a dense value whose body is the range
// (src, off, size) into fastWords.
func denseResult(dt tenso.DType, shape []int, src, off uint32, size int64) int32 {
	live = nil
	w := &fastWords
	w[0], w[1], w[2] = uint32(tenso.KindDense), uint32(dt), uint32(len(shape))
	k := 3
	for _, d := range shape {
		w[k] = uint32(d)
		k++
	}
	w[k], w[k+1], w[k+2] = src, off, uint32(size)
	setWords(unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), 4*(k+3)))
	return rcOK
}

func setWords(b []byte) {
	state[0] = addr(b)
	state[1] = uint32(len(b))
	state[2], state[3], state[4], state[5], state[6] = 0, 0, errNone, 0, 0
}

// tenso_inspect describes the packet header at p (n bytes) as words
// (appendInfoWords): version, flags, kind, dtype, count, aligned,
// alignment, integrity, compressed, header_len, body_offset, elements (lo,
// hi), data_size (lo, hi), ndim, shape...
//
//go:wasmexport tenso_inspect
func tensoInspect(p unsafe.Pointer, n uint32) int32 {
	info, err := tenso.Inspect(mem(p, n))
	if err != nil {
		return setError(err)
	}
	w := appendInfoWords(make([]uint32, 0, 16+len(info.Shape)), &info)
	return setResult(wordBytes(w), w)
}

// Encode option bits of tenso_encode's flags argument.
const (
	encIntegrity = 1
	encCompress  = 2
)

// tenso_encode encodes the value described at the start of the region
// [p, p+n) (layout words whose refs point into the same region) with the
// given options; alignment 0 means 64. The result is the packet.
//
//go:wasmexport tenso_encode
func tensoEncode(p unsafe.Pointer, n, flags, alignment uint32) int32 {
	r := newReader(mem(p, n))
	v, err := r.Value()
	if err != nil {
		return setError(err)
	}
	o := tenso.Options{Alignment: int(alignment), Integrity: flags&encIntegrity != 0, Compress: flags&encCompress != 0}
	out, err := tenso.Encode(v, o)
	if err != nil {
		return setError(err)
	}
	return setResult(out, out)
}

// tenso_dequantize dequantizes the quantized tensor described in [p, p+n)
// (as for tenso_encode) to float32; the result is the little-endian float32
// bytes.
//
//go:wasmexport tenso_dequantize
func tensoDequantize(p unsafe.Pointer, n uint32) int32 {
	r := newReader(mem(p, n))
	v, err := r.Value()
	if err != nil {
		return setError(err)
	}
	q, ok := v.(*tenso.Quantized)
	if !ok {
		return setError(errors.New("tenso: invalid argument: dequantize needs a quantized tensor"))
	}
	// tenso.Dequantize validates q before it allocates (a shape whose
	// product has no matching data is its error, not a failed make).
	t, err := tenso.Dequantize(q)
	if err != nil {
		return setError(err)
	}
	return setResult(t.Data, t)
}

// tenso_f16_to_f32 converts n float16 values at src to float32 at dst.
//
//go:wasmexport tenso_f16_to_f32
func tensoF16ToF32(src, dst unsafe.Pointer, n uint32) {
	if n == 0 {
		return
	}
	tenso.Float16ToFloat32(unsafe.Slice((*float32)(dst), n), unsafe.Slice((*uint16)(src), n))
}

// tenso_bf16_to_f32 converts n bfloat16 values at src to float32 at dst.
//
//go:wasmexport tenso_bf16_to_f32
func tensoBF16ToF32(src, dst unsafe.Pointer, n uint32) {
	if n == 0 {
		return
	}
	tenso.BFloat16ToFloat32(unsafe.Slice((*float32)(dst), n), unsafe.Slice((*uint16)(src), n))
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// formatOffset is the Offset of the first *tenso.FormatError in err's tree
// (depth first, as errors.As looks), or -1. errors.As would do, but taking
// any target costs it reflection that linked 49 KB into the module.
func formatOffset(err error) int64 {
	switch e := err.(type) {
	case nil:
		return -1
	case *tenso.FormatError:
		return e.Offset
	case interface{ Unwrap() error }:
		return formatOffset(e.Unwrap())
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			if off := formatOffset(x); off >= 0 {
				return off
			}
		}
	}
	return -1
}
