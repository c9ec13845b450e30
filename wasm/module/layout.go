//go:build wasip1

package main

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/tenso-go/tenso/core"
)

// Layout: a value tree as little-endian u32 words. A ref is three words
// (src, offset, length). Nodes, by kind code (core.Kind):
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
//
// js/index.js and wasm/host read and write the same words.
const (
	srcInput = 0 // offset into the caller's packet (decode) or region (encode)
	srcWasm  = 1 // absolute address in the module's memory
)

type layoutWriter struct {
	w       []uint32
	base, n uintptr // the input packet, for src classification
}

func (w *layoutWriter) put(v ...uint32) { w.w = append(w.w, v...) }
func (w *layoutWriter) put64(v uint64)  { w.w = append(w.w, uint32(v), uint32(v>>32)) }

func (w *layoutWriter) bytes() []byte {
	if len(w.w) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&w.w[0])), 4*len(w.w))
}

func (w *layoutWriter) ref(b []byte) {
	if len(b) == 0 {
		w.put(srcInput, 0, 0)
		return
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if p >= w.base && p-w.base+uintptr(len(b)) <= w.n {
		w.put(srcInput, uint32(p-w.base), uint32(len(b)))
		return
	}
	w.put(srcWasm, uint32(p), uint32(len(b)))
}

func f32bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 4*len(f))
}

func (w *layoutWriter) shape(s []int) {
	w.put(uint32(len(s)))
	for _, d := range s {
		w.put(uint32(d))
	}
}

func (w *layoutWriter) value(v core.Value) {
	switch v := v.(type) {
	case *core.Tensor:
		w.put(uint32(core.KindDense), uint32(v.DType))
		w.shape(v.Shape)
		w.ref(v.Data)
	case *core.Quantized:
		w.put(uint32(core.KindQuantized), uint32(v.DType))
		w.shape(v.Shape)
		w.put(uint32(v.Scheme), uint32(v.Axis), uint32(v.GroupSize), uint32(len(v.Scales)))
		w.ref(f32bytes(v.Scales))
		w.ref(f32bytes(v.ZeroPoints))
		w.ref(v.Data)
	case *core.Strings:
		w.put(uint32(core.KindString), uint32(v.DType), uint32(v.Len()))
		w.ref(v.Offsets)
		w.ref(v.Payload)
	case *core.Ragged:
		w.put(uint32(v.Kind()), uint32(v.FrameDType))
		w.value(v.Splits)
		w.value(v.Flat)
	case *core.Bundle:
		w.put(uint32(core.KindBundle), uint32(len(v.Entries)))
		for _, e := range v.Entries {
			w.ref(unsafe.Slice(unsafe.StringData(e.Key), len(e.Key)))
			w.value(e.Value)
		}
	case *core.Sparse:
		rows, cols := 0, 0
		if len(v.Shape) == 2 {
			rows, cols = v.Shape[0], v.Shape[1]
		}
		w.put(uint32(v.Kind()), uint32(rows), uint32(cols))
		w.value(v.Data)
		if v.Format == core.COO {
			w.value(v.Row)
			w.value(v.Col)
		} else {
			w.value(v.Indices)
			w.value(v.Indptr)
		}
	case *core.IPCRef:
		w.put(uint32(core.KindIPCRef))
		w.ref(v.Handle[:])
		w.put64(v.Offset)
		w.put64(v.NBytes)
		w.ref(v.DeviceUUID[:])
	default:
		// Unreachable for values from core.Decode; an empty bundle keeps
		// the layout well formed.
		w.put(uint32(core.KindBundle), 0)
	}
}

// layoutReader builds a core.Value from layout words whose refs (src 0)
// point into buf. Every word and range is bounds-checked: a bad layout is
// an ErrInvalid error, never a trap.
type layoutReader struct {
	buf []byte
	pos int
}

var errLayout = fmt.Errorf("%w: malformed value description", core.ErrInvalid)

const maxLayoutDepth = core.DefaultMaxDepth

func (r *layoutReader) word() (uint32, error) {
	if r.pos < 0 || r.pos+4 > len(r.buf) {
		return 0, errLayout
	}
	v := uint32(r.buf[r.pos]) | uint32(r.buf[r.pos+1])<<8 | uint32(r.buf[r.pos+2])<<16 | uint32(r.buf[r.pos+3])<<24
	r.pos += 4
	return v, nil
}

func (r *layoutReader) words(n int) ([]uint32, error) {
	out := make([]uint32, n)
	for i := range out {
		v, err := r.word()
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (r *layoutReader) ref() ([]byte, error) {
	w, err := r.words(3)
	if err != nil {
		return nil, err
	}
	if w[2] == 0 {
		return []byte{}, nil
	}
	if w[0] != srcInput || uint64(w[1])+uint64(w[2]) > uint64(len(r.buf)) {
		return nil, errLayout
	}
	return r.buf[w[1] : w[1]+w[2] : w[1]+w[2]], nil
}

func (r *layoutReader) shape() ([]int, error) {
	nd, err := r.word()
	if err != nil {
		return nil, err
	}
	if nd > core.DefaultMaxDims {
		return nil, fmt.Errorf("%w: %d dimensions (at most %d)", core.ErrInvalid, nd, core.DefaultMaxDims)
	}
	d, err := r.words(int(nd))
	if err != nil {
		return nil, err
	}
	s := make([]int, nd)
	for i, x := range d {
		s[i] = int(x)
	}
	return s, nil
}

func (r *layoutReader) tensor(depth int) (*core.Tensor, error) {
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

func (r *layoutReader) value(depth int) (core.Value, error) {
	if depth > maxLayoutDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", core.ErrInvalid, maxLayoutDepth)
	}
	k, err := r.word()
	if err != nil {
		return nil, err
	}
	switch core.Kind(k) {
	case core.KindDense:
		dt, err := r.word()
		if err != nil {
			return nil, err
		}
		s, err := r.shape()
		if err != nil {
			return nil, err
		}
		d, err := r.ref()
		if err != nil {
			return nil, err
		}
		return &core.Tensor{DType: core.DType(dt), Shape: s, Data: d}, nil
	case core.KindQuantized:
		dt, err := r.word()
		if err != nil {
			return nil, err
		}
		s, err := r.shape()
		if err != nil {
			return nil, err
		}
		m, err := r.words(4)
		if err != nil {
			return nil, err
		}
		sc, err := r.ref()
		if err != nil {
			return nil, err
		}
		zp, err := r.ref()
		if err != nil {
			return nil, err
		}
		d, err := r.ref()
		if err != nil {
			return nil, err
		}
		if len(sc) != 4*int(m[3]) || len(zp) != 4*int(m[3]) {
			return nil, fmt.Errorf("%w: scales and zero points must hold %d float32 values each", core.ErrInvalid, m[3])
		}
		return &core.Quantized{DType: core.DType(dt), Shape: s, Scheme: core.Scheme(m[0]),
			Axis: int(int32(m[1])), GroupSize: int(m[2]), Scales: f32s(sc), ZeroPoints: f32s(zp), Data: d}, nil
	case core.KindString:
		m, err := r.words(2)
		if err != nil {
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
		if int(n) > len(r.buf)/16 {
			return nil, errLayout
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
		dims, err := r.words(2)
		if err != nil {
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
		m, err := r.words(4)
		if err != nil {
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
		out[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
	}
	return out
}
