package core

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// AppendDenseHeader writes exactly Encode's bytes before the body, at any
// position in dst, for every alignment and flag; DenseWriter writes
// exactly Encode's packet from pieces.
func TestAppendDenseHeaderMatchesEncode(t *testing.T) {
	shapes := [][]int{{}, {0}, {3}, {2, 3}, {1, 1, 1, 1, 5}}
	for _, shape := range shapes {
		n := 1
		for _, d := range shape {
			n *= d
		}
		for _, dt := range []DType{Uint8, Float32, Complex128, BFloat16} {
			data := make([]byte, n*dt.ItemSize())
			for i := range data {
				data[i] = byte(i*7 + 1)
			}
			tt := tensorOf(dt, shape, data)
			for _, o := range []Options{{}, {Integrity: true}, {Alignment: 1}, {Alignment: 8, Integrity: true}, {Alignment: 4096}} {
				want := mustEncode(t, tt, o)
				info, err := Inspect(want)
				if err != nil {
					t.Fatal(err)
				}
				for _, prefix := range [][]byte{nil, []byte("xyz")} {
					got, err := AppendDenseHeader(bytes.Clone(prefix), dt, shape, o)
					if err != nil {
						t.Fatalf("%s %v %+v: %v", dt, shape, o, err)
					}
					if !bytes.Equal(got[len(prefix):], want[:info.BodyOffset]) {
						t.Fatalf("%s %v %+v: header % x, Encode % x", dt, shape, o, got[len(prefix):], want[:info.BodyOffset])
					}
				}
				var buf bytes.Buffer
				w, err := NewDenseWriter(&buf, dt, shape, o)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < len(data); i += 5 {
					if _, err := w.Write(data[i:min(i+5, len(data))]); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want) || w.Size() != int64(len(want)) {
					t.Fatalf("%s %v %+v: DenseWriter wrote %d bytes (Size %d), Encode %d", dt, shape, o, buf.Len(), w.Size(), len(want))
				}
			}
		}
	}
}

func TestDenseWriterMisuse(t *testing.T) {
	for _, tc := range []struct {
		dt    DType
		shape []int
		o     Options
	}{
		{QInt8, []int{2}, Options{}},
		{Float32, []int{2}, Options{Compress: true}},
		{Float32, []int{-1}, Options{}},
		{Float32, []int{2}, Options{Alignment: 3}},
		{Float32, make([]int, 33), Options{}},
	} {
		if _, err := AppendDenseHeader(nil, tc.dt, tc.shape, tc.o); err == nil {
			t.Errorf("AppendDenseHeader(%s, %v, %+v) accepted", tc.dt, tc.shape, tc.o)
		}
		var buf bytes.Buffer
		if _, err := NewDenseWriter(&buf, tc.dt, tc.shape, tc.o); err == nil || buf.Len() != 0 {
			t.Errorf("NewDenseWriter(%s, %v, %+v): %v, wrote %d bytes", tc.dt, tc.shape, tc.o, err, buf.Len())
		}
	}
	var buf bytes.Buffer
	w, _ := NewDenseWriter(&buf, Float32, []int{2}, Options{Integrity: true})
	if _, err := w.Write(make([]byte, 9)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("writing past the body: %v", err)
	}
	if _, err := w.Write(make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("closing a short body: %v", err)
	}
}

// ReadHeader + Body stream every golden dense and quantized packet's body
// byte for byte, verify footers, and leave the stream at the next packet.
func TestReadHeaderBody(t *testing.T) {
	for _, g := range goldenFiles(t) {
		in, err := Inspect(g.data)
		if err != nil || !(in.Kind == KindDense && !in.Compressed || in.Kind == KindQuantized) {
			continue
		}
		v, err := Decode(g.data)
		if err != nil {
			t.Fatal(err)
		}
		var body []byte
		switch x := v.(type) {
		case *Tensor:
			body = x.Data
		case *Quantized:
			body = x.Data
		}
		next := mustEncode(t, tensorOf(Uint8, []int{2}, []byte{1, 2}), Options{})
		stream := append(bytes.Clone(g.data), next...)
		for _, src := range []io.Reader{bytes.NewReader(stream), iotest.OneByteReader(bytes.NewReader(stream))} {
			r := NewReader(src)
			got, err := r.ReadHeader()
			if err != nil {
				t.Fatalf("%s: %v", g.name, err)
			}
			got.Parts = nil
			if got.DataSize != in.DataSize || got.BodyOffset != in.BodyOffset || got.Kind != in.Kind {
				t.Fatalf("%s: ReadHeader %+v, Inspect %+v", g.name, got, in)
			}
			b, err := io.ReadAll(r.Body())
			if err != nil || !bytes.Equal(b, body) {
				t.Fatalf("%s: body %d bytes, %v", g.name, len(b), err)
			}
			if v, err := r.Read(); err != nil || v.(*Tensor).Data[1] != 2 {
				t.Fatalf("%s: the next packet: %v %v", g.name, v, err)
			}
		}
		// A corrupt body fails when read to the end; skipping it (by
		// seeking, or by reading when the source cannot seek) does not
		// verify it, and the next packet follows.
		if in.Integrity && len(body) > 0 {
			bad := bytes.Clone(stream)
			bad[in.BodyOffset] ^= 1
			r := NewReader(bytes.NewReader(bad))
			_, _ = r.ReadHeader()
			if _, err := io.ReadAll(r.Body()); !errors.Is(err, ErrChecksum) {
				t.Fatalf("%s: reading a corrupt body: %v", g.name, err)
			}
			for _, src := range []io.Reader{bytes.NewReader(bad), plainReader{bytes.NewReader(bad)}} {
				r := NewReader(src)
				if _, err := r.ReadHeader(); err != nil {
					t.Fatal(err)
				}
				if v, err := r.Read(); err != nil || v.(*Tensor).Data[1] != 2 {
					t.Fatalf("%s: skipping a body (%T): %v", g.name, src, err)
				}
			}
		}
		// Truncated in the body: io.ErrUnexpectedEOF.
		r := NewReader(bytes.NewReader(g.data[:len(g.data)-1]))
		if _, err := r.ReadHeader(); err == nil {
			if _, err := io.ReadAll(r.Body()); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%s: truncated body: %v", g.name, err)
			}
		}
	}
}

func TestReadHeaderRefuses(t *testing.T) {
	s := mustEncode(t, NewStrings("a"), Options{})
	if _, err := NewReader(bytes.NewReader(s)).ReadHeader(); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("strings: %v", err)
	}
	c := mustEncode(t, tensorOf(Uint8, []int{1}, []byte{1}), Options{Compress: true})
	if _, err := NewReader(bytes.NewReader(c)).ReadHeader(); !errors.Is(err, ErrUnframed) {
		t.Fatalf("compressed: %v", err)
	}
	if _, err := NewReader(bytes.NewReader(nil)).ReadHeader(); err != io.EOF {
		t.Fatalf("empty stream: %v", err)
	}
}

// walk reads the value at r's position with the streaming API — entering
// bundles with ReadHeader/ReadEntry, streaming dense bodies (compressed
// ones too inside a bundle, framed is true there), Read for the rest — and
// rebuilds it.
func walk(t *testing.T, r *Reader, p []byte, framed bool) (Value, error) {
	in, err := Inspect(p)
	if err != nil {
		return nil, err
	}
	switch {
	case in.Kind == KindBundle:
		h, err := r.ReadHeader()
		if err != nil {
			return nil, err
		}
		tree, err := InspectTree(p, Limits{})
		if err != nil {
			return nil, err
		}
		b := &Bundle{Entries: []Entry{}}
		for i := 0; i < h.Count; i++ {
			k, err := r.ReadEntry()
			if err != nil {
				return nil, err
			}
			pt := tree.Parts[i]
			v, err := walk(t, r, p[pt.Offset:pt.Offset+pt.Len], true)
			if err != nil {
				return nil, err
			}
			b.Entries = append(b.Entries, Entry{Key: k, Value: v})
		}
		if rg, ok, err := asRagged(b, 0); ok || err != nil {
			return rg, err
		}
		return b, nil
	case in.Kind == KindDense && (!in.Compressed || framed):
		h, err := r.ReadHeader()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(r.Body())
		if err != nil {
			return nil, err
		}
		return &Tensor{DType: h.DType, Shape: h.Shape, Data: data}, nil
	}
	return r.Read()
}

// Every golden packet, alone and followed by another, streams through
// ReadHeader/ReadEntry/Body/Read to the value Decode gives.
func TestStreamBundles(t *testing.T) {
	next := mustEncode(t, tensorOf(Uint8, []int{2}, []byte{1, 2}), Options{})
	for _, g := range goldenFiles(t) {
		want, err := Decode(g.data)
		if err != nil {
			continue
		}
		if in, _ := Inspect(g.data); in.Kind == KindDense && in.Compressed {
			continue // unframed at top level
		}
		for _, src := range []io.Reader{bytes.NewReader(append(bytes.Clone(g.data), next...)),
			iotest.OneByteReader(bytes.NewReader(append(bytes.Clone(g.data), next...)))} {
			r := NewReader(src)
			got, err := walk(t, r, g.data, false)
			if err != nil {
				t.Fatalf("%s: %v", g.name, err)
			}
			a, _ := Encode(want, Options{})
			b, err := Encode(got, Options{})
			if err != nil || !bytes.Equal(a, b) {
				t.Fatalf("%s: streamed value differs from Decode's (%v)", g.name, err)
			}
			if v, err := r.Read(); err != nil || v.(*Tensor).Data[1] != 2 {
				t.Fatalf("%s: the next packet: %v", g.name, err)
			}
		}
	}
}

// Lies in a streamed bundle are errors, never a hang or a misread: a
// value length that disagrees with the value's framing, an entry count
// beyond the bytes, a nested bundle that ends early, truncation anywhere.
func TestStreamBundleLies(t *testing.T) {
	x := tensorOf(Float32, []int{2}, make([]byte, 8))
	inner := new(Bundle).Add("x", x)
	b := mustEncode(t, new(Bundle).Add("in", inner).Add("y", x), Options{Integrity: true})
	full := func(p []byte) error {
		r := NewReader(bytes.NewReader(p))
		_, err := walk(t, r, b, false) // walk follows the true layout
		return err
	}
	if err := full(b); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n++ {
		if err := full(b[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	tree, _ := InspectTree(b, Limits{})
	// The first entry's value length, one byte short and one long.
	lenAt := tree.Parts[0].Offset - 4
	for _, d := range []int{-1, 1} {
		bad := bytes.Clone(b)
		putU32(bad[lenAt:], uint32(tree.Parts[0].Len+d))
		if err := full(bad); err == nil {
			t.Fatalf("value length off by %d: no error", d)
		}
	}
	// Misuse: a value before its entry, an entry outside a bundle.
	r := NewReader(bytes.NewReader(b))
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Read before ReadEntry: %v", err)
	}
	if _, err := NewReader(bytes.NewReader(b)).ReadEntry(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ReadEntry outside a bundle: %v", err)
	}
	// Depth: nested bundles past MaxDepth.
	deep := claimingBundles(5, 1, mustEncode(t, x, Options{}))
	r = NewReaderLimits(bytes.NewReader(deep), Limits{MaxDepth: 3})
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		if _, err = r.ReadHeader(); err == nil {
			_, err = r.ReadEntry()
		}
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("nesting past MaxDepth: %v", err)
	}
}

// BundleWriter writes exactly Encode's bytes, streamed and whole values
// mixed, and refuses what Encode refuses.
func TestBundleWriter(t *testing.T) {
	x := tensorOf(Float32, []int{3}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	q := &Quantized{DType: QInt8, Shape: []int{2}, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: []byte{1, 2}}
	for _, o := range []Options{{}, {Integrity: true}, {Alignment: 16}} {
		want := mustEncode(t, new(Bundle).Add("x", x).Add("q", q).Add("ñ", x), o)
		var buf bytes.Buffer
		bw, err := NewBundleWriter(&buf, 3)
		if err != nil {
			t.Fatal(err)
		}
		d, err := bw.Dense("x", Float32, []int{3}, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := bw.Add("q", q, o); !errors.Is(err, ErrInvalid) {
			t.Fatalf("an entry before the open one is closed: %v", err)
		}
		_, _ = d.Write(x.Data[:5])
		_, _ = d.Write(x.Data[5:])
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if err := bw.Add("q", q, o); err != nil {
			t.Fatal(err)
		}
		if err := bw.Add("ñ", x, o); err != nil {
			t.Fatal(err)
		}
		if err := bw.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("%+v: BundleWriter wrote % x, Encode % x", o, buf.Bytes(), want)
		}
	}
	var buf bytes.Buffer
	bw, _ := NewBundleWriter(&buf, 2)
	if err := bw.Add("s", NewStrings("a"), Options{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a string value: %v", err)
	}
	if err := bw.Add("a", x, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := bw.Add("a", x, Options{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a duplicate key: %v", err)
	}
	if err := bw.Close(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("closing with an entry missing: %v", err)
	}
	if _, err := NewBundleWriter(&buf, 256); !errors.Is(err, ErrInvalid) {
		t.Fatalf("256 entries: %v", err)
	}
}

// Inside a bundle a compressed dense value goes through ReadHeader: Body
// serves its decoded bytes, an unread one is skipped, and a corrupt one
// fails ReadHeader.
func TestReadHeaderCompressedEntry(t *testing.T) {
	a := tensorOf(Float32, []int{64, 16}, bytes.Repeat([]byte{1, 2, 3, 4}, 1024))
	b := tensorOf(Uint8, []int{3}, []byte{7, 8, 9})
	p := mustEncode(t, new(Bundle).Add("a", a).Add("b", b), Options{Compress: true, Integrity: true})
	for _, read := range []bool{true, false} {
		r := NewReader(bytes.NewReader(p))
		if h, err := r.ReadHeader(); err != nil || h.Kind != KindBundle || h.Count != 2 {
			t.Fatal(h, err)
		}
		for _, want := range []*Tensor{a, b} {
			if _, err := r.ReadEntry(); err != nil {
				t.Fatal(err)
			}
			in, err := r.ReadHeader()
			if err != nil || in.DataSize != int64(len(want.Data)) || in.DType != want.DType {
				t.Fatalf("ReadHeader: %+v %v", in, err)
			}
			if !read {
				continue // the next ReadEntry skips it
			}
			got, err := io.ReadAll(r.Body())
			if err != nil || !bytes.Equal(got, want.Data) {
				t.Fatalf("body: %d bytes, %v", len(got), err)
			}
		}
		if _, err := r.Read(); err != io.EOF {
			t.Fatalf("after the bundle: %v", err)
		}
	}
	// A flipped byte in the first value's compressed body: its footer
	// catches it at ReadHeader, and the Reader stays failed.
	in, _ := InspectTree(p, Limits{})
	q := bytes.Clone(p)
	q[in.Parts[0].Offset+in.Parts[0].Len-12] ^= 0xff
	r := NewReader(bytes.NewReader(q))
	_, _ = r.ReadHeader()
	_, _ = r.ReadEntry()
	if _, err := r.ReadHeader(); !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt compressed value: %v", err)
	}
	if _, err := r.ReadEntry(); err == nil {
		t.Fatal("the reader went on after an error")
	}
}
