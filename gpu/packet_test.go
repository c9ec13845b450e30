package gpu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"

	tenso "github.com/tenso-go/tenso"
	"github.com/zeebo/xxh3"
)

// fakeStager is a CPU stand-in for pinned buffers and a device: copies
// complete at wait, like asynchronous copies would.
type fakeStager struct {
	bufs    [2][]byte
	dev     []byte
	pending [2]func()
	copies  int
}

func newFake(chunk int, dev []byte) *fakeStager {
	return &fakeStager{bufs: [2][]byte{make([]byte, chunk), make([]byte, chunk)}, dev: dev}
}

func (f *fakeStager) buf(i int) []byte { return f.bufs[i] }
func (f *fakeStager) toDevice(i int, off int64, n int) error {
	if f.pending[i] != nil {
		panic("buffer reused before wait")
	}
	src := append([]byte(nil), f.bufs[i][:n]...)
	f.pending[i] = func() { copy(f.dev[off:], src) }
	f.copies++
	return nil
}
func (f *fakeStager) fromDevice(i int, off int64, n int) error {
	if f.pending[i] != nil {
		panic("buffer reused before wait")
	}
	f.pending[i] = func() { copy(f.bufs[i][:n], f.dev[off:off+int64(n)]) }
	f.copies++
	return nil
}
func (f *fakeStager) wait(i int) error {
	if f.pending[i] != nil {
		f.pending[i]()
		f.pending[i] = nil
	}
	return nil
}

func tensorOf(dt tenso.DType, shape ...int) *tenso.Tensor {
	n, _ := shapeBytes(dt, shape)
	d := make([]byte, n)
	for i := range d {
		d[i] = byte(i*13 + 1)
	}
	return &tenso.Tensor{DType: dt, Shape: shape, Data: d}
}

func TestHeaderMatchesEncoder(t *testing.T) {
	for _, tc := range []struct {
		t *tenso.Tensor
		o WriteOptions
	}{
		{tensorOf(tenso.Float32, 3, 5), WriteOptions{}},
		{tensorOf(tenso.Float32), WriteOptions{}},
		{tensorOf(tenso.Int64, 2, 0, 3), WriteOptions{Integrity: true}},
		{tensorOf(tenso.Uint8, 7), WriteOptions{Alignment: 1}},
		{tensorOf(tenso.Float16, 4, 4), WriteOptions{Alignment: 16, Integrity: true}},
		{tensorOf(tenso.Complex128, 2, 2, 2), WriteOptions{Alignment: 4096}},
		{tensorOf(tenso.Int8, make([]int, 20)...), WriteOptions{}},
	} {
		want, err := tenso.Encode(tc.t, tenso.Options{Alignment: tc.o.Alignment, Integrity: tc.o.Integrity})
		if err != nil {
			t.Fatal(err)
		}
		head, err := appendDenseHeader(nil, tc.t.DType, tc.t.Shape, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(head, want[:len(head)]) || len(want)-len(head) != len(tc.t.Data)+map[bool]int{true: 8}[tc.o.Integrity] {
			t.Fatalf("%v %v %+v: header differs from the encoder's", tc.t.DType, tc.t.Shape, tc.o)
		}
		// And it reads back.
		hdr, got, err := readDenseHeader(bytes.NewReader(want), tenso.Limits{})
		if err != nil || !bytes.Equal(got, head) || hdr.bodyLen != int64(len(tc.t.Data)) || hdr.info.DType != tc.t.DType {
			t.Fatalf("%v %v: readDenseHeader %+v %v", tc.t.DType, tc.t.Shape, hdr, err)
		}
	}
	for _, o := range []WriteOptions{{Alignment: 3}, {Alignment: 1 << 21}, {Alignment: -64}} {
		if _, err := appendDenseHeader(nil, tenso.Float32, []int{1}, o); !errors.Is(err, tenso.ErrInvalid) {
			t.Fatal(o, err)
		}
	}
	if _, err := appendDenseHeader(nil, tenso.QInt8, []int{1}, WriteOptions{}); !errors.Is(err, tenso.ErrInvalid) {
		t.Fatal(err)
	}
}

func TestReadHeaderErrors(t *testing.T) {
	good, _ := tenso.Encode(tensorOf(tenso.Float32, 100), tenso.Options{})
	comp, _ := tenso.Encode(tensorOf(tenso.Float32, 100), tenso.Options{Compress: true})
	bund, _ := tenso.Encode((&tenso.Bundle{}).Add("a", tensorOf(tenso.Uint8, 1)), tenso.Options{})
	str, _ := tenso.Encode(tenso.NewStrings("x"), tenso.Options{})
	huge := append([]byte(nil), good[:14]...)
	huge[5] = flagCustAlign
	huge = append(huge, 30)
	for name, tc := range map[string]struct {
		in   []byte
		want error
	}{
		"empty":       {nil, tenso.ErrCorrupt},
		"short":       {good[:9], tenso.ErrCorrupt},
		"magic":       {append([]byte("XXXX"), good[4:]...), tenso.ErrCorrupt},
		"version":     {append([]byte("TNSO\x07"), good[5:]...), tenso.ErrUnsupported},
		"no padding":  {good[:40], tenso.ErrCorrupt},
		"compressed":  {comp, tenso.ErrUnsupported},
		"bundle":      {bund, tenso.ErrUnsupported},
		"string":      {str, tenso.ErrUnsupported},
		"huge align":  {huge, tenso.ErrTooLarge},
		"ndim 200":    {append(append([]byte(nil), good[:8]...), 200, 0), tenso.ErrTooLarge},
		"bad dtype 0": {append(append(append([]byte(nil), good[:7]...), 0), good[8:]...), tenso.ErrUnsupported},
	} {
		if _, _, err := readDenseHeader(bytes.NewReader(tc.in), tenso.Limits{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// v3 packets from the golden corpus read too.
	if v3, err := os.ReadFile("../testdata/v3_dense_f32.tenso"); err == nil {
		hdr, _, err := readDenseHeader(bytes.NewReader(v3), tenso.Limits{})
		if err != nil || hdr.info.Version != 3 || int64(hdr.headLen)+hdr.bodyLen > int64(len(v3)) {
			t.Fatal("v3:", hdr, err)
		}
	}
}

func TestUploadDownload(t *testing.T) {
	in := tensorOf(tenso.Float64, 1000, 3) // 24000 bytes
	for _, integrity := range []bool{false, true} {
		pkt, _ := tenso.Encode(in, tenso.Options{Integrity: integrity})
		r := bytes.NewReader(pkt)
		hdr, _, err := readDenseHeader(r, tenso.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		dev := make([]byte, hdr.bodyLen)
		f := newFake(1000, dev)
		h := xxh3.New()
		if err := upload(r, hdr.bodyLen, f, h); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dev, in.Data) || f.copies != 24 {
			t.Fatalf("upload: %d copies", f.copies)
		}
		if integrity {
			if err := readFooter(r, h.Sum64()); err != nil {
				t.Fatal(err)
			}
			if err := readFooter(bytes.NewReader(pkt[len(pkt)-8:]), h.Sum64()+1); !errors.Is(err, tenso.ErrChecksum) {
				t.Fatal(err)
			}
		}
		// Download the "device" bytes into a packet again.
		var out bytes.Buffer
		head, _ := appendDenseHeader(nil, in.DType, in.Shape, WriteOptions{Integrity: integrity})
		out.Write(head)
		h2 := xxh3.New()
		n, err := download(&out, int64(len(dev)), newFake(7000, dev), h2)
		if err != nil || n != int64(len(dev)) {
			t.Fatal(err)
		}
		if integrity {
			binary.Write(&out, binary.LittleEndian, h2.Sum64())
		}
		if !bytes.Equal(out.Bytes(), pkt) {
			t.Fatal("downloaded packet differs from Encode")
		}
	}
	// A body cut short is ErrCorrupt/io.ErrUnexpectedEOF; every pending
	// copy is waited for.
	f := newFake(1000, make([]byte, 5000))
	err := upload(bytes.NewReader(make([]byte, 3500)), 5000, f, nil)
	if !errors.Is(err, tenso.ErrCorrupt) || !errors.Is(err, io.ErrUnexpectedEOF) || (f.pending[0] != nil || f.pending[1] != nil) {
		t.Fatal(err)
	}
	// A failing writer stops the download cleanly.
	f = newFake(1000, make([]byte, 5000))
	if _, err := download(failWriter{}, 5000, f, nil); err == nil || (f.pending[0] != nil || f.pending[1] != nil) {
		t.Fatal("download into a failing writer", err)
	}
}

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return 0, errors.New("disk full") }

func TestShapeBytes(t *testing.T) {
	if n, err := shapeBytes(tenso.Float32, []int{3, 4}); n != 48 || err != nil {
		t.Fatal(n, err)
	}
	if _, err := shapeBytes(tenso.Float32, []int{1 << 40, 1 << 40}); !errors.Is(err, tenso.ErrTooLarge) {
		t.Fatal(err)
	}
	if _, err := shapeBytes(tenso.Float32, []int{-1}); !errors.Is(err, tenso.ErrInvalid) {
		t.Fatal(err)
	}
}
