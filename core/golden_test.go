package core

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/tenso-go/tenso/internal/golden"
	"math"
	"strconv"
	"testing"
)

// The golden corpus (testdata/, copied from the reference's output) and its
// manifest: FORMAT.md §21.

func jint(v any) int64 {
	n, err := v.(json.Number).Int64()
	if err != nil {
		panic(err)
	}
	return n
}

func jints(v any) []int {
	var out []int
	for _, x := range v.([]any) {
		out = append(out, int(jint(x)))
	}
	return out
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// elemString renders element i of t the way the manifest's first_values
// would compare: floats via strconv of the float64 value.
func checkFirstValues(t *testing.T, where string, ten *Tensor, want []any) {
	t.Helper()
	for i, w := range want {
		if err := compareElem(ten, i, w); err != nil {
			t.Errorf("%s: first_values[%d]: %v", where, i, err)
		}
	}
}

func compareFloat(got float64, w any) error {
	switch w := w.(type) {
	case string:
		ok := (w == "nan" && math.IsNaN(got)) || (w == "inf" && math.IsInf(got, 1)) || (w == "-inf" && math.IsInf(got, -1))
		if !ok {
			return fmt.Errorf("got %v, want %s", got, w)
		}
		return nil
	case json.Number:
		f, err := strconv.ParseFloat(string(w), 64)
		if err != nil {
			return err
		}
		if f != got {
			return fmt.Errorf("got %v, want %v", got, f)
		}
		return nil
	}
	return fmt.Errorf("unexpected manifest value %T", w)
}

func compareElem(ten *Tensor, i int, w any) error {
	b := ten.Data
	switch ten.DType {
	case Float32:
		return compareFloat(float64(math.Float32frombits(getU32(b[4*i:]))), w)
	case Float64:
		return compareFloat(math.Float64frombits(getU64(b[8*i:])), w)
	case Float16:
		return compareFloat(float64(halfToFloat(getU16(b[2*i:]))), w)
	case Complex64:
		pair := w.([]any)
		if err := compareFloat(float64(math.Float32frombits(getU32(b[8*i:]))), pair[0]); err != nil {
			return err
		}
		return compareFloat(float64(math.Float32frombits(getU32(b[8*i+4:]))), pair[1])
	case Complex128:
		pair := w.([]any)
		if err := compareFloat(math.Float64frombits(getU64(b[16*i:])), pair[0]); err != nil {
			return err
		}
		return compareFloat(math.Float64frombits(getU64(b[16*i+8:])), pair[1])
	case Bool:
		if (b[i] != 0) != w.(bool) {
			return fmt.Errorf("got %d, want %v", b[i], w)
		}
		return nil
	case Uint64:
		got := strconv.FormatUint(getU64(b[8*i:]), 10)
		if got != string(w.(json.Number)) {
			return fmt.Errorf("got %s, want %s", got, w)
		}
		return nil
	}
	got, _ := intAt(ten, i)
	if got != jint(w) {
		return fmt.Errorf("got %d, want %s", got, w)
	}
	return nil
}

// halfToFloat is a test-local float16 decoder (the production conversions
// live in the root package).
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp == 0:
		f := float32(man) / 1024 / 16384
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
}

func checkDense(t *testing.T, where string, v Value, d map[string]any) *Tensor {
	t.Helper()
	ten, ok := v.(*Tensor)
	if !ok {
		t.Errorf("%s: got %T, want *Tensor", where, v)
		return nil
	}
	if ten.DType.String() != d["dtype"] || int64(ten.DType) != jint(d["dtype_code"]) {
		t.Errorf("%s: dtype %s, want %v", where, ten.DType, d["dtype"])
	}
	if fmt.Sprint(ten.Shape) != fmt.Sprint(jints(d["shape"])) {
		t.Errorf("%s: shape %v, want %v", where, ten.Shape, d["shape"])
	}
	if int64(len(ten.Data)) != jint(d["nbytes"]) || sha(ten.Data) != d["sha256_le_c_order"] {
		t.Errorf("%s: data (%d bytes) does not match the manifest's sha256", where, len(ten.Data))
	}
	if fv, ok := d["first_values"].([]any); ok {
		checkFirstValues(t, where, ten, fv)
	}
	return ten
}

func checkValue(t *testing.T, where string, v Value, d map[string]any) {
	t.Helper()
	switch d["kind"] {
	case "dense":
		checkDense(t, where, v, d)
	case "quantized":
		q, ok := v.(*Quantized)
		if !ok {
			t.Fatalf("%s: got %T, want *Quantized", where, v)
		}
		if q.DType.String() != d["dtype"] || fmt.Sprint(q.Shape) != fmt.Sprint(jints(d["shape"])) ||
			q.Scheme.String() != d["scheme"] || int64(q.Axis) != jint(d["axis"]) || int64(q.GroupSize) != jint(d["group_size"]) {
			t.Errorf("%s: header mismatch: %s %v %s axis %d group %d", where, q.DType, q.Shape, q.Scheme, q.Axis, q.GroupSize)
		}
		var sc, zp []byte
		for i := range q.Scales {
			sc = binaryLE32(sc, math.Float32bits(q.Scales[i]))
			zp = binaryLE32(zp, math.Float32bits(q.ZeroPoints[i]))
		}
		if hex.EncodeToString(sc) != d["scales_f32_hex_le"] || hex.EncodeToString(zp) != d["zero_points_f32_hex_le"] {
			t.Errorf("%s: scales/zero points differ", where)
		}
		if hex.EncodeToString(q.Data) != d["packed_data_hex"] || sha(q.Data) != d["packed_data_sha256"] {
			t.Errorf("%s: packed data differs", where)
		}
	case "string":
		s, ok := v.(*Strings)
		if !ok {
			t.Fatalf("%s: got %T, want *Strings", where, v)
		}
		want := d["strings"].([]any)
		if s.Len() != len(want) || int64(s.Len()) != jint(d["count"]) {
			t.Fatalf("%s: %d strings, want %d", where, s.Len(), len(want))
		}
		for i, w := range want {
			if s.At(i) != w.(string) {
				t.Errorf("%s: string %d = %q, want %q", where, i, s.At(i), w)
			}
		}
		if sha(s.Payload) != d["payload_sha256"] {
			t.Errorf("%s: payload sha256 differs", where)
		}
	case "ragged":
		r, ok := v.(*Ragged)
		if !ok {
			t.Fatalf("%s: got %T, want *Ragged", where, v)
		}
		want := jints(d["row_splits"])
		if r.Splits.DType != Uint64 || len(want) != r.Splits.Shape[0] {
			t.Fatalf("%s: splits %s %v", where, r.Splits.DType, r.Splits.Shape)
		}
		for i, w := range want {
			if got, _ := intAt(r.Splits, i); got != int64(w) {
				t.Errorf("%s: split %d = %d, want %d", where, i, got, w)
			}
		}
		checkDense(t, where+" flat", r.Flat, d["flat"].(map[string]any))
	case "bundle":
		b, ok := v.(*Bundle)
		if !ok {
			t.Fatalf("%s: got %T, want *Bundle", where, v)
		}
		entries := d["entries"].([]any)
		if len(b.Entries) != len(entries) || int64(len(entries)) != jint(d["count"]) {
			t.Fatalf("%s: %d entries, want %d", where, len(b.Entries), len(entries))
		}
		for i, e := range entries {
			em := e.(map[string]any)
			if b.Entries[i].Key != em["key"] {
				t.Errorf("%s: key %d = %q, want %q", where, i, b.Entries[i].Key, em["key"])
			}
			checkValue(t, where+"/"+b.Entries[i].Key, b.Entries[i].Value, em)
		}
	case "sparse_coo", "sparse_csr", "sparse_csc":
		s, ok := v.(*Sparse)
		if !ok {
			t.Fatalf("%s: got %T, want *Sparse", where, v)
		}
		if s.Kind().String() != d["kind"] || fmt.Sprint(s.Shape) != fmt.Sprint(jints(d["shape"])) {
			t.Errorf("%s: %s %v", where, s.Kind(), s.Shape)
		}
		comps := s.components()
		for i, c := range d["components"].([]any) {
			checkDense(t, where+" "+c.(map[string]any)["name"].(string), comps[i], c.(map[string]any))
		}
	default:
		t.Fatalf("%s: unknown manifest kind %v", where, d["kind"])
	}
}

func binaryLE32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

func goldenOptions(f map[string]any) Options {
	o := Options{}
	opts := f["options"].(map[string]any)
	if v, ok := opts["check_integrity"].(bool); ok {
		o.Integrity = v
	}
	if v, ok := opts["compress"].(bool); ok {
		o.Compress = v
	}
	if v, ok := opts["alignment"]; ok {
		o.Alignment = int(jint(v))
	}
	return o
}

func TestGoldenCorpus(t *testing.T) {
	exact := 0
	for _, f := range golden.Files(t) {
		name := f["file"].(string)
		t.Run(name, func(t *testing.T) {
			p := golden.Read(t, name)
			if int64(len(p)) != jint(f["size"]) || sha(p) != f["sha256"] {
				t.Fatalf("golden file differs from the manifest")
			}
			v, n, err := DecodePrefix(p, Limits{})
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if n != len(p) {
				t.Errorf("consumed %d of %d bytes", n, len(p))
			}
			checkValue(t, name, v, f)
			o := goldenOptions(f)
			if f["byte_exact"] == true {
				exact++
				got, err := Encode(v, o)
				if err != nil {
					t.Fatalf("re-encode: %v", err)
				}
				if !bytes.Equal(got, p) {
					t.Fatalf("re-encoded bytes differ (%d vs %d bytes)", len(got), len(p))
				}
				if n, err := EncodedLen(v, o); err != nil || n != int64(len(p)) {
					t.Errorf("EncodedLen = %d, %v; want %d", n, err, len(p))
				}
				segs, total, err := Segments(v, o)
				if err != nil || total != int64(len(p)) || !bytes.Equal(bytes.Join(segs, nil), p) {
					t.Errorf("Segments differ from the packet: %v", err)
				}
			} else if name[:3] != "v3_" || o.Compress {
				// Compressed packets round-trip by content.
				got, err := Encode(v, o)
				if err != nil {
					t.Fatalf("re-encode: %v", err)
				}
				back, err := Decode(got)
				if err != nil {
					t.Fatalf("decode of re-encoded packet: %v", err)
				}
				checkValue(t, name+" (re-encoded)", back, f)
			}
		})
	}
	if exact != 80 {
		t.Errorf("%d byte-exact packets checked, the corpus has 80", exact)
	}
}

// TestDecodePrefixBackToBack: the whole corpus back to back is walked by
// DecodePrefix, each value equal to Decode of its packet alone and each
// length its packet's (a compressed dense packet followed by more bytes
// included).
func TestDecodePrefixBackToBack(t *testing.T) {
	var all []byte
	var names []string
	var lens []int
	for _, f := range golden.Files(t) {
		name := f["file"].(string)
		p := golden.Read(t, name)
		all = append(all, p...)
		names = append(names, name)
		lens = append(lens, len(p))
	}
	off := 0
	for i, name := range names {
		alone := all[off : off+lens[i] : off+lens[i]]
		want, err := Decode(alone)
		if err != nil {
			t.Fatalf("%s: Decode: %v", name, err)
		}
		got, n, err := DecodePrefix(all[off:], Limits{})
		if err != nil || n != lens[i] {
			t.Fatalf("%s at %d: DecodePrefix = %d, %v; want %d bytes", name, off, n, err, lens[i])
		}
		if err := equalValue(got, want); err != nil {
			t.Fatalf("%s at %d: DecodePrefix differs from Decode: %v", name, off, err)
		}
		off += n
	}
	if off != len(all) {
		t.Fatalf("walked %d of %d bytes", off, len(all))
	}
}
