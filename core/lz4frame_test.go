package core

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// ---------------------------------------------------------------- helpers

func lz4RandomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x1234))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		putU64(b[i:], r.Uint64())
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// lz4MixedBytes alternates random stretches, repeated patterns and zero runs.
func lz4MixedBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5678))
	b := make([]byte, n)
	for i := 0; i < n; {
		run := min(1+r.IntN(9000), n-i)
		switch r.IntN(3) {
		case 0:
			for j := range run {
				b[i+j] = byte(r.Uint32())
			}
		case 1:
			period := 1 + r.IntN(64)
			for j := range run {
				b[i+j] = byte(j%period) * 7
			}
		}
		i += run
	}
	return b
}

// lz4NormalF32 is float32 data drawn from a normal distribution: little
// redundancy, compresses poorly.
func lz4NormalF32(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x9abc))
	b := make([]byte, n)
	for i := 0; i+4 <= n; i += 4 {
		putU32(b[i:], math.Float32bits(float32(r.NormFloat64())))
	}
	return b
}

// lz4Pattern is compressible: a slowly changing ramp of float32 values.
func lz4Pattern(n int) []byte {
	b := make([]byte, n)
	for i := 0; i+4 <= n; i += 4 {
		putU32(b[i:], math.Float32bits(float32((i/4)%1000)*0.5))
	}
	return b
}

// pierrecFrame compresses src with pierrec's frame Writer.
func pierrecFrame(t testing.TB, src []byte, opts ...lz4.Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := lz4.NewWriter(&buf)
	if err := w.Apply(opts...); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if _, err := w.Write(src); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// lz4FixHC rewrites the header checksum of the frame at f[0] after a test
// changed its descriptor.
func lz4FixHC(f []byte) {
	n := 2
	if f[4]&lz4FlagContentSize != 0 {
		n += 8
	}
	if f[4]&lz4FlagDictID != 0 {
		n += 4
	}
	f[4+n] = lz4HeaderChecksum(f[4 : 4+n])
}

// lz4Hand builds a frame by hand from a descriptor and raw block words.
type lz4Hand struct {
	flg, bd     byte
	contentSize uint64
	b           []byte
}

func newLZ4Hand(flg, bd byte, contentSize uint64) *lz4Hand {
	h := &lz4Hand{flg: flg, bd: bd, contentSize: contentSize}
	h.b = append(h.b, 0x04, 0x22, 0x4d, 0x18, flg, bd)
	if flg&lz4FlagContentSize != 0 {
		h.b = putU64Append(h.b, contentSize)
	}
	h.b = append(h.b, lz4HeaderChecksum(h.b[4:]))
	return h
}

func putU64Append(b []byte, v uint64) []byte {
	var x [8]byte
	putU64(x[:], v)
	return append(b, x[:]...)
}

func putU32Append(b []byte, v uint32) []byte {
	var x [4]byte
	putU32(x[:], v)
	return append(b, x[:]...)
}

// block appends a block; raw marks it stored uncompressed.
func (h *lz4Hand) block(data []byte, raw bool) *lz4Hand {
	w := uint32(len(data))
	if raw {
		w |= lz4BlockUncompressed
	}
	h.b = putU32Append(h.b, w)
	h.b = append(h.b, data...)
	if h.flg&lz4FlagBlockChecksum != 0 {
		h.b = putU32Append(h.b, xxh32(data, 0))
	}
	return h
}

func (h *lz4Hand) end(content []byte) []byte {
	h.b = putU32Append(h.b, 0)
	if h.flg&lz4FlagContentSum != 0 {
		h.b = putU32Append(h.b, xxh32(content, 0))
	}
	return h.b
}

func wantFormatErr(t *testing.T, err, sentinel error, off int64, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v does not wrap %v", err, sentinel)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *FormatError", err)
	}
	if off >= 0 && fe.Offset != off {
		t.Errorf("error %v: offset %d, want %d", err, fe.Offset, off)
	}
	if field != "" && fe.Field != field {
		t.Errorf("error %v: field %q, want %q", err, fe.Field, field)
	}
}

// ------------------------------------------------------------------ XXH32

func TestXXH32Vectors(t *testing.T) {
	cases := []struct {
		in   string
		seed uint32
		want uint32
	}{
		{"", 0, 0x02cc5d05},
		{"a", 0, 0x550d7456},
		{"abc", 0, 0x32d153ff},
		{"Nobody inspects the spammish repetition", 0, 0xe2293b2f},
		{"The quick brown fox jumps over the lazy dog", 0, 0xe85ea4de},
		{"The quick brown fox jumps over the lazy dog.", 0, 0x68d039c8},
		{"Nobody inspects the spammish repetition", 1234, 0x298ce4e5},
		{"Nobody inspects the spammish repetition", 69, 0xda0e31cb},
	}
	for _, c := range cases {
		if got := xxh32([]byte(c.in), c.seed); got != c.want {
			t.Errorf("xxh32(%q, %d) = 0x%08x, want 0x%08x", c.in, c.seed, got, c.want)
		}
	}
}

// --------------------------------------------------------------- golden

type lz4GoldenFrame struct {
	name    string
	frame   []byte // from the body offset to the end of the (sub)packet
	bodyLen int
	nbytes  int
	sha256  string
	flg     string
}

func lz4GoldenFrames(t testing.TB) []lz4GoldenFrame {
	t.Helper()
	dir := filepath.Join("..", "testdata")
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	type layout struct {
		BodyOffset int               `json:"body_offset"`
		BodyLen    int               `json:"body_len"`
		End        int               `json:"end"`
		LZ4Frame   map[string]any    `json:"lz4_frame"`
		Entries    []json.RawMessage `json:"entries"`
	}
	type entryLayout struct {
		ValueOffset int             `json:"value_offset"`
		ValueLayout json.RawMessage `json:"value_layout"`
	}
	type content struct {
		NBytes  int               `json:"nbytes"`
		SHA256  string            `json:"sha256_le_c_order"`
		Entries []json.RawMessage `json:"entries"`
	}
	var m struct {
		Files []json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	var out []lz4GoldenFrame
	var walk func(name string, pkt []byte, lay, con json.RawMessage)
	walk = func(name string, pkt []byte, lay, con json.RawMessage) {
		var l layout
		var c content
		if err := json.Unmarshal(lay, &l); err != nil {
			t.Fatalf("%s layout: %v", name, err)
		}
		if err := json.Unmarshal(con, &c); err != nil {
			t.Fatalf("%s content: %v", name, err)
		}
		if l.LZ4Frame != nil {
			out = append(out, lz4GoldenFrame{
				name: name, frame: pkt[l.BodyOffset:l.End], bodyLen: l.BodyLen,
				nbytes: c.NBytes, sha256: c.SHA256, flg: fmt.Sprint(l.LZ4Frame["FLG"]),
			})
		}
		for i, e := range l.Entries {
			var el entryLayout
			if err := json.Unmarshal(e, &el); err != nil {
				t.Fatalf("%s entry %d: %v", name, i, err)
			}
			var sub lz4GoldenSubEnd
			_ = json.Unmarshal(el.ValueLayout, &sub)
			sc := json.RawMessage("{}") // ragged bundles describe their content differently
			if i < len(c.Entries) {
				sc = c.Entries[i]
			}
			walk(fmt.Sprintf("%s/entry%d", name, i), pkt[el.ValueOffset:el.ValueOffset+sub.End], el.ValueLayout, sc)
		}
	}
	for _, entry := range m.Files {
		var f struct {
			File   string          `json:"file"`
			Layout json.RawMessage `json:"layout"`
		}
		if err := json.Unmarshal(entry, &f); err != nil {
			t.Fatalf("manifest: %v", err)
		}
		pkt, err := os.ReadFile(filepath.Join(dir, f.File))
		if err != nil {
			t.Fatalf("%s: %v", f.File, err)
		}
		walk(f.File, pkt, f.Layout, entry)
	}
	return out
}

type lz4GoldenSubEnd struct {
	End int `json:"end"`
}

func TestLZ4Golden(t *testing.T) {
	frames := lz4GoldenFrames(t)
	if len(frames) < 8 {
		t.Fatalf("found %d golden LZ4 frames, want at least 8", len(frames))
	}
	linked := false
	for _, g := range frames {
		t.Run(g.name, func(t *testing.T) {
			n, err := lz4FrameLen(g.frame, 64)
			if err != nil || n != g.bodyLen {
				t.Fatalf("lz4FrameLen = %d, %v; want %d", n, err, g.bodyLen)
			}
			dst := make([]byte, g.nbytes)
			if err := decodeLZ4Frames(dst, g.frame[:g.bodyLen], 64); err != nil {
				t.Fatalf("decodeLZ4Frames: %v", err)
			}
			sum := sha256.Sum256(dst)
			if got := hex.EncodeToString(sum[:]); got != g.sha256 {
				t.Fatalf("sha256 %s, want %s", got, g.sha256)
			}
			// A shorter or longer output buffer is corrupt.
			if g.nbytes > 0 {
				err = decodeLZ4Frames(dst[:g.nbytes-1], g.frame[:g.bodyLen], 64)
				wantFormatErr(t, err, ErrCorrupt, -1, "")
			}
			err = decodeLZ4Frames(make([]byte, g.nbytes+1), g.frame[:g.bodyLen], 64)
			wantFormatErr(t, err, ErrCorrupt, -1, "")
		})
		if g.flg == "0x48" {
			linked = true
		}
	}
	if !linked {
		t.Error("no golden frame with linked blocks (FLG 0x48)")
	}
}

// ------------------------------------------------------------ round trips

func TestLZ4RoundTrip(t *testing.T) {
	sizes := []int{0, 1, 2, 15, 16, 100, 65535, 65536, 65537, 3*65536 + 17, 1<<20 + 3}
	kinds := []struct {
		name string
		gen  func(n int) []byte
	}{
		{"random", func(n int) []byte { return lz4RandomBytes(n, uint64(n)) }},
		{"zero", func(n int) []byte { return make([]byte, n) }},
		{"mixed", func(n int) []byte { return lz4MixedBytes(n, uint64(n)) }},
		{"normalf32", func(n int) []byte { return lz4NormalF32(n, uint64(n)) }},
	}
	for _, k := range kinds {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("%s/%d", k.name, n), func(t *testing.T) {
				src := k.gen(n)
				prefix := []byte("prefix")
				f := appendLZ4Frame(append([]byte(nil), prefix...), src)
				if !bytes.Equal(f[:len(prefix)], prefix) {
					t.Fatal("prefix clobbered")
				}
				f = f[len(prefix):]
				if len(f) > lz4FrameBound(n) {
					t.Fatalf("frame %d bytes > bound %d", len(f), lz4FrameBound(n))
				}
				if f[4] != 0x68 || f[5] != 0x40 || getU64(f[6:]) != uint64(n) {
					t.Fatalf("descriptor % x", f[4:15])
				}
				if l, err := lz4FrameLen(f, 0); err != nil || l != len(f) {
					t.Fatalf("lz4FrameLen = %d, %v; want %d", l, err, len(f))
				}
				dst := make([]byte, n)
				if err := decodeLZ4Frames(dst, f, 0); err != nil {
					t.Fatalf("decodeLZ4Frames: %v", err)
				}
				if !bytes.Equal(dst, src) {
					t.Fatal("round trip differs")
				}
				// Interoperability: pierrec's frame Reader accepts it too.
				got, err := io.ReadAll(lz4.NewReader(bytes.NewReader(f)))
				if err != nil || !bytes.Equal(got, src) {
					t.Fatalf("pierrec Reader: %v (equal %v)", err, bytes.Equal(got, src))
				}
				if k.name == "zero" && n >= 65536 && len(f) > n/100+64 {
					t.Errorf("zeros compressed to %d bytes", len(f))
				}
				if k.name == "random" && n > 0 && len(f) != lz4FrameBound(n) {
					t.Errorf("random data: frame %d, want raw blocks (%d)", len(f), lz4FrameBound(n))
				}
			})
		}
	}
}

func TestLZ4FrameBound(t *testing.T) {
	for _, c := range [][2]int{{0, 19}, {1, 24}, {65536, 19 + 65536 + 4}, {65537, 19 + 65537 + 8}} {
		if got := lz4FrameBound(c[0]); got != c[1] {
			t.Errorf("lz4FrameBound(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}

// Every frame variant pierrec's Writer can produce is accepted.
func TestLZ4DecodePierrecVariants(t *testing.T) {
	srcs := map[string][]byte{
		"mixed":  lz4MixedBytes(3<<20+12345, 7),
		"random": lz4RandomBytes(300000, 8),
		"small":  []byte("hello, hello, hello, hello"),
		"empty":  {},
	}
	for name, src := range srcs {
		for _, bs := range []lz4.BlockSize{lz4.Block64Kb, lz4.Block256Kb, lz4.Block1Mb, lz4.Block4Mb} {
			for _, bsum := range []bool{false, true} {
				for _, csum := range []bool{false, true} {
					for _, size := range []bool{false, true} {
						for _, lvl := range []lz4.CompressionLevel{lz4.Fast, lz4.Level9} {
							for _, conc := range []int{1, 4} {
								if lvl == lz4.Level9 && (name == "mixed" || conc != 1) {
									continue // slow, and covered by the Fast runs
								}
								opts := []lz4.Option{lz4.BlockSizeOption(bs), lz4.BlockChecksumOption(bsum),
									lz4.ChecksumOption(csum), lz4.CompressionLevelOption(lvl), lz4.ConcurrencyOption(conc)}
								if size {
									opts = append(opts, lz4.SizeOption(uint64(len(src))))
								}
								label := fmt.Sprintf("%s/bs%d/bsum%v/csum%v/size%v/lvl%v/conc%d", name, bs, bsum, csum, size, lvl, conc)
								f := pierrecFrame(t, src, opts...)
								if l, err := lz4FrameLen(f, 0); err != nil || l != len(f) {
									t.Fatalf("%s: lz4FrameLen = %d, %v; want %d", label, l, err, len(f))
								}
								dst := make([]byte, len(src))
								if err := decodeLZ4Frames(dst, f, 0); err != nil {
									t.Fatalf("%s: %v", label, err)
								}
								if !bytes.Equal(dst, src) {
									t.Fatalf("%s: output differs", label)
								}
								if len(src) > 0 {
									err := decodeLZ4Frames(dst[:len(src)-1], f, 0)
									wantFormatErr(t, err, ErrCorrupt, -1, "")
								}
							}
						}
					}
				}
			}
		}
	}
}

// Linked blocks: a match in block 1 reaches back into block 0.
func TestLZ4LinkedBlocks(t *testing.T) {
	prev := lz4RandomBytes(65536, 99)
	// Block 1: one sequence with no literals and a 200-byte match at offset
	// 65535 (the farthest a match can reach), then 5 trailing literals.
	const mlen = 200
	blk := []byte{0x0F, 0xFF, 0xFF, byte(mlen - 4 - 15)}
	blk = append(blk, 0x50, 'a', 'b', 'c', 'd', 'e')
	want := append([]byte(nil), prev...)
	for i := range mlen {
		want = append(want, want[len(want)-65535])
		_ = i
	}
	want = append(want, "abcde"...)

	for _, flg := range []byte{0x40, 0x48, 0x54, 0x5C} { // linked, ± content size, ± both checksums
		h := newLZ4Hand(flg, 0x40, uint64(len(want)))
		f := h.block(prev, true).block(blk, false).end(want)
		dst := make([]byte, len(want))
		if err := decodeLZ4Frames(dst, f, 0); err != nil {
			t.Fatalf("FLG 0x%02x: %v", flg, err)
		}
		if !bytes.Equal(dst, want) {
			t.Fatalf("FLG 0x%02x: output differs", flg)
		}
		if l, err := lz4FrameLen(f, 0); err != nil || l != len(f) {
			t.Fatalf("FLG 0x%02x: lz4FrameLen = %d, %v; want %d", flg, l, err, len(f))
		}
		// pierrec's own Reader agrees.
		got, err := io.ReadAll(lz4.NewReader(bytes.NewReader(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("FLG 0x%02x: pierrec Reader: %v", flg, err)
		}
	}

	// The same blocks in an independent frame reference data before the
	// block: corrupt.
	f := newLZ4Hand(0x68, 0x40, uint64(len(want))).block(prev, true).block(blk, false).end(want)
	err := decodeLZ4Frames(make([]byte, len(want)), f, 100)
	wantFormatErr(t, err, ErrCorrupt, 100+15+4+65536+4, "lz4 block 1 data")

	// The dictionary is at most 64 KiB and stays inside the frame: a
	// frame whose first block reaches back into the previous frame's output
	// is corrupt.
	first := newLZ4Hand(0x48, 0x40, uint64(len(prev))).block(prev, true).end(prev)
	second := newLZ4Hand(0x40, 0x40, 0).block(blk, false).end(nil)
	err = decodeLZ4Frames(make([]byte, len(want)), append(first, second...), 0)
	wantFormatErr(t, err, ErrCorrupt, int64(len(first)+7+4), "lz4 block 0 data")

	// Three linked blocks where the last reaches across the short second
	// block into the first.
	short := []byte("0123456789")
	blk2 := []byte{0x0F, 0xFF, 0xFF, byte(mlen - 4 - 15), 0x50, 'v', 'w', 'x', 'y', 'z'}
	want3 := append(append([]byte(nil), prev...), short...)
	for range mlen {
		want3 = append(want3, want3[len(want3)-65535])
	}
	want3 = append(want3, "vwxyz"...)
	f = newLZ4Hand(0x44, 0x40, 0).block(prev, true).block(short, true).block(blk2, false).end(want3)
	dst := make([]byte, len(want3))
	if err := decodeLZ4Frames(dst, f, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dst, want3) {
		t.Fatal("three-block output differs")
	}
}

func TestLZ4ConcatSkippableTrailing(t *testing.T) {
	a := lz4MixedBytes(100000, 1)
	b := lz4RandomBytes(5000, 2)
	fa := appendLZ4Frame(nil, a)
	fb := pierrecFrame(t, b, lz4.ChecksumOption(true), lz4.BlockChecksumOption(true))
	skip := putU32Append(nil, 0x184D2A5F)
	skip = putU32Append(skip, 3)
	skip = append(skip, 1, 2, 3)
	emptySkip := putU32Append(putU32Append(nil, 0x184D2A50), 0)
	want := append(append([]byte(nil), a...), b...)

	var src []byte
	src = append(src, emptySkip...)
	src = append(src, fa...)
	src = append(src, skip...)
	src = append(src, fb...)
	src = append(src, 0, 0, 0, 0, 0, 0, 0)
	dst := make([]byte, len(want))
	if err := decodeLZ4Frames(dst, src, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dst, want) {
		t.Fatal("output differs")
	}

	// Trailing non-zero garbage, directly or after zeros.
	bad := append(append([]byte(nil), src...), 0, 7)
	err := decodeLZ4Frames(dst, bad, 1000)
	wantFormatErr(t, err, ErrCorrupt, 1000+int64(len(bad)-1), "lz4 trailing bytes")
	bad = append(append([]byte(nil), src[:len(src)-7]...), 1, 2, 3)
	err = decodeLZ4Frames(dst, bad, 0)
	wantFormatErr(t, err, ErrCorrupt, int64(len(src)-7), "lz4 frame magic")
	bad = append(append([]byte(nil), src[:len(src)-7]...), 1, 2, 3, 4, 5)
	err = decodeLZ4Frames(dst, bad, 0)
	wantFormatErr(t, err, ErrCorrupt, int64(len(src)-7), "lz4 frame magic")
	// Zeros, then another frame: only zeros may follow the last frame.
	bad = append(append(append([]byte(nil), fa...), 0, 0, 0, 0), fb...)
	err = decodeLZ4Frames(dst, bad, 0)
	wantFormatErr(t, err, ErrCorrupt, int64(len(fa)+4), "lz4 trailing bytes")

	// Skippable frame running past the end.
	bad = append(append([]byte(nil), fa...), skip[:9]...)
	err = decodeLZ4Frames(make([]byte, len(a)), bad, 0)
	wantFormatErr(t, err, ErrCorrupt, int64(len(fa)+4), "lz4 skippable frame size")
	bad = append(append([]byte(nil), fa...), skip[:6]...)
	err = decodeLZ4Frames(make([]byte, len(a)), bad, 0)
	wantFormatErr(t, err, ErrCorrupt, int64(len(fa)+4), "lz4 skippable frame size")

	// No LZ4 frame at all.
	for _, s := range [][]byte{nil, {0, 0, 0, 0}, emptySkip} {
		err = decodeLZ4Frames(nil, s, 5)
		wantFormatErr(t, err, ErrCorrupt, 5, "lz4 frame magic")
	}
	// An empty frame is fine.
	if err := decodeLZ4Frames(nil, appendLZ4Frame(nil, nil), 0); err != nil {
		t.Fatal(err)
	}
}

// -------------------------------------------------------------- errors

func TestLZ4Truncation(t *testing.T) {
	src := []byte(strings.Repeat("truncate me, truncate me! ", 40))
	frames := map[string][]byte{
		"ours":      appendLZ4Frame(nil, src),
		"checksums": pierrecFrame(t, src, lz4.ChecksumOption(true), lz4.BlockChecksumOption(true), lz4.SizeOption(uint64(len(src)))),
		"nosize":    pierrecFrame(t, src, lz4.ChecksumOption(false)),
		"raw":       appendLZ4Frame(nil, lz4RandomBytes(200, 3)),
	}
	for name, f := range frames {
		want := src
		if name == "raw" {
			want = lz4RandomBytes(200, 3)
		}
		dst := make([]byte, len(want))
		if err := decodeLZ4Frames(dst, f, 0); err != nil || !bytes.Equal(dst, want) {
			t.Fatalf("%s: full frame: %v", name, err)
		}
		for i := range len(f) {
			err := decodeLZ4Frames(dst, f[:i], 0)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s: truncated to %d of %d: %v, want ErrCorrupt", name, i, len(f), err)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > int64(i) {
				t.Fatalf("%s: truncated to %d: bad error %v", name, i, err)
			}
			if _, err := lz4FrameLen(f[:i], 0); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s: lz4FrameLen truncated to %d: %v, want ErrCorrupt", name, i, err)
			}
		}
	}
}

func TestLZ4HeaderErrors(t *testing.T) {
	src := lz4MixedBytes(70000, 4)
	good := appendLZ4Frame(nil, src)
	const base = 1000
	mod := func(f func(b []byte), fixHC bool) []byte {
		b := append([]byte(nil), good...)
		f(b)
		if fixHC {
			lz4FixHC(b)
		}
		return b
	}
	cases := []struct {
		name     string
		frame    []byte
		sentinel error
		off      int64
		field    string
	}{
		{"magic", mod(func(b []byte) { b[0] = 0x05 }, false), ErrCorrupt, base, "lz4 frame magic"},
		{"legacy magic", mod(func(b []byte) { putU32(b, 0x184C2102) }, false), ErrCorrupt, base, "lz4 frame magic"},
		{"version 0", mod(func(b []byte) { b[4] &^= 0xC0 }, true), ErrCorrupt, base + 4, "lz4 frame FLG"},
		{"version 2", mod(func(b []byte) { b[4] = b[4]&^0xC0 | 0x80 }, true), ErrCorrupt, base + 4, "lz4 frame FLG"},
		{"version 3", mod(func(b []byte) { b[4] |= 0xC0 }, true), ErrCorrupt, base + 4, "lz4 frame FLG"},
		{"FLG reserved", mod(func(b []byte) { b[4] |= 0x02 }, true), ErrCorrupt, base + 4, "lz4 frame FLG"},
		{"dictionary", mod(func(b []byte) { b[4] |= 0x01 }, false), ErrUnsupported, base + 4, "lz4 frame FLG"},
		{"BD bit 7", mod(func(b []byte) { b[5] |= 0x80 }, true), ErrCorrupt, base + 5, "lz4 frame BD"},
		{"BD low bits", mod(func(b []byte) { b[5] |= 0x01 }, true), ErrCorrupt, base + 5, "lz4 frame BD"},
		{"BD size 3", mod(func(b []byte) { b[5] = 0x30 }, true), ErrCorrupt, base + 5, "lz4 frame BD"},
		{"BD size 0", mod(func(b []byte) { b[5] = 0x00 }, true), ErrCorrupt, base + 5, "lz4 frame BD"},
		{"header checksum", mod(func(b []byte) { b[14] ^= 1 }, false), ErrCorrupt, base + 14, "lz4 frame header checksum"},
		{"content size field", mod(func(b []byte) { b[6] ^= 1 }, false), ErrCorrupt, base + 14, "lz4 frame header checksum"},
		{"content size larger", mod(func(b []byte) { putU64(b[6:], 70001) }, true), ErrCorrupt, base + 6, "lz4 frame content size"},
		{"content size huge", mod(func(b []byte) { putU64(b[6:], 1<<50) }, true), ErrCorrupt, base + 6, "lz4 frame content size"},
		{"content size smaller", mod(func(b []byte) { putU64(b[6:], 69999) }, true), ErrCorrupt, base + 6, "lz4 frame content size"},
		{"block too big", mod(func(b []byte) { putU32(b[15:], 65537) }, false), ErrCorrupt, base + 15, "lz4 block 0 size"},
		{"raw block too big", mod(func(b []byte) { putU32(b[15:], 65537|1<<31) }, false), ErrCorrupt, base + 15, "lz4 block 0 size"},
		{"block past end", mod(func(b []byte) { putU32(b[15:], 65536|1<<31) }, false), ErrCorrupt, -1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := decodeLZ4Frames(make([]byte, len(src)), c.frame, base)
			wantFormatErr(t, err, c.sentinel, c.off, c.field)
			if strings.HasPrefix(c.name, "content size") {
				return // lz4FrameLen does not look at the content
			}
			_, err = lz4FrameLen(c.frame, base)
			wantFormatErr(t, err, c.sentinel, c.off, c.field)
		})
	}

	// Content size mismatch found after decoding: a frame that declares
	// fewer bytes than it holds, followed by zero data the size allows.
	f := mod(func(b []byte) { putU64(b[6:], 69999) }, true)
	err := decodeLZ4Frames(make([]byte, 69999), f, 0)
	wantFormatErr(t, err, ErrCorrupt, -1, "")

	// A big block maximum accepts big blocks; a 64 KiB one does not.
	big := lz4RandomBytes(100000, 5)
	f4m := newLZ4Hand(0x60, 0x70, 0).block(big, true).end(nil)
	if err := decodeLZ4Frames(make([]byte, len(big)), f4m, 0); err != nil {
		t.Fatal(err)
	}
	f64k := newLZ4Hand(0x60, 0x40, 0).block(big, true).end(nil)
	err = decodeLZ4Frames(make([]byte, len(big)), f64k, 0)
	wantFormatErr(t, err, ErrCorrupt, 7, "lz4 block 0 size")
}

func TestLZ4ChecksumErrors(t *testing.T) {
	src := lz4MixedBytes(200000, 6)
	f := pierrecFrame(t, src, lz4.ChecksumOption(true), lz4.BlockChecksumOption(true), lz4.BlockSizeOption(lz4.Block64Kb))
	dst := make([]byte, len(src))
	if err := decodeLZ4Frames(dst, f, 0); err != nil {
		t.Fatal(err)
	}
	// Block 0 checksum follows its data.
	n := int(getU32(f[7:]) & lz4BlockSizeMask)
	bad := append([]byte(nil), f...)
	bad[7+4+n] ^= 0x80
	err := decodeLZ4Frames(dst, bad, 10)
	wantFormatErr(t, err, ErrCorrupt, int64(10+7+4+n), "lz4 block 0 checksum")
	// Block data changed: the block checksum catches it first.
	bad = append([]byte(nil), f...)
	bad[7+4+n/2] ^= 0x80
	err = decodeLZ4Frames(dst, bad, 0)
	wantFormatErr(t, err, ErrCorrupt, int64(7+4+n), "lz4 block 0 checksum")
	// Content checksum: the last 4 bytes.
	bad = append([]byte(nil), f...)
	bad[len(bad)-1] ^= 1
	err = decodeLZ4Frames(dst, bad, 0)
	wantFormatErr(t, err, ErrCorrupt, int64(len(f)-4), "lz4 content checksum")
}

func TestLZ4CorruptBlockData(t *testing.T) {
	src := lz4MixedBytes(300000, 7)
	f := appendLZ4Frame(nil, src)
	dst := make([]byte, len(src))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		bad := append([]byte(nil), f...)
		for range 1 + r.IntN(4) {
			bad[15+r.IntN(len(bad)-15)] = byte(r.Uint32())
		}
		err := decodeLZ4Frames(dst, bad, 0)
		if err == nil {
			continue // a change inside literals can decode fine
		}
		var fe *FormatError
		if !errors.As(err, &fe) || (!errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported)) {
			t.Fatalf("iteration %d: %v", i, err)
		}
	}
	// Garbage in place of block data.
	h := newLZ4Hand(0x60, 0x40, 0).block(lz4RandomBytes(1000, 11), false).end(nil)
	err := decodeLZ4Frames(make([]byte, 70000), h, 0)
	wantFormatErr(t, err, ErrCorrupt, 11, "lz4 block 0 data")
}

func TestLZ4OutputCap(t *testing.T) {
	src := lz4MixedBytes(200000, 8)
	variants := map[string][]byte{
		"ours":   appendLZ4Frame(nil, src),
		"nosize": pierrecFrame(t, src),
		"raw":    appendLZ4Frame(nil, lz4RandomBytes(200000, 8)),
	}
	for name, f := range variants {
		for _, n := range []int{0, 1, 65535, 65536, 100000, 199999} {
			// Guard bytes past len(dst) must never be written.
			buf := make([]byte, n+64)
			for i := range buf {
				buf[i] = 0xA5
			}
			err := decodeLZ4Frames(buf[:n:n], f, 0)
			wantFormatErr(t, err, ErrCorrupt, -1, "")
			for i := n; i < len(buf); i++ {
				if buf[i] != 0xA5 {
					t.Fatalf("%s: dst of %d: byte %d past the end written", name, n, i)
				}
			}
		}
		err := decodeLZ4Frames(make([]byte, 200001), f, 0)
		wantFormatErr(t, err, ErrCorrupt, int64(len(f)), "lz4 content")
	}
}

func TestLZ4ErrorMessage(t *testing.T) {
	f := appendLZ4Frame(nil, []byte("abc"))
	f[14] ^= 0xFF
	err := decodeLZ4Frames(make([]byte, 3), f, 64)
	want := fmt.Sprintf("tenso: LZ4 frame header checksum 0x%02x, computed 0x%02x (lz4 frame header checksum at offset 78)", f[14], f[14]^0xFF)
	if err == nil || err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
}

// -------------------------------------------------------------- allocs

func TestLZ4Allocs(t *testing.T) {
	src := lz4MixedBytes(1<<20, 9)
	ours := appendLZ4Frame(nil, src)
	sums := pierrecFrame(t, src, lz4.ChecksumOption(true), lz4.BlockChecksumOption(true), lz4.BlockSizeOption(lz4.Block256Kb))
	var linked lz4GoldenFrame
	for _, g := range lz4GoldenFrames(t) {
		if g.flg == "0x48" {
			linked = g
		}
	}
	dst := make([]byte, len(src))
	ldst := make([]byte, linked.nbytes)
	buf := make([]byte, 0, lz4FrameBound(len(src)))
	cases := map[string]func(){
		"decodeLZ4Frames/ours":   func() { _ = decodeLZ4Frames(dst, ours, 0) },
		"decodeLZ4Frames/sums":   func() { _ = decodeLZ4Frames(dst, sums, 0) },
		"decodeLZ4Frames/linked": func() { _ = decodeLZ4Frames(ldst, linked.frame[:linked.bodyLen], 0) },
		"lz4FrameLen":            func() { _, _ = lz4FrameLen(sums, 0) },
		"appendLZ4Frame":         func() { buf = appendLZ4Frame(buf[:0], src) },
	}
	for name, fn := range cases {
		fn()
		if a := testing.AllocsPerRun(20, fn); a != 0 {
			t.Errorf("%s: %v allocations per run, want 0", name, a)
		}
	}
	if err := decodeLZ4Frames(dst, buf, 0); err != nil || !bytes.Equal(dst, src) {
		t.Fatalf("appendLZ4Frame into a reused buffer: %v", err)
	}
}
