package core

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
)

// claimingBundles returns a packet of depth bundles, each holding one
// entry (key "k") whose value is the next bundle, around inner. claim is
// the entry count each bundle header claims (1 for a valid packet). It is
// built in one pass: a million levels take a few tens of megabytes.
func claimingBundles(depth int, claim byte, inner []byte) []byte {
	const level = 19 // header 10 + key length 4 + key 1 + value length 4
	out := make([]byte, 0, depth*level+len(inner))
	for i := 0; i < depth; i++ {
		out = append(out, 'T', 'N', 'S', 'O', 4, FlagBundle, 0, 0, claim, 0)
		out = binary.LittleEndian.AppendUint32(out, 1)
		out = append(out, 'k')
		out = binary.LittleEndian.AppendUint32(out, uint32((depth-i-1)*level+len(inner)))
	}
	return append(out, inner...)
}

// A raised MaxDepth is capped at MaxDepthCeiling: a packet nested 1.5
// million levels deep (27 MB) is refused with ErrTooLarge instead of
// overflowing the goroutine stack (a fatal error), by every walker.
func TestDepthCeiling(t *testing.T) {
	inner := mustEncode(t, tensorOf(Uint8, []int{1}, []byte{7}), Options{})
	deep := claimingBundles(1_500_000, 1, inner)
	l := Limits{MaxDepth: 10_000_000}
	if _, err := DecodeWith(deep, l); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Decode of 1.5M levels: %v, want ErrTooLarge", err)
	}
	if _, err := InspectTree(deep, l); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("InspectTree of 1.5M levels: %v, want ErrTooLarge", err)
	}
	if _, err := DecompressedSize(deep, l); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("DecompressedSize of 1.5M levels: %v, want ErrTooLarge", err)
	}
	if n, err := PacketLen(deep, l); err != nil || n != len(deep) {
		t.Fatalf("PacketLen: %d, %v (want %d)", n, err, len(deep))
	}
	// Exactly at the ceiling the packet decodes.
	ok := claimingBundles(MaxDepthCeiling, 1, inner)
	v, err := DecodeWith(ok, l)
	if err != nil {
		t.Fatalf("depth %d: %v", MaxDepthCeiling, err)
	}
	for i := 0; i < MaxDepthCeiling; i++ {
		v = v.(*Bundle).Entries[0].Value
	}
	if tt, ok := v.(*Tensor); !ok || !bytes.Equal(tt.Data, []byte{7}) {
		t.Fatalf("innermost value %#v", v)
	}
	if _, err := DecodeWith(claimingBundles(MaxDepthCeiling+1, 1, inner), l); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("depth %d: %v, want ErrTooLarge", MaxDepthCeiling+1, err)
	}
}

// allocBytes returns the bytes allocated by fn.
func allocBytes(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// A bundle's claimed entry count reserves nothing: 64 nested bundles each
// claiming 255 entries (holding one) allocate a small multiple of the
// packet before the error.
func TestBundleClaimsReserveNothing(t *testing.T) {
	p := claimingBundles(DefaultMaxDepth-1, 255, mustEncode(t, tensorOf(Uint8, []int{1}, []byte{7}), Options{}))
	var err error
	n := allocBytes(func() { _, err = Decode(p) })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Decode: %v, want ErrCorrupt (entries missing)", err)
	}
	t.Logf("%d-byte packet, %d bytes allocated", len(p), n)
	if n > 4*uint64(len(p)) {
		t.Fatalf("decoding a %d-byte packet allocated %d bytes", len(p), n)
	}
}

// MaxDecodedBytes bounds the decompressed bodies of one packet, summed,
// and refuses before allocating them; DecompressedSize reports the same
// sum from headers.
func TestMaxDecodedBytes(t *testing.T) {
	zeros := tensorOf(Uint8, []int{1 << 20}, make([]byte, 1<<20))
	bomb := mustEncode(t, zeros, Options{Compress: true})
	if len(bomb) > 1<<14 {
		t.Fatalf("1 MiB of zeros compressed to %d bytes", len(bomb))
	}
	if n, err := DecompressedSize(bomb, Limits{}); err != nil || n != 1<<20 {
		t.Fatalf("DecompressedSize %d, %v", n, err)
	}
	var err error
	n := allocBytes(func() { _, err = DecodeWith(bomb, Limits{MaxDecodedBytes: 1 << 19}) })
	var fe *FormatError
	if !errors.Is(err, ErrTooLarge) || !errors.As(err, &fe) || fe.Field != "lz4 frame" {
		t.Fatalf("over the limit: %v", err)
	}
	if n > 1<<16 {
		t.Fatalf("refusing allocated %d bytes", n)
	}
	if _, err := DecodeWith(bomb, Limits{MaxDecodedBytes: 1 << 20}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	// Two bodies of 1 MiB in a bundle: the limit applies to their sum.
	b := new(Bundle).Add("a", zeros).Add("b", zeros)
	two := mustEncode(t, b, Options{Compress: true})
	if n, err := DecompressedSize(two, Limits{}); err != nil || n != 2<<20 {
		t.Fatalf("DecompressedSize of the bundle %d, %v", n, err)
	}
	if _, err := DecodeWith(two, Limits{MaxDecodedBytes: 3 << 19}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("bundle over the limit: %v", err)
	}
	if _, err := DecodeWith(two, Limits{MaxDecodedBytes: 2 << 20}); err != nil {
		t.Fatalf("bundle at the limit: %v", err)
	}
	// DecodeTensor follows the same limit.
	var tt Tensor
	if err := DecodeTensor(&tt, bomb, nil, Limits{MaxDecodedBytes: 1000}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("DecodeTensor over the limit: %v", err)
	}
	// Uncompressed packets decode to views: nothing counts.
	plain := mustEncode(t, zeros, Options{})
	if n, err := DecompressedSize(plain, Limits{}); err != nil || n != 0 {
		t.Fatalf("DecompressedSize of an uncompressed packet %d, %v", n, err)
	}
	if _, err := DecodeWith(plain, Limits{MaxDecodedBytes: 1}); err != nil {
		t.Fatalf("uncompressed packet: %v", err)
	}
}

// InspectTree describes every entry of every golden container: each part
// is the exact packet of the corresponding decoded value.
func TestInspectTreeGolden(t *testing.T) {
	for _, g := range goldenFiles(t) {
		v, err := Decode(g.data)
		if err != nil {
			continue
		}
		tree, err := InspectTree(g.data, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		checkTree(t, g.name, g.data, tree, v)
	}
}

func checkTree(t *testing.T, name string, p []byte, in Info, v Value) {
	t.Helper()
	var keys []string
	var vals []Value
	switch x := v.(type) {
	case *Bundle:
		for _, e := range x.Entries {
			keys, vals = append(keys, e.Key), append(vals, e.Value)
		}
	case *Ragged:
		keys = []string{RaggedOffsetsKey, RaggedFlatKey, RaggedCountKey}
		vals = []Value{x.Splits, x.Flat, nil}
	case *Sparse:
		keys, vals = []string{"data", "row", "col"}, []Value{x.Data, x.Row, x.Col}
		if x.Format != COO {
			keys, vals = []string{"data", "indices", "indptr"}, []Value{x.Data, x.Indices, x.Indptr}
		}
	}
	if len(in.Parts) != len(keys) {
		t.Fatalf("%s: %d parts, want %d", name, len(in.Parts), len(keys))
	}
	for i, pt := range in.Parts {
		if pt.Key != keys[i] {
			t.Fatalf("%s: part %d key %q, want %q", name, i, pt.Key, keys[i])
		}
		sub := p[pt.Offset : pt.Offset+pt.Len]
		want, err := Inspect(sub)
		if err != nil {
			t.Fatalf("%s: part %q: %v", name, pt.Key, err)
		}
		want.Parts = pt.Info.Parts
		if pt.Info.Kind != want.Kind || pt.Info.Version != want.Version || pt.Info.BodyOffset != want.BodyOffset || pt.Info.Compressed != want.Compressed {
			t.Fatalf("%s: part %q: %+v, Inspect of its bytes %+v", name, pt.Key, pt.Info, want)
		}
		if vals[i] != nil {
			got, err := Decode(sub)
			if err != nil || got.Kind() != vals[i].Kind() {
				t.Fatalf("%s: part %q decodes to %v, %v; the entry is %s", name, pt.Key, got, err, vals[i].Kind())
			}
			checkTree(t, name+"/"+pt.Key, p, pt.Info, vals[i])
		}
	}
}
