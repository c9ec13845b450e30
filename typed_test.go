package tenso

import (
	"errors"
	"math"
	"testing"
)

func TestFromSliceAsZeroCopy(t *testing.T) {
	s := []float32{1, 2, 3, 4, 5, 6}
	ten, err := FromSlice(s, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if ten.DType != Float32 || len(ten.Data) != 24 || &ten.Data[0] != (*byte)(unsafePointer(&s[0])) {
		t.Fatalf("FromSlice did not alias the slice: %+v", ten)
	}
	p, err := Encode(ten, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Put the packet at a 64-aligned address so the body is aligned.
	buf := make([]byte, len(p)+64)
	off := 0
	for !IsAligned(buf[off:], 64) {
		off++
	}
	aligned := buf[off : off+len(p)]
	copy(aligned, p)
	v, err := Decode(aligned)
	if err != nil {
		t.Fatal(err)
	}
	got, err := As[float32](v.(*Tensor))
	if err != nil {
		t.Fatal(err)
	}
	if &got[0] != (*float32)(unsafePointer(&aligned[64])) {
		t.Errorf("As copied an aligned body")
	}
	for i := range s {
		if got[i] != s[i] {
			t.Fatalf("element %d = %v, want %v", i, got[i], s[i])
		}
	}
	// Misaligned by one byte: As must copy and still be right.
	mis := buf[1 : 1+len(p)]
	if IsAligned(mis[64:], 4) {
		mis = buf[2 : 2+len(p)]
	}
	copy(mis, p)
	v, _ = Decode(mis)
	got, err = As[float32](v.(*Tensor))
	if err != nil || got[5] != 6 {
		t.Fatalf("misaligned As: %v %v", got, err)
	}
	if !IsAligned(unsafeBytes(got), 4) {
		t.Errorf("copy is not aligned")
	}
}

func TestFromSliceShapeErrors(t *testing.T) {
	if _, err := FromSlice([]int32{1, 2, 3}, 2, 2); !errors.Is(err, ErrInvalid) {
		t.Errorf("shape mismatch: %v", err)
	}
	for _, shape := range [][]int{{2, 0}, {0, 3}, {4, 0, 9}} { // a zero anywhere: empty
		if ten, err := FromSlice([]int32{}, shape...); err != nil || ten.NumElements() != 0 {
			t.Fatalf("FromSlice of no elements, shape %v: %v", shape, err)
		}
	}
	if _, err := FromSlice([]int32{1, 2}, 1<<40, 1<<40); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("shape beyond the format: %v", err)
	}
	if _, err := FromSlice([]int32{}, 0, 5); err != nil {
		t.Errorf("empty: %v", err)
	}
	if _, err := FromSlice([]int32{1}, -1); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative dim: %v", err)
	}
	ten, err := FromSlice([]complex128{complex(1, -2)})
	if err != nil || ten.DType != Complex128 || len(ten.Data) != 16 {
		t.Fatalf("complex: %v %v", ten, err)
	}
}

func TestAsTypes(t *testing.T) {
	ten, _ := FromSlice([]int64{-1, math.MaxInt64})
	if _, err := As[int32](ten); !errors.Is(err, ErrInvalid) {
		t.Errorf("dtype mismatch accepted: %v", err)
	}
	got, err := As[int64](ten)
	if err != nil || got[0] != -1 || got[1] != math.MaxInt64 {
		t.Errorf("int64: %v %v", got, err)
	}
	b := &Tensor{DType: Bool, Shape: []int{3}, Data: []byte{0, 1, 2}}
	var fe *FormatError
	if _, err := As[bool](b); !errors.Is(err, ErrCorrupt) || !errors.As(err, &fe) || fe.Offset != 2 {
		t.Errorf("bool byte 2 accepted: %v", err)
	}
	b.Data[2] = 1
	if bs, err := As[bool](b); err != nil || !bs[2] || bs[0] {
		t.Errorf("bool: %v %v", bs, err)
	}
	// float16 widens under As[float32]: 1.0, -2.0, +Inf.
	h := &Tensor{DType: Float16, Shape: []int{3}, Data: []byte{0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c}}
	f, err := As[float32](h)
	if err != nil || f[0] != 1 || f[1] != -2 || !math.IsInf(float64(f[2]), 1) {
		t.Errorf("float16 widening: %v %v", f, err)
	}
	bf := &Tensor{DType: BFloat16, Shape: []int{1}, Data: []byte{0xc0, 0xbf}}
	if f, err := As[float32](bf); err != nil || f[0] != -1.5 {
		t.Errorf("bfloat16 widening: %v %v", f, err)
	}
	if raw, err := As[F16](h); err != nil || raw[0] != 0x3c00 {
		t.Errorf("raw F16: %v %v", raw, err)
	}
	short := &Tensor{DType: Int32, Shape: []int{2}, Data: []byte{1, 2, 3}}
	if _, err := As[int32](short); !errors.Is(err, ErrInvalid) {
		t.Errorf("short data accepted: %v", err)
	}
	if _, err := As[int32](nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil accepted: %v", err)
	}
}

func TestIsAligned(t *testing.T) {
	buf := make([]byte, 256)
	off := 0
	for !IsAligned(buf[off:], 64) {
		off++
	}
	b := buf[off:]
	cases := []struct {
		b    []byte
		a    int
		want bool
	}{
		{b, 64, true}, {b[1:], 2, false}, {b[2:], 2, true}, {b[1:], 1, true},
		{nil, 64, true}, {b[:0], 4096, true}, {b, 0, false}, {b, 3, false}, {b, -64, false},
		{b[32:], 64, false}, {b[32:], 32, true},
	}
	for i, c := range cases {
		if got := IsAligned(c.b, c.a); got != c.want {
			t.Errorf("case %d: IsAligned(+%d, %d) = %v", i, len(b)-len(c.b), c.a, got)
		}
	}
}

// The reference's conformance fixtures that have no golden file (FORMAT.md
// §21.4) are fully determined by the format: build them and check the
// pinned hashes.
func TestReferenceFixtures(t *testing.T) {
	f64 := make([]float64, 12)
	for i := range f64 {
		f64[i] = float64(i)
	}
	i32 := []int32{0, 1, 2, 3, 4, 5, 6, 7}
	mk := func(v *Tensor, err error) *Tensor {
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name string
		v    *Tensor
		o    Options
		sha  string
	}{
		{"dense_f32_vec", mk(FromSlice([]float32{1, 2, 3, 4, 5})), Options{}, "ba5f47405c10351b48a59d4a4f46d73b9d5754bdea85488f0a93c114be0199c6"},
		{"dense_f64_mat", mk(FromSlice(f64, 3, 4)), Options{}, "85276d4e"},
		{"dense_i32_integrity", mk(FromSlice(i32)), Options{Integrity: true}, "a31de660"},
		{"dense_u8_3d_zeros", mk(FromSlice(make([]uint8, 64), 4, 4, 4)), Options{}, "5c3bae03"},
		{"dense_bf16_vec", mk(FromSlice([]BF16{0x3F80, 0xBFC0, 0x3E80, 0x4070})), Options{}, "fc9615243289d8a3819f6f0a0494898f788287163800208169c8b982e45ac87f"},
	}
	for _, c := range cases {
		p, err := Encode(c.v, c.o)
		if err != nil {
			t.Fatal(err)
		}
		if got := shaHex(p); got[:len(c.sha)] != c.sha {
			t.Errorf("%s: sha256 %s, want %s…", c.name, got, c.sha)
		}
	}
}
