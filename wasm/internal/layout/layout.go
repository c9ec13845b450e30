// Package layout is the value description that crosses the boundary of the
// Tenso wasm module: a value tree as little-endian u32 words. The module
// (wasm/module) writes it for tenso_decode and reads it for tenso_encode
// and tenso_dequantize; the wazero host (wasm/host) does the opposite.
// js/index.js reads and writes the same words.
//
// A ref is three words (src, offset, length). Nodes, by kind code
// (core.Kind):
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

	"github.com/tenso-go/tenso/core"
)

// Ref sources.
const (
	SrcInput = 0 // offset into the caller's packet (decode) or region (encode)
	SrcWasm  = 1 // absolute address in the module's memory
)

// ErrMalformed is the error for words that do not describe a value.
var ErrMalformed = fmt.Errorf("%w: malformed value description", core.ErrInvalid)

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
			return fmt.Errorf("%w: dimension %d", core.ErrInvalid, d)
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
// the top). Values from core.Decode always describe; others may be
// refused with an ErrInvalid error.
func (w *Writer) Value(v core.Value, depth int) error {
	if depth > core.DefaultMaxDepth {
		return fmt.Errorf("%w: nesting deeper than %d", core.ErrInvalid, core.DefaultMaxDepth)
	}
	switch v := v.(type) {
	case *core.Tensor:
		w.Put(uint32(core.KindDense), uint32(v.DType))
		if err := w.shape(v.Shape); err != nil {
			return err
		}
		w.ref(v.Data)
	case *core.Quantized:
		w.Put(uint32(core.KindQuantized), uint32(v.DType))
		if err := w.shape(v.Shape); err != nil {
			return err
		}
		if len(v.Scales) != len(v.ZeroPoints) {
			return fmt.Errorf("%w: %d scales but %d zero points", core.ErrInvalid, len(v.Scales), len(v.ZeroPoints))
		}
		w.Put(uint32(v.Scheme), uint32(int32(v.Axis)), uint32(v.GroupSize), uint32(len(v.Scales)))
		w.ref(F32Bytes(v.Scales))
		w.ref(F32Bytes(v.ZeroPoints))
		w.ref(v.Data)
	case *core.Strings:
		w.Put(uint32(core.KindString), uint32(v.DType), uint32(v.Len()))
		w.ref(v.Offsets)
		w.ref(v.Payload)
	case *core.Ragged:
		if v.Splits == nil || v.Flat == nil {
			return fmt.Errorf("%w: ragged value without splits or flat", core.ErrInvalid)
		}
		w.Put(uint32(v.Kind()), uint32(v.FrameDType))
		if err := w.Value(v.Splits, depth+1); err != nil {
			return err
		}
		return w.Value(v.Flat, depth+1)
	case *core.Bundle:
		w.Put(uint32(core.KindBundle), uint32(len(v.Entries)))
		for _, e := range v.Entries {
			w.ref([]byte(e.Key))
			if err := w.Value(e.Value, depth+1); err != nil {
				return err
			}
		}
	case *core.Sparse:
		if len(v.Shape) != 2 {
			return fmt.Errorf("%w: sparse shape must have two dims", core.ErrInvalid)
		}
		w.Put(uint32(v.Kind()), uint32(v.Shape[0]), uint32(v.Shape[1]))
		c := [3]*core.Tensor{v.Data, v.Indices, v.Indptr}
		if v.Format == core.COO {
			c[1], c[2] = v.Row, v.Col
		}
		for _, t := range c {
			if t == nil {
				return fmt.Errorf("%w: sparse component missing", core.ErrInvalid)
			}
			if err := w.Value(t, depth+1); err != nil {
				return err
			}
		}
	case *core.IPCRef:
		w.Put(uint32(core.KindIPCRef))
		w.ref(v.Handle[:])
		w.put64(v.Offset)
		w.put64(v.NBytes)
		w.ref(v.DeviceUUID[:])
	default:
		return fmt.Errorf("%w: unsupported value %T", core.ErrInvalid, v)
	}
	return nil
}

// Reader builds a core.Value from layout words. Every word and range is
// bounds-checked: bad words give an ErrInvalid error, never a panic.
type Reader struct {
	Words []byte // little-endian words, the value's first word at Words[0]
	// Ref resolves a ref of n > 0 bytes (an empty ref is []byte{}).
	Ref func(src, off, n uint32) ([]byte, error)
	// MaxDepth bounds the nesting (0: core.DefaultMaxDepth).
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
	if nd > core.DefaultMaxDims {
		return nil, fmt.Errorf("%w: %d dimensions (at most %d)", core.ErrInvalid, nd, core.DefaultMaxDims)
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

func (r *Reader) tensor(depth int) (*core.Tensor, error) {
	v, err := r.value(depth)
	if err != nil {
		return nil, err
	}
	t, ok := v.(*core.Tensor)
	if !ok {
		return nil, fmt.Errorf("%w: expected a dense tensor, got %s", core.ErrInvalid, v.Kind())
	}
	return t, nil
}

// Value reads the value described from the start of Words.
func (r *Reader) Value() (core.Value, error) {
	r.pos = 0
	return r.value(0)
}

func (r *Reader) value(depth int) (core.Value, error) {
	maxDepth := r.MaxDepth
	if maxDepth <= 0 {
		maxDepth = core.DefaultMaxDepth
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", core.ErrInvalid, maxDepth)
	}
	k, err := r.word()
	if err != nil {
		return nil, err
	}
	switch core.Kind(k) {
	case core.KindDense, core.KindQuantized:
		dt, err := r.word()
		if err != nil {
			return nil, err
		}
		s, err := r.shape()
		if err != nil {
			return nil, err
		}
		if core.Kind(k) == core.KindDense {
			d, err := r.ref()
			if err != nil {
				return nil, err
			}
			return &core.Tensor{DType: core.DType(dt), Shape: s, Data: d}, nil
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
			return nil, fmt.Errorf("%w: scales and zero points must hold %d float32 values each", core.ErrInvalid, m[3])
		}
		return &core.Quantized{DType: core.DType(dt), Shape: s, Scheme: core.Scheme(m[0]),
			Axis: int(int32(m[1])), GroupSize: int(m[2]), Scales: f32s(refs[0]), ZeroPoints: f32s(refs[1]), Data: refs[2]}, nil
	case core.KindString:
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
			return nil, fmt.Errorf("%w: string offsets must hold count+1 u64 values", core.ErrInvalid)
		}
		return &core.Strings{DType: core.DType(m[0]), Offsets: off, Payload: pay}, nil
	case core.KindRagged, core.KindRaggedFrame:
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
		return &core.Ragged{Splits: sp, Flat: fl, Framed: core.Kind(k) == core.KindRaggedFrame, FrameDType: core.DType(fd)}, nil
	case core.KindBundle:
		n, err := r.word()
		if err != nil {
			return nil, err
		}
		if int(n) > len(r.Words)/16 {
			return nil, ErrMalformed
		}
		b := &core.Bundle{Entries: make([]core.Entry, 0, n)}
		for i := uint32(0); i < n; i++ {
			key, err := r.ref()
			if err != nil {
				return nil, err
			}
			v, err := r.value(depth + 1)
			if err != nil {
				return nil, err
			}
			b.Entries = append(b.Entries, core.Entry{Key: string(key), Value: v})
		}
		return b, nil
	case core.KindSparseCOO, core.KindSparseCSR, core.KindSparseCSC:
		var dims [2]uint32
		if err := r.words(dims[:]); err != nil {
			return nil, err
		}
		var c [3]*core.Tensor
		for i := range c {
			if c[i], err = r.tensor(depth + 1); err != nil {
				return nil, err
			}
		}
		s := &core.Sparse{Shape: []int{int(dims[0]), int(dims[1])}, Data: c[0]}
		switch core.Kind(k) {
		case core.KindSparseCOO:
			s.Format, s.Row, s.Col = core.COO, c[1], c[2]
		case core.KindSparseCSR:
			s.Format, s.Indices, s.Indptr = core.CSR, c[1], c[2]
		default:
			s.Format, s.Indices, s.Indptr = core.CSC, c[1], c[2]
		}
		return s, nil
	case core.KindIPCRef:
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
			return nil, fmt.Errorf("%w: an IPC reference needs a 64-byte handle and a 16-byte device UUID", core.ErrInvalid)
		}
		v := &core.IPCRef{Offset: uint64(m[0]) | uint64(m[1])<<32, NBytes: uint64(m[2]) | uint64(m[3])<<32}
		copy(v.Handle[:], h)
		copy(v.DeviceUUID[:], u)
		return v, nil
	}
	return nil, fmt.Errorf("%w: unknown value kind %d", core.ErrInvalid, k)
}

// f32s copies little-endian float32 bytes (the region may be unaligned).
func f32s(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
