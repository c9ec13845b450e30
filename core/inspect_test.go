package core

import (
	"bytes"
	"fmt"
	"testing"
)

// Inspect and PacketLen against the manifest's independent layout parse
// (FORMAT.md §17, §16.1, §21.3).

var manifestKinds = map[string]Kind{
	"dense": KindDense, "quantized": KindQuantized, "string": KindString,
	"bundle": KindBundle, "ragged": KindBundle, // a ragged array is a bundle on the wire
	"sparse_coo": KindSparseCOO, "sparse_csr": KindSparseCSR, "sparse_csc": KindSparseCSC,
}

func TestInspectGolden(t *testing.T) {
	for _, g := range goldenFiles(t) {
		t.Run(g.name, func(t *testing.T) {
			l := g.layout()
			in, err := Inspect(g.data)
			if err != nil {
				t.Fatal(err)
			}
			flags := uint16(jint(l["flags"]))
			check := func(field string, got, want any) {
				t.Helper()
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s = %v, manifest says %v", field, got, want)
				}
			}
			check("Version", in.Version, jint(l["version"]))
			check("Flags", in.Flags, flags)
			check("Kind", in.Kind, manifestKinds[g.meta["kind"].(string)])
			check("DType", int(in.DType), jint(l["dtype_code"]))
			check("Aligned", in.Aligned, flags&(FlagAligned|FlagCustAlign) != 0)
			check("Integrity", in.Integrity, flags&FlagIntegrity != 0)
			check("Compressed", in.Compressed, flags&FlagCompression != 0)
			switch in.Kind {
			case KindDense, KindQuantized, KindString:
				check("Alignment", in.Alignment, jint(l["alignment"]))
				check("HeaderLen", in.HeaderLen, jint(l["header_len"]))
				check("BodyOffset", in.BodyOffset, jint(l["body_offset"]))
				check("Shape", in.Shape, jints(l["shape"]))
				if in.BodyOffset != in.HeaderLen+int(jint(l["padding_len"])) {
					t.Errorf("BodyOffset %d != HeaderLen %d + padding %v", in.BodyOffset, in.HeaderLen, l["padding_len"])
				}
			case KindBundle:
				check("Count", in.Count, jint(l["ndim_or_count"]))
				check("Shape", len(in.Shape), 0)
				check("Elements", in.Elements, 0)
				check("Alignment", in.Alignment, 0)
				check("BodyOffset", in.BodyOffset, 0)
			default: // sparse
				check("Shape", in.Shape, jints(l["shape"]))
				check("Elements", in.Elements, int64(in.Shape[0])*int64(in.Shape[1]))
				check("Alignment", in.Alignment, 0)
			}
			switch in.Kind {
			case KindDense:
				check("Elements", in.Elements, jint(g.meta["num_elements"]))
				check("DataSize", in.DataSize, jint(g.meta["nbytes"]))
				check("Count", in.Count, 0)
				if in.Compressed {
					check("DataSize", in.DataSize, jint(l["uncompressed_len"]))
				} else {
					check("DataSize", in.DataSize, jint(l["body_len"]))
				}
			case KindQuantized:
				check("Elements", in.Elements, jint(g.meta["num_elements"]))
				check("DataSize", in.DataSize, jint(g.meta["packed_data_len"]))
			case KindString:
				check("Count", in.Count, jint(g.meta["count"]))
				check("Elements", in.Elements, jint(g.meta["count"]))
				check("DataSize", in.DataSize, 0)
			default:
				check("DataSize", in.DataSize, 0)
			}
		})
	}
}

func TestPacketLenGolden(t *testing.T) {
	for _, g := range goldenFiles(t) {
		t.Run(g.name, func(t *testing.T) {
			size := int(jint(g.meta["size"]))
			if n, err := PacketLen(g.data, Limits{}); err != nil || n != size {
				t.Fatalf("PacketLen = %d, %v; want %d", n, err, size)
			}
			// A shared-memory segment larger than the packet: zeros after
			// it. Compressed packets must still end where their frame (and
			// footer) ends, not at the end of the buffer.
			slack := append(bytes.Clone(g.data), make([]byte, 1000)...)
			n, err := PacketLen(slack, Limits{})
			if err != nil || n != size {
				t.Fatalf("PacketLen with 1000 bytes of slack = %d, %v; want %d", n, err, size)
			}
			if _, err := Decode(slack[:n]); err != nil {
				t.Fatalf("Decode of the delimited packet: %v", err)
			}
			// Non-zero garbage after it changes nothing either.
			junk := append(bytes.Clone(g.data), bytes.Repeat([]byte{0xa5}, 100)...)
			if n, err := PacketLen(junk, Limits{}); err != nil || n != size {
				t.Fatalf("PacketLen with junk after = %d, %v; want %d", n, err, size)
			}
			// Any proper prefix is too short (Decode's truncation test
			// covers every offset of the big uniform body; sampled here).
			for _, k := range truncationPointsSampled(size, true) {
				if _, err := PacketLen(g.data[:k], Limits{}); err == nil {
					t.Fatalf("PacketLen of %d of %d bytes succeeded", k, size)
				} else {
					checkFormatErr(t, fmt.Sprintf("PacketLen of %d bytes", k), err, ErrCorrupt, k)
				}
			}
		})
	}
}

// TestInspectTruncated: Inspect needs exactly the bytes up to the body
// offset (tensor-like packets) or the header (and shape, for sparse).
func TestInspectTruncated(t *testing.T) {
	for _, g := range goldenFiles(t) {
		t.Run(g.name, func(t *testing.T) {
			full, err := Inspect(g.data)
			if err != nil {
				t.Fatal(err)
			}
			need := full.BodyOffset
			switch full.Kind {
			case KindBundle:
				need = 8 + 2*(full.Version-3)
			case KindSparseCOO, KindSparseCSR, KindSparseCSC:
				need = 8 + 2*(full.Version-3) + 8
			}
			if need == 0 || need > len(g.data) {
				t.Fatalf("bad expected header size %d", need)
			}
			for k := 0; k < need; k++ {
				_, err := Inspect(g.data[:k])
				checkFormatErr(t, fmt.Sprintf("Inspect of %d bytes", k), err, ErrCorrupt, k)
			}
			in, err := Inspect(g.data[:need])
			if err != nil {
				t.Fatalf("Inspect of the %d header bytes: %v", need, err)
			}
			if fmt.Sprint(in) != fmt.Sprint(full) {
				t.Errorf("Inspect of the header alone %+v differs from the full packet's %+v", in, full)
			}
		})
	}
}

func TestInspectKinds(t *testing.T) {
	ipc := mustEncode(t, &IPCRef{NBytes: 1}, Options{})
	in, err := Inspect(ipc)
	if err != nil || in.Kind != KindIPCRef || in.Version != 4 || in.Elements != 0 || in.Alignment != 0 || len(in.Shape) != 0 {
		t.Errorf("IPC reference: %+v, %v", in, err)
	}
	rf := rawStrings(FlagRagged|FlagAligned, Float32, 2, []uint64{0, 4, 4}, f32s(1))
	in, err = Inspect(rf)
	if err != nil || in.Kind != KindRaggedFrame || in.Count != 2 || in.BodyOffset != 64 || in.DType != Float32 {
		t.Errorf("RAGGED framing: %+v, %v", in, err)
	}
	// CUST_ALIGN reports Aligned and its own alignment.
	p := mustEncode(t, f32Tensor(1, 2, 3), Options{Alignment: 256})
	in, err = Inspect(p)
	if err != nil || !in.Aligned || in.Alignment != 256 || in.HeaderLen != 15 || in.BodyOffset != 256 || in.DataSize != 12 {
		t.Errorf("alignment 256: %+v, %v", in, err)
	}
	// Neither alignment flag: alignment 1, body right after the header.
	none := cat(hdr4(0, Int16, 1, 0), le32(2), []byte{1, 0, 2, 0})
	in, err = Inspect(none)
	if err != nil || in.Aligned || in.Alignment != 1 || in.BodyOffset != 14 {
		t.Errorf("no alignment flag: %+v, %v", in, err)
	}
	if v, err := Decode(none); err != nil || !bytes.Equal(v.(*Tensor).Data, []byte{1, 0, 2, 0}) {
		t.Errorf("decode without alignment flags: %v", err)
	}
	// A 0-d tensor has one element.
	in, err = Inspect(mustEncode(t, tensorOf(Float64, nil, make([]byte, 8)), Options{}))
	if err != nil || in.Elements != 1 || in.DataSize != 8 || len(in.Shape) != 0 {
		t.Errorf("0-d: %+v, %v", in, err)
	}
	// The same limits as Decode.
	runBad(t, []badCase{
		{"Inspect: 1e9+1 elements", rawDense(FlagAligned, Uint8, []uint32{1_000_000_001}, nil), ErrTooLarge, 10, "shape", Limits{}},
	})
	if _, err := InspectWith(p, Limits{MaxAlignment: 128}); err == nil {
		t.Error("InspectWith ignores MaxAlignment")
	}
	if _, err := InspectWith(p, Limits{MaxElements: 2}); err == nil {
		t.Error("InspectWith ignores MaxElements")
	}
}

// TestPacketLenCompressed: for a compressed dense packet in a larger
// buffer, PacketLen walks the frame; with integrity the footer follows it.
func TestPacketLenCompressed(t *testing.T) {
	data := bytes.Repeat([]byte("abcdefgh"), 40000) // several 64 KiB blocks
	for _, integ := range []bool{false, true} {
		p := mustEncode(t, tensorOf(Uint8, []int{len(data)}, data), Options{Compress: true, Integrity: integ, Alignment: 16})
		seg := append(bytes.Clone(p), make([]byte, 4096)...)
		n, err := PacketLen(seg, Limits{})
		if err != nil || n != len(p) {
			t.Fatalf("integrity %v: PacketLen = %d, %v; want %d", integ, n, err, len(p))
		}
		// Decode of the whole segment would read the slack as part of
		// the body: with integrity that is a checksum error, which is why
		// shared memory must delimit first.
		if integ {
			if _, err := Decode(seg); err == nil {
				t.Error("Decode of an oversized segment with integrity succeeded")
			}
		}
		v, err := Decode(seg[:n])
		if err != nil || !bytes.Equal(v.(*Tensor).Data, data) {
			t.Fatalf("integrity %v: decode of the delimited packet: %v", integ, err)
		}
	}
}
