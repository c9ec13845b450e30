package host

import (
	"bytes"
	"context"
	"math"
	"reflect"
	"testing"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/golden"
)

// badVariants returns p's truncations and some byte flips of it, each
// with a name.
func badVariants(name string, p []byte) (names []string, out [][]byte) {
	for _, cut := range []int{len(p) - 1, len(p) / 2, 17, 7, 0} {
		if cut >= 0 && cut < len(p) {
			names = append(names, name+" truncated")
			out = append(out, p[:cut])
		}
	}
	for i := 0; i < len(p) && i < 200; i += 11 {
		q := bytes.Clone(p)
		q[i] ^= 0xA5
		names = append(names, name+" flipped")
		out = append(out, q)
	}
	return names, out
}

// TestDecodePrefixMatchesNative: every golden packet, its truncations,
// byte flips, and the whole corpus back to back give the module's
// DecodePrefix the value, length and error of native tenso.DecodePrefix.
func TestDecodePrefixMatchesNative(t *testing.T) {
	ctx := context.Background()
	c := newCodec(t)
	check := func(name string, p []byte) (int, bool) {
		t.Helper()
		want, wn, werr := tenso.DecodePrefix(p, tenso.Limits{})
		got, gn, gerr := c.DecodePrefix(ctx, p)
		if e := sameError(werr, gerr); e != nil {
			t.Fatalf("%s: %v", name, e)
		}
		if werr == nil && (gn != wn || describe(got) != describe(want)) {
			t.Fatalf("%s: native %d bytes %s, module %d bytes %s", name, wn, describe(want), gn, describe(got))
		}
		return gn, werr == nil
	}
	var all []byte
	cases := 0
	for _, f := range golden.Files(t) {
		name, _ := f["file"].(string)
		p := golden.Read(t, name)
		if n, ok := check(name, p); !ok || n != len(p) {
			t.Fatalf("%s: DecodePrefix took %d of %d bytes", name, n, len(p))
		}
		names, bad := badVariants(name, p)
		for i, b := range bad {
			check(names[i], b)
		}
		cases += 1 + len(bad)
		all = append(all, p...)
	}
	packets := 0
	for off := 0; off < len(all); packets++ {
		n, ok := check("back to back", all[off:])
		if !ok {
			t.Fatalf("back to back at %d: an error", off)
		}
		off += n
	}
	t.Logf("%d cases alike; %d packets, %d bytes back to back", cases, packets, len(all))
}

// TestInspectTreeMatchesNative: InspectTree (and Inspect) through the
// module equal native's for every golden packet, its truncations and byte
// flips, errors included.
func TestInspectTreeMatchesNative(t *testing.T) {
	ctx := context.Background()
	c := newCodec(t)
	parts := 0
	check := func(name string, p []byte) {
		t.Helper()
		want, werr := tenso.InspectTree(p, tenso.Limits{})
		got, gerr := c.InspectTree(ctx, p)
		if e := sameError(werr, gerr); e != nil {
			t.Fatalf("%s: InspectTree: %v", name, e)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: InspectTree\nmodule %+v\nnative %+v", name, got, want)
		}
		parts += len(want.Parts)
		want, werr = tenso.Inspect(p)
		got, gerr = c.Inspect(ctx, p)
		if e := sameError(werr, gerr); e != nil {
			t.Fatalf("%s: Inspect: %v", name, e)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: Inspect\nmodule %+v\nnative %+v", name, got, want)
		}
	}
	for _, f := range golden.Files(t) {
		name, _ := f["file"].(string)
		p := golden.Read(t, name)
		check(name, p)
		names, bad := badVariants(name, p)
		for i, b := range bad {
			check(names[i], b)
		}
	}
	if parts == 0 {
		t.Fatal("no container in the corpus")
	}
	t.Logf("%d top-level parts alike", parts)
}

// quantizedIn appends every quantized tensor inside v.
func quantizedIn(out []*tenso.Quantized, v tenso.Value) []*tenso.Quantized {
	switch v := v.(type) {
	case *tenso.Quantized:
		out = append(out, v)
	case *tenso.Bundle:
		for _, e := range v.Entries {
			out = quantizedIn(out, e.Value)
		}
	}
	return out
}

// TestDequantizeMatchesNative: every quantized tensor of the corpus
// dequantizes through the module to native's bytes, and invalid ones give
// native's errors.
func TestDequantizeMatchesNative(t *testing.T) {
	ctx := context.Background()
	c := newCodec(t)
	var qs []*tenso.Quantized
	for _, f := range golden.Files(t) {
		v, err := tenso.Decode(golden.Read(t, f["file"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		qs = quantizedIn(qs, v)
	}
	if len(qs) == 0 {
		t.Fatal("no quantized tensor in the corpus")
	}
	for i, q := range qs {
		want, err := tenso.Dequantize(q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Dequantize(ctx, q)
		if err != nil || got.DType != want.DType || !reflect.DeepEqual(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Fatalf("quantized %d (%s %v %s): module %v, %v", i, q.DType, q.Shape, q.Scheme, got, err)
		}
	}
	q := qs[0]
	bad := map[string]*tenso.Quantized{"nil": nil}
	mod := func(name string, f func(q *tenso.Quantized)) {
		b := *q
		b.Shape = append([]int(nil), q.Shape...)
		f(&b)
		bad[name] = &b
	}
	mod("dtype", func(q *tenso.Quantized) { q.DType = tenso.Float32 })
	mod("negative dim", func(q *tenso.Quantized) { q.Shape[0] = -1 })
	mod("huge shape", func(q *tenso.Quantized) { q.Shape = []int{1 << 20, 1 << 20, 1 << 20} })
	mod("short data", func(q *tenso.Quantized) { q.Data = q.Data[:len(q.Data)-1] })
	mod("scales", func(q *tenso.Quantized) { q.Scales = append(q.Scales, 1) })
	mod("zero points", func(q *tenso.Quantized) { q.ZeroPoints = nil })
	mod("axis", func(q *tenso.Quantized) { q.Scheme, q.Axis = tenso.PerChannel, 9 })
	mod("nan scale", func(q *tenso.Quantized) { q.Scales = []float32{float32(math.NaN())} })
	for name, b := range bad {
		_, werr := tenso.Dequantize(b)
		got, gerr := c.Dequantize(ctx, b)
		if werr == nil {
			// Native accepts it: so must the module, with the same bytes.
			want, _ := tenso.Dequantize(b)
			if gerr != nil || !bytes.Equal(got.Data, want.Data) {
				t.Errorf("%s: native accepts, module %v", name, gerr)
			}
			continue
		}
		if e := sameError(werr, gerr); e != nil {
			t.Errorf("%s: %v", name, e)
		}
	}
}
