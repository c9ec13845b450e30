// Package layout is the value description that crosses the boundary of the
// Tenso wasm module: a value tree as little-endian u32 words. The module
// (wasm/module) writes it for tenso_decode and reads it for tenso_encode
// and tenso_dequantize; the wazero host (wasm/host) does the opposite.
// js/index.js reads and writes the same words.
//
// A ref is three words (src, offset, length). Nodes, by kind code
// (tenso.Kind):
//
//	1 dense          kind, dtype, ndim, dims[ndim], ref data
//	2 quantized      kind, dtype, ndim, dims[ndim], scheme, axis, group_size,
//	                 num_scales, ref scales (f32 LE), ref zero_points, ref data
//	3 string         kind, dtype, count, ref offsets (u64 LE × count+1), ref payload
//	4 ragged framing kind, frame dtype, node splits, node flat
//	5 ragged         kind, 0, node splits, node flat
//	6 bundle         kind, count, count × (ref key, node value)
//	7/8/9 sparse     kind, rows, cols, node data, node row|indices, node col|indptr
//	10 ipc ref       kind, ref handle (64 bytes), offset lo, hi, nbytes lo, hi,
//	                 ref device uuid (16 bytes)
package layout

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tenso-go/tenso"
)

// Ref sources.
const (
	SrcInput = 0 // offset into the caller's packet (decode) or region (encode)
	SrcWasm  = 1 // absolute address in the module's memory
)

// ErrMalformed is the error for words that do not describe a value.
var ErrMalformed = fmt.Errorf("%w: malformed value description", tenso.ErrInvalid)

// Writer appends the description of a value to Words.
type Writer struct {
	Words []uint32
	// Ref classifies a non-empty byte range: its src and offset words.
	Ref func(b []byte) (src, off uint32)
}

// Put appends words.
func (w *Writer) Put(v ...uint32) { w.Words = append(w.Words, v...) }

func (w *Writer) put64(v uint64) { w.Put(uint32(v), uint32(v>>32)) }

func (w *Writer) ref(b []byte) {
	if len(b) == 0 {
		w.Put(SrcInput, 0, 0)
		return
	}
	src, off := w.Ref(b)
	w.Put(src, off, uint32(len(b)))
}

func (w *Writer) shape(s []int) error {
	w.Put(uint32(len(s)))
	for _, d := range s {
		if d < 0 || d > math.MaxUint32 {
			return fmt.Errorf("%w: dimension %d", tenso.ErrInvalid, d)
		}
		w.Put(uint32(d))
	}
	return nil
}

// F32Bytes is the little-endian byte form of f (a copy).
func F32Bytes(f []float32) []byte {
	out := make([]byte, 4*len(f))
	for i, x := range f {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}

// Value appends the description of v (depth is its nesting level, 0 at
// the top). Values from tenso.Decode always describe; others may be
// refused with an ErrInvalid error.
func (w *Writer) Value(v tenso.Value, depth int) error {
	if depth > tenso.DefaultMaxDepth {
		return fmt.Errorf("%w: nesting deeper than %d", tenso.ErrInvalid, tenso.DefaultMaxDepth)
	}
	switch v := v.(type) {
	case *tenso.Tensor:
		w.Put(uint32(tenso.KindDense), uint32(v.DType))
		if err := w.shape(v.Shape); err != nil {
			return err
		}
		w.ref(v.Data)
	case *tenso.Quantized:
		w.Put(uint32(tenso.KindQuantized), uint32(v.DType))
		if err := w.shape(v.Shape); err != nil {
			return err
		}
		if len(v.Scales) != len(v.ZeroPoints) {
			return fmt.Errorf("%w: %d scales but %d zero points", tenso.ErrInvalid, len(v.Scales), len(v.ZeroPoints))
		}
		w.Put(uint32(v.Scheme), uint32(int32(v.Axis)), uint32(v.GroupSize), uint32(len(v.Scales)))
		w.ref(F32Bytes(v.Scales))
		w.ref(F32Bytes(v.ZeroPoints))
		w.ref(v.Data)
	case *tenso.Strings:
		w.Put(uint32(tenso.KindString), uint32(v.DType), uint32(v.Len()))
		w.ref(v.Offsets)
		w.ref(v.Payload)
	case *tenso.Ragged:
		if v.Splits == nil || v.Flat == nil {
			return fmt.Errorf("%w: ragged value without splits or flat", tenso.ErrInvalid)
		}
		w.Put(uint32(v.Kind()), uint32(v.FrameDType))
		if err := w.Value(v.Splits, depth+1); err != nil {
			return err
		}
		return w.Value(v.Flat, depth+1)
	case *tenso.Bundle:
		w.Put(uint32(tenso.KindBundle), uint32(len(v.Entries)))
		for _, e := range v.Entries {
			w.ref([]byte(e.Key))
			if err := w.Value(e.Value, depth+1); err != nil {
				return err
			}
		}
	case *tenso.Sparse:
		if len(v.Shape) != 2 {
			return fmt.Errorf("%w: sparse shape must have two dims", tenso.ErrInvalid)
		}
		w.Put(uint32(v.Kind()), uint32(v.Shape[0]), uint32(v.Shape[1]))
		c := [3]*tenso.Tensor{v.Data, v.Indices, v.Indptr}
		if v.Format == tenso.COO {
			c[1], c[2] = v.Row, v.Col
		}
		for _, t := range c {
			if t == nil {
				return fmt.Errorf("%w: sparse component missing", tenso.ErrInvalid)
			}
			if err := w.Value(t, depth+1); err != nil {
				return err
			}
		}
	case *tenso.IPCRef:
		w.Put(uint32(tenso.KindIPCRef))
		w.ref(v.Handle[:])
		w.put64(v.Offset)
		w.put64(v.NBytes)
		w.ref(v.DeviceUUID[:])
	default:
		return fmt.Errorf("%w: unsupported value %T", tenso.ErrInvalid, v)
	}
	return nil
}

// Reader builds a tenso.Value from layout words. Every word and range is
// bounds-checked: bad words give an ErrInvalid error, never a panic.
type Reader struct {
	Words []byte // little-endian words, the value's first word at Words[0]
	// Ref resolves a ref of n > 0 bytes (an empty ref is []byte{}).
	Ref func(src, off, n uint32) ([]byte, error)
	// MaxDepth bounds the nesting (0: tenso.DefaultMaxDepth).
	MaxDepth int
	pos      int
}

func (r *Reader) word() (uint32, error) {
	if r.pos < 0 || r.pos+4 > len(r.Words) {
		return 0, ErrMalformed
	}
	v := binary.LittleEndian.Uint32(r.Words[r.pos:])
	r.pos += 4
	return v, nil
}

func (r *Reader) words(m []uint32) error {
	for i := range m {
		var err error
		if m[i], err = r.word(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reader) ref() ([]byte, error) {
	var w [3]uint32
	if err := r.words(w[:]); err != nil {
		return nil, err
	}
	if w[2] == 0 {
		return []byte{}, nil
	}
	return r.Ref(w[0], w[1], w[2])
}

func (r *Reader) shape() ([]int, error) {
	nd, err := r.word()
	if err != nil {
		return nil, err
	}
	if nd > tenso.DefaultMaxDims {
		return nil, fmt.Errorf("%w: %d dimensions (at most %d)", tenso.ErrInvalid, nd, tenso.DefaultMaxDims)
	}
	s := make([]int, nd)
	for i := range s {
		d, err := r.word()
		if err != nil {
			return nil, err
		}
		s[i] = int(d)
	}
	return s, nil
}

func (r *Reader) tensor(depth int) (*tenso.Tensor, error) {
	v, err := r.value(depth)
	if err != nil {
		return nil, err
	}
	t, ok := v.(*tenso.Tensor)
	if !ok {
		return nil, fmt.Errorf("%w: expected a dense tensor, got %s", tenso.ErrInvalid, v.Kind())
	}
	return t, nil
}

// Value reads the value described from the start of Words.
func (r *Reader) Value() (tenso.Value, error) {
	r.pos = 0
	return r.value(0)
}

func (r *Reader) value(depth int) (tenso.Value, error) {
	maxDepth := r.MaxDepth
	if maxDepth <= 0 {
		maxDepth = tenso.DefaultMaxDepth
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", tenso.ErrInvalid, maxDepth)
	}
	k, err := r.word()
	if err != nil {
		return nil, err
	}
	switch tenso.Kind(k) {
	case tenso.KindDense, tenso.KindQuantized:
		dt, err := r.word()
		if err != nil {
			return nil, err
		}
		s, err := r.shape()
		if err != nil {
			return nil, err
		}
		if tenso.Kind(k) == tenso.KindDense {
			d, err := r.ref()
			if err != nil {
				return nil, err
			}
			return &tenso.Tensor{DType: tenso.DType(dt), Shape: s, Data: d}, nil
		}
		var m [4]uint32
		if err := r.words(m[:]); err != nil {
			return nil, err
		}
		var refs [3][]byte
		for i := range refs {
			if refs[i], err = r.ref(); err != nil {
				return nil, err
			}
		}
		if len(refs[0]) != 4*int(m[3]) || len(refs[1]) != 4*int(m[3]) {
			return nil, fmt.Errorf("%w: scales and zero points must hold %d float32 values each", tenso.ErrInvalid, m[3])
		}
		return &tenso.Quantized{DType: tenso.DType(dt), Shape: s, Scheme: tenso.Scheme(m[0]),
			Axis: int(int32(m[1])), GroupSize: int(m[2]), Scales: f32s(refs[0]), ZeroPoints: f32s(refs[1]), Data: refs[2]}, nil
	case tenso.KindString:
		var m [2]uint32
		if err := r.words(m[:]); err != nil {
			return nil, err
		}
		off, err := r.ref()
		if err != nil {
			return nil, err
		}
		pay, err := r.ref()
		if err != nil {
			return nil, err
		}
		if len(off) != 8*(int(m[1])+1) {
			return nil, fmt.Errorf("%w: string offsets must hold count+1 u64 values", tenso.ErrInvalid)
		}
		return &tenso.Strings{DType: tenso.DType(m[0]), Offsets: off, Payload: pay}, nil
	case tenso.KindRagged, tenso.KindRaggedFrame:
		fd, err := r.word()
		if err != nil {
			return nil, err
		}
		sp, err := r.tensor(depth + 1)
		if err != nil {
			return nil, err
		}
		fl, err := r.tensor(depth + 1)
		if err != nil {
			return nil, err
		}
		return &tenso.Ragged{Splits: sp, Flat: fl, Framed: tenso.Kind(k) == tenso.KindRaggedFrame, FrameDType: tenso.DType(fd)}, nil
	case tenso.KindBundle:
		n, err := r.word()
		if err != nil {
			return nil, err
		}
		if int(n) > len(r.Words)/16 {
			return nil, ErrMalformed
		}
		b := &tenso.Bundle{Entries: make([]tenso.Entry, 0, n)}
		for i := uint32(0); i < n; i++ {
			key, err := r.ref()
			if err != nil {
				return nil, err
			}
			v, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			b.Entries = append(b.Entries, tenso.Entry{Key: string(key), Value: v})
		}
		return b, nil
	case tenso.KindSparseCOO, tenso.KindSparseCSR, tenso.KindSparseCSC:
		var dims [2]uint32
		if err := r.words(dims[:]); err != nil {
			return nil, err
		}
		var c [3]*tenso.Tensor
		for i := range c {
			if c[i], err = r.tensor(depth + 1); err != nil {
				return nil, err
			}
		}
		s := &tenso.Sparse{Shape: []int{int(dims[0]), int(dims[1])}, Data: c[0]}
		switch tenso.Kind(k) {
		case tenso.KindSparseCOO:
			s.Format, s.Row, s.Col = tenso.COO, c[1], c[2]
		case tenso.KindSparseCSR:
			s.Format, s.Indices, s.Indptr = tenso.CSR, c[1], c[2]
		default:
			s.Format, s.Indices, s.Indptr = tenso.CSC, c[1], c[2]
		}
		return s, nil
	case tenso.KindIPCRef:
		h, err := r.ref()
		if err != nil {
			return nil, err
		}
		var m [4]uint32
		if err := r.words(m[:]); err != nil {
			return nil, err
		}
		u, err := r.ref()
		if err != nil {
			return nil, err
		}
		if len(h) != 64 || len(u) != 16 {
			return nil, fmt.Errorf("%w: an IPC reference needs a 64-byte handle and a 16-byte device UUID", tenso.ErrInvalid)
		}
		v := &tenso.IPCRef{Offset: uint64(m[0]) | uint64(m[1])<<32, NBytes: uint64(m[2]) | uint64(m[3])<<32}
		copy(v.Handle[:], h)
		copy(v.DeviceUUID[:], u)
		return v, nil
	}
	return nil, fmt.Errorf("%w: unknown value kind %d", tenso.ErrInvalid, k)
}

// f32s copies little-endian float32 bytes (the region may be unaligned).
func f32s(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
