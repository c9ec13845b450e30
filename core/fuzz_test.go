package core

import (
	"bytes"
	"errors"
	"io"
	"runtime/metrics"
	"testing"
)

// Fuzz targets for Decode, the stream Reader and Inspect, seeded from the
// golden corpus: no panic, only FormatErrors (or EOF types from streams),
// no allocation beyond what the packet justifies, and what decodes
// re-encodes to an equal value.
//
//	go test ./core -run XXX -fuzz FuzzDecode -fuzztime 60s
//
// Crashers are kept under testdata/fuzz/<Target>/ as regression seeds.

func addSeeds(f *testing.F) {
	for _, g := range goldenFiles(f) {
		if len(g.data) > 16<<10 {
			// dense_f32_1M (4 MB) and dense_f32_1M_compressed_integrity
			// (20 KB decoding to 4 MB) have the structure of smaller seeds
			// but cost milliseconds per run; the fuzzer then spends its
			// whole time minimizing their mutations (and -fuzztime can run
			// out mid-minimization). A smaller multi-block seed is below.
			continue
		}
		f.Add(g.data)
	}
	f.Add(mustEncode(f, &IPCRef{Offset: 1, NBytes: 2}, Options{}))
	f.Add(rawStrings(FlagRagged|FlagAligned|FlagIntegrity, Float32, 2, []uint64{0, 4, 8}, f32s(1, 2)))
	f.Add(rawStringsAt(FlagString|FlagCustAlign, 4, 16, []uint64{0, 3}, []byte("hé")))
	f.Add(mustEncode(f, &Bundle{Entries: []Entry{{"s", &Sparse{Format: CSC, Shape: []int{2, 3}, Data: f32Tensor(1), Indices: i32Tensor(1), Indptr: i32Tensor(0, 0, 1, 1)}}}}, Options{Alignment: 8}))
	f.Add(mustEncode(f, tensorOf(Uint8, []int{300}, bytes.Repeat([]byte{9}, 300)), Options{Compress: true}))
	multi := make([]byte, 200<<10) // four 64 KiB blocks
	for i := range multi {
		multi[i] = byte(i/3) ^ byte(i>>12)
	}
	f.Add(mustEncode(f, tensorOf(Uint8, []int{len(multi)}, multi), Options{Compress: true, Integrity: true}))
	f.Add(mustEncode(f, &Bundle{Entries: []Entry{{"m", tensorOf(Uint16, []int{len(multi) / 2}, multi)}}}, Options{Compress: true}))
}

// reencodable reports whether the writer accepts v (some decodable values
// are refused on purpose: duplicate keys, string values in bundles, the
// decode-only RAGGED framing).
func reencodable(v Value, top bool) bool {
	switch v := v.(type) {
	case *Strings:
		return top
	case *Ragged:
		return !v.Framed
	case *Bundle:
		seen := map[string]bool{}
		for _, e := range v.Entries {
			if seen[e.Key] || !reencodable(e.Value, false) {
				return false
			}
			seen[e.Key] = true
		}
	}
	return true
}

// fuzzAllocLimit is what decoding len(data) bytes may allocate: a
// compressed body may expand LZ4's maximum ratio (about 255×); everything
// else is proportional to the packet with small constants.
func fuzzAllocLimit(n int) uint64 { return 300*uint64(n) + 1<<20 }

func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		// runtime/metrics, unlike ReadMemStats, does not stop the world;
		// its count of small allocations lags by at most a span per size
		// class, far below the limit's 1 MiB of slack.
		sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
		metrics.Read(sample)
		a0 := sample[0].Value.Uint64()
		v, n, err := DecodePrefix(data, Limits{})
		metrics.Read(sample)
		if a := sample[0].Value.Uint64() - a0; a > fuzzAllocLimit(len(data)) {
			t.Fatalf("decoding %d bytes allocated %d bytes", len(data), a)
		}
		if err != nil {
			checkFormatErr(t, "Decode", err, nil, len(data))
			return
		}
		if n < 8 || n > len(data) {
			t.Fatalf("DecodePrefix consumed %d of %d bytes", n, len(data))
		}
		// Decoding is deterministic and ignores what follows the packet
		// (a compressed dense packet too: it is delimited as by PacketLen).
		info, err := Inspect(data)
		if err != nil {
			t.Fatalf("Decode succeeded, Inspect failed: %v", err)
		}
		if !(info.Kind == v.Kind() || info.Kind == KindBundle && v.Kind() == KindRagged) {
			t.Fatalf("Inspect kind %s, decoded kind %s", info.Kind, v.Kind())
		}
		v2, n2, err := DecodePrefix(data[:n], Limits{})
		if err != nil || n2 != n {
			t.Fatalf("decoding the %d consumed bytes alone: %d, %v", n, n2, err)
		}
		if err := equalValue(v, v2); err != nil {
			t.Fatal(err)
		}
		if pl, err := PacketLen(data, Limits{}); err != nil || pl != n {
			t.Fatalf("PacketLen = %d, %v; DecodePrefix consumed %d", pl, err, n)
		}
		if !reencodable(v, true) {
			return
		}
		for _, o := range []Options{{}, {Integrity: true, Alignment: 8}} {
			if _, ok := v.(*Strings); ok {
				o.Alignment = 0 // string packets are always 64-aligned
			}
			p, err := Encode(v, o)
			if err != nil {
				t.Fatalf("re-encode (%+v) of a decoded %s: %v", o, v.Kind(), err)
			}
			back, err := Decode(p)
			if err != nil {
				t.Fatalf("decode of the re-encoded packet: %v", err)
			}
			if err := equalValue(v, back); err != nil {
				t.Fatalf("re-encoded value differs: %v", err)
			}
		}
	})
}

func FuzzReader(f *testing.F) {
	addSeeds(f)
	// Two packets back to back, and a packet followed by garbage.
	a, b := goldenByName(f, "dense_f32.tenso"), goldenByName(f, "bundle_compressed_integrity.tenso")
	f.Add(cat(a, b))
	f.Add(cat(b, a[:20]))
	f.Fuzz(func(t *testing.T, data []byte) {
		// What Decode reads from the front of data (all but a top-level
		// compressed dense packet), the Reader delivers too.
		if _, dn, err := DecodePrefix(data, Limits{}); err == nil {
			if info, _ := Inspect(data); !(info.Kind == KindDense && info.Compressed) {
				p, err := NewReader(bytes.NewReader(data)).ReadPacket()
				if err != nil || len(p) != dn {
					t.Fatalf("Decode reads a %d-byte packet; the Reader: %d bytes, %v", dn, len(p), err)
				}
			}
		}
		cr := &countingReader{r: bytes.NewReader(data)}
		r := NewReader(cr)
		off := int64(0)
		for i := 0; ; i++ {
			v, err := r.Read()
			if err != nil {
				switch {
				case err == io.EOF:
					if off != int64(len(data)) {
						t.Fatalf("io.EOF at %d of %d bytes", off, len(data))
					}
				case errors.Is(err, io.ErrUnexpectedEOF):
					if off >= int64(len(data)) {
						t.Fatalf("unexpected EOF at the end of the data")
					}
					if _, _, derr := DecodePrefix(data[off:], Limits{}); derr == nil {
						t.Fatalf("stream at %d ends early (%v) but Decode of the rest succeeds", off, err)
					}
				default:
					checkFormatErr(t, "Reader", err, nil, len(data)-int(off))
				}
				if _, err2 := r.Read(); err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				return
			}
			n := cr.n - off
			// What the reader delivers, Decode reads the same way from
			// the same position.
			dv, dn, derr := DecodePrefix(data[off:], Limits{})
			if derr != nil || int64(dn) != n {
				t.Fatalf("packet %d at %d: the reader took %d bytes, DecodePrefix %d (%v)", i, off, n, dn, derr)
			}
			if err := equalValue(v, dv); err != nil {
				t.Fatalf("packet %d: %v", i, err)
			}
			off = cr.n
		}
	})
}

// The streaming walk (ReadHeader, ReadEntry, Body; Read where a value has
// no body to stream) gives every packet Read gives, the same value.
func FuzzStreamWalk(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		want, n, err := DecodePrefix(data, Limits{})
		if err != nil {
			return
		}
		if in, _ := Inspect(data); in.Kind == KindDense && in.Compressed {
			return // unframed at top level
		}
		got, err := walk(t, NewReader(bytes.NewReader(data)), data[:n], false)
		if err != nil {
			t.Fatalf("Decode reads the packet, the streaming walk fails: %v", err)
		}
		a, aerr := Encode(want, Options{})
		b, berr := Encode(got, Options{})
		if (aerr == nil) != (berr == nil) || !bytes.Equal(a, b) {
			t.Fatalf("the streaming walk's value differs from Decode's (%v, %v)", aerr, berr)
		}
	})
}

func FuzzInspect(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		info, ierr := Inspect(data)
		if ierr != nil {
			checkFormatErr(t, "Inspect", ierr, nil, len(data))
		}
		pl, perr := PacketLen(data, Limits{})
		if perr != nil {
			checkFormatErr(t, "PacketLen", perr, nil, len(data))
		} else if pl < 8 || pl > len(data) {
			t.Fatalf("PacketLen %d of %d bytes", pl, len(data))
		}
		if ierr == nil && perr == nil && pl < info.BodyOffset {
			t.Fatalf("PacketLen %d before the body offset %d", pl, info.BodyOffset)
		}
		tree, terr := InspectTree(data, Limits{})
		if terr != nil {
			checkFormatErr(t, "InspectTree", terr, nil, len(data))
		} else {
			checkParts(t, tree, 0, len(data))
		}
		ds, dserr := DecompressedSize(data, Limits{})
		if dserr != nil {
			checkFormatErr(t, "DecompressedSize", dserr, nil, len(data))
		}
		v, n, derr := DecodePrefix(data, Limits{})
		if derr != nil {
			return
		}
		if terr != nil {
			t.Fatalf("Decode succeeded, InspectTree failed: %v", terr)
		}
		if dserr != nil {
			t.Fatalf("Decode succeeded, DecompressedSize failed: %v", dserr)
		}
		if want := decompressedBytes(tree, v); ds != want {
			t.Fatalf("DecompressedSize %d, the decoded value holds %d decompressed bytes", ds, want)
		}
		switch x := v.(type) {
		case *Bundle:
			if len(tree.Parts) != len(x.Entries) {
				t.Fatalf("InspectTree gave %d parts of a %d-entry bundle", len(tree.Parts), len(x.Entries))
			}
		case *Sparse:
			if len(tree.Parts) != 3 {
				t.Fatalf("InspectTree gave %d parts of a sparse matrix", len(tree.Parts))
			}
		}
		if ierr != nil {
			t.Fatalf("Decode succeeded, Inspect failed: %v", ierr)
		}
		switch x := v.(type) {
		case *Tensor:
			if !equalInts(x.Shape, info.Shape) || info.DataSize != int64(len(x.Data)) || info.Elements != int64(x.NumElements()) {
				t.Fatalf("Inspect %+v vs decoded %s %v", info, x.DType, x.Shape)
			}
		case *Quantized:
			if !equalInts(x.Shape, info.Shape) || info.DataSize != int64(len(x.Data)) {
				t.Fatalf("Inspect %+v vs decoded quantized %v", info, x.Shape)
			}
		case *Strings:
			if info.Count != x.Len() {
				t.Fatalf("Inspect count %d, decoded %d strings", info.Count, x.Len())
			}
		case *Bundle:
			if info.Count != len(x.Entries) {
				t.Fatalf("Inspect count %d, decoded %d entries", info.Count, len(x.Entries))
			}
		case *Sparse:
			if !equalInts(x.Shape, info.Shape) {
				t.Fatalf("Inspect shape %v, decoded %v", info.Shape, x.Shape)
			}
		}
		if perr != nil {
			t.Fatalf("Decode succeeded, PacketLen failed: %v", perr)
		}
		if info.Kind == KindDense && info.Compressed {
			// The frame may be followed by a zero tail that Decode
			// tolerates; the delimited packet decodes the same.
			if pl > n {
				t.Fatalf("PacketLen %d past the decoded %d bytes", pl, n)
			}
			v2, err := Decode(data[:pl])
			if err != nil {
				t.Fatalf("Decode of the %d delimited bytes: %v", pl, err)
			}
			if err := equalValue(v, v2); err != nil {
				t.Fatal(err)
			}
		} else if pl != n {
			t.Fatalf("PacketLen %d, DecodePrefix %d", pl, n)
		}
	})
}

// checkParts checks that every part of in lies inside [lo, hi) of the
// inspected packet, recursively.
func checkParts(t *testing.T, in Info, lo, hi int) {
	t.Helper()
	for _, pt := range in.Parts {
		if pt.Offset < lo || pt.Len < 0 || pt.Offset+pt.Len > hi {
			t.Fatalf("part %q at %d (%d bytes) is outside [%d, %d)", pt.Key, pt.Offset, pt.Len, lo, hi)
		}
		checkParts(t, pt.Info, pt.Offset, pt.Offset+pt.Len)
	}
}

// decompressedBytes sums the data lengths of the decoded tensors that came
// from compressed bodies, pairing the value tree with InspectTree's parts.
func decompressedBytes(in Info, v Value) int64 {
	if in.Kind == KindDense {
		if in.Compressed {
			return int64(len(v.(*Tensor).Data))
		}
		return 0
	}
	var vals []Value
	switch x := v.(type) {
	case *Bundle:
		for _, e := range x.Entries {
			vals = append(vals, e.Value)
		}
	case *Ragged:
		vals = []Value{x.Splits, x.Flat, nil}
	case *Sparse:
		vals = []Value{x.Data, x.Row, x.Col}
		if x.Format != COO {
			vals = []Value{x.Data, x.Indices, x.Indptr}
		}
	}
	var sum int64
	for i, pt := range in.Parts {
		switch {
		case i < len(vals) && vals[i] != nil:
			sum += decompressedBytes(pt.Info, vals[i])
		case pt.Info.Kind == KindDense && pt.Info.Compressed:
			sum += pt.Info.DataSize // a ragged count: validated, not kept
		}
	}
	return sum
}
