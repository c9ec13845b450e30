package gpu

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	tenso "github.com/tenso-go/tenso"
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
	n := 1
	for _, d := range shape {
		n *= d
	}
	d := make([]byte, dt.DataLen(n))
	for i := range d {
		d[i] = byte(i*13 + 1)
	}
	return &tenso.Tensor{DType: dt, Shape: shape, Data: d}
}

// writePacket writes t as WriteFromDevice does, the body in pieces.
func writePacket(t *tenso.Tensor, o WriteOptions) ([]byte, error) {
	var out bytes.Buffer
	dw, err := denseWriter(&out, t.DType, t.Shape, int64(len(t.Data)), o)
	if err != nil {
		return out.Bytes(), err
	}
	for b := t.Data; len(b) > 0; b = b[min(7, len(b)):] {
		if _, err := dw.Write(b[:min(7, len(b))]); err != nil {
			return nil, err
		}
	}
	err = dw.Close() // (before out.Bytes: Close writes the footer)
	return out.Bytes(), err
}

func TestPacketsMatchEncoder(t *testing.T) {
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
		got, err := writePacket(tc.t, tc.o)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%v %v %+v: packet differs from the encoder's (%v)", tc.t.DType, tc.t.Shape, tc.o, err)
		}
		// And it reads back: the description, the body, then EOF.
		r := bytes.NewReader(want)
		info, body, err := readDenseHeader(r, tenso.Limits{})
		if err != nil || info.DataSize != int64(len(tc.t.Data)) || info.DType != tc.t.DType {
			t.Fatalf("%v %v: readDenseHeader %+v %v", tc.t.DType, tc.t.Shape, info, err)
		}
		b, err := io.ReadAll(body)
		if err != nil || !bytes.Equal(b, tc.t.Data) || r.Len() != 0 {
			t.Fatalf("%v %v: body %v, %d bytes left", tc.t.DType, tc.t.Shape, err, r.Len())
		}
	}
	for _, o := range []WriteOptions{{Alignment: 3}, {Alignment: -64}} {
		var out bytes.Buffer
		if _, err := denseWriter(&out, tenso.Float32, []int{1}, 4, o); !errors.Is(err, tenso.ErrInvalid) || out.Len() != 0 {
			t.Fatal(o, err, out.Len())
		}
	}
	var out bytes.Buffer
	if _, err := denseWriter(&out, tenso.QInt8, []int{1}, 1, WriteOptions{}); !errors.Is(err, tenso.ErrInvalid) || out.Len() != 0 {
		t.Fatal(err)
	}
	// A device tensor whose byte count does not fit its shape writes nothing.
	if _, err := denseWriter(&out, tenso.Float32, []int{3, 4}, 47, WriteOptions{}); !errors.Is(err, tenso.ErrInvalid) || out.Len() != 0 {
		t.Fatal(err)
	}
	if _, err := denseWriter(&out, tenso.Float32, []int{1 << 40, 1 << 40}, 0, WriteOptions{}); err == nil || out.Len() != 0 {
		t.Fatal("overflowing shape:", err)
	}
}

func TestReadHeaderErrors(t *testing.T) {
	good, _ := tenso.Encode(tensorOf(tenso.Float32, 100), tenso.Options{})
	comp, _ := tenso.Encode(tensorOf(tenso.Float32, 100), tenso.Options{Compress: true})
	bund, _ := tenso.Encode((&tenso.Bundle{}).Add("a", tensorOf(tenso.Uint8, 1)), tenso.Options{})
	str, _ := tenso.Encode(tenso.NewStrings("x"), tenso.Options{})
	f32, _ := tenso.FromSlice([]float32{1, 2, 3, 4})
	q, _ := tenso.Quantize(f32, tenso.QInt8, tenso.PerTensor, 0, 0)
	quant, _ := tenso.Encode(q, tenso.Options{})
	huge := append([]byte(nil), good[:14]...)
	huge[5] = 128 // CUST_ALIGN (FORMAT.md §3), exponent 30
	huge = append(huge, 30)
	for name, tc := range map[string]struct {
		in   []byte
		want error
	}{
		"empty":       {nil, io.EOF}, // the codec Reader's end of a stream
		"short":       {good[:9], io.ErrUnexpectedEOF},
		"magic":       {append([]byte("XXXX"), good[4:]...), tenso.ErrCorrupt},
		"version":     {append([]byte("TNSO\x07"), good[5:]...), tenso.ErrUnsupported},
		"no padding":  {good[:40], io.ErrUnexpectedEOF},
		"compressed":  {comp, tenso.ErrUnsupported},
		"bundle":      {bund, tenso.ErrUnsupported},
		"string":      {str, tenso.ErrUnsupported},
		"quantized":   {quant, tenso.ErrUnsupported},
		"huge align":  {huge, tenso.ErrTooLarge},
		"ndim 200":    {append(append([]byte(nil), good[:8]...), 200, 0), tenso.ErrTooLarge},
		"bad dtype 0": {append(append(append([]byte(nil), good[:7]...), 0), good[8:]...), tenso.ErrUnsupported},
	} {
		if _, _, err := readDenseHeader(bytes.NewReader(tc.in), tenso.Limits{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// v3 packets from the golden corpus read too.
	v3, err := os.ReadFile("../testdata/v3_dense_f32.tenso")
	if err != nil {
		t.Fatal(err)
	}
	info, body, err := readDenseHeader(bytes.NewReader(v3), tenso.Limits{})
	if err != nil || info.Version != 3 {
		t.Fatal("v3:", info, err)
	}
	if err := finishBody(body); err != nil {
		t.Fatal("v3 body:", err)
	}
}

func TestUploadDownload(t *testing.T) {
	in := tensorOf(tenso.Float64, 1000, 3) // 24000 bytes
	for _, integrity := range []bool{false, true} {
		pkt, _ := tenso.Encode(in, tenso.Options{Integrity: integrity})
		info, body, err := readDenseHeader(bytes.NewReader(pkt), tenso.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		dev := make([]byte, info.DataSize)
		f := newFake(1000, dev)
		if err := upload(body, info.DataSize, f); err != nil {
			t.Fatal(err)
		}
		if err := finishBody(body); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dev, in.Data) || f.copies != 24 {
			t.Fatalf("upload: %d copies", f.copies)
		}
		if integrity {
			// A flipped footer bit is an ErrChecksum once the body is read.
			bad := bytes.Clone(pkt)
			bad[len(bad)-1] ^= 1
			_, body, err := readDenseHeader(bytes.NewReader(bad), tenso.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if err := upload(body, info.DataSize, newFake(1000, make([]byte, info.DataSize))); err != nil {
				t.Fatal(err)
			}
			if err := finishBody(body); !errors.Is(err, tenso.ErrChecksum) {
				t.Fatal("flipped footer:", err)
			}
		}
		// Download the "device" bytes into a packet again.
		var out bytes.Buffer
		dw, err := denseWriter(&out, in.DType, in.Shape, int64(len(dev)), WriteOptions{Integrity: integrity})
		if err != nil {
			t.Fatal(err)
		}
		n, err := download(dw, int64(len(dev)), newFake(7000, dev))
		if err != nil || n != int64(len(dev)) {
			t.Fatal(err)
		}
		if err := dw.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), pkt) {
			t.Fatal("downloaded packet differs from Encode")
		}
	}
	// A packet cut in its body is io.ErrUnexpectedEOF; every pending copy
	// is waited for.
	pkt, _ := tenso.Encode(tensorOf(tenso.Uint8, 5000), tenso.Options{})
	info, body, err := readDenseHeader(bytes.NewReader(pkt[:len(pkt)-1500]), tenso.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(1000, make([]byte, 5000))
	err = upload(body, info.DataSize, f)
	if !errors.Is(err, io.ErrUnexpectedEOF) || (f.pending[0] != nil || f.pending[1] != nil) {
		t.Fatal(err)
	}
	// A failing writer stops the download cleanly.
	f = newFake(1000, make([]byte, 5000))
	if _, err := download(failWriter{}, 5000, f); err == nil || (f.pending[0] != nil || f.pending[1] != nil) {
		t.Fatal("download into a failing writer", err)
	}
}

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return 0, errors.New("disk full") }
