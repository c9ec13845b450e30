package host

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/tenso-go/tenso"
	"github.com/tetratelabs/wazero/api"
)

// The layout words are those of wasm/module/layout.go.

var errBadLayout = errors.New("tenso: wasm module returned a malformed layout")

type layoutReader struct {
	words  []byte
	pos    int
	packet []byte
	mem    api.Memory
}

func (r *layoutReader) word() (uint32, error) {
	if r.pos+4 > len(r.words) {
		return 0, errBadLayout
	}
	v := binary.LittleEndian.Uint32(r.words[r.pos:])
	r.pos += 4
	return v, nil
}

func (r *layoutReader) n(k int) ([]uint32, error) {
	out := make([]uint32, k)
	for i := range out {
		var err error
		if out[i], err = r.word(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ref returns src-0 ranges as views into the caller's packet and copies
// src-1 ranges out of the module's memory.
func (r *layoutReader) ref() ([]byte, error) {
	w, err := r.n(3)
	if err != nil {
		return nil, err
	}
	switch {
	case w[2] == 0:
		return []byte{}, nil
	case w[0] == 0:
		if uint64(w[1])+uint64(w[2]) > uint64(len(r.packet)) {
			return nil, errBadLayout
		}
		return r.packet[w[1] : w[1]+w[2] : w[1]+w[2]], nil
	case w[0] == 1:
		b, ok := readMemory(r.mem, w[1], w[2])
		if !ok {
			return nil, errBadLayout
		}
		return b, nil
	}
	return nil, errBadLayout
}

func (r *layoutReader) shape() ([]int, error) {
	nd, err := r.word()
	if err != nil {
		return nil, err
	}
	if nd > 64 {
		return nil, errBadLayout
	}
	d, err := r.n(int(nd))
	if err != nil {
		return nil, err
	}
	s := make([]int, nd)
	for i, x := range d {
		s[i] = int(x)
	}
	return s, nil
}

func (r *layoutReader) tensor(depth int) (*tenso.Tensor, error) {
	v, err := r.value(depth)
	if err != nil {
		return nil, err
	}
	t, ok := v.(*tenso.Tensor)
	if !ok {
		return nil, errBadLayout
	}
	return t, nil
}

func floats(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func (r *layoutReader) value(depth int) (tenso.Value, error) {
	if depth > 70 {
		return nil, errBadLayout
	}
	k, err := r.word()
	if err != nil {
		return nil, err
	}
	switch tenso.Kind(k) {
	case tenso.KindDense:
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
		return &tenso.Tensor{DType: tenso.DType(dt), Shape: s, Data: d}, nil
	case tenso.KindQuantized:
		dt, err := r.word()
		if err != nil {
			return nil, err
		}
		s, err := r.shape()
		if err != nil {
			return nil, err
		}
		m, err := r.n(4)
		if err != nil {
			return nil, err
		}
		var refs [3][]byte
		for i := range refs {
			if refs[i], err = r.ref(); err != nil {
				return nil, err
			}
		}
		return &tenso.Quantized{DType: tenso.DType(dt), Shape: s, Scheme: tenso.Scheme(m[0]), Axis: int(int32(m[1])),
			GroupSize: int(m[2]), Scales: floats(refs[0]), ZeroPoints: floats(refs[1]), Data: refs[2]}, nil
	case tenso.KindString:
		m, err := r.n(2)
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
			return nil, errBadLayout
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
		if int(n) > len(r.words)/16 {
			return nil, errBadLayout
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
		dims, err := r.n(2)
		if err != nil {
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
		m, err := r.n(4)
		if err != nil {
			return nil, err
		}
		u, err := r.ref()
		if err != nil {
			return nil, err
		}
		if len(h) != 64 || len(u) != 16 {
			return nil, errBadLayout
		}
		v := &tenso.IPCRef{Offset: uint64(m[0]) | uint64(m[1])<<32, NBytes: uint64(m[2]) | uint64(m[3])<<32}
		copy(v.Handle[:], h)
		copy(v.DeviceUUID[:], u)
		return v, nil
	}
	return nil, errBadLayout
}

// layoutBuilder writes a value description whose refs (src 0) are offsets
// into the same region, after the words.
type layoutBuilder struct {
	words []uint32
	blobs []blob
}

type blob struct {
	at int // word index of the ref
	b  []byte
}

func (b *layoutBuilder) put(v ...uint32) { b.words = append(b.words, v...) }

func (b *layoutBuilder) ref(p []byte) {
	b.blobs = append(b.blobs, blob{len(b.words), p})
	b.put(0, 0, uint32(len(p)))
}

func (b *layoutBuilder) shape(s []int) error {
	b.put(uint32(len(s)))
	for _, d := range s {
		if d < 0 || d > math.MaxUint32 {
			return fmt.Errorf("%w: dimension %d", tenso.ErrInvalid, d)
		}
		b.put(uint32(d))
	}
	return nil
}

func f32le(f []float32) []byte {
	out := make([]byte, 4*len(f))
	for i, x := range f {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}

func (b *layoutBuilder) value(v tenso.Value, depth int) error {
	if depth > 64 {
		return fmt.Errorf("%w: nesting deeper than 64", tenso.ErrInvalid)
	}
	switch v := v.(type) {
	case *tenso.Tensor:
		b.put(uint32(tenso.KindDense), uint32(v.DType))
		if err := b.shape(v.Shape); err != nil {
			return err
		}
		b.ref(v.Data)
	case *tenso.Quantized:
		b.put(uint32(tenso.KindQuantized), uint32(v.DType))
		if err := b.shape(v.Shape); err != nil {
			return err
		}
		if len(v.Scales) != len(v.ZeroPoints) {
			return fmt.Errorf("%w: %d scales but %d zero points", tenso.ErrInvalid, len(v.Scales), len(v.ZeroPoints))
		}
		b.put(uint32(v.Scheme), uint32(int32(v.Axis)), uint32(v.GroupSize), uint32(len(v.Scales)))
		b.ref(f32le(v.Scales))
		b.ref(f32le(v.ZeroPoints))
		b.ref(v.Data)
	case *tenso.Strings:
		b.put(uint32(tenso.KindString), uint32(v.DType), uint32(v.Len()))
		b.ref(v.Offsets)
		b.ref(v.Payload)
	case *tenso.Ragged:
		if v.Splits == nil || v.Flat == nil {
			return fmt.Errorf("%w: ragged value without splits or flat", tenso.ErrInvalid)
		}
		b.put(uint32(v.Kind()), uint32(v.FrameDType))
		if err := b.value(v.Splits, depth+1); err != nil {
			return err
		}
		return b.value(v.Flat, depth+1)
	case *tenso.Bundle:
		b.put(uint32(tenso.KindBundle), uint32(len(v.Entries)))
		for _, e := range v.Entries {
			b.ref([]byte(e.Key))
			if err := b.value(e.Value, depth+1); err != nil {
				return err
			}
		}
	case *tenso.Sparse:
		if len(v.Shape) != 2 {
			return fmt.Errorf("%w: sparse shape must have two dims", tenso.ErrInvalid)
		}
		b.put(uint32(v.Kind()), uint32(v.Shape[0]), uint32(v.Shape[1]))
		c := [3]*tenso.Tensor{v.Data, v.Indices, v.Indptr}
		if v.Format == tenso.COO {
			c[1], c[2] = v.Row, v.Col
		}
		for _, t := range c {
			if t == nil {
				return fmt.Errorf("%w: sparse component missing", tenso.ErrInvalid)
			}
			if err := b.value(t, depth+1); err != nil {
				return err
			}
		}
	case *tenso.IPCRef:
		b.put(uint32(tenso.KindIPCRef))
		b.ref(v.Handle[:])
		b.put(uint32(v.Offset), uint32(v.Offset>>32), uint32(v.NBytes), uint32(v.NBytes>>32))
		b.ref(v.DeviceUUID[:])
	default:
		return fmt.Errorf("%w: unsupported value %T", tenso.ErrInvalid, v)
	}
	return nil
}

// region lays out the words, then each blob at an 8-aligned offset.
func (b *layoutBuilder) region() []byte {
	size := 4 * len(b.words)
	for _, bl := range b.blobs {
		size = (size + 7) &^ 7
		b.words[bl.at+1] = uint32(size)
		size += len(bl.b)
	}
	out := make([]byte, size)
	for i, w := range b.words {
		binary.LittleEndian.PutUint32(out[4*i:], w)
	}
	for _, bl := range b.blobs {
		copy(out[b.words[bl.at+1]:], bl.b)
	}
	return out
}
