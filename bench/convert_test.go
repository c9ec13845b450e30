package bench

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"testing"

	"codeberg.org/sbinet/npyio"
	"codeberg.org/sbinet/npyio/npy"
	"github.com/nlpodyssey/safetensors"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/convert"
)

// Files written by npyio convert to Tenso and back into files npyio reads.
func TestConvertNpyioFiles(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	f32 := make([]float32, 6*4)
	for i := range f32 {
		f32[i] = r.Float32()
	}
	i64 := []int64{-3, 1 << 40, 7}
	b := []bool{true, false, true, true}
	c128 := []complex128{1 + 2i, -3.5i}
	u16 := make([]uint16, 12)
	for i := range u16 {
		u16[i] = uint16(r.Intn(65536))
	}
	cases := []struct {
		name  string
		v     any
		dt    tenso.DType
		shape []int
		data  []byte
	}{
		{"f32 6x4", npyValue(Tensor{DType: tenso.Float32, Shape: []int{6, 4}, Data: asBytes(f32)}), tenso.Float32, []int{6, 4}, asBytes(f32)},
		{"i64", i64, tenso.Int64, []int{3}, le(i64)},
		{"bool", b, tenso.Bool, []int{4}, []byte{1, 0, 1, 1}},
		{"c128", c128, tenso.Complex128, []int{2}, le(c128)},
		{"u16 [3][4]", [3][4]uint16{[4]uint16(u16[0:4]), [4]uint16(u16[4:8]), [4]uint16(u16[8:12])}, tenso.Uint16, []int{3, 4}, le(u16)},
		{"scalar f64", 2.5, tenso.Float64, []int{}, le([]float64{2.5})},
	}
	for _, c := range cases {
		var npy bytes.Buffer
		if err := npyio.Write(&npy, c.v); err != nil {
			t.Fatalf("%s: npyio.Write: %v", c.name, err)
		}
		var ten bytes.Buffer
		if err := convert.NpyToTenso(&ten, bytes.NewReader(npy.Bytes()), convert.Options{Integrity: true}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		v, err := tenso.Decode(ten.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		tt := v.(*tenso.Tensor)
		if tt.DType != c.dt || fmt.Sprint(tt.Shape) != fmt.Sprint(c.shape) || !bytes.Equal(tt.Data, c.data) {
			t.Fatalf("%s: got %s %v", c.name, tt.DType, tt.Shape)
		}
		var back bytes.Buffer
		if err := convert.TensoToNpy(&back, bytes.NewReader(ten.Bytes())); err != nil {
			t.Fatal(err)
		}
		// npyio reads the file we wrote, with the same shape and values.
		rd, err := npyioShape(back.Bytes())
		if err != nil || fmt.Sprint(rd) != fmt.Sprint(c.shape) {
			t.Fatalf("%s: npyio reads shape %v (%v)", c.name, rd, err)
		}
		if !bytes.Equal(back.Bytes()[len(back.Bytes())-len(c.data):], c.data) {
			t.Fatalf("%s: data differs after the round trip", c.name)
		}
	}
	var got []float32
	var back bytes.Buffer
	p, _ := tenso.Encode(&tenso.Tensor{DType: tenso.Float32, Shape: []int{6, 4}, Data: asBytes(f32)}, tenso.Options{})
	if err := convert.TensoToNpy(&back, bytes.NewReader(p)); err != nil {
		t.Fatal(err)
	}
	if err := npyio.Read(bytes.NewReader(back.Bytes()), &got); err != nil || fmt.Sprint(got) != fmt.Sprint(f32) {
		t.Fatalf("npyio.Read of our .npy: %v", err)
	}
}

func npyioShape(b []byte) ([]int, error) {
	h, err := convert.ReadNpyHeader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	// Cross-check with npyio's own reader.
	r, err := npyioReader(b)
	if err != nil {
		return nil, err
	}
	if fmt.Sprint(r) != fmt.Sprint(h.Shape) {
		return nil, fmt.Errorf("npyio sees %v, we see %v", r, h.Shape)
	}
	return r, nil
}

// Files written by nlpodyssey/safetensors (BF16, F16, F32, I64, U8) convert
// to one Tenso bundle and back into a file the library reads.
func TestConvertSafetensorsLibraryFiles(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	type ent struct {
		dt    safetensors.DType
		tdt   tenso.DType
		shape []uint64
	}
	ents := map[string]ent{
		"model.embed.weight": {safetensors.BF16, tenso.BFloat16, []uint64{8, 4}},
		"model.norm.weight":  {safetensors.F16, tenso.Float16, []uint64{4}},
		"lm_head.weight":     {safetensors.F32, tenso.Float32, []uint64{2, 3, 2}},
		"position_ids":       {safetensors.I64, tenso.Int64, []uint64{5}},
		"mask":               {safetensors.U8, tenso.Uint8, []uint64{0}},
	}
	views := map[string]safetensors.TensorView{}
	data := map[string][]byte{}
	for name, e := range ents {
		n := e.dt.Size()
		for _, d := range e.shape {
			n *= d
		}
		b := make([]byte, n)
		r.Read(b)
		v, err := safetensors.NewTensorView(e.dt, e.shape, b)
		if err != nil {
			t.Fatal(err)
		}
		views[name], data[name] = v, b
	}
	file, err := safetensors.Serialize(views, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	var ten bytes.Buffer
	res, err := convert.SafetensorsToTenso(&ten, bytes.NewReader(file), int64(len(file)), convert.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tensors != len(ents) || res.MetadataDropped != 1 {
		t.Fatalf("%+v", res)
	}
	v, err := tenso.Decode(ten.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	bun := v.(*tenso.Bundle)
	for name, e := range ents {
		tt, ok := bun.Get(name).(*tenso.Tensor)
		if !ok {
			t.Fatalf("%s missing", name)
		}
		if tt.DType != e.tdt || fmt.Sprint(tt.Shape) != fmt.Sprint(e.shape) || !bytes.Equal(tt.Data, data[name]) {
			t.Fatalf("%s: %s %v", name, tt.DType, tt.Shape)
		}
	}
	var back bytes.Buffer
	if _, err := convert.TensoToSafetensors(&back, bytes.NewReader(ten.Bytes())); err != nil {
		t.Fatal(err)
	}
	st, err := safetensors.Deserialize(back.Bytes())
	if err != nil {
		t.Fatalf("the library rejects our file: %v", err)
	}
	for name, e := range ents {
		tv, ok := st.Tensor(name)
		if !ok || tv.DType() != e.dt || fmt.Sprint(tv.Shape()) != fmt.Sprint(e.shape) || !bytes.Equal(tv.Data(), data[name]) {
			t.Fatalf("%s after the round trip: %v %v", name, tv.DType(), tv.Shape())
		}
	}
}

// le returns the little-endian bytes of a slice of fixed-size numbers.
func le[T any](s []T) []byte {
	var b bytes.Buffer
	if err := binary.Write(&b, binary.LittleEndian, s); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// npyioReader returns the shape npyio's reader sees in a .npy file.
func npyioReader(b []byte) ([]int, error) {
	r, err := npy.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return r.Header.Descr.Shape, nil
}
