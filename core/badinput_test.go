package core

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/tenso-go/tenso/internal/golden"
	"math"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/pierrec/lz4/v4"
	"github.com/zeebo/xxh3"
)

// Malformed packets (FORMAT.md §1.3, §15): every one
// must give a *FormatError that wraps the right sentinel and names the
// offset and field, never a panic, a hang or a large allocation.

// ---------------------------------------------------------------- helpers

// goldenFile is one corpus packet with its manifest entry.
type goldenFile struct {
	name string
	data []byte
	meta map[string]any
}

var (
	goldenOnce  sync.Once
	goldenCache []goldenFile
)

// goldenFiles returns every corpus packet (read once per test binary).
func goldenFiles(t testing.TB) []goldenFile {
	t.Helper()
	goldenOnce.Do(func() {
		for _, f := range golden.Files(t) {
			name := f["file"].(string)
			goldenCache = append(goldenCache, goldenFile{name, golden.Read(t, name), f})
		}
	})
	if len(goldenCache) == 0 {
		t.Fatal("no golden packets")
	}
	return goldenCache
}

func goldenByName(t testing.TB, name string) []byte {
	t.Helper()
	for _, g := range goldenFiles(t) {
		if g.name == name {
			return bytes.Clone(g.data)
		}
	}
	t.Fatalf("no golden packet %s", name)
	return nil
}

// layout returns the manifest's layout object of g.
func (g goldenFile) layout() map[string]any { return g.meta["layout"].(map[string]any) }

// topCompressedDense reports whether g is a top-level compressed dense
// packet (implicit body length).
func (g goldenFile) topCompressedDense() bool {
	return g.meta["kind"] == "dense" && jint(g.layout()["flags"])&FlagCompression != 0
}

var sentinels = []error{ErrCorrupt, ErrTooLarge, ErrChecksum, ErrUnsupported, ErrUnframed}

// checkFormatErr asserts that err is a *FormatError wrapping exactly the
// sentinel want (any of the five when want is nil), with an offset inside
// [0, size] and a field name. It returns the FormatError.
func checkFormatErr(t testing.TB, what string, err error, want error, size int) *FormatError {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, want)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("%s: error %q (%T) is not a *FormatError", what, err, err)
	}
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%s: error %q wraps %d sentinels, want exactly one", what, err, n)
	}
	if want != nil && !errors.Is(err, want) {
		t.Fatalf("%s: error %q does not wrap %q", what, err, want)
	}
	if fe.Offset < 0 || fe.Offset > int64(size) {
		t.Errorf("%s: error %q: offset %d outside [0, %d]", what, err, fe.Offset, size)
	}
	if fe.Field == "" || fe.Msg == "" {
		t.Errorf("%s: error %q has no field or message", what, err)
	}
	if !strings.HasPrefix(err.Error(), "tenso: ") {
		t.Errorf("%s: error %q lacks the tenso: prefix", what, err)
	}
	return fe
}

func le16(v uint16) []byte { return []byte{byte(v), byte(v >> 8)} }
func le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
func le64(v uint64) []byte { return append(le32(uint32(v)), le32(uint32(v>>32))...) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// hdr4 is a raw v4 header.
func hdr4(flags uint16, dt DType, ndim int, resv byte) []byte {
	return cat([]byte("TNSO"), []byte{4}, le16(flags), []byte{byte(dt), byte(ndim), resv})
}

// shapeBytes encodes dims as u32 words.
func shapeBytes(dims ...uint32) []byte {
	var b []byte
	for _, d := range dims {
		b = append(b, le32(d)...)
	}
	return b
}

// padTo appends zeros so that len(b) is a multiple of a.
func padTo(b []byte, a int) []byte {
	for len(b)%a != 0 {
		b = append(b, 0)
	}
	return b
}

// rawDense builds a dense packet by hand: header, shape, padding to 64,
// then body verbatim (which need not match the shape).
func rawDense(flags uint16, dt DType, dims []uint32, body []byte) []byte {
	p := cat(hdr4(flags, dt, len(dims), 0), shapeBytes(dims...))
	return append(padTo(p, 64), body...)
}

type rawEntry struct {
	key []byte
	val []byte
}

// rawBundle builds a bundle from raw keys and value packets; count is
// the header's entry count (normally len(entries)).
func rawBundle(count int, entries ...rawEntry) []byte {
	p := hdr4(FlagBundle, 0, count, 0)
	for _, e := range entries {
		p = cat(p, le32(uint32(len(e.key))), e.key, le32(uint32(len(e.val))), e.val)
	}
	return p
}

// rawSparse builds a sparse container around three component packets.
func rawSparse(flag uint16, rows, cols uint32, comps ...[]byte) []byte {
	p := cat(hdr4(flag, 0, 2, 0), shapeBytes(rows, cols))
	for _, c := range comps {
		p = cat(p, le32(uint32(len(c))), c)
	}
	return p
}

// rawStrings builds a string-like packet (STRING or RAGGED framing) with
// 64-byte alignment and the given offsets and payload.
func rawStrings(flags uint16, dt DType, count uint32, offs []uint64, payload []byte) []byte {
	p := padTo(cat(hdr4(flags, dt, 1, 0), le32(count)), 64)
	start := len(p)
	for _, o := range offs {
		p = append(p, le64(o)...)
	}
	p = append(p, payload...)
	if flags&FlagIntegrity != 0 {
		p = append(p, le64(xxh3.Hash(p[start:]))...)
	}
	return p
}

func mustEncode(t testing.TB, v Value, o Options) []byte {
	t.Helper()
	p, err := Encode(v, o)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	return p
}

func tensorOf(dt DType, shape []int, data []byte) *Tensor {
	return &Tensor{DType: dt, Shape: shape, Data: data}
}

func i32s(vals ...int32) []byte {
	var b []byte
	for _, v := range vals {
		b = append(b, le32(uint32(v))...)
	}
	return b
}

func u64s(vals ...uint64) []byte {
	var b []byte
	for _, v := range vals {
		b = append(b, le64(v)...)
	}
	return b
}

func f32s(vals ...float32) []byte {
	var b []byte
	for _, v := range vals {
		b = append(b, le32(math.Float32bits(v))...)
	}
	return b
}

func i32Tensor(vals ...int32) *Tensor {
	return tensorOf(Int32, []int{len(vals)}, i32s(vals...))
}

func f32Tensor(vals ...float32) *Tensor {
	return tensorOf(Float32, []int{len(vals)}, f32s(vals...))
}

func u64Tensor(vals ...uint64) *Tensor {
	return tensorOf(Uint64, []int{len(vals)}, u64s(vals...))
}

func with(p []byte, at int, b ...byte) []byte {
	q := bytes.Clone(p)
	copy(q[at:], b)
	return q
}

// badCase is one malformed packet and the error it must give.
type badCase struct {
	name  string
	pkt   []byte
	want  error  // sentinel
	off   int64  // expected offset, -1 for any
	field string // substring of the field name, "" for any
	lim   Limits
}

func runBad(t *testing.T, cases []badCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeWith(c.pkt, c.lim)
			fe := checkFormatErr(t, c.name, err, c.want, len(c.pkt))
			if c.off >= 0 && fe.Offset != c.off {
				t.Errorf("offset %d, want %d (%v)", fe.Offset, c.off, err)
			}
			if c.field != "" && !strings.Contains(fe.Field, c.field) {
				t.Errorf("field %q, want it to contain %q (%v)", fe.Field, c.field, err)
			}
			// Inspect and PacketLen must not panic either, and fail with
			// a FormatError if they fail.
			if _, err := InspectWith(c.pkt, c.lim); err != nil {
				checkFormatErr(t, c.name+" (Inspect)", err, nil, len(c.pkt))
			}
			if _, err := PacketLen(c.pkt, c.lim); err != nil {
				checkFormatErr(t, c.name+" (PacketLen)", err, nil, len(c.pkt))
			}
		})
	}
}

// ------------------------------------------------------------- truncation

// TestBadTruncation decodes every proper prefix of every golden packet.
// Packets whose length is implicit (a top-level compressed dense body)
// change meaning when cut, so any sentinel is accepted for them; every
// other cut must be ErrCorrupt at an offset inside the prefix.
func TestBadTruncation(t *testing.T) {
	for _, g := range goldenFiles(t) {
		t.Run(g.name, func(t *testing.T) {
			p := g.data
			want := ErrCorrupt
			if g.topCompressedDense() {
				want = nil
			}
			ks := truncationPoints(len(p))
			for _, k := range ks {
				_, err := Decode(p[:k])
				if err == nil {
					t.Fatalf("Decode of the first %d of %d bytes succeeded", k, len(p))
				}
				fe := checkFormatErr(t, fmt.Sprintf("%d bytes", k), err, want, k)
				if t.Failed() {
					t.Fatalf("stopping after the first failure (%v at k=%d)", fe, k)
				}
			}
		})
	}
}

// truncationPoints is every k in [0, n). With -short or -race, packets
// over 1 MiB (only dense_f32_1M, whose body is uniform) have the middle of
// their body sampled with a stride; the first and last 64 KiB are always
// complete.
func truncationPoints(n int) []int {
	return truncationPointsSampled(n, testing.Short() || raceEnabled)
}

func truncationPointsSampled(n int, sample bool) []int {
	ks := make([]int, 0, n)
	for k := 0; k < n; k++ {
		if sample && n > 1<<20 && k > 64<<10 && k < n-64<<10 && k%4093 != 0 {
			continue
		}
		ks = append(ks, k)
	}
	return ks
}

// ------------------------------------------------------- header and shape

func TestBadHeader(t *testing.T) {
	dense := mustEncode(t, tensorOf(Float32, []int{2, 3}, make([]byte, 24)), Options{})
	up := goldenByName(t, "bundle_upstream_fixture.tenso") // value "a" at 19
	v3 := goldenByName(t, "v3_dense_f32.tenso")
	var cases []badCase
	for i := 0; i < 4; i++ {
		q := bytes.Clone(dense)
		q[i] ^= 0x20
		cases = append(cases, badCase{fmt.Sprintf("magic byte %d", i), q, ErrCorrupt, 0, "magic", Limits{}})
	}
	for _, v := range []byte{0, 1, 2, 5, 255} {
		cases = append(cases,
			badCase{fmt.Sprintf("version %d", v), with(dense, 4, v), ErrUnsupported, 4, "version", Limits{}},
			badCase{fmt.Sprintf("version %d in bundle value", v), with(up, 19+4, v), ErrUnsupported, 23, "version", Limits{}},
			badCase{fmt.Sprintf("v3 packet turned version %d", v), with(v3, 4, v), ErrUnsupported, 4, "version", Limits{}},
		)
	}
	cases = append(cases,
		badCase{"empty", nil, ErrCorrupt, 0, "header", Limits{}},
		badCase{"7 bytes", dense[:7], ErrCorrupt, 0, "header", Limits{}},
		badCase{"v4 with 9 bytes", dense[:9], ErrCorrupt, 0, "header", Limits{}},
		badCase{"bad magic in bundle value", with(up, 19, 'X'), ErrCorrupt, 19, "magic", Limits{}},
	)
	runBad(t, cases)

	// The version is also checked by the v3 reader's own layout: a v3
	// header (8 bytes) is enough for a v3 packet.
	if _, err := Decode(v3); err != nil {
		t.Fatalf("v3 golden packet: %v", err)
	}
}

func TestBadShape(t *testing.T) {
	ones := make([]uint32, 33)
	for i := range ones {
		ones[i] = 1
	}
	// A packet of ndim 32 is fine (body at 192).
	p32 := rawDense(FlagAligned, Float32, ones[:32], nil)
	p32 = append(padTo(p32, 192), f32s(7)...)
	if v, err := Decode(p32); err != nil || len(v.(*Tensor).Shape) != 32 {
		t.Fatalf("ndim 32: %v", err)
	}
	// Large dims before a zero: an empty tensor the reader and the writer
	// both accept (fuzz regression: the writer used to refuse it).
	huge := rawDense(FlagAligned, Uint8, []uint32{808464432, 808464432, 0}, nil)
	if v, err := Decode(huge); err != nil {
		t.Fatalf("empty tensor with large dims: %v", err)
	} else if p, err := Encode(v, Options{}); err != nil || !bytes.Equal(p, huge) {
		t.Fatalf("re-encode of the empty tensor with large dims: %v", err)
	}
	q := mustEncode(t, &Quantized{DType: QInt8, Shape: []int{2}, Scheme: PerTensor, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: []byte{1, 2}}, Options{})
	qBig := cat(hdr4(FlagAligned, QInt8, 1, 0), le32(1_000_000_001), q[14:])
	sp := goldenByName(t, "sparse_coo_upstream_fixture.tenso")

	runBad(t, []badCase{
		{"dense ndim 33", rawDense(FlagAligned, Float32, ones, f32s(1)), ErrTooLarge, 8, "ndim", Limits{}},
		{"quantized ndim 33", cat(hdr4(FlagAligned, QInt8, 33, 0), shapeBytes(ones...)), ErrTooLarge, 8, "ndim", Limits{}},
		{"v3 dense ndim 33", cat([]byte("TNSO"), []byte{3, FlagAligned, byte(Float32), 33}, shapeBytes(ones...)), ErrTooLarge, 7, "ndim", Limits{}},
		{"ndim 3 over MaxDims 2", rawDense(FlagAligned, Uint8, []uint32{1, 1, 1}, []byte{1}), ErrTooLarge, 8, "ndim", Limits{MaxDims: 2}},
		{"1e9+1 elements", rawDense(FlagAligned, Uint8, []uint32{1_000_000_001}, nil), ErrTooLarge, 10, "shape", Limits{}},
		{"1e9 elements, no body", rawDense(FlagAligned, Uint8, []uint32{1_000_000_000}, nil), ErrCorrupt, -1, "", Limits{}},
		{"65536^4 (wraps to 0 in int64)", rawDense(FlagAligned, Uint8, []uint32{65536, 65536, 65536, 65536}, nil), ErrTooLarge, 10, "shape", Limits{}},
		{"(2^32-1)^3 overflows u64", rawDense(FlagAligned, Uint8, []uint32{math.MaxUint32, math.MaxUint32, math.MaxUint32}, nil), ErrTooLarge, 10, "shape", Limits{}},
		{"2^32-1 x 2^32-1 x 2 overflows", rawDense(FlagAligned, Float64, []uint32{math.MaxUint32, math.MaxUint32, 2}, nil), ErrTooLarge, 10, "shape", Limits{}},
		{"over MaxElements 10", rawDense(FlagAligned, Uint8, []uint32{11}, make([]byte, 11)), ErrTooLarge, 10, "shape", Limits{MaxElements: 10}},
		{"quantized 1e9+1 elements", qBig, ErrTooLarge, 10, "shape", Limits{}},
		{"sparse 1e5 x 1e5", with(sp, 10, shapeBytes(100000, 100000)...), ErrTooLarge, 10, "shape", Limits{}},
		{"sparse 2^32-1 squared", with(sp, 10, shapeBytes(math.MaxUint32, math.MaxUint32)...), ErrTooLarge, 10, "shape", Limits{}},
		{"string count 1e9+1", rawStrings(FlagString|FlagAligned, String, 1_000_000_001, nil, nil), ErrTooLarge, 10, "shape", Limits{}},
		{"shape words truncated", cat(hdr4(FlagAligned, Float32, 3, 0), le32(2), le32(2)), ErrCorrupt, 10, "shape", Limits{}},
		{"body one byte short", rawDense(FlagAligned, Float32, []uint32{2, 3}, make([]byte, 23)), ErrCorrupt, 87, "body", Limits{}},
		{"0-d body missing", rawDense(FlagAligned, Float64, nil, make([]byte, 7)), ErrCorrupt, 71, "body", Limits{}},
	})
}

// TestBadShapeBodySize: inside a container the value must end exactly at
// its length prefix; at top level trailing bytes are tolerated.
func TestBadShapeBodySize(t *testing.T) {
	val := mustEncode(t, f32Tensor(1, 2, 3), Options{})
	long := append(bytes.Clone(val), 0)
	short := val[:len(val)-1]
	runBad(t, []badCase{
		{"bundle value longer than its shape", rawBundle(1, rawEntry{[]byte("a"), long}), ErrCorrupt, 19 + int64(len(val)), "body", Limits{}},
		{"bundle value shorter than its shape", rawBundle(1, rawEntry{[]byte("a"), short}), ErrCorrupt, -1, "body", Limits{}},
		{"sparse data longer than its shape", rawSparse(FlagSparseCOO, 3, 3, long, mustEncode(t, i32Tensor(0, 1, 2), Options{}), mustEncode(t, i32Tensor(0, 1, 2), Options{})), ErrCorrupt, -1, "body", Limits{}},
	})
	v, n, err := DecodePrefix(long, Limits{})
	if err != nil || n != len(val) {
		t.Fatalf("top-level trailing byte: n=%d err=%v, want n=%d", n, err, len(val))
	}
	if !bytes.Equal(v.(*Tensor).Data, f32s(1, 2, 3)) {
		t.Fatal("wrong data")
	}
}

func TestBadAlignment(t *testing.T) {
	p := mustEncode(t, tensorOf(Float32, []int{3, 5}, make([]byte, 60)), Options{Alignment: 16}) // exponent at 18
	if p[18] != 4 {
		t.Fatalf("exponent byte %d, want 4", p[18])
	}
	q := mustEncode(t, &Quantized{DType: QUint8, Shape: []int{4, 6}, Scheme: PerTensor, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: make([]byte, 24)}, Options{Alignment: 16})
	if q[36] != 4 {
		t.Fatalf("quantized exponent byte %d, want 4", q[36])
	}
	runBad(t, []badCase{
		{"exponent 32", with(p, 18, 32), ErrTooLarge, 18, "alignment exponent", Limits{}},
		{"exponent 63", with(p, 18, 63), ErrTooLarge, 18, "alignment exponent", Limits{}},
		{"exponent 64", with(p, 18, 64), ErrTooLarge, 18, "alignment exponent", Limits{}},
		{"exponent 255", with(p, 18, 255), ErrTooLarge, 18, "alignment exponent", Limits{}},
		{"quantized exponent 40", with(q, 36, 40), ErrTooLarge, 36, "alignment exponent", Limits{}},
		{"exponent 31: body offset 2^31 past the end", with(p, 18, 31), ErrCorrupt, -1, "", Limits{}},
		{"exponent 4 over MaxAlignment 8", p, ErrTooLarge, 18, "alignment exponent", Limits{MaxAlignment: 8}},
		{"exponent byte missing", p[:18], ErrCorrupt, 18, "alignment exponent", Limits{}},
	})
	// A CUST_ALIGN exponent of 6 is a valid (non-canonical) 64 alignment.
	alt := cat(hdr4(FlagCustAlign, Float32, 1, 0), le32(1), []byte{6})
	alt = append(padTo(alt, 64), f32s(2.5)...)
	if v, err := Decode(alt); err != nil || !bytes.Equal(v.(*Tensor).Data, f32s(2.5)) {
		t.Fatalf("CUST_ALIGN exponent 6: %v", err)
	}
}

// --------------------------------------------------------------- footers

var checksumMsg = regexp.MustCompile(`^tenso: integrity check failed: footer 0x([0-9a-f]{16}), computed 0x([0-9a-f]{16})`)

// checkChecksumErr asserts the exact message form of FORMAT.md §7 and the
// two values it names.
func checkChecksumErr(t *testing.T, what string, err error, size int, footer, computed uint64) {
	t.Helper()
	checkFormatErr(t, what, err, ErrChecksum, size)
	m := checksumMsg.FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("%s: message %q lacks the form \"tenso: integrity check failed: footer 0x<16 hex>, computed 0x<16 hex>\"", what, err)
	}
	if want := fmt.Sprintf("%016x", footer); m[1] != want {
		t.Errorf("%s: message names footer 0x%s, want 0x%s", what, m[1], want)
	}
	if want := fmt.Sprintf("%016x", computed); m[2] != want {
		t.Errorf("%s: message names computed 0x%s, want 0x%s", what, m[2], want)
	}
}

// TestBadFooterGolden flips the last footer byte, and separately a body
// byte, of every golden packet whose top level carries INTEGRITY. The
// computed value must then be the manifest's footer (body intact) and the
// stored one the flipped value.
func TestBadFooterGolden(t *testing.T) {
	n := 0
	for _, g := range goldenFiles(t) {
		l := g.layout()
		fh, ok := l["xxh3_64_footer_hex"].(string)
		if !ok {
			continue
		}
		var want uint64
		if _, err := fmt.Sscanf(fh, "%x", &want); err != nil {
			t.Fatal(err)
		}
		n++
		t.Run(g.name, func(t *testing.T) {
			p := bytes.Clone(g.data)
			fo := int(jint(l["footer_offset"]))
			if getU64(p[fo:]) != want {
				t.Fatalf("footer at %d is %x, manifest says %s", fo, getU64(p[fo:]), fh)
			}
			p[len(p)-1] ^= 0x80
			_, err := Decode(p)
			checkChecksumErr(t, "flipped footer", err, len(p), getU64(p[fo:]), want)
			if fe := checkFormatErr(t, "flipped footer", err, ErrChecksum, len(p)); fe.Offset != int64(fo) {
				t.Errorf("offset %d, want the footer offset %d", fe.Offset, fo)
			}
			// A flipped body byte (the last byte before the footer):
			// stored footer intact, computed differs. Compressed bodies
			// are verified before decompression, so this is ErrChecksum
			// too, not ErrCorrupt.
			if jint(l["body_len"]) == 0 {
				return // an empty body: the byte before the footer is padding
			}
			p = bytes.Clone(g.data)
			p[fo-1] ^= 0x01
			_, err = Decode(p)
			checkFormatErr(t, "flipped body byte", err, ErrChecksum, len(p))
			m := checksumMsg.FindStringSubmatch(err.Error())
			if m == nil || m[1] != fmt.Sprintf("%016x", want) || m[2] == m[1] {
				t.Errorf("flipped body byte: message %q", err)
			}
		})
	}
	if n < 8 {
		t.Errorf("only %d golden packets with a top-level footer", n)
	}
}

func TestBadFooterKinds(t *testing.T) {
	dense := mustEncode(t, f32Tensor(1, 2, 3), Options{Integrity: true})
	quant := mustEncode(t, &Quantized{DType: QInt4, Shape: []int{3}, Scheme: PerTensor, Scales: []float32{0.5}, ZeroPoints: []float32{1}, Data: []byte{0x21, 0x03}}, Options{Integrity: true})
	str := mustEncode(t, NewStrings("a", "bc"), Options{Integrity: true})
	comp := mustEncode(t, tensorOf(Uint8, []int{300}, bytes.Repeat([]byte{7}, 300)), Options{Integrity: true, Compress: true})
	bundle := rawBundle(1, rawEntry{[]byte("k"), dense})
	for _, c := range []struct {
		name    string
		p       []byte
		covered func(p []byte) []byte // bytes the footer hashes, of the packet p
		base    int
	}{
		{"dense", dense, func(p []byte) []byte { return p[64 : len(p)-8] }, 0},
		{"quantized (meta ‖ body)", quant, func(p []byte) []byte { return cat(p[14:32], p[64:66]) }, 0},
		{"string (offsets ‖ payload)", str, func(p []byte) []byte { return p[64 : len(p)-8] }, 0},
		{"compressed dense (frame)", comp, func(p []byte) []byte { return p[64 : len(p)-8] }, 0},
		{"dense in bundle", bundle, func(p []byte) []byte { return p[19+64 : len(p)-8] }, 19},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Decode(c.p); err != nil {
				t.Fatalf("intact packet: %v", err)
			}
			if got := getU64(c.p[len(c.p)-8:]); got != xxh3.Hash(c.covered(c.p)) {
				t.Fatalf("the footer does not hash the bytes FORMAT.md §7 lists")
			}
			p := bytes.Clone(c.p)
			putU64(p[len(p)-8:], 0x0123456789abcdef)
			_, err := Decode(p)
			checkChecksumErr(t, c.name, err, len(p), 0x0123456789abcdef, xxh3.Hash(c.covered(c.p)))
			if fe := checkFormatErr(t, c.name, err, ErrChecksum, len(p)); fe.Offset != int64(len(p)-8) {
				t.Errorf("offset %d, want %d", fe.Offset, len(p)-8)
			}
			// The header, shape and padding are not covered.
			p = bytes.Clone(c.p)
			p[c.base+9] = 0x55 // reserved byte
			if _, err := Decode(p); err != nil {
				t.Errorf("reserved byte changed: %v", err)
			}
		})
	}
	// Quantized: a changed scale is covered (meta is hashed).
	p := bytes.Clone(quant)
	p[24] ^= 1
	_, err := Decode(p)
	checkFormatErr(t, "quantized scale changed", err, ErrChecksum, len(p))
	// Footer missing entirely.
	_, err = Decode(dense[:len(dense)-1])
	checkFormatErr(t, "footer truncated", err, ErrCorrupt, len(dense)-1)
}

// ------------------------------------------------------------------- LZ4

// lz4Frame builds a frame by hand: flg/bd descriptor, optional content
// size, the header checksum, blocks (raw when the flag says so) and the
// end mark.
func lz4Frame(flg, bd byte, contentSize uint64, blocks ...lz4Blk) []byte {
	f := []byte{0x04, 0x22, 0x4d, 0x18, flg, bd}
	if flg&0x08 != 0 {
		f = append(f, le64(contentSize)...)
	}
	f = append(f, lz4HeaderChecksum(f[4:]))
	for _, b := range blocks {
		w := uint32(len(b.data))
		if b.raw {
			w |= 1 << 31
		}
		f = cat(f, le32(w), b.data)
	}
	return append(f, 0, 0, 0, 0)
}

type lz4Blk struct {
	data []byte
	raw  bool
}

func lz4Compressed(t testing.TB, src []byte) lz4Blk {
	t.Helper()
	dst := make([]byte, lz4.CompressBlockBound(len(src)))
	n, err := lz4.CompressBlock(src, dst, nil)
	if err != nil || n == 0 {
		t.Fatalf("CompressBlock: %d, %v", n, err)
	}
	return lz4Blk{data: dst[:n]}
}

// compressedPacket wraps a frame as the body of a dense uint8 packet of
// n elements.
func compressedPacket(n uint32, frame []byte, integrity bool) []byte {
	flags := uint16(FlagAligned | FlagCompression)
	if integrity {
		flags |= FlagIntegrity
	}
	p := rawDense(flags, Uint8, []uint32{n}, frame)
	if integrity {
		p = append(p, le64(xxh3.Hash(frame))...)
	}
	return p
}

func TestBadLZ4(t *testing.T) {
	data := bytes.Repeat([]byte("tenso lz4 "), 410)[:4096]
	good := mustEncode(t, tensorOf(Uint8, []int{4096}, data), Options{Compress: true})
	if v, err := Decode(good); err != nil || !bytes.Equal(v.(*Tensor).Data, data) {
		t.Fatalf("good compressed packet: %v", err)
	}
	zeros := make([]byte, 64<<10)
	fr := func(content []byte, withSize bool) []byte {
		flg := byte(0x60)
		if withSize {
			flg |= 0x08
		}
		return lz4Frame(flg, 0x40, uint64(len(content)), lz4Blk{content, true})
	}
	dict := []byte{0x04, 0x22, 0x4d, 0x18, 0x61, 0x40, 1, 2, 3, 4}
	dict = append(dict, lz4HeaderChecksum(dict[4:]))
	runBad(t, []badCase{
		{"frame magic", with(good, 64, 0x05), ErrCorrupt, 64, "lz4", Limits{}},
		{"FLG version 0", with(good, 68, good[68]&0x3f), ErrCorrupt, 68, "lz4", Limits{}},
		{"header checksum", with(good, 64+14, good[64+14]^0xff), ErrCorrupt, 78, "lz4", Limits{}},
		{"block size over block maximum", with(good, 64+15, 0x01, 0x00, 0x01, 0x00), ErrCorrupt, 79, "lz4", Limits{}},
		{"frame cut inside a block", good[:len(good)-10], ErrCorrupt, -1, "lz4", Limits{}},
		{"end mark missing", good[:len(good)-4], ErrCorrupt, -1, "lz4", Limits{}},
		{"non-zero byte after the frame", append(bytes.Clone(good), 0, 0, 1), ErrCorrupt, int64(len(good) + 2), "lz4", Limits{}},
		{"empty body", rawDense(FlagAligned|FlagCompression, Uint8, []uint32{4}, nil), ErrCorrupt, 64, "lz4", Limits{}},
		{"dictionary frame", compressedPacket(4, cat(dict, le32(0)), false), ErrUnsupported, -1, "lz4", Limits{}},
		{"output 1 byte shorter (content size 4095)", compressedPacket(4096, fr(data[:4095], true), false), ErrCorrupt, -1, "lz4", Limits{}},
		{"output 1 byte longer (content size 4097)", compressedPacket(4096, fr(append(bytes.Clone(data), 1), true), false), ErrCorrupt, -1, "lz4", Limits{}},
		{"output shorter, no content size", compressedPacket(4096, fr(data[:4095], false), false), ErrCorrupt, -1, "lz4", Limits{}},
		{"output longer, no content size", compressedPacket(4096, fr(append(bytes.Clone(data), 1), false), false), ErrCorrupt, -1, "lz4", Limits{}},
		{"64 KiB compressed block, shape 16", compressedPacket(16, lz4Frame(0x60, 0x40, 0, lz4Compressed(t, zeros)), false), ErrCorrupt, -1, "lz4", Limits{}},
		{"two frames, too much in all", compressedPacket(4096, cat(fr(data, true), fr(data[:1], true)), false), ErrCorrupt, -1, "lz4", Limits{}},
		{"corrupt frame under integrity is ErrChecksum", func() []byte {
			p := mustEncode(t, tensorOf(Uint8, []int{4096}, data), Options{Compress: true, Integrity: true})
			p[70] ^= 0xff
			return p
		}(), ErrChecksum, -1, "integrity", Limits{}},
	})
	// Several frames and a zero tail are accepted.
	two := compressedPacket(4096, cat(fr(data[:1000], true), fr(data[1000:], false), []byte{0, 0, 0}), false)
	if v, err := Decode(two); err != nil || !bytes.Equal(v.(*Tensor).Data, data) {
		t.Fatalf("two frames and a zero tail: %v", err)
	}
}

// totalAlloc runs f n times and returns the bytes allocated per run.
func totalAlloc(n int, f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	for i := 0; i < n; i++ {
		f()
	}
	runtime.ReadMemStats(&b)
	return (b.TotalAlloc - a.TotalAlloc) / uint64(n)
}

// TestBadLZ4NoLargeAllocation: neither a forged content size nor a shape
// that the frame cannot possibly fill drives an allocation.
func TestBadLZ4NoLargeAllocation(t *testing.T) {
	data := bytes.Repeat([]byte{1, 2, 3, 4}, 1024)
	forged := lz4Frame(0x68, 0x40, 1<<50, lz4Blk{data, true})
	cases := []struct {
		name  string
		p     []byte
		limit uint64
	}{
		{"content size 2^50, shape 4096", compressedPacket(4096, forged, false), 16 << 10},
		// The output is sized by the shape (1 MiB, which 4 KiB of LZ4
		// could fill), never by the declared content size.
		{"content size 2^50, shape 2^20", compressedPacket(1<<20, forged, false), 1<<20 + 16<<10},
		{"content size 2^50 with integrity", compressedPacket(4096, forged, true), 16 << 10},
		// A 4 KiB frame cannot decompress to 1e9 bytes (LZ4 expands at
		// most 255×): refuse before allocating the output.
		{"tiny frame, shape 1e9", compressedPacket(1_000_000_000, forged, false), 64 << 10},
		{"tiny frame, shape 1e9, integrity", compressedPacket(1_000_000_000, forged, true), 64 << 10},
		{"frame with no blocks, shape 1e9", compressedPacket(1_000_000_000, lz4Frame(0x60, 0x40, 0), false), 64 << 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.p)
			checkFormatErr(t, c.name, err, ErrCorrupt, len(c.p))
			per := totalAlloc(5, func() { _, _ = Decode(c.p) })
			if per > c.limit {
				t.Errorf("Decode allocated %d bytes per run for a %d-byte packet (limit %d)", per, len(c.p), c.limit)
			}
		})
	}
}

// --------------------------------------------------------------- bundles

func TestBadBundle(t *testing.T) {
	up := goldenByName(t, "bundle_upstream_fixture.tenso") // key_len at 10, value_len at 15, value at 19
	val := mustEncode(t, f32Tensor(1), Options{})
	runBad(t, []badCase{
		{"key length past the end", with(up, 10, le32(1000)...), ErrCorrupt, 10, "bundle entry 0 key length", Limits{}},
		{"key length 2^32-1", with(up, 10, le32(math.MaxUint32)...), ErrCorrupt, 10, "key length", Limits{}},
		{"value length past the end", with(up, 15, le32(1000)...), ErrCorrupt, 15, "bundle entry 0 value length", Limits{}},
		{"value length 2^32-1", with(up, 15, le32(math.MaxUint32)...), ErrCorrupt, 15, "value length", Limits{}},
		{"value length over MaxBytes", up, ErrTooLarge, 15, "value length", Limits{MaxBytes: 50}},
		{"second value length past the end", with(up, 100-4, le32(89)...), ErrCorrupt, 96, "bundle entry 1 value length", Limits{}},
		{"count 3, two entries", with(up, 8, 3), ErrCorrupt, int64(len(up)), "bundle entry 2 key length", Limits{}},
		{"length word cut", up[:12], ErrCorrupt, 10, "key length", Limits{}},
		{"value length 4 (shorter than a header)", rawBundle(1, rawEntry{[]byte("a"), []byte("TNSO")}), ErrCorrupt, 15, "value length", Limits{}},
		{"value length 0", rawBundle(1, rawEntry{[]byte("a"), nil}), ErrCorrupt, 15, "value length", Limits{}},
		{"invalid UTF-8 key", rawBundle(1, rawEntry{[]byte{0xff, 'a'}, val}), ErrCorrupt, 14, "bundle entry 0 key", Limits{}},
		{"truncated UTF-8 key", rawBundle(1, rawEntry{[]byte("\xc3"), val}), ErrCorrupt, 14, "key", Limits{}},
		{"surrogate in key", rawBundle(2, rawEntry{[]byte("ok"), val}, rawEntry{[]byte("\xed\xa0\x80"), val}), ErrCorrupt, int64(10 + 4 + 2 + 4 + len(val) + 4), "bundle entry 1 key", Limits{}},
		{"bad value at its own offset", rawBundle(1, rawEntry{[]byte("a"), with(val, 4, 9)}), ErrUnsupported, 19 + 4, "version", Limits{}},
	})
	// Duplicate keys and the empty key are legal on the wire.
	dup := rawBundle(3, rawEntry{[]byte("x"), val}, rawEntry{nil, val}, rawEntry{[]byte("x"), mustEncode(t, f32Tensor(2), Options{})})
	v, err := Decode(dup)
	if err != nil {
		t.Fatalf("duplicate keys: %v", err)
	}
	b := v.(*Bundle)
	if len(b.Entries) != 3 || !bytes.Equal(b.Get("x").(*Tensor).Data, f32s(2)) {
		t.Fatalf("duplicate keys decoded as %+v", b.Entries)
	}
}

// nestedBundles wraps leaf in n bundle levels of one entry, key "k".
func nestedBundles(n int, leaf []byte) []byte { return claimingBundles(n, 1, leaf) }

func TestBadNesting(t *testing.T) {
	leaf := mustEncode(t, f32Tensor(1), Options{})
	// 64 container levels: the leaf is at depth 64, the limit. OK.
	p := nestedBundles(64, leaf)
	v, err := Decode(p)
	if err != nil {
		t.Fatalf("64 nested bundles: %v", err)
	}
	for i := 0; i < 64; i++ {
		v = v.(*Bundle).Entries[0].Value
	}
	if !bytes.Equal(v.(*Tensor).Data, f32s(1)) {
		t.Fatal("wrong leaf")
	}
	// The writer produces the same bytes.
	var w Value = f32Tensor(1)
	for i := 0; i < 64; i++ {
		w = &Bundle{Entries: []Entry{{"k", w}}}
	}
	if q := mustEncode(t, w, Options{}); !bytes.Equal(q, p) {
		t.Fatal("Encode of 64 nested bundles differs from the hand-built packet")
	}
	// 65 levels: ErrTooLarge, reported at the level that exceeds the limit.
	p65 := nestedBundles(65, leaf)
	runBad(t, []badCase{
		{"65 nested bundles", p65, ErrTooLarge, 64 * 19, "bundle", Limits{}},
		{"1000 nested bundles", nestedBundles(1000, leaf), ErrTooLarge, -1, "", Limits{}},
		{"MaxDepth 3, 4 levels", nestedBundles(4, leaf), ErrTooLarge, 3 * 19, "", Limits{MaxDepth: 3}},
		{"sparse at depth 64", nestedBundles(64, goldenByName(t, "sparse_coo_upstream_fixture.tenso")), ErrTooLarge, 64 * 19, "sparse", Limits{}},
	})
	if _, err := DecodeWith(nestedBundles(3, leaf), Limits{MaxDepth: 3}); err != nil {
		t.Fatalf("MaxDepth 3, 3 levels: %v", err)
	}
}

// ---------------------------------------------------------------- sparse

func TestBadSparse(t *testing.T) {
	enc := func(v Value) []byte { return mustEncode(t, v, Options{}) }
	data4 := enc(f32Tensor(1, 2, 3, 4))
	coo := func(row, col []byte) []byte { return rawSparse(FlagSparseCOO, 3, 3, data4, row, col) }
	csr := func(flag uint16, rows, cols uint32, indices, indptr []byte) []byte {
		return rawSparse(flag, rows, cols, data4, indices, indptr)
	}
	goodRow, goodCol := enc(i32Tensor(0, 0, 1, 2)), enc(i32Tensor(0, 2, 1, 0))
	if _, err := Decode(coo(goodRow, goodCol)); err != nil {
		t.Fatalf("valid COO: %v", err)
	}
	if !bytes.Equal(coo(goodRow, goodCol), goldenByName(t, "sparse_coo_upstream_fixture.tenso")) {
		t.Fatal("hand-built COO differs from the golden fixture")
	}
	goodIdx, goodPtr := enc(i32Tensor(0, 2, 1, 0)), enc(i32Tensor(0, 2, 3, 4))
	if _, err := Decode(csr(FlagSparseCSR, 3, 3, goodIdx, goodPtr)); err != nil {
		t.Fatalf("valid CSR: %v", err)
	}
	rowOff := int64(18 + 4 + len(data4) + 4)   // offset of the second component
	colOff := rowOff + int64(len(goodRow)) + 4 // of the third
	ptrOff := rowOff + int64(len(goodIdx)) + 4 // CSR indptr
	q := enc(&Quantized{DType: QInt8, Shape: []int{4}, Scheme: PerTensor, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: []byte{1, 2, 3, 4}})
	str := enc(NewStrings("a", "b", "c", "d"))
	bnd := enc(&Bundle{Entries: []Entry{{"x", f32Tensor(1)}}})
	u64big := enc(u64Tensor(0, 0, 1<<63, 2))
	runBad(t, []badCase{
		{"COO row out of bounds", coo(enc(i32Tensor(0, 0, 3, 2)), goodCol), ErrCorrupt, rowOff, "sparse row", Limits{}},
		{"COO col negative", coo(goodRow, enc(i32Tensor(0, -1, 1, 0))), ErrCorrupt, colOff, "sparse col", Limits{}},
		{"COO row uint64 above MaxInt64", coo(u64big, goodCol), ErrCorrupt, rowOff, "sparse row", Limits{}},
		{"COO row shorter", coo(enc(i32Tensor(0, 0, 1)), goodCol), ErrCorrupt, -1, "sparse row", Limits{}},
		{"COO col longer", coo(goodRow, enc(i32Tensor(0, 2, 1, 0, 0))), ErrCorrupt, -1, "sparse", Limits{}},
		{"CSR indptr non-monotonic", csr(FlagSparseCSR, 3, 3, goodIdx, enc(i32Tensor(0, 3, 2, 4))), ErrCorrupt, ptrOff, "indptr", Limits{}},
		{"CSR indptr[0] = 1", csr(FlagSparseCSR, 3, 3, goodIdx, enc(i32Tensor(1, 2, 3, 4))), ErrCorrupt, ptrOff, "indptr", Limits{}},
		{"CSR indptr negative", csr(FlagSparseCSR, 3, 3, goodIdx, enc(i32Tensor(0, -2, 3, 4))), ErrCorrupt, ptrOff, "indptr", Limits{}},
		{"CSR indptr too short", csr(FlagSparseCSR, 3, 3, goodIdx, enc(i32Tensor(0, 2, 4))), ErrCorrupt, ptrOff, "indptr", Limits{}},
		{"CSR indptr too long", csr(FlagSparseCSR, 3, 3, goodIdx, enc(i32Tensor(0, 2, 3, 4, 4))), ErrCorrupt, ptrOff, "indptr", Limits{}},
		{"CSR indptr last != nnz", csr(FlagSparseCSR, 3, 3, goodIdx, enc(i32Tensor(0, 2, 3, 3))), ErrCorrupt, ptrOff, "indptr", Limits{}},
		{"CSR column index = cols", csr(FlagSparseCSR, 3, 3, enc(i32Tensor(0, 3, 1, 0)), goodPtr), ErrCorrupt, rowOff, "indices", Limits{}},
		{"CSR column index negative", csr(FlagSparseCSR, 3, 3, enc(i32Tensor(0, 2, -1, 0)), goodPtr), ErrCorrupt, rowOff, "indices", Limits{}},
		{"CSR indices shorter than data", csr(FlagSparseCSR, 3, 3, enc(i32Tensor(0, 2, 1)), goodPtr), ErrCorrupt, rowOff, "indices", Limits{}},
		{"CSC row index >= rows (2x5)", csr(FlagSparseCSC, 2, 5, enc(i32Tensor(0, 1, 2, 0)), enc(i32Tensor(0, 1, 2, 3, 4, 4))), ErrCorrupt, rowOff, "indices", Limits{}},
		{"CSC indptr needs cols+1", csr(FlagSparseCSC, 2, 5, enc(i32Tensor(0, 1, 1, 0)), goodPtr), ErrCorrupt, -1, "indptr", Limits{}},
		{"2-D data component", rawSparse(FlagSparseCOO, 3, 3, enc(tensorOf(Float32, []int{2, 2}, f32s(1, 2, 3, 4))), goodRow, goodCol), ErrCorrupt, 22, "sparse data", Limits{}},
		{"0-d index component", coo(enc(tensorOf(Int32, nil, i32s(0))), goodCol), ErrCorrupt, rowOff, "sparse row", Limits{}},
		{"quantized data component", rawSparse(FlagSparseCOO, 3, 3, q, goodRow, goodCol), ErrCorrupt, 22, "sparse data", Limits{}},
		{"string data component", rawSparse(FlagSparseCOO, 3, 3, str, goodRow, goodCol), ErrCorrupt, 22, "sparse data", Limits{}},
		{"bundle index component", coo(bnd, goodCol), ErrCorrupt, rowOff, "sparse row", Limits{}},
		{"float32 index component", coo(enc(f32Tensor(0, 0, 1, 2)), goodCol), ErrCorrupt, rowOff, "sparse row", Limits{}},
		{"ndim 3", with(coo(goodRow, goodCol), 8, 3), ErrCorrupt, 8, "ndim", Limits{}},
		{"ndim 1", with(coo(goodRow, goodCol), 8, 1), ErrCorrupt, 8, "ndim", Limits{}},
		{"component length past the end", with(coo(goodRow, goodCol), 18, le32(5000)...), ErrCorrupt, 18, "sparse data length", Limits{}},
		{"component with a trailing byte", rawSparse(FlagSparseCOO, 3, 3, append(bytes.Clone(data4), 0), goodRow, goodCol), ErrCorrupt, -1, "", Limits{}},
		{"third component missing", rawSparse(FlagSparseCOO, 3, 3, data4, goodRow), ErrCorrupt, -1, "col length", Limits{}},
		{"sparse with INTEGRITY", with(coo(goodRow, goodCol), 5, FlagSparseCOO|FlagIntegrity), ErrUnsupported, 5, "flags", Limits{}},
		{"sparse with COMPRESSION", with(coo(goodRow, goodCol), 5, FlagSparseCOO|FlagCompression), ErrUnsupported, 5, "flags", Limits{}},
	})
	// Duplicates and unsorted indices are allowed (SciPy allows them).
	if _, err := Decode(coo(enc(i32Tensor(2, 0, 2, 2)), enc(i32Tensor(1, 1, 1, 0)))); err != nil {
		t.Fatalf("duplicate COO coordinates: %v", err)
	}
}

// ------------------------------------------------------------- quantized

func TestBadQuantized(t *testing.T) {
	pc := &Quantized{DType: QInt8, Shape: []int{2, 3}, Scheme: PerChannel, Axis: 1,
		Scales: []float32{1, 2, 3}, ZeroPoints: []float32{0, 0, 0}, Data: []byte{1, 2, 3, 4, 5, 6}}
	p := mustEncode(t, pc, Options{}) // meta at 18: scheme 18, axis 19, group 20, num_scales 24
	if v, err := Decode(p); err != nil || v.(*Quantized).Axis != 1 {
		t.Fatalf("valid per_channel: %v", err)
	}
	pg := &Quantized{DType: QUint4, Shape: []int{7}, Scheme: PerGroup, GroupSize: 3,
		Scales: []float32{1, 1, 1}, ZeroPoints: []float32{0, 0, 0}, Data: []byte{0x21, 0x43, 0x65, 0xf7}}
	g := mustEncode(t, pg, Options{}) // meta at 14
	if v, err := Decode(g); err != nil || v.(*Quantized).Data[3] != 0xf7 {
		t.Fatalf("valid per_group with a junk high nibble: %v", err)
	}
	pt := mustEncode(t, &Quantized{DType: QInt8, Shape: []int{}, Scheme: PerTensor, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: []byte{9}}, Options{})
	// A 0-d per_tensor tensor legitimately has axis 0 and ndim 0; any
	// axis is ignored for per_tensor.
	if _, err := Decode(with(pt, 11, 7)); err != nil {
		t.Fatalf("per_tensor with axis 7: %v", err)
	}
	tail := append(bytes.Clone(p), 0)
	runBad(t, []badCase{
		{"scheme 3", with(p, 18, 3), ErrCorrupt, 18, "scheme", Limits{}},
		{"scheme 255", with(p, 18, 255), ErrCorrupt, 18, "scheme", Limits{}},
		{"per_channel axis = ndim", with(p, 19, 2), ErrCorrupt, 19, "axis", Limits{}},
		{"per_channel axis 255 (negative on write)", with(p, 19, 255), ErrCorrupt, 19, "axis", Limits{}},
		{"per_channel axis 0: wants 2 scales, has 3", with(p, 19, 0), ErrCorrupt, 24, "num_scales", Limits{}},
		{"num_scales 2", with(p, 24, le32(2)...), ErrCorrupt, 24, "num_scales", Limits{}},
		{"num_scales 2^32-1", with(p, 24, le32(math.MaxUint32)...), ErrCorrupt, 24, "num_scales", Limits{}},
		{"per_tensor with 3 scales", with(p, 18, 0), ErrCorrupt, 24, "num_scales", Limits{}},
		{"per_group group_size 0", with(g, 16, le32(0)...), ErrCorrupt, 16, "group_size", Limits{}},
		{"per_group group_size 2 (wants 4 scales)", with(g, 16, le32(2)...), ErrCorrupt, 20, "num_scales", Limits{}},
		{"per_group group_size 2^32-1 (wants 1)", with(g, 16, le32(math.MaxUint32)...), ErrCorrupt, 20, "num_scales", Limits{}},
		{"scales truncated", p[:30], ErrCorrupt, 28, "scales", Limits{}},
		{"metadata truncated", p[:22], ErrCorrupt, 18, "quantization metadata", Limits{}},
		{"packed body short", p[:len(p)-1], ErrCorrupt, -1, "packed body", Limits{}},
		{"4-bit body short", g[:len(g)-1], ErrCorrupt, -1, "packed body", Limits{}},
		{"body longer in a bundle", rawBundle(1, rawEntry{[]byte("q"), tail}), ErrCorrupt, 19 + int64(len(p)), "packed body", Limits{}},
		{"quantized with COMPRESSION", with(p, 5, FlagAligned|FlagCompression), ErrUnsupported, 5, "flags", Limits{}},
		{"quantized with ndim 33", with(p, 8, 33), ErrTooLarge, 8, "ndim", Limits{}},
	})
}

// --------------------------------------------------------------- strings

func TestBadStrings(t *testing.T) {
	good := rawStrings(FlagString|FlagAligned, String, 3, []uint64{0, 2, 2, 5}, []byte("hiabc"))
	if !bytes.Equal(good, mustEncode(t, NewStrings("hi", "", "abc"), Options{})) {
		t.Fatal("hand-built string packet differs from Encode")
	}
	invalid := rawStrings(FlagString|FlagAligned, String, 2, []uint64{0, 2, 4}, []byte("ok\xff\xfe"))
	runBad(t, []badCase{
		{"offsets[0] = 1", rawStrings(FlagString|FlagAligned, String, 3, []uint64{1, 2, 2, 5}, []byte("hiabc")), ErrCorrupt, 64, "offsets[0]", Limits{}},
		{"offsets decreasing", rawStrings(FlagString|FlagAligned, String, 3, []uint64{0, 3, 2, 5}, []byte("hiabc")), ErrCorrupt, 64 + 16, "offsets", Limits{}},
		{"last offset past the end", rawStrings(FlagString|FlagAligned, String, 3, []uint64{0, 2, 2, 100}, []byte("hiabc")), ErrCorrupt, -1, "payload", Limits{}},
		{"last offset 2^64-1", rawStrings(FlagString|FlagAligned, String, 1, []uint64{0, math.MaxUint64}, []byte("x")), ErrTooLarge, 72, "offsets", Limits{}},
		{"payload over MaxBytes", good, ErrTooLarge, 64 + 24, "offsets", Limits{MaxBytes: 4}},
		{"offsets table truncated", good[:64+20], ErrCorrupt, -1, "offsets", Limits{}},
		{"invalid UTF-8 element 1", invalid, ErrCorrupt, 64 + 24 + 2, "string element", Limits{}},
		{"overlong encoding", rawStrings(FlagString|FlagAligned, String, 1, []uint64{0, 2}, []byte{0xc0, 0x80}), ErrCorrupt, -1, "string element", Limits{}},
		{"UTF-8 split across elements", rawStrings(FlagString|FlagAligned, String, 2, []uint64{0, 1, 2}, []byte("ñ")), ErrCorrupt, -1, "string element", Limits{}},
		{"ndim 2", with(good, 8, 2), ErrCorrupt, 8, "ndim", Limits{}},
		{"ndim 0", with(good, 8, 0), ErrCorrupt, 8, "ndim", Limits{}},
		{"dtype 1 with STRING", with(good, 7, 1), ErrCorrupt, 7, "dtype", Limits{}},
		{"dtype 22 with STRING", with(good, 7, 22), ErrCorrupt, 7, "dtype", Limits{}},
		{"STRING with COMPRESSION", with(good, 5, 0x05, 0x01), ErrUnsupported, 5, "flags", Limits{}},
		{"string in bundle with a trailing byte", rawBundle(1, rawEntry{[]byte("s"), append(bytes.Clone(good), 0)}), ErrCorrupt, -1, "payload", Limits{}},
		{"RAGGED framing offsets[0] = 3", rawStrings(FlagRagged|FlagAligned, Float32, 1, []uint64{3, 4}, []byte("abcd")), ErrCorrupt, 64, "offsets[0]", Limits{}},
		{"RAGGED framing decreasing", rawStrings(FlagRagged|FlagAligned, Float32, 2, []uint64{0, 4, 3}, []byte("abcd")), ErrCorrupt, -1, "offsets", Limits{}},
		{"RAGGED framing with COMPRESSION", with(rawStrings(FlagRagged|FlagAligned, Float32, 1, []uint64{0, 4}, []byte("abcd")), 5, 0x05, 0x02), ErrUnsupported, 5, "flags", Limits{}},
		{"RAGGED framing ndim 2", with(rawStrings(FlagRagged|FlagAligned, Float32, 1, []uint64{0, 4}, []byte("abcd")), 8, 2), ErrCorrupt, 8, "ndim", Limits{}},
	})
	// dtype 21 (bytes) is not UTF-8 checked.
	v, err := Decode(with(invalid, 7, byte(Bytes)))
	if err != nil || v.(*Strings).DType != Bytes || !bytes.Equal(v.(*Strings).Bytes(1), []byte{0xff, 0xfe}) {
		t.Fatalf("dtype 21 with non-UTF-8 bytes: %v", err)
	}
	// Alignment comes from the flags, not an assumed 64.
	cust := rawStringsAt(FlagString|FlagCustAlign, 4, 16, []uint64{0, 3}, []byte("hé"))
	if v, err := Decode(cust); err != nil || v.(*Strings).At(0) != "hé" {
		t.Fatalf("CUST_ALIGN string packet: %v", err)
	}
	none := cat(hdr4(FlagString, String, 1, 0), le32(1), u64s(0, 1), []byte("z")) // B = 14
	if v, err := Decode(none); err != nil || v.(*Strings).At(0) != "z" {
		t.Fatalf("string packet without alignment flags: %v", err)
	}
	// The RAGGED framing decodes to raw offsets and payload.
	rf := rawStrings(FlagRagged|FlagAligned|FlagIntegrity, Float32, 2, []uint64{0, 4, 4}, f32s(1.5))
	v, err = Decode(rf)
	r, ok := v.(*Ragged)
	if err != nil || !ok || !r.Framed || r.FrameDType != Float32 || !bytes.Equal(r.Flat.Data, f32s(1.5)) || r.Splits.Shape[0] != 3 {
		t.Fatalf("RAGGED framing: %v %#v", err, v)
	}
}

// rawStringsAt builds a CUST_ALIGN string packet with exponent e and body
// offset b.
func rawStringsAt(flags uint16, e byte, b int, offs []uint64, payload []byte) []byte {
	p := cat(hdr4(flags, String, 1, 0), le32(uint32(len(offs)-1)), []byte{e})
	p = padTo(p, b)
	for _, o := range offs {
		p = append(p, le64(o)...)
	}
	return append(p, payload...)
}

// ---------------------------------------------------------------- ragged

func TestBadRagged(t *testing.T) {
	rb := func(offs, flat, count Value) []byte {
		return mustEncode(t, &Bundle{Entries: []Entry{{RaggedOffsetsKey, offs}, {RaggedFlatKey, flat}, {RaggedCountKey, count}}}, Options{})
	}
	flat := f32Tensor(1, 2, 3, 4, 5)
	good := rb(u64Tensor(0, 2, 5), flat, u64Tensor(2))
	if v, err := Decode(good); err != nil {
		t.Fatalf("valid ragged: %v", err)
	} else if _, ok := v.(*Ragged); !ok {
		t.Fatalf("valid ragged decoded as %T", v)
	}
	if !bytes.Equal(good, mustEncode(t, &Ragged{Splits: u64Tensor(0, 2, 5), Flat: flat}, Options{})) {
		t.Fatal("Encode(*Ragged) differs from the three-key bundle")
	}
	q := &Quantized{DType: QInt8, Shape: []int{5}, Scheme: PerTensor, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: make([]byte, 5)}
	runBad(t, []badCase{
		{"offsets[0] = 1", rb(u64Tensor(1, 2, 5), flat, u64Tensor(2)), ErrCorrupt, 0, "ragged", Limits{}},
		{"last split != len(flat)", rb(u64Tensor(0, 2, 4), flat, u64Tensor(2)), ErrCorrupt, 0, "ragged", Limits{}},
		{"last split past flat", rb(u64Tensor(0, 2, 6), flat, u64Tensor(2)), ErrCorrupt, 0, "ragged", Limits{}},
		{"splits past an empty flat", rb(u64Tensor(0, 2), f32Tensor(), u64Tensor(1)), ErrCorrupt, 0, "ragged", Limits{}},
		{"count 3 for 2 rows", rb(u64Tensor(0, 2, 5), flat, u64Tensor(3)), ErrCorrupt, 0, "ragged", Limits{}},
		{"count 1 for 2 rows", rb(u64Tensor(0, 2, 5), flat, u64Tensor(1)), ErrCorrupt, 0, "ragged", Limits{}},
		{"decreasing splits", rb(u64Tensor(0, 3, 2, 5), flat, u64Tensor(3)), ErrCorrupt, 0, "ragged", Limits{}},
		{"negative int32 split", rb(i32Tensor(0, -1, 5), flat, u64Tensor(2)), ErrCorrupt, 0, "ragged", Limits{}},
		{"uint64 split above MaxInt64", rb(u64Tensor(0, 1<<63, 5), flat, u64Tensor(2)), ErrCorrupt, 0, "ragged", Limits{}},
		{"empty splits", rb(u64Tensor(), flat, u64Tensor(0)), ErrCorrupt, 0, "ragged", Limits{}},
		{"float splits", rb(f32Tensor(0, 2, 5), flat, u64Tensor(2)), ErrCorrupt, 0, "ragged", Limits{}},
		{"2-D splits", rb(tensorOf(Uint64, []int{1, 3}, u64s(0, 2, 5)), flat, u64Tensor(2)), ErrCorrupt, 0, "ragged", Limits{}},
		{"2-D flat", rb(u64Tensor(0, 2, 4), tensorOf(Float32, []int{2, 2}, f32s(1, 2, 3, 4)), u64Tensor(2)), ErrCorrupt, 0, "ragged", Limits{}},
		{"count with two elements", rb(u64Tensor(0, 2, 5), flat, u64Tensor(2, 2)), ErrCorrupt, 0, "ragged", Limits{}},
		{"float count", rb(u64Tensor(0, 2, 5), flat, tensorOf(Float64, []int{1}, le64(math.Float64bits(2)))), ErrCorrupt, 0, "ragged", Limits{}},
		{"quantized flat", rb(u64Tensor(0, 2, 5), q, u64Tensor(2)), ErrCorrupt, 0, "ragged", Limits{}},
		{"bad ragged nested at offset 14", mustEncode(t, &Bundle{Entries: []Entry{{"", &Bundle{Entries: []Entry{{RaggedOffsetsKey, u64Tensor(1, 5)}, {RaggedFlatKey, flat}, {RaggedCountKey, u64Tensor(1)}}}}}}, Options{}), ErrCorrupt, 18, "ragged", Limits{}},
	})
	// The same keys in another order, or a fourth key, stay a bundle.
	other := mustEncode(t, &Bundle{Entries: []Entry{{RaggedFlatKey, flat}, {RaggedOffsetsKey, u64Tensor(1, 0)}, {RaggedCountKey, u64Tensor(9)}}}, Options{})
	if v, err := Decode(other); err != nil {
		t.Fatalf("reordered keys: %v", err)
	} else if _, ok := v.(*Bundle); !ok {
		t.Fatalf("reordered keys decoded as %T", v)
	}
	// Any integer dtype works for splits and count.
	if v, err := Decode(rb(i32Tensor(0, 2, 5), flat, tensorOf(Int8, []int{1}, []byte{2}))); err != nil {
		t.Fatalf("int32 splits, int8 count: %v", err)
	} else if _, ok := v.(*Ragged); !ok {
		t.Fatalf("int32 splits decoded as %T", v)
	}
}

// ----------------------------------------------------------------- flags

func TestBadFlags(t *testing.T) {
	dense := mustEncode(t, f32Tensor(1, 2), Options{})
	bundle := goldenByName(t, "bundle_upstream_fixture.tenso")
	v3 := goldenByName(t, "v3_dense_f32.tenso")
	ipc := mustEncode(t, &IPCRef{Offset: 7, NBytes: 9}, Options{})
	var cases []badCase
	for _, kf := range [][2]uint16{
		{FlagBundle, FlagSparseCOO}, {FlagSparseCSR, FlagSparseCSC}, {FlagString, FlagRagged},
		{FlagString, FlagBundle}, {FlagGPUIPCRef, FlagBundle}, {FlagSparseCOO, FlagSparseCSR},
	} {
		f := kf[0] | kf[1] | FlagAligned
		cases = append(cases, badCase{fmt.Sprintf("kind flags 0x%x", kf[0]|kf[1]), with(dense, 5, le16(f)...), ErrUnsupported, 5, "flags", Limits{}})
	}
	for _, mod := range []uint16{FlagIntegrity, FlagCompression} {
		cases = append(cases,
			badCase{fmt.Sprintf("bundle with 0x%x", mod), with(bundle, 5, le16(FlagBundle|mod)...), ErrUnsupported, 5, "flags", Limits{}},
			badCase{fmt.Sprintf("IPC reference with 0x%x", mod), with(ipc, 5, le16(FlagGPUIPCRef|mod)...), ErrUnsupported, 5, "flags", Limits{}},
		)
	}
	for _, dt := range []byte{0, 22, 20, 21, 200, 255} {
		cases = append(cases,
			badCase{fmt.Sprintf("dense dtype %d", dt), with(dense, 7, dt), ErrUnsupported, 7, "dtype", Limits{}},
			badCase{fmt.Sprintf("v3 dense dtype %d", dt), with(v3, 6, dt), ErrUnsupported, 6, "dtype", Limits{}},
		)
	}
	cases = append(cases,
		badCase{"v3 kind flags BUNDLE|SPARSE", with(v3, 5, FlagBundle|FlagSparseCOO), ErrUnsupported, 5, "flags", Limits{}},
		badCase{"two kind flags in a bundle value", with(bundle, 19+5, le16(FlagBundle|FlagString)...), ErrUnsupported, 24, "flags", Limits{}},
		badCase{"IPC discriminator 0", with(ipc, 9, 0), ErrCorrupt, 9, "reserved", Limits{}},
		badCase{"IPC discriminator 2", with(ipc, 9, 2), ErrCorrupt, 9, "reserved", Limits{}},
		badCase{"IPC ndim 1", with(ipc, 8, 1), ErrCorrupt, 8, "ndim", Limits{}},
		badCase{"IPC 105 bytes", ipc[:105], ErrCorrupt, -1, "ipc", Limits{}},
		badCase{"IPC 107 bytes in a bundle", rawBundle(1, rawEntry{[]byte("g"), append(bytes.Clone(ipc), 0)}), ErrCorrupt, -1, "ipc", Limits{}},
		badCase{"IPC 105 bytes in a bundle", rawBundle(1, rawEntry{[]byte("g"), ipc[:105]}), ErrCorrupt, -1, "ipc", Limits{}},
		badCase{"IPC discriminator 0 in a bundle", rawBundle(1, rawEntry{[]byte("g"), with(ipc, 9, 0)}), ErrCorrupt, 19 + 9, "reserved", Limits{}},
	)
	runBad(t, cases)

	// Unknown bits 11..15 are ignored; so is the reserved byte of a
	// non-IPC packet.
	if _, err := Decode(with(dense, 5, le16(FlagAligned|0xf800)...)); err != nil {
		t.Errorf("dense with bits 11..15 set: %v", err)
	}
	if _, err := Decode(with(dense, 9, 0xee)); err != nil {
		t.Errorf("dense with reserved byte 0xee: %v", err)
	}
	// ALIGNED on bundle/sparse/IPC is ignored.
	if _, err := Decode(with(bundle, 5, le16(FlagBundle|FlagAligned|FlagCustAlign)...)); err != nil {
		t.Errorf("bundle with alignment flags: %v", err)
	}
	// The IPC reference is exactly 106 bytes; extra bytes at top level
	// are ignored like any trailing data.
	v, n, err := DecodePrefix(append(bytes.Clone(ipc), 1, 2, 3), Limits{})
	if err != nil || n != 106 {
		t.Fatalf("IPC with trailing bytes: n=%d, %v", n, err)
	}
	if r := v.(*IPCRef); r.Offset != 7 || r.NBytes != 9 {
		t.Fatalf("IPC fields: %+v", r)
	}
	if v, err := Decode(rawBundle(1, rawEntry{[]byte("g"), ipc})); err != nil {
		t.Fatalf("IPC in a bundle: %v", err)
	} else if _, ok := v.(*Bundle).Entries[0].Value.(*IPCRef); !ok {
		t.Fatal("IPC in a bundle decoded as another kind")
	}
}

// ---------------------------------------------------------- writer misuse

func TestEncodeMisuse(t *testing.T) {
	many := &Bundle{}
	for i := 0; i < 256; i++ {
		many.Add(fmt.Sprint(i), f32Tensor(1))
	}
	deep := Value(f32Tensor(1))
	for i := 0; i < 65; i++ {
		deep = &Bundle{Entries: []Entry{{"k", deep}}}
	}
	ok := f32Tensor(1, 2)
	cases := []struct {
		name string
		v    Value
		o    Options
		want error
	}{
		{"256 bundle entries", many, Options{}, ErrTooLarge},
		{"65 nested bundles", deep, Options{}, ErrTooLarge},
		{"duplicate keys", &Bundle{Entries: []Entry{{"a", ok}, {"a", ok}}}, Options{}, ErrInvalid},
		{"invalid UTF-8 key", &Bundle{Entries: []Entry{{"\xff", ok}}}, Options{}, ErrInvalid},
		{"alignment 3", ok, Options{Alignment: 3}, ErrInvalid},
		{"alignment -64", ok, Options{Alignment: -64}, ErrInvalid},
		{"alignment 2^32", ok, Options{Alignment: 1 << 32}, ErrInvalid},
		{"alignment 3 in a bundle", &Bundle{Entries: []Entry{{"a", ok}}}, Options{Alignment: 3}, ErrInvalid},
		{"alignment 3 on quantized", &Quantized{DType: QInt8, Shape: []int{1}, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: []byte{1}}, Options{Alignment: 3}, ErrInvalid},
		{"alignment 3 on sparse", &Sparse{Format: CSR, Shape: []int{1, 1}, Data: f32Tensor(), Indices: i32Tensor(), Indptr: i32Tensor(0, 0)}, Options{Alignment: 3}, ErrInvalid},
		{"data too short", tensorOf(Float32, []int{2, 2}, make([]byte, 15)), Options{}, ErrInvalid},
		{"data too long", tensorOf(Float32, []int{2, 2}, make([]byte, 17)), Options{}, ErrInvalid},
		{"negative dim", tensorOf(Float32, []int{-1}, nil), Options{}, ErrInvalid},
		{"dim 2^32", tensorOf(Uint8, []int{1 << 32, 0}, nil), Options{}, ErrTooLarge},
		{"1e9+1 elements", tensorOf(Uint8, []int{1_000_000_001}, nil), Options{}, ErrTooLarge},
		{"ndim 33", tensorOf(Uint8, make([]int, 33), nil), Options{}, ErrTooLarge},
		{"dtype 0", tensorOf(0, []int{1}, []byte{1}), Options{}, ErrInvalid},
		{"dtype 20 as a tensor", tensorOf(String, []int{1}, []byte{1}), Options{}, ErrInvalid},
		{"nil tensor", (*Tensor)(nil), Options{}, ErrInvalid},
		{"nil value", nil, Options{}, ErrInvalid},
		{"negative axis", &Quantized{DType: QInt8, Shape: []int{2}, Scheme: PerChannel, Axis: -1, Scales: []float32{1, 1}, ZeroPoints: []float32{0, 0}, Data: []byte{1, 2}}, Options{}, ErrInvalid},
		{"axis = ndim", &Quantized{DType: QInt8, Shape: []int{2}, Scheme: PerChannel, Axis: 1, Scales: []float32{1, 1}, ZeroPoints: []float32{0, 0}, Data: []byte{1, 2}}, Options{}, ErrInvalid},
		{"scale count", &Quantized{DType: QInt8, Shape: []int{2}, Scheme: PerTensor, Scales: []float32{1, 1}, ZeroPoints: []float32{0, 0}, Data: []byte{1, 2}}, Options{}, ErrInvalid},
		{"group size 0", &Quantized{DType: QInt8, Shape: []int{2}, Scheme: PerGroup, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: []byte{1, 2}}, Options{}, ErrInvalid},
		{"packed length", &Quantized{DType: QInt4, Shape: []int{3}, Scheme: PerTensor, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: []byte{1, 2, 3}}, Options{}, ErrInvalid},
		{"quantized dtype 1", &Quantized{DType: Float32, Shape: []int{1}, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: []byte{1}}, Options{}, ErrInvalid},
		{"scheme 3", &Quantized{DType: QInt8, Shape: []int{1}, Scheme: 3, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: []byte{1}}, Options{}, ErrInvalid},
		{"strings with alignment 16", NewStrings("a"), Options{Alignment: 16}, ErrInvalid},
		{"strings with alignment 1", NewStrings("a"), Options{Alignment: 1}, ErrInvalid},
		{"strings invalid UTF-8", &Strings{DType: String, Offsets: u64s(0, 1), Payload: []byte{0xff}}, Options{}, ErrInvalid},
		{"strings offsets past payload", &Strings{DType: String, Offsets: u64s(0, 5), Payload: []byte("ab")}, Options{}, ErrInvalid},
		{"strings offsets[0] != 0", &Strings{DType: String, Offsets: u64s(1, 2), Payload: []byte("ab")}, Options{}, ErrInvalid},
		{"strings dtype 1", &Strings{DType: Float32, Offsets: u64s(0), Payload: nil}, Options{}, ErrInvalid},
		{"string value in a bundle", &Bundle{Entries: []Entry{{"s", NewStrings("a")}}}, Options{}, ErrInvalid},
		{"framed ragged", &Ragged{Splits: u64Tensor(0, 1), Flat: tensorOf(Uint8, []int{1}, []byte{1}), Framed: true, FrameDType: Uint8}, Options{}, ErrInvalid},
		{"ragged splits decreasing", &Ragged{Splits: u64Tensor(0, 2, 1), Flat: f32Tensor(1)}, Options{}, ErrInvalid},
		{"ragged last split", &Ragged{Splits: u64Tensor(0, 2), Flat: f32Tensor(1)}, Options{}, ErrInvalid},
		{"ragged splits float", &Ragged{Splits: f32Tensor(0, 1), Flat: f32Tensor(1)}, Options{}, ErrInvalid},
		{"ragged nil flat", &Ragged{Splits: u64Tensor(0)}, Options{}, ErrInvalid},
		{"sparse index out of range", &Sparse{Format: COO, Shape: []int{2, 2}, Data: f32Tensor(1), Row: i32Tensor(2), Col: i32Tensor(0)}, Options{}, ErrInvalid},
		{"sparse 3-D", &Sparse{Format: COO, Shape: []int{2, 2, 2}, Data: f32Tensor(1), Row: i32Tensor(0), Col: i32Tensor(0)}, Options{}, ErrInvalid},
		{"sparse float indices", &Sparse{Format: COO, Shape: []int{2, 2}, Data: f32Tensor(1), Row: f32Tensor(0), Col: i32Tensor(0)}, Options{}, ErrInvalid},
		{"sparse missing component", &Sparse{Format: CSR, Shape: []int{2, 2}, Data: f32Tensor(1), Indices: i32Tensor(0)}, Options{}, ErrInvalid},
		{"sparse format 0", &Sparse{Shape: []int{2, 2}, Data: f32Tensor(), Row: i32Tensor(), Col: i32Tensor()}, Options{}, ErrInvalid},
		{"nil bundle", (*Bundle)(nil), Options{}, ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s: no error", what)
				}
				if !errors.Is(err, c.want) {
					t.Errorf("%s: %v does not wrap %v", what, err, c.want)
				}
				var fe *FormatError
				if errors.As(err, &fe) {
					t.Errorf("%s: misuse reported as a FormatError: %v", what, err)
				}
				if !strings.HasPrefix(err.Error(), "tenso: ") {
					t.Errorf("%s: %q lacks the tenso: prefix", what, err)
				}
			}
			_, err := Encode(c.v, c.o)
			check("Encode", err)
			dst := []byte("prefix")
			out, err := Append(dst, c.v, c.o)
			check("Append", err)
			if string(out) != "prefix" {
				t.Errorf("Append changed dst on error: %q", out)
			}
			_, _, err = Segments(c.v, c.o)
			check("Segments", err)
			_, err = EncodedLen(c.v, c.o)
			check("EncodedLen", err)
			var buf bytes.Buffer
			_, err = NewWriter(&buf).Write(c.v, c.o)
			check("Writer.Write", err)
			if buf.Len() != 0 {
				t.Errorf("Writer.Write wrote %d bytes before failing", buf.Len())
			}
			// The same with compression (a different writer path).
			if _, ok := c.v.(*Tensor); !ok {
				o := c.o
				o.Compress = true
				_, err = Encode(c.v, o)
				check("Encode (compress)", err)
				_, _, err = Segments(c.v, o)
				check("Segments (compress)", err)
			}
		})
	}
}

// TestEncodeMisuseDepthAgrees: what the writer accepts, the reader reads
// (the depth limit on both sides).
func TestEncodeMisuseDepthAgrees(t *testing.T) {
	for _, n := range []int{63, 64, 65} {
		for _, leafKind := range []string{"tensor", "empty bundle"} {
			var v Value = f32Tensor(1)
			if leafKind == "empty bundle" {
				v = &Bundle{}
			}
			for i := 0; i < n; i++ {
				v = &Bundle{Entries: []Entry{{"k", v}}}
			}
			p, encErr := Encode(v, Options{})
			if encErr == nil {
				if _, err := Decode(p); err != nil {
					t.Errorf("%d levels over a %s: Encode succeeded but Decode fails: %v", n, leafKind, err)
				}
			} else if !errors.Is(encErr, ErrTooLarge) {
				t.Errorf("%d levels over a %s: %v", n, leafKind, encErr)
			}
		}
	}
}
