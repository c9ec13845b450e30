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
		// Skipping the body still verifies the footer: a flipped body
		// byte fails the next read.
		if in.Integrity && len(body) > 0 {
			bad := bytes.Clone(stream)
			bad[in.BodyOffset] ^= 1
			r := NewReader(bytes.NewReader(bad))
			if _, err := r.ReadHeader(); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Read(); !errors.Is(err, ErrChecksum) {
				t.Fatalf("%s: skipping a corrupt body: %v", g.name, err)
			}
			r = NewReader(bytes.NewReader(bad))
			_, _ = r.ReadHeader()
			if _, err := io.ReadAll(r.Body()); !errors.Is(err, ErrChecksum) {
				t.Fatalf("%s: reading a corrupt body: %v", g.name, err)
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
	b := mustEncode(t, new(Bundle).Add("a", tensorOf(Uint8, []int{1}, []byte{1})), Options{})
	if _, err := NewReader(bytes.NewReader(b)).ReadHeader(); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("bundle: %v", err)
	}
	c := mustEncode(t, tensorOf(Uint8, []int{1}, []byte{1}), Options{Compress: true})
	if _, err := NewReader(bytes.NewReader(c)).ReadHeader(); !errors.Is(err, ErrUnframed) {
		t.Fatalf("compressed: %v", err)
	}
	if _, err := NewReader(bytes.NewReader(nil)).ReadHeader(); err != io.EOF {
		t.Fatalf("empty stream: %v", err)
	}
}
