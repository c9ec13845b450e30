package tenso

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// goldenQuant is the part of a testdata/manifest.json entry that describes
// a quantized packet (FORMAT.md §21.1).
type goldenQuant struct {
	File      string `json:"file"`
	Kind      string `json:"kind"`
	DType     string `json:"dtype"`
	Shape     []int  `json:"shape"`
	Scheme    string `json:"scheme"`
	Axis      int    `json:"axis"`
	GroupSize int    `json:"group_size"`
	Scales    string `json:"scales_f32_hex_le"`
	ZPs       string `json:"zero_points_f32_hex_le"`
	Packed    string `json:"packed_data_hex"`
	DeqSHA    string `json:"dequantized_f32_sha256_le_c_order"`
	QValSHA   string `json:"quantized_values_sha256_int16_le"`
	Layout    struct {
		BodyOffset int `json:"body_offset"`
		BodyLen    int `json:"body_len"`
	} `json:"layout"`
}

var quantDTypes = map[string]DType{"qint8": QInt8, "quint8": QUint8, "qint4": QInt4, "quint4": QUint4}
var quantSchemes = map[string]Scheme{"per_tensor": PerTensor, "per_channel": PerChannel, "per_group": PerGroup}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func f32sLE(t *testing.T, s string) []float32 {
	b := mustHex(t, s)
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// loadGoldenQuant reads the quantized entries of the manifest and builds
// each Quantized from the manifest fields alone (independent of Decode),
// checking that the packet file carries the same packed body.
func loadGoldenQuant(t *testing.T) ([]goldenQuant, []*Quantized) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Files []goldenQuant `json:"files"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var gs []goldenQuant
	var qs []*Quantized
	for _, g := range m.Files {
		if g.Kind != "quantized" {
			continue
		}
		q := &Quantized{
			DType: quantDTypes[g.DType], Shape: g.Shape, Scheme: quantSchemes[g.Scheme],
			Axis: g.Axis, GroupSize: g.GroupSize,
			Scales: f32sLE(t, g.Scales), ZeroPoints: f32sLE(t, g.ZPs), Data: mustHex(t, g.Packed),
		}
		pkt, err := os.ReadFile(filepath.Join("testdata", g.File))
		if err != nil {
			t.Fatal(err)
		}
		if end := g.Layout.BodyOffset + len(q.Data); end > len(pkt) || !bytes.Equal(pkt[g.Layout.BodyOffset:end], q.Data) {
			t.Fatalf("%s: packed body at %d differs from the manifest", g.File, g.Layout.BodyOffset)
		}
		gs = append(gs, g)
		qs = append(qs, q)
	}
	if len(qs) != 19 {
		t.Fatalf("found %d quantized golden packets, want 19", len(qs))
	}
	return gs, qs
}

func sha256F32(x []float32) string {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestQuantGoldenDequantize: dequantizing every quantized golden packet
// gives exactly the manifest's float32 values, with every implementation.
func TestQuantGoldenDequantize(t *testing.T) {
	gs, qs := loadGoldenQuant(t)
	withImpl(t, func(t *testing.T, impl string) {
		for i, q := range qs {
			g := gs[i]
			n := q.NumElements()
			full, dst := guarded(1, n, float32(-9))
			if err := DequantizeInto(dst, q); err != nil {
				t.Fatalf("%s: %v", g.File, err)
			}
			checkGuards(t, g.File, full, 1, n, -9)
			if got := sha256F32(dst); got != g.DeqSHA {
				t.Errorf("%s: dequantized sha256 %s, manifest %s", g.File, got, g.DeqSHA)
			}
			tt, err := Dequantize(q)
			if err != nil || tt.DType != Float32 || !reflect.DeepEqual(tt.Shape, q.Shape) {
				t.Fatalf("%s: Dequantize: %v %v", g.File, tt, err)
			}
			if s := sha256.Sum256(tt.Data); hex.EncodeToString(s[:]) != g.DeqSHA {
				t.Errorf("%s: Dequantize data sha256 differs", g.File)
			}
			// The unpacked integers, as int16 LE.
			vals := make([]int16, n)
			for j, v := range quantValues(q, n) {
				vals[j] = int16(v)
			}
			var buf bytes.Buffer
			binary.Write(&buf, binary.LittleEndian, vals)
			if s := sha256.Sum256(buf.Bytes()); hex.EncodeToString(s[:]) != g.QValSHA {
				t.Errorf("%s: unpacked values sha256 differs", g.File)
			}
		}
	})
}

// TestQuantGoldenRequantize: quantizing the dequantized golden values with
// the packet's own scales and zero points reproduces its packed bytes.
func TestQuantGoldenRequantize(t *testing.T) {
	gs, qs := loadGoldenQuant(t)
	withImpl(t, func(t *testing.T, impl string) {
		for i, q := range qs {
			x := make([]float32, q.NumElements())
			if err := DequantizeInto(x, q); err != nil {
				t.Fatal(err)
			}
			r := *q
			r.Data = make([]byte, len(q.Data))
			quantizeValues(&r, x, nil)
			if !bytes.Equal(r.Data, q.Data) {
				t.Errorf("%s: requantized % x, packet % x", gs[i].File, r.Data, q.Data)
			}
		}
	})
}

// linspace32 is NumPy's linspace(start, stop, num) in float64 (y = i·step
// + start, the last element set to stop) cast to float32.
func linspace32(start, stop float64, num int) []float32 {
	out := make([]float32, num)
	step := (stop - start) / float64(num-1)
	for i := range out {
		out[i] = float32(float64(float64(i)*step) + start)
	}
	out[num-1] = float32(stop)
	return out
}

// TestQuantUpstreamFixture quantizes the input of the reference's pinned
// fixture quantized_qint8_per_tensor.tenso (linspace(−2, 2, 16) float32,
// shape [4,4], qint8 per_tensor) and requires FORMAT.md §11.1's NumPy 2.x
// values bit for bit.
//
// The golden quant_qint8_upstream_fixture_input.tenso holds the same
// input quantized under NumPy 1.x: same scale and packed body, zero point
// 0xBF00007F instead of 0xBF000080. This project follows the NumPy 2.x
// (float32) rule as FORMAT.md requires: it reproduces the reference's own
// pinned fixture and keeps every step in float32. The test also checks
// that the golden zero point is exactly the NumPy 1.x formula, so the only
// difference is the documented one.
func TestQuantUpstreamFixture(t *testing.T) {
	x := linspace32(-2, 2, 16)
	in := &Tensor{DType: Float32, Shape: []int{4, 4}, Data: f32Bytes(x)}
	gs, qs := loadGoldenQuant(t)
	var golden *Quantized
	for i, g := range gs {
		if g.File == "quant_qint8_upstream_fixture_input.tenso" {
			golden = qs[i]
		}
	}
	withImpl(t, func(t *testing.T, impl string) {
		q, err := Quantize(in, QInt8, PerTensor, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Scales) != 1 || math.Float32bits(q.Scales[0]) != 0x3C808081 {
			t.Fatalf("scale %#08x, want 0x3C808081", math.Float32bits(q.Scales[0]))
		}
		if math.Float32bits(q.ZeroPoints[0]) != 0xBF000080 {
			t.Fatalf("zero point %#08x, want 0xBF000080 (NumPy 2.x)", math.Float32bits(q.ZeroPoints[0]))
		}
		want := mustHex(t, "8091a2b3c4d5e6f708192a3b4c5d6e7f")
		if !bytes.Equal(q.Data, want) || !bytes.Equal(q.Data, golden.Data) {
			t.Fatalf("packed % x, want % x", q.Data, want)
		}
		if q.Axis != 0 || q.GroupSize != 0 || !reflect.DeepEqual(q.Shape, []int{4, 4}) {
			t.Fatalf("fields %+v", q)
		}
	})
	// NumPy 1.x: qmin − float64(min)/float64(scale), rounded once.
	np1 := float32(-128 - float64(x[0])/float64(golden.Scales[0]))
	if golden.Scales[0] != math.Float32frombits(0x3C808081) || math.Float32bits(np1) != math.Float32bits(golden.ZeroPoints[0]) || math.Float32bits(np1) != 0xBF00007F {
		t.Fatalf("golden zero point %#08x, NumPy 1.x formula %#08x", math.Float32bits(golden.ZeroPoints[0]), math.Float32bits(np1))
	}
}

// TestQuantGoldenConstant: a constant input gets scale 1, zero point 0
// (golden quant_quint4_constant: 3×3 of 2.0).
func TestQuantGoldenConstant(t *testing.T) {
	x := make([]float32, 9)
	for i := range x {
		x[i] = 2
	}
	q, err := Quantize(&Tensor{DType: Float32, Shape: []int{3, 3}, Data: f32Bytes(x)}, QUint4, PerTensor, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if q.Scales[0] != 1 || math.Float32bits(q.ZeroPoints[0]) != 0 || !bytes.Equal(q.Data, []byte{0x22, 0x22, 0x22, 0x22, 0x02}) {
		t.Fatalf("got %+v", q)
	}
}

// naiveQuantize is an independent, element-at-a-time reading of FORMAT.md
// §11.1 (NumPy 2.x zero point) used to check Quantize's slicing.
func naiveQuantize(x []float32, shape []int, d DType, s Scheme, axis, gs int) (scales, zps []float32, vals []int32) {
	n := len(x)
	param := func(i int) int {
		switch s {
		case PerChannel:
			inner := 1
			for _, v := range shape[axis+1:] {
				inner *= v
			}
			return (i / inner) % shape[axis]
		case PerGroup:
			return i / gs
		}
		return 0
	}
	np := 1
	switch s {
	case PerChannel:
		np = shape[axis]
	case PerGroup:
		np = (n + gs - 1) / gs
	}
	lo := make([]float64, np)
	hi := make([]float64, np)
	for i := range lo {
		lo[i], hi[i] = math.Inf(1), math.Inf(-1)
	}
	for i, v := range x {
		p := param(i)
		lo[p] = math.Min(lo[p], float64(v))
		hi[p] = math.Max(hi[p], float64(v))
	}
	qmin, qmax, _, _ := qRange(d)
	for p := range lo {
		if !(lo[p] < hi[p]) {
			scales, zps = append(scales, 1), append(zps, 0)
			continue
		}
		sc := float32((hi[p] - lo[p]) / float64(qmax-qmin))
		scales = append(scales, sc)
		zps = append(zps, qmin-float32(float32(lo[p])/sc))
	}
	for i, v := range x {
		p := param(i)
		y := float64(float32(float32(v/scales[p]) + zps[p]))
		y = math.RoundToEven(y)
		vals = append(vals, int32(math.Max(float64(qmin), math.Min(float64(qmax), y))))
	}
	return
}

// TestQuantizeMatchesNaive quantizes random tensors with every dtype,
// scheme and implementation and compares with naiveQuantize; all
// implementations must also agree with each other.
func TestQuantizeMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	shapes := [][]int{{}, {1}, {7}, {4, 6}, {3, 1, 5}, {2, 33, 3}, {130}, {5, 0}, {17, 19}, {2, 3, 4, 5}, {1000},
		{3, 64}, {2, 5, 32}, {4, 48}, {2, 3, 16}, {513}}
	for _, shape := range shapes {
		n := (&Tensor{Shape: shape}).NumElements()
		x := make([]float32, n)
		scale := math.Pow(10, float64(r.IntN(8)-4))
		for i := range x {
			x[i] = float32(r.NormFloat64() * scale)
		}
		in := &Tensor{DType: Float32, Shape: shape, Data: f32Bytes(x)}
		for _, d := range []DType{QInt8, QUint8, QInt4, QUint4} {
			for _, s := range []Scheme{PerTensor, PerChannel, PerGroup} {
				axis, gs := 0, 0
				if s == PerChannel {
					if len(shape) == 0 {
						continue
					}
					axis = r.IntN(len(shape))
				}
				if s == PerGroup {
					gs = 1 + r.IntN(40)
					if r.IntN(2) == 0 {
						gs = 16 * (1 + r.IntN(8)) // grouped-kernel sizes
					}
				}
				sc, zp, vals := naiveQuantize(x, shape, d, s, axis, gs)
				var first *Quantized
				withImpl(t, func(t *testing.T, impl string) {
					q, err := Quantize(in, d, s, axis, gs)
					if err != nil {
						t.Fatalf("%v %v %v axis=%d gs=%d: %v", shape, d, s, axis, gs, err)
					}
					if !reflect.DeepEqual(bitsOf(q.Scales), bitsOf(sc)) || !reflect.DeepEqual(bitsOf(q.ZeroPoints), bitsOf(zp)) {
						t.Fatalf("%v %v %v axis=%d gs=%d: params %v %v, naive %v %v", shape, d, s, axis, gs, q.Scales, q.ZeroPoints, sc, zp)
					}
					got := quantValues(q, n)
					if n > 0 && !reflect.DeepEqual(got, vals) {
						t.Fatalf("%v %v %v axis=%d gs=%d: values differ from naive", shape, d, s, axis, gs)
					}
					if first == nil {
						first = q
					} else if !reflect.DeepEqual(first, q) {
						t.Fatalf("%s differs from %s", impl, kernelImpls()[0])
					}
					// Dequantize per implementation against the scalar formula.
					deq := make([]float32, n)
					if err := DequantizeInto(deq, q); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}

// TestQuantizeInputDTypes: float16, bfloat16 and float64 inputs are
// converted to float32 first.
func TestQuantizeInputDTypes(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, 77)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	h := make([]uint16, len(x))
	Float32ToFloat16(h, x)
	hf := make([]float32, len(x))
	Float16ToFloat32(hf, h)
	b := make([]uint16, len(x))
	Float32ToBFloat16(b, x)
	bf := make([]float32, len(x))
	BFloat16ToFloat32(bf, b)
	u16b := func(s []uint16) []byte {
		out := make([]byte, 2*len(s)+1)[1:] // unaligned on purpose
		for i, v := range s {
			binary.LittleEndian.PutUint16(out[2*i:], v)
		}
		return out
	}
	f64 := make([]byte, 8*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint64(f64[8*i:], math.Float64bits(float64(v)+1e-12))
	}
	cases := []struct {
		in   *Tensor
		want []float32
	}{
		{&Tensor{DType: Float16, Shape: []int{7, 11}, Data: u16b(h)}, hf},
		{&Tensor{DType: BFloat16, Shape: []int{7, 11}, Data: u16b(b)}, bf},
		{&Tensor{DType: Float64, Shape: []int{7, 11}, Data: f64}, x},
	}
	for _, c := range cases {
		got, err := Quantize(c.in, QInt4, PerChannel, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Quantize(&Tensor{DType: Float32, Shape: []int{7, 11}, Data: f32Bytes(c.want)}, QInt4, PerChannel, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%v input quantizes differently from float32", c.in.DType)
		}
	}
}

// TestQuantizeEmpty: empty slices get scale 1 and zero point 0.
func TestQuantizeEmpty(t *testing.T) {
	q, err := Quantize(&Tensor{DType: Float32, Shape: []int{0}}, QInt8, PerTensor, 0, 0)
	if err != nil || len(q.Scales) != 1 || q.Scales[0] != 1 || q.ZeroPoints[0] != 0 || len(q.Data) != 0 {
		t.Fatalf("%+v %v", q, err)
	}
	q, err = Quantize(&Tensor{DType: Float32, Shape: []int{3, 0}}, QUint4, PerChannel, 0, 0)
	if err != nil || !reflect.DeepEqual(q.Scales, []float32{1, 1, 1}) || !reflect.DeepEqual(q.ZeroPoints, []float32{0, 0, 0}) {
		t.Fatalf("%+v %v", q, err)
	}
	q, err = Quantize(&Tensor{DType: Float32, Shape: []int{0, 5}}, QInt8, PerGroup, 0, 4)
	if err != nil || len(q.Scales) != 0 || q.GroupSize != 4 {
		t.Fatalf("%+v %v", q, err)
	}
	if _, err := Dequantize(q); err != nil {
		t.Fatal(err)
	}
}

// TestQuantizeErrors: misuse and non-finite input are errors wrapping
// ErrInvalid, never panics.
func TestQuantizeErrors(t *testing.T) {
	good := &Tensor{DType: Float32, Shape: []int{2, 2}, Data: f32Bytes([]float32{1, 2, 3, 4})}
	nan := &Tensor{DType: Float32, Shape: []int{2, 2}, Data: f32Bytes([]float32{1, float32(math.NaN()), 3, 4})}
	inf := &Tensor{DType: Float32, Shape: []int{2, 2}, Data: f32Bytes([]float32{1, 2, float32(math.Inf(-1)), 4})}
	sub := &Tensor{DType: Float32, Shape: []int{2}, Data: f32Bytes([]float32{0, math.Float32frombits(3)})}
	cases := []struct {
		t      *Tensor
		d      DType
		s      Scheme
		ax, gs int
	}{
		{nil, QInt8, PerTensor, 0, 0},
		{nan, QInt8, PerTensor, 0, 0},
		{inf, QUint4, PerGroup, 0, 3},
		{nan, QInt8, PerChannel, 1, 0},
		{sub, QInt8, PerTensor, 0, 0},
		{good, Float32, PerTensor, 0, 0},
		{good, QInt8, Scheme(3), 0, 0},
		{good, QInt8, PerChannel, 2, 0},
		{good, QInt8, PerChannel, -1, 0},
		{good, QInt8, PerGroup, 0, 0},
		{&Tensor{DType: Int32, Shape: []int{1}, Data: make([]byte, 4)}, QInt8, PerTensor, 0, 0},
		{&Tensor{DType: Float32, Shape: []int{3}, Data: make([]byte, 8)}, QInt8, PerTensor, 0, 0},
		{&Tensor{DType: Float32, Shape: []int{-1}}, QInt8, PerTensor, 0, 0},
	}
	for i, c := range cases {
		if _, err := Quantize(c.t, c.d, c.s, c.ax, c.gs); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d: err = %v, want ErrInvalid", i, err)
		}
	}
}

// TestDequantizeValidation: inconsistent Quantized values are rejected
// with ErrInvalid, never a panic.
func TestDequantizeValidation(t *testing.T) {
	ok := func() *Quantized {
		return &Quantized{DType: QInt4, Shape: []int{2, 3}, Scheme: PerChannel, Axis: 1,
			Scales: []float32{1, 2, 3}, ZeroPoints: []float32{0, 0, 0}, Data: []byte{1, 2, 3}}
	}
	if _, err := Dequantize(ok()); err != nil {
		t.Fatal(err)
	}
	bad := []func(q *Quantized){
		func(q *Quantized) { q.DType = Float32 },
		func(q *Quantized) { q.Scheme = 7 },
		func(q *Quantized) { q.Axis = 2 },
		func(q *Quantized) { q.Axis = -1 },
		func(q *Quantized) { q.Scales = q.Scales[:2] },
		func(q *Quantized) { q.ZeroPoints = nil },
		func(q *Quantized) { q.Data = q.Data[:2] },
		func(q *Quantized) { q.Data = append(q.Data, 0) },
		func(q *Quantized) { q.Shape = []int{2, -3} },
		func(q *Quantized) { q.Scheme, q.GroupSize = PerGroup, 0 },
		func(q *Quantized) { q.Scheme, q.GroupSize = PerGroup, 4 }, // needs 2 scales
		func(q *Quantized) { q.Scheme = PerTensor },                // needs 1 scale
		func(q *Quantized) { q.DType = QInt8 },                     // needs 6 bytes
	}
	for i, f := range bad {
		q := ok()
		f(q)
		if _, err := Dequantize(q); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d: Dequantize err = %v", i, err)
		}
		if err := DequantizeInto(make([]float32, 100), q); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d: DequantizeInto err = %v", i, err)
		}
	}
	// A shape beyond the format's limits is Encode's ErrTooLarge: one
	// validator (Quantized.Validate) for both.
	huge := ok()
	huge.Shape = []int{1 << 40, 1 << 40}
	_, derr := Dequantize(huge)
	_, eerr := Encode(huge, Options{})
	if !errors.Is(derr, ErrTooLarge) || eerr == nil || derr.Error() != eerr.Error() {
		t.Errorf("shape beyond the limits: Dequantize %v, Encode %v", derr, eerr)
	}
	if _, err := Dequantize(nil); !errors.Is(err, ErrInvalid) {
		t.Error("nil accepted")
	}
	if err := DequantizeInto(make([]float32, 5), ok()); !errors.Is(err, ErrInvalid) {
		t.Error("short dst accepted")
	}
}

// TestDequantizeOddGroups: 4-bit groups and channels that start in a high
// nibble, every implementation against the scalar formula.
func TestDequantizeOddGroups(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, gs := range []int{1, 3, 5, 31, 33, 64, 77} {
		n := 301
		q := &Quantized{DType: QInt4, Shape: []int{n}, Scheme: PerGroup, GroupSize: gs}
		for range (n + gs - 1) / gs {
			q.Scales = append(q.Scales, float32(r.Float64()))
			q.ZeroPoints = append(q.ZeroPoints, float32(r.NormFloat64()))
		}
		q.Data = make([]byte, (n+1)/2)
		for i := range q.Data {
			q.Data[i] = byte(r.Uint32())
		}
		q.Data[len(q.Data)-1] &= 0x0F
		want := make([]float32, n)
		for i := range want {
			b := q.Data[i/2]
			if i&1 == 1 {
				b >>= 4
			}
			want[i] = float32(float32(int8(b<<4)>>4)-q.ZeroPoints[i/gs]) * q.Scales[i/gs]
		}
		withImpl(t, func(t *testing.T, impl string) {
			got := make([]float32, n)
			if err := DequantizeInto(got, q); err != nil {
				t.Fatal(err)
			}
			cmpBits(t, "dequant groups", bitsOf(got), bitsOf(want))
		})
	}
}

func ExampleQuantize() {
	x := []float32{-2, -1, 0, 0.5, 1, 2}
	in := &Tensor{DType: Float32, Shape: []int{2, 3}, Data: f32Bytes(x)}
	// One scale and zero point per row. The zero point is not rounded
	// (FORMAT.md §11.1), so 0 comes back as a tiny value.
	q, err := Quantize(in, QInt8, PerChannel, 0, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(q.Scales, q.ZeroPoints)
	back := make([]float32, 6)
	if err := DequantizeInto(back, q); err != nil {
		panic(err)
	}
	fmt.Println(back)
	// Output:
	// [0.007843138 0.005882353] [126.999985 -213]
	// [-2 -1.0039215 1.1967678e-07 0.5 1 2]
}

// quantValues unpacks the n stored integers of q (qint8, quint8, qint4 or
// quint4).
func quantValues(q *Quantized, n int) []int32 {
	out := make([]int32, n)
	switch q.DType {
	case QInt8:
		for i, b := range q.Data[:n] {
			out[i] = int32(int8(b))
		}
	case QUint8:
		for i, b := range q.Data[:n] {
			out[i] = int32(b)
		}
	case QInt4:
		v := make([]int8, n)
		UnpackInt4(v, q.Data)
		for i, x := range v {
			out[i] = int32(x)
		}
	case QUint4:
		v := make([]uint8, n)
		UnpackUint4(v, q.Data)
		for i, x := range v {
			out[i] = int32(x)
		}
	}
	return out
}
