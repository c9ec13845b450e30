package layout

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/tenso-go/tenso"
)

func f32t(v ...float32) *tenso.Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], float32bits(x))
	}
	return &tenso.Tensor{DType: tenso.Float32, Shape: []int{len(v)}, Data: b}
}

func float32bits(f float32) uint32 { return binary.LittleEndian.Uint32(F32Bytes([]float32{f})) }

func i32t(v ...int32) *tenso.Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return &tenso.Tensor{DType: tenso.Int32, Shape: []int{len(v)}, Data: b}
}

// encodeRegion writes v's words followed by its refs' bytes, as the host's
// builder does, and returns the region.
func encodeRegion(t *testing.T, v tenso.Value) []byte {
	t.Helper()
	var blobs [][2]int
	var data [][]byte
	w := Writer{}
	w.Ref = func(b []byte) (uint32, uint32) {
		blobs = append(blobs, [2]int{len(w.Words), len(data)})
		data = append(data, b)
		return SrcInput, 0
	}
	if err := w.Value(v, 0); err != nil {
		t.Fatal(err)
	}
	size := 4 * len(w.Words)
	for _, bl := range blobs {
		w.Words[bl[0]+1] = uint32(size)
		size += len(data[bl[1]])
	}
	out := make([]byte, size)
	for i, x := range w.Words {
		binary.LittleEndian.PutUint32(out[4*i:], x)
	}
	for _, bl := range blobs {
		copy(out[w.Words[bl[0]+1]:], data[bl[1]])
	}
	return out
}

func reader(buf []byte) Reader {
	return Reader{Words: buf, Ref: func(src, off, n uint32) ([]byte, error) {
		if src != SrcInput || uint64(off)+uint64(n) > uint64(len(buf)) {
			return nil, ErrMalformed
		}
		return buf[off : off+n : off+n], nil
	}}
}

func TestRoundTrip(t *testing.T) {
	var ipc tenso.IPCRef
	ipc.Offset, ipc.NBytes, ipc.Handle[3], ipc.DeviceUUID[15] = 1<<40, 7, 9, 4
	values := []tenso.Value{
		f32t(1, 2, 3),
		&tenso.Tensor{DType: tenso.Uint8, Shape: []int{2, 0}, Data: []byte{}},
		&tenso.Quantized{DType: tenso.QInt8, Shape: []int{2, 2}, Scheme: tenso.PerChannel, Axis: 1,
			Scales: []float32{0.5, 2}, ZeroPoints: []float32{0, 1}, Data: []byte{1, 2, 3, 4}},
		&tenso.Strings{DType: tenso.String, Offsets: make([]byte, 16), Payload: []byte{}},
		&tenso.Ragged{Splits: i32t(0, 1, 3), Flat: f32t(1, 2, 3)},
		&tenso.Ragged{Splits: &tenso.Tensor{DType: tenso.Uint64, Shape: []int{2}, Data: make([]byte, 16)},
			Flat: &tenso.Tensor{DType: tenso.Uint8, Shape: []int{0}, Data: []byte{}}, Framed: true, FrameDType: tenso.Float32},
		&tenso.Bundle{Entries: []tenso.Entry{{Key: "a", Value: f32t(1)}, {Key: "", Value: &tenso.Bundle{Entries: []tenso.Entry{}}}}},
		&tenso.Sparse{Format: tenso.COO, Shape: []int{3, 3}, Data: f32t(1), Row: i32t(0), Col: i32t(2)},
		&tenso.Sparse{Format: tenso.CSR, Shape: []int{1, 3}, Data: f32t(1), Indices: i32t(2), Indptr: i32t(0, 1)},
		&ipc,
	}
	for _, v := range values {
		buf := encodeRegion(t, v)
		r := reader(buf)
		got, err := r.Value()
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Fatalf("%T: got %#v, want %#v", v, got, v)
		}
		// Every truncation is an ErrInvalid error, never a panic.
		for n := 0; n < len(buf); n++ {
			r := reader(buf[:n])
			if _, err := r.Value(); err != nil && !errors.Is(err, tenso.ErrInvalid) {
				t.Fatalf("%T truncated to %d: %v", v, n, err)
			}
		}
	}
}

func TestWriterRefuses(t *testing.T) {
	for _, v := range []tenso.Value{
		&tenso.Ragged{},
		&tenso.Sparse{Shape: []int{1}},
		&tenso.Sparse{Shape: []int{1, 1}, Data: f32t(1)},
		&tenso.Tensor{Shape: []int{-1}},
		&tenso.Quantized{Scales: []float32{1}},
		nil,
	} {
		w := Writer{Ref: func([]byte) (uint32, uint32) { return 0, 0 }}
		if err := w.Value(v, 0); !errors.Is(err, tenso.ErrInvalid) {
			t.Fatalf("%#v: %v", v, err)
		}
	}
}

func TestReaderLimits(t *testing.T) {
	deep := []uint32{}
	for i := 0; i < 70; i++ {
		deep = append(deep, uint32(tenso.KindRagged), 0)
	}
	buf := make([]byte, 4*len(deep))
	for i, x := range deep {
		binary.LittleEndian.PutUint32(buf[4*i:], x)
	}
	r := reader(buf)
	if _, err := r.Value(); !errors.Is(err, tenso.ErrInvalid) {
		t.Fatal(err)
	}
	words := []uint32{uint32(tenso.KindDense), 1, 33}
	buf = make([]byte, 4*len(words))
	for i, x := range words {
		binary.LittleEndian.PutUint32(buf[4*i:], x)
	}
	r = reader(buf)
	if _, err := r.Value(); !errors.Is(err, tenso.ErrInvalid) {
		t.Fatal(err)
	}
}
