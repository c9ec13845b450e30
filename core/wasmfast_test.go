package core

import (
	"bytes"
	"testing"
	"unsafe"
)

// checkDenseFast checks that ParseDenseFrame + FinishDense accept exactly
// the top-level dense packets Decode accepts, with the same value, and that
// the header-only use (a prefix and the total length) agrees too.
func checkDenseFast(t *testing.T, p []byte) {
	t.Helper()
	v, err := Decode(p)
	want, isDense := v.(*Tensor)
	isDense = err == nil && isDense
	var f DenseFrame
	ok := ParseDenseFrame(&f, p, int64(len(p)))
	var dst []byte
	if ok {
		if f.Compressed {
			dst = make([]byte, f.DataSize)
		}
		ok = FinishDense(&f, p, dst)
	}
	if ok != isDense {
		t.Fatalf("fast path ok=%v, Decode: %T %v", ok, v, err)
	}
	if !ok {
		return
	}
	if f.DType != want.DType || f.NDim != len(want.Shape) {
		t.Fatalf("fast path %s ndim %d, Decode %s %v", f.DType, f.NDim, want.DType, want.Shape)
	}
	for i, d := range want.Shape {
		if int(f.Dims[i]) != d {
			t.Fatalf("dim %d: fast %d, Decode %d", i, f.Dims[i], d)
		}
	}
	body := dst
	if !f.Compressed {
		body = p[f.BodyOffset : f.BodyOffset+f.DataSize]
		if len(body) > 0 && unsafe.SliceData(body) != unsafe.SliceData(want.Data) {
			t.Fatal("uncompressed body is not the same view as Decode's")
		}
	}
	if !bytes.Equal(body, want.Data) {
		t.Fatal("fast path body differs from Decode's")
	}
	// Header only: any prefix that reaches the body gives the same answer
	// for an uncompressed packet without footer.
	for _, n := range []int64{int64(f.BodyOffset), f.BodyOffset + 1, 1024} {
		if n > int64(len(p)) {
			continue
		}
		var g DenseFrame
		gok := ParseDenseFrame(&g, p[:n], int64(len(p)))
		if !gok || g != f {
			t.Fatalf("prefix of %d bytes: ok=%v %+v, whole packet %+v", n, gok, g, f)
		}
	}
}

func TestDenseFastGolden(t *testing.T) {
	for _, g := range goldenFiles(t) {
		checkDenseFast(t, g.data)
		// Truncations and single-byte changes of the header and the first
		// body bytes.
		for n := 0; n < len(g.data) && n < 96; n++ {
			checkDenseFast(t, g.data[:n])
		}
		checkDenseFast(t, g.data[:len(g.data)-1])
		for i := 0; i < len(g.data) && i < 80; i++ {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				q := bytes.Clone(g.data)
				q[i] ^= x
				checkDenseFast(t, q)
			}
		}
	}
}

func TestDenseFastShapes(t *testing.T) {
	for _, p := range [][]byte{
		mustEncode(t, tensorOf(Uint8, []int{0}, nil), Options{}),
		mustEncode(t, tensorOf(Uint8, []int{0}, nil), Options{Compress: true, Integrity: true}),
		mustEncode(t, tensorOf(Uint8, []int{300}, bytes.Repeat([]byte{9}, 300)), Options{Compress: true}),
		mustEncode(t, tensorOf(Uint8, []int{300}, bytes.Repeat([]byte{9}, 300)), Options{Integrity: true, Alignment: 8}),
		mustEncode(t, tensorOf(Float32, []int{}, make([]byte, 4)), Options{Alignment: 1 << 12}),
	} {
		checkDenseFast(t, p)
	}
	// A zero dimension after dimensions whose product is past the element
	// limit: Decode accepts it (readShape refuses only a 64-bit overflow).
	p := mustEncode(t, tensorOf(Uint8, []int{0}, nil), Options{})
	raw := append([]byte{}, p[:10]...)
	raw[5], raw[6], raw[8] = 0, 0, 2 // no flags, ndim 2
	raw = append(raw, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)
	checkDenseFast(t, raw)
}

func FuzzDenseFast(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, p []byte) { checkDenseFast(t, p) })
}
