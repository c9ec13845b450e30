package core

import (
	"bytes"
	"reflect"
	"testing"
	"unsafe"
)

// checkDenseFast checks that DecodeTensor gives exactly Decode's answer for
// every packet (the same value for dense packets, the same error for bad
// ones), that InspectInto agrees with Inspect, and that the header-only use
// the WebAssembly module makes (InspectInto on a prefix plus
// Info.PacketLen against the full length) describes exactly the
// uncompressed dense packets Decode accepts.
func checkDenseFast(t *testing.T, p []byte) {
	t.Helper()
	v, err := Decode(p)
	want, isDense := v.(*Tensor)
	isDense = err == nil && isDense

	var in Info
	ierr := InspectInto(&in, p, Limits{})
	win, werr := Inspect(p)
	if (ierr == nil) != (werr == nil) || (ierr != nil && ierr.Error() != werr.Error()) {
		t.Fatalf("InspectInto error %v, Inspect %v", ierr, werr)
	}
	if ierr == nil && !reflect.DeepEqual(in, win) {
		t.Fatalf("InspectInto %+v, Inspect %+v", in, win)
	}

	got := Tensor{Shape: make([]int, 0, 4)}
	buf := make([]byte, 0, 64)
	derr := DecodeTensor(&got, p, buf, Limits{})
	var h header
	herr := parseHeader(&h, p, 0)
	if herr == nil && h.kind == KindDense {
		// Dense packets (good or bad): Decode's exact answer.
		if (derr == nil) != (err == nil) || (derr != nil && derr.Error() != err.Error()) {
			t.Fatalf("DecodeTensor error %v, Decode %v", derr, err)
		}
	} else if derr == nil {
		t.Fatalf("DecodeTensor accepted a %T (Decode: %v)", v, err)
	}
	if derr != nil {
		return
	}
	if !isDense {
		t.Fatalf("DecodeTensor accepted what Decode refuses: %v", err)
	}
	if got.DType != want.DType || !reflect.DeepEqual(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
		t.Fatalf("DecodeTensor %s %v, Decode %s %v", got.DType, got.Shape, want.DType, want.Shape)
	}
	if in.Compressed {
		if len(got.Data) > 0 && len(got.Data) <= cap(buf) && unsafe.SliceData(got.Data) != unsafe.SliceData(buf) {
			t.Fatal("a compressed body that fits buf was not decompressed into it")
		}
	} else if len(got.Data) > 0 && unsafe.SliceData(got.Data) != unsafe.SliceData(want.Data) {
		t.Fatal("uncompressed body is not the same view as Decode's")
	}
	// Header only: any prefix that reaches the body gives the same answer
	// for an uncompressed packet without footer.
	if in.Compressed || in.Integrity {
		return
	}
	for _, n := range []int{in.BodyOffset, in.BodyOffset + 1, 1024} {
		if n > len(p) || n < in.BodyOffset {
			continue
		}
		var g Info
		if err := InspectInto(&g, p[:n], Limits{}); err != nil {
			t.Fatalf("prefix of %d bytes: %v", n, err)
		}
		pl, ok := g.PacketLen()
		if !ok || pl > int64(len(p)) || !reflect.DeepEqual(g, in) {
			t.Fatalf("prefix of %d bytes: %+v (packet length %d, %v), whole packet %+v", n, g, pl, ok, in)
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
