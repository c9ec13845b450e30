package core

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Property test: random values of every kind under random options survive
// Encode → Decode, and the other writer entry points agree with Encode.

// equalValue compares two values by content: nil and empty shapes are the
// same, float scales compare by bits, ragged splits by integer value
// (the writer widens them to uint64).
func equalValue(a, b Value) error {
	switch x := a.(type) {
	case *Tensor:
		y, ok := b.(*Tensor)
		if !ok {
			return fmt.Errorf("dense vs %T", b)
		}
		return equalTensor(x, y)
	case *Quantized:
		y, ok := b.(*Quantized)
		if !ok {
			return fmt.Errorf("quantized vs %T", b)
		}
		if x.DType != y.DType || !equalInts(x.Shape, y.Shape) || x.Scheme != y.Scheme || !bytes.Equal(x.Data, y.Data) {
			return fmt.Errorf("quantized %s %v %s vs %s %v %s", x.DType, x.Shape, x.Scheme, y.DType, y.Shape, y.Scheme)
		}
		ax, ay, gx, gy := x.Axis, y.Axis, x.GroupSize, y.GroupSize
		if x.Scheme != PerChannel {
			ax, ay = 0, 0
		}
		if x.Scheme != PerGroup {
			gx, gy = 0, 0
		}
		if ax != ay || gx != gy || len(x.Scales) != len(y.Scales) || len(x.ZeroPoints) != len(y.ZeroPoints) {
			return fmt.Errorf("quantized axis/group/scales differ")
		}
		for i := range x.Scales {
			if math.Float32bits(x.Scales[i]) != math.Float32bits(y.Scales[i]) || math.Float32bits(x.ZeroPoints[i]) != math.Float32bits(y.ZeroPoints[i]) {
				return fmt.Errorf("scale or zero point %d differs", i)
			}
		}
		return nil
	case *Strings:
		y, ok := b.(*Strings)
		if !ok {
			return fmt.Errorf("strings vs %T", b)
		}
		dx, dy := x.DType, y.DType
		if dx == 0 {
			dx = String
		}
		if dy == 0 {
			dy = String
		}
		if dx != dy || !bytes.Equal(x.Offsets, y.Offsets) || !bytes.Equal(x.Payload, y.Payload) {
			return fmt.Errorf("strings differ: %q vs %q", x.Payload, y.Payload)
		}
		return nil
	case *Ragged:
		y, ok := b.(*Ragged)
		if !ok {
			return fmt.Errorf("ragged vs %T", b)
		}
		if x.Framed != y.Framed || x.FrameDType != y.FrameDType {
			return fmt.Errorf("ragged framing differs")
		}
		if len(x.Splits.Shape) != 1 || len(y.Splits.Shape) != 1 || x.Splits.Shape[0] != y.Splits.Shape[0] {
			return fmt.Errorf("ragged splits %v vs %v", x.Splits.Shape, y.Splits.Shape)
		}
		for i := 0; i < x.Splits.Shape[0]; i++ {
			u, _ := intAt(x.Splits, i)
			v, _ := intAt(y.Splits, i)
			if u != v {
				return fmt.Errorf("split %d: %d vs %d", i, u, v)
			}
		}
		return equalTensor(x.Flat, y.Flat)
	case *Bundle:
		y, ok := b.(*Bundle)
		if !ok {
			return fmt.Errorf("bundle vs %T", b)
		}
		if len(x.Entries) != len(y.Entries) {
			return fmt.Errorf("bundle of %d vs %d entries", len(x.Entries), len(y.Entries))
		}
		for i := range x.Entries {
			if x.Entries[i].Key != y.Entries[i].Key {
				return fmt.Errorf("key %d: %q vs %q", i, x.Entries[i].Key, y.Entries[i].Key)
			}
			if err := equalValue(x.Entries[i].Value, y.Entries[i].Value); err != nil {
				return fmt.Errorf("%q: %w", x.Entries[i].Key, err)
			}
		}
		return nil
	case *Sparse:
		y, ok := b.(*Sparse)
		if !ok {
			return fmt.Errorf("sparse vs %T", b)
		}
		if x.Format != y.Format || !equalInts(x.Shape, y.Shape) {
			return fmt.Errorf("sparse %s %v vs %s %v", x.Format, x.Shape, y.Format, y.Shape)
		}
		cx, cy := x.components(), y.components()
		for i := range cx {
			if err := equalTensor(cx[i], cy[i]); err != nil {
				return fmt.Errorf("component %d: %w", i, err)
			}
		}
		return nil
	case *IPCRef:
		y, ok := b.(*IPCRef)
		if !ok || *x != *y {
			return fmt.Errorf("IPC reference differs")
		}
		return nil
	}
	return fmt.Errorf("unknown value %T", a)
}

func equalTensor(x, y *Tensor) error {
	if x == nil || y == nil {
		if x != y {
			return fmt.Errorf("nil tensor")
		}
		return nil
	}
	if x.DType != y.DType || !equalInts(x.Shape, y.Shape) || !bytes.Equal(x.Data, y.Data) {
		return fmt.Errorf("dense %s %v (%d bytes) vs %s %v (%d bytes)", x.DType, x.Shape, len(x.Data), y.DType, y.Shape, len(y.Data))
	}
	return nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// gen makes random values.
type gen struct{ r *rand.Rand }

func (g *gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

func (g *gen) shape(maxRank int) []int {
	s := make([]int, g.r.IntN(maxRank+1))
	for i := range s {
		if g.r.IntN(8) == 0 {
			s[i] = 0
		} else {
			s[i] = 1 + g.r.IntN(4)
		}
	}
	return s
}

func (g *gen) tensorWith(dt DType, shape []int) *Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := g.bytes(n * dt.ItemSize())
	switch {
	case dt == Bool:
		for i := range data {
			data[i] &= 1
		}
	case g.r.IntN(3) == 0:
		// Compressible data too, so that LZ4 blocks are not all stored.
		for i := range data {
			data[i] = byte(i / 7)
		}
	}
	return &Tensor{DType: dt, Shape: shape, Data: data}
}

func (g *gen) tensor() *Tensor {
	dt := DType(1 + g.r.IntN(15))
	shape := g.shape(5)
	if g.r.IntN(20) == 0 {
		shape = []int{500 + g.r.IntN(20000)} // multi-block LZ4 bodies now and then
		dt = Uint8
	}
	return g.tensorWith(dt, shape)
}

func (g *gen) vector(dt DType, n int) *Tensor { return g.tensorWith(dt, []int{n}) }

func (g *gen) f32() float32 {
	if g.r.IntN(10) == 0 {
		return math.Float32frombits(g.r.Uint32()) // NaN payloads, infinities, subnormals
	}
	return float32(g.r.NormFloat64())
}

func (g *gen) quantized() *Quantized {
	q := &Quantized{DType: DType(16 + g.r.IntN(4)), Shape: g.shape(3)}
	n := q.NumElements()
	ns := 1
	switch g.r.IntN(3) {
	case 1:
		if len(q.Shape) > 0 {
			q.Scheme = PerChannel
			q.Axis = g.r.IntN(len(q.Shape))
			ns = q.Shape[q.Axis]
		}
	case 2:
		q.Scheme = PerGroup
		q.GroupSize = 1 + g.r.IntN(5)
		ns = (n + q.GroupSize - 1) / q.GroupSize
	}
	for i := 0; i < ns; i++ {
		q.Scales = append(q.Scales, g.f32())
		q.ZeroPoints = append(q.ZeroPoints, g.f32())
	}
	q.Data = g.bytes(q.DType.DataLen(n))
	return q
}

var sampleStrings = []string{"", "a", "hello", "ñ", "日本語", "😀 emoji", "tab\tnew\nline", "\x00nul", "long " + string(bytes.Repeat([]byte("x"), 300))}

func (g *gen) str() string { return sampleStrings[g.r.IntN(len(sampleStrings))] }

func (g *gen) strings() *Strings {
	vals := make([]string, g.r.IntN(6))
	for i := range vals {
		vals[i] = g.str()
	}
	s := NewStrings(vals...)
	if g.r.IntN(5) == 0 {
		s.DType = Bytes
		if len(s.Payload) > 0 {
			s.Payload[0] = 0xff // not UTF-8: fine for dtype 21
		}
	}
	return s
}

func (g *gen) ragged() *Ragged {
	rows := g.r.IntN(5)
	splits := []uint64{0}
	for i := 0; i < rows; i++ {
		splits = append(splits, splits[i]+uint64(g.r.IntN(4)))
	}
	return &Ragged{Splits: u64Tensor(splits...), Flat: g.vector(DType(1+g.r.IntN(15)), int(splits[rows]))}
}

var indexTypes = []DType{Int32, Int64, Uint8, Uint16, Int8, Int16, Uint32, Uint64}

func (g *gen) index(vals []int) *Tensor {
	dt := indexTypes[g.r.IntN(len(indexTypes))]
	t := &Tensor{DType: dt, Shape: []int{len(vals)}, Data: make([]byte, len(vals)*dt.ItemSize())}
	for i, v := range vals {
		switch dt.ItemSize() {
		case 1:
			t.Data[i] = byte(v)
		case 2:
			putU16(t.Data[2*i:], uint16(v))
		case 4:
			putU32(t.Data[4*i:], uint32(v))
		case 8:
			putU64(t.Data[8*i:], uint64(v))
		}
	}
	return t
}

func (g *gen) sparse() *Sparse {
	rows, cols := g.r.IntN(5), g.r.IntN(5)
	s := &Sparse{Format: SparseFormat(1 + g.r.IntN(3)), Shape: []int{rows, cols}}
	nnz := 0
	if rows > 0 && cols > 0 {
		nnz = g.r.IntN(7)
	}
	s.Data = g.vector(DType(1+g.r.IntN(15)), nnz)
	if s.Format == COO {
		r, c := make([]int, nnz), make([]int, nnz)
		for i := range r {
			r[i], c[i] = g.r.IntN(rows), g.r.IntN(cols)
		}
		s.Row, s.Col = g.index(r), g.index(c)
		return s
	}
	major, minor := rows, cols
	if s.Format == CSC {
		major, minor = cols, rows
	}
	if major == 0 {
		nnz = 0
		s.Data = g.vector(s.Data.DType, 0)
	}
	counts := make([]int, major)
	for i := 0; i < nnz; i++ {
		counts[g.r.IntN(major)]++
	}
	ptr := []int{0}
	for _, c := range counts {
		ptr = append(ptr, ptr[len(ptr)-1]+c)
	}
	idx := make([]int, nnz)
	for i := range idx {
		idx[i] = g.r.IntN(minor)
	}
	s.Indices, s.Indptr = g.index(idx), g.index(ptr)
	return s
}

func (g *gen) ipc() *IPCRef {
	r := &IPCRef{Offset: g.r.Uint64(), NBytes: g.r.Uint64()}
	copy(r.Handle[:], g.bytes(64))
	copy(r.DeviceUUID[:], g.bytes(16))
	return r
}

func (g *gen) bundle(depth int) *Bundle {
	b := &Bundle{}
	n := g.r.IntN(5)
	if depth >= 3 {
		n = g.r.IntN(2)
	}
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("%s%d", g.str(), i) // unique
		if g.r.IntN(6) == 0 && i == 0 {
			key = ""
		}
		b.Add(key, g.value(depth+1, false))
	}
	return b
}

// value returns a random value; strings only where allowed (top level).
func (g *gen) value(depth int, top bool) Value {
	for {
		switch k := g.r.IntN(12); {
		case k < 4:
			return g.tensor()
		case k == 4:
			return g.quantized()
		case k == 5 && top:
			return g.strings()
		case k == 6:
			return g.ragged()
		case k == 7:
			return g.sparse()
		case k == 8:
			return g.ipc()
		case k >= 9 && depth < 4:
			return g.bundle(depth)
		}
	}
}

func (g *gen) options(v Value) Options {
	var o Options
	if g.r.IntN(4) != 0 {
		o.Alignment = 1 << g.r.IntN(13) // 1..4096
	}
	o.Integrity = g.r.IntN(2) == 0
	o.Compress = g.r.IntN(3) == 0
	if _, ok := v.(*Strings); ok && o.Alignment != 64 {
		o.Alignment = 0
	}
	return o
}

// hasDense reports whether encoding v under Compress would compress a body
// (then EncodedLen cannot know the length).
func hasDense(v Value) bool {
	switch v := v.(type) {
	case *Tensor:
		return true
	case *Ragged:
		return true
	case *Bundle:
		for _, e := range v.Entries {
			if hasDense(e.Value) {
				return true
			}
		}
	}
	return false
}

func TestRoundTripProperty(t *testing.T) {
	g := &gen{r: rand.New(rand.NewPCG(2, 4))}
	cases := 4000
	if testing.Short() {
		cases = 500
	}
	kinds := map[string]int{}
	for i := 0; i < cases; i++ {
		v := g.value(0, true)
		o := g.options(v)
		kinds[v.Kind().String()]++
		if err := roundTrip(g, v, o); err != nil {
			t.Fatalf("case %d (%s, %+v): %v", i, v.Kind(), o, err)
		}
	}
	for _, k := range []string{"dense", "quantized", "string", "ragged", "bundle", "sparse_coo", "sparse_csr", "sparse_csc", "ipc_ref"} {
		if kinds[k] == 0 {
			t.Errorf("no %s value generated", k)
		}
	}
	t.Logf("%d cases: %v", cases, kinds)
}

func roundTrip(g *gen, v Value, o Options) error {
	p, err := Encode(v, o)
	if err != nil {
		return fmt.Errorf("Encode: %w", err)
	}
	got, n, err := DecodePrefix(p, Limits{})
	if err != nil {
		return fmt.Errorf("Decode: %w", err)
	}
	if n != len(p) {
		return fmt.Errorf("DecodePrefix consumed %d of %d bytes", n, len(p))
	}
	if err := equalValue(v, got); err != nil {
		return fmt.Errorf("decoded value differs: %w", err)
	}
	segs, total, err := Segments(v, o)
	if err != nil {
		return fmt.Errorf("Segments: %w", err)
	}
	if total != int64(len(p)) || !bytes.Equal(bytes.Join(segs, nil), p) {
		return fmt.Errorf("Segments (%d bytes in %d buffers) differ from Encode (%d bytes)", total, len(segs), len(p))
	}
	el, err := EncodedLen(v, o)
	switch {
	case o.Compress && hasDense(v):
		if !errors.Is(err, ErrInvalid) {
			return fmt.Errorf("EncodedLen with Compress over a dense body: %d, %v; want ErrInvalid", el, err)
		}
	case err != nil || el != int64(len(p)):
		return fmt.Errorf("EncodedLen = %d, %v; want %d", el, err, len(p))
	}
	prefix := g.bytes(g.r.IntN(100))
	dst := append(make([]byte, 0, len(prefix)+g.r.IntN(2*len(p)+1)), prefix...)
	out, err := Append(dst, v, o)
	if err != nil {
		return fmt.Errorf("Append: %w", err)
	}
	if !bytes.Equal(out[:len(prefix)], prefix) || !bytes.Equal(out[len(prefix):], p) {
		return fmt.Errorf("Append into a %d-byte prefix differs from Encode", len(prefix))
	}
	if pl, err := PacketLen(append(bytes.Clone(p), make([]byte, 100)...), Limits{}); err != nil || pl != len(p) {
		return fmt.Errorf("PacketLen with slack = %d, %v; want %d", pl, err, len(p))
	}
	info, err := Inspect(p)
	if err != nil {
		return fmt.Errorf("Inspect: %w", err)
	}
	if wk := v.Kind(); info.Kind != wk && !(wk == KindRagged && info.Kind == KindBundle) {
		return fmt.Errorf("Inspect kind %s, value kind %s", info.Kind, wk)
	}
	_, isTensor := v.(*Tensor)
	if !(isTensor && o.Compress) {
		sv, err := NewReader(bytes.NewReader(p)).Read()
		if err != nil {
			return fmt.Errorf("Reader: %w", err)
		}
		if err := equalValue(v, sv); err != nil {
			return fmt.Errorf("streamed value differs: %w", err)
		}
	}
	return nil
}

// TestRoundTripAppendReuse: Append into a reused buffer with room writes
// in place and does not allocate.
func TestRoundTripAppendReuse(t *testing.T) {
	v := tensorOf(Float32, []int{16, 16}, bytes.Repeat([]byte{1, 2, 3, 4}, 256))
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		buf, err = Append(buf[:0], v, Options{Integrity: true})
		if err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Append into a buffer with room: %.1f allocations per run, want 0", allocs)
	}
	if !bytes.Equal(buf, mustEncode(t, v, Options{Integrity: true})) {
		t.Fatal("Append output differs from Encode")
	}
}

// TestDecodeViewsAreCapped: decoded views end where their region ends, so
// appending to one never writes into the rest of the packet (a footer, the
// next bundle value).
func TestDecodeViewsAreCapped(t *testing.T) {
	for _, g := range goldenFiles(t) {
		if g.topCompressedDense() {
			continue
		}
		p := bytes.Clone(g.data)
		v, err := Decode(p)
		if err != nil {
			t.Fatal(err)
		}
		var walk func(Value)
		check := func(what string, b []byte) {
			if cap(b) != len(b) {
				t.Errorf("%s: %s view has len %d, cap %d", g.name, what, len(b), cap(b))
			}
			_ = append(b, 0xee)
		}
		walk = func(v Value) {
			switch x := v.(type) {
			case *Tensor:
				check("dense", x.Data)
			case *Quantized:
				check("quantized", x.Data)
			case *Strings:
				check("offsets", x.Offsets)
				check("payload", x.Payload)
			case *Ragged:
				walk(x.Splits)
				walk(x.Flat)
			case *Sparse:
				for _, c := range x.components() {
					walk(c)
				}
			case *Bundle:
				for _, e := range x.Entries {
					walk(e.Value)
				}
			}
		}
		walk(v)
		if !bytes.Equal(p, g.data) {
			t.Errorf("%s: appending to decoded views changed the packet", g.name)
		}
	}
}

// TestConcurrentCodec: Encode (with compression) and Decode share no
// state; run under -race.
func TestConcurrentCodec(t *testing.T) {
	gs := goldenFiles(t)
	done := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func(w int) {
			for i := w; i < len(gs); i += 2 {
				g := gs[i]
				v, err := Decode(g.data)
				if err != nil {
					done <- err
					return
				}
				o := goldenOptions(g.meta)
				o.Compress = !o.Compress
				if _, ok := v.(*Strings); ok {
					o.Alignment = 0
				}
				p, err := Encode(v, o)
				if err != nil {
					done <- fmt.Errorf("%s: %w", g.name, err)
					return
				}
				back, err := Decode(p)
				if err == nil {
					err = equalValue(v, back)
				}
				if err != nil {
					done <- fmt.Errorf("%s: %w", g.name, err)
					return
				}
			}
			done <- nil
		}(w)
	}
	for w := 0; w < 4; w++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestEncodedLenLargeAlignment: the largest alignment is accepted and
// sized without building the packet.
func TestEncodedLenLargeAlignment(t *testing.T) {
	for _, a := range []int{1 << 20, 1 << 31} {
		n, err := EncodedLen(f32Tensor(1), Options{Alignment: a})
		if err != nil || n != int64(a)+4 {
			t.Errorf("alignment %d: EncodedLen = %d, %v; want %d", a, n, err, int64(a)+4)
		}
	}
	p := mustEncode(t, f32Tensor(1), Options{Alignment: 1 << 20})
	if in, err := Inspect(p); err != nil || in.BodyOffset != 1<<20 || in.Alignment != 1<<20 || p[14] != 20 {
		t.Errorf("alignment 2^20: %+v, %v", in, err)
	}
}

// Encode takes a different allocation path for large bodies; it must
// produce the same bytes as Append, footer included, at sizes around the
// runtime's page rounding.
func TestEncodeLargeBodyPath(t *testing.T) {
	for _, n := range []int{bigBody, bigBody + 1, 8192*20 - 64, 8192*20 - 72, 8192*20 - 56, 1 << 20} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i * 7)
		}
		ten := &Tensor{DType: Uint8, Shape: []int{n}, Data: data}
		for _, o := range []Options{{}, {Integrity: true}, {Alignment: 4096, Integrity: true}, {Alignment: 1}} {
			got, err := Encode(ten, o)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Append(nil, ten, o)
			if !bytes.Equal(got, want) {
				t.Fatalf("n=%d %+v: Encode differs from Append", n, o)
			}
		}
	}
}
