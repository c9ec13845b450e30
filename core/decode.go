package core

import (
	"math"

	"github.com/zeebo/xxh3"
)

// Decode decodes one packet with the default Limits. Uncompressed bodies
// are returned as views into p (no copy): they are valid exactly as long as
// p's memory is, and they change if p changes. A compressed dense body is
// decompressed into one exactly-sized allocation. Bytes after an
// uncompressed top-level packet are ignored; a compressed dense packet
// extends to the end of p. DecodePrefix delimits any packet, a compressed
// one included, and reports its length.
func Decode(p []byte) (Value, error) { return DecodeWith(p, Limits{}) }

// DecodeWith is Decode under the limits l (zero fields mean defaults).
func DecodeWith(p []byte, l Limits) (Value, error) {
	l.norm()
	d := decoder{lim: &l}
	v, _, err := d.decode(p, 0, 0, false)
	return v, err
}

// DecodePrefix decodes the packet at the start of p under l and reports the
// number of bytes it occupies; more bytes (further packets) may follow.
// The packet is delimited as PacketLen does, from its own framing (a
// compressed dense packet by walking its LZ4 frame), and exactly those
// bytes are decoded.
func DecodePrefix(p []byte, l Limits) (Value, int, error) {
	l.norm()
	s := source{buf: p}
	n, err := s.frame(&l, true)
	if err != nil {
		return nil, 0, err
	}
	d := decoder{lim: &l}
	v, _, err := d.decode(p[:n:n], 0, 0, true)
	if err != nil {
		return nil, 0, err
	}
	return v, int(n), nil
}

// decodeExact decodes a packet that must occupy all of p (a container
// value, a framed stream packet).
func decodeExact(p []byte, l *Limits) (Value, error) {
	d := decoder{lim: l}
	v, _, err := d.decode(p, 0, 0, true)
	return v, err
}

// lz4MaxRatio bounds how many output bytes one byte of LZ4 data can
// produce (the block format's limit is just under 255).
const lz4MaxRatio = 256

type decoder struct {
	lim     *Limits
	decoded int64 // bytes allocated so far for decompressed bodies
}

// decode decodes the packet at the start of p. base is p's offset in the
// top-level packet (for error offsets). With exact, the packet must end at
// len(p) (a length-prefixed container value).
func (d *decoder) decode(p []byte, base int64, depth int, exact bool) (Value, int, error) {
	var h header
	if err := parseHeader(&h, p, base); err != nil {
		return nil, 0, err
	}
	switch h.kind {
	case KindBundle:
		return d.bundle(p, h, base, depth, exact)
	case KindSparseCOO, KindSparseCSR, KindSparseCSC:
		return d.sparse(p, h, base, depth, exact)
	case KindIPCRef:
		return d.ipcRef(p, h, base, exact)
	}
	var pr prelude
	err := parsePrelude(&pr, p, &h, base, d.lim, nil)
	if err != nil {
		return nil, 0, err
	}
	switch h.kind {
	case KindQuantized:
		return d.quantized(p, &pr, base, exact)
	case KindString, KindRaggedFrame:
		return d.offsetPayload(p, &pr, base, exact)
	}
	t := new(Tensor)
	n, err := d.dense(t, p, &pr, base, exact, nil)
	if err != nil {
		return nil, 0, err
	}
	return t, n, nil
}

// DecodeTensor decodes the dense packet at the start of p into *t, like
// DecodeWith but without allocating where it can, for loops that decode
// many tensors: the shape goes into t.Shape's storage when its capacity
// allows, an uncompressed body is a view into p (as with Decode), and a
// compressed body is decompressed into buf when cap(buf) is large enough
// (else into a new allocation). Validation and errors are exactly
// Decode's; a packet of another kind is an ErrUnsupported FormatError. On
// error *t is unchanged.
func DecodeTensor(t *Tensor, p, buf []byte, l Limits) error {
	l.norm()
	d := decoder{lim: &l}
	var h header
	if err := parseHeader(&h, p, 0); err != nil {
		return err
	}
	if h.kind != KindDense {
		return ferr(ErrUnsupported, 5, "flags", "a %s packet is not a dense tensor", h.kind)
	}
	var pr prelude
	if err := parsePrelude(&pr, p, &h, 0, &l, t.Shape); err != nil {
		return err
	}
	var out Tensor
	if _, err := d.dense(&out, p, &pr, 0, false, buf); err != nil {
		return err
	}
	*t = out
	return nil
}

// end checks that a packet of length n fits in p, and with exact that it
// fills p.
func end(p []byte, n int64, base int64, exact bool, what string) error {
	if n > int64(len(p)) {
		return ferr(ErrCorrupt, base+int64(len(p)), what, "truncated: the packet needs %d bytes, %d present", n, len(p))
	}
	if exact && n != int64(len(p)) {
		return ferr(ErrCorrupt, base+n, what, "the packet ends at %d but its length prefix gives %d", n, len(p))
	}
	return nil
}

func checkFooter(footer []byte, sum uint64, base int64, at int64) error {
	want := getU64(footer)
	if want != sum {
		return ferr(ErrChecksum, base+at, "integrity footer", "integrity check failed: footer 0x%016x, computed 0x%016x", want, sum)
	}
	return nil
}

// dense decodes the dense packet whose prelude is pr into *t. A compressed
// body is decompressed into buf's storage when its capacity allows.
func (d *decoder) dense(t *Tensor, p []byte, pr *prelude, base int64, exact bool, buf []byte) (int, error) {
	B := int64(pr.body)
	L := pr.bodyLen()
	integ := pr.flags&FlagIntegrity != 0
	if pr.flags&FlagCompression != 0 {
		// The body is implicit: everything from B to the end of p, less
		// the footer (FORMAT.md §6.4).
		stop := int64(len(p))
		if integ {
			stop -= footerLen
		}
		if B > stop {
			return 0, ferr(ErrCorrupt, base+int64(len(p)), "body", "truncated: the compressed body starts at %d but the packet has %d bytes", B, len(p))
		}
		frame := p[B:stop]
		if integ {
			if err := checkFooter(p[stop:], xxh3.Hash(frame), base, stop); err != nil {
				return 0, err
			}
		}
		// LZ4 expands at most 255× (a match length grows by 255 per
		// input byte), so a frame too short to fill the shape is corrupt:
		// refuse it before the shape drives a large allocation.
		if L/lz4MaxRatio > int64(len(frame)) {
			return 0, ferr(ErrCorrupt, base+B, "lz4 frame", "a compressed body of %d bytes cannot decompress to the %d bytes the shape needs", len(frame), L)
		}
		if L > d.lim.MaxDecodedBytes-d.decoded {
			return 0, ferr(ErrTooLarge, base+B, "lz4 frame", "decompressing needs %d bytes, over the limit of %d decoded bytes per packet", d.decoded+L, d.lim.MaxDecodedBytes)
		}
		d.decoded += L
		out := buf[:0]
		if int64(cap(out)) < L {
			out = make([]byte, L)
		}
		out = out[:L]
		if err := decodeLZ4Frames(out, frame, base+B); err != nil {
			return 0, err
		}
		*t = Tensor{DType: pr.dtype, Shape: pr.shape, Data: out}
		return len(p), nil
	}
	n := B + L
	if integ {
		n += footerLen
	}
	if err := end(p, n, base, exact, "body"); err != nil {
		return 0, err
	}
	body := p[B : B+L : B+L]
	if integ {
		if err := checkFooter(p[B+L:], xxh3.Hash(body), base, B+L); err != nil {
			return 0, err
		}
	}
	*t = Tensor{DType: pr.dtype, Shape: pr.shape, Data: body}
	return int(n), nil
}

func (d *decoder) quantized(p []byte, pr *prelude, base int64, exact bool) (Value, int, error) {
	B := int64(pr.body)
	L := pr.bodyLen()
	n := B + L
	integ := pr.flags&FlagIntegrity != 0
	if integ {
		n += footerLen
	}
	if err := end(p, n, base, exact, "packed body"); err != nil {
		return nil, 0, err
	}
	body := p[B : B+L : B+L]
	if integ {
		var hs xxh3.Hasher
		hs.Reset()
		_, _ = hs.Write(p[pr.metaStart:pr.metaEnd])
		_, _ = hs.Write(body)
		if err := checkFooter(p[B+L:], hs.Sum64(), base, B+L); err != nil {
			return nil, 0, err
		}
	}
	q := &Quantized{
		DType: pr.dtype, Shape: pr.shape, Scheme: pr.scheme, Axis: pr.axis, GroupSize: pr.groupSize,
		Scales: make([]float32, pr.nscales), ZeroPoints: make([]float32, pr.nscales), Data: body,
	}
	sc := p[pr.metaStart+10:]
	zp := sc[4*pr.nscales:]
	for i := 0; i < pr.nscales; i++ {
		q.Scales[i] = float32At(sc, i)
		q.ZeroPoints[i] = float32At(zp, i)
	}
	return q, int(n), nil
}

// offsetPayload decodes string packets and the RAGGED framing: (count+1)
// u64 offsets followed by the payload (FORMAT.md §12, §13).
func (d *decoder) offsetPayload(p []byte, pr *prelude, base int64, exact bool) (Value, int, error) {
	B := int64(pr.body)
	count := pr.elems // = shape[0]
	offLen := 8 * (count + 1)
	if B+offLen > int64(len(p)) {
		return nil, 0, ferr(ErrCorrupt, base+int64(len(p)), "offsets", "truncated: %d offsets need %d bytes from %d, the packet has %d", count+1, offLen, B, len(p))
	}
	offs := p[B : B+offLen : B+offLen]
	prev := getU64(offs)
	if prev != 0 {
		return nil, 0, ferr(ErrCorrupt, base+B, "offsets[0]", "first offset is %d, want 0", prev)
	}
	for i := int64(1); i <= count; i++ {
		o := getU64(offs[8*i:])
		if o < prev {
			return nil, 0, ferr(ErrCorrupt, base+B+8*i, "offsets", "offset %d (%d) is smaller than offset %d (%d)", i, o, i-1, prev)
		}
		prev = o
	}
	if prev > uint64(d.lim.MaxBytes) {
		return nil, 0, ferr(ErrTooLarge, base+B+8*count, "offsets", "payload length %d exceeds the limit of %d bytes", prev, d.lim.MaxBytes)
	}
	payStart := B + offLen
	n := payStart + int64(prev)
	integ := pr.flags&FlagIntegrity != 0
	if integ {
		n += footerLen
	}
	if err := end(p, n, base, exact, "payload"); err != nil {
		return nil, 0, err
	}
	payload := p[payStart : payStart+int64(prev) : payStart+int64(prev)]
	if integ {
		if err := checkFooter(p[payStart+int64(prev):], xxh3.Hash(p[B:payStart+int64(prev)]), base, payStart+int64(prev)); err != nil {
			return nil, 0, err
		}
	}
	if pr.kind == KindRaggedFrame {
		return &Ragged{
			Splits:     &Tensor{DType: Uint64, Shape: []int{int(count + 1)}, Data: offs},
			Flat:       &Tensor{DType: Uint8, Shape: []int{len(payload)}, Data: payload},
			Framed:     true,
			FrameDType: pr.dtype,
		}, int(n), nil
	}
	if pr.dtype == String {
		for i := int64(0); i < count; i++ {
			a, b := getU64(offs[8*i:]), getU64(offs[8*i+8:])
			if !validUTF8(payload[a:b]) {
				return nil, 0, ferr(ErrCorrupt, base+payStart+int64(a), "string element", "element %d is not valid UTF-8", i)
			}
		}
	}
	return &Strings{DType: pr.dtype, Offsets: offs, Payload: payload}, int(n), nil
}

func (d *decoder) ipcRef(p []byte, h header, base int64, exact bool) (Value, int, error) {
	if h.version != 4 {
		return nil, 0, ferr(ErrUnsupported, base+4, "version", "a GPU IPC reference requires version 4")
	}
	if h.resv != 1 {
		return nil, 0, ferr(ErrCorrupt, base+9, "reserved", "GPU IPC reference discriminator is %d, want 1", h.resv)
	}
	if h.ndim != 0 {
		return nil, 0, ferr(ErrCorrupt, base+8, "ndim", "GPU IPC reference with ndim %d, want 0", h.ndim)
	}
	if err := end(p, ipcPacketLen, base, exact, "ipc reference"); err != nil {
		return nil, 0, err
	}
	r := &IPCRef{Offset: getU64(p[74:]), NBytes: getU64(p[82:])}
	copy(r.Handle[:], p[10:74])
	copy(r.DeviceUUID[:], p[90:106])
	return r, ipcPacketLen, nil
}

// lenPrefix reads a u32 length at p[at:] and checks that it fits in what
// remains and in MaxBytes.
func (d *decoder) lenPrefix(p []byte, at int, base int64, field string, entry int) (int, error) {
	if len(p)-at < 4 {
		if entry >= 0 {
			field = "bundle entry " + itoa(entry) + " " + field
		}
		return 0, ferr(ErrCorrupt, base+int64(at), field, "truncated: length prefix needs 4 bytes, %d remain", len(p)-at)
	}
	n := int64(getU32(p[at:]))
	if n <= d.lim.MaxBytes && n <= int64(len(p)-at-4) {
		return int(n), nil
	}
	if entry >= 0 {
		field = "bundle entry " + itoa(entry) + " " + field
	}
	if n > d.lim.MaxBytes {
		return 0, ferr(ErrTooLarge, base+int64(at), field, "length %d exceeds the limit of %d bytes", n, d.lim.MaxBytes)
	}
	if n > int64(len(p)-at-4) {
		return 0, ferr(ErrCorrupt, base+int64(at), field, "length %d runs past the end (%d bytes remain)", n, len(p)-at-4)
	}
	return int(n), nil
}

func (d *decoder) bundle(p []byte, h header, base int64, depth int, exact bool) (Value, int, error) {
	if err := containerDepth(&h, base, depth, d.lim); err != nil {
		return nil, 0, err
	}
	// Entries are appended as they are validated: the claimed count
	// reserves nothing (a packet of a few bytes may claim 255 entries at
	// every level).
	entries := []Entry{}
	at, err := eachPart(p, base, &h, d.lim, func(_ int, key string, at, n int) error {
		v, _, err := d.decode(p[at:at+n:at+n], base+int64(at), depth+1, true)
		if err != nil {
			return err
		}
		entries = append(entries, Entry{Key: key, Value: v})
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	b := &Bundle{Entries: entries}
	if exact && at != len(p) {
		return nil, 0, ferr(ErrCorrupt, base+int64(at), "bundle", "the bundle ends at %d but its length prefix gives %d", at, len(p))
	}
	if r, ok, err := asRagged(b, base); ok || err != nil {
		return r, at, err
	}
	return b, at, nil
}

// asRagged recognises the reference's three-key ragged bundle and
// validates it (FORMAT.md §13).
func asRagged(b *Bundle, base int64) (*Ragged, bool, error) {
	e := b.Entries
	if len(e) != 3 || e[0].Key != RaggedOffsetsKey || e[1].Key != RaggedFlatKey || e[2].Key != RaggedCountKey {
		return nil, false, nil
	}
	bad := func(format string, args ...any) (*Ragged, bool, error) {
		return nil, true, ferr(ErrCorrupt, base, "ragged", format, args...)
	}
	offs, ok1 := e[0].Value.(*Tensor)
	flat, ok2 := e[1].Value.(*Tensor)
	cnt, ok3 := e[2].Value.(*Tensor)
	if !ok1 || !ok2 || !ok3 {
		return bad("ragged bundle values must be dense tensors")
	}
	if !offs.DType.IsInteger() || len(offs.Shape) != 1 || offs.Shape[0] < 1 {
		return bad("row splits must be a non-empty 1-D integer tensor, got %s %v", offs.DType, offs.Shape)
	}
	if len(flat.Shape) != 1 {
		return bad("flat values must be 1-D, got shape %v", flat.Shape)
	}
	if !cnt.DType.IsInteger() || cnt.NumElements() != 1 {
		return bad("count must be one integer, got %s %v", cnt.DType, cnt.Shape)
	}
	rows := offs.Shape[0] - 1
	if c, ok := intAt(cnt, 0); !ok || c != int64(rows) {
		return bad("count %d does not match %d row splits", c, rows+1)
	}
	prev, _ := intAt(offs, 0)
	if prev != 0 {
		return bad("first row split is %d, want 0", prev)
	}
	for i := 1; i <= rows; i++ {
		s, ok := intAt(offs, i)
		if !ok || s < prev {
			return bad("row split %d (%d) is smaller than the one before (%d)", i, s, prev)
		}
		prev = s
	}
	if prev != int64(flat.Shape[0]) {
		return bad("last row split is %d but flat holds %d values", prev, flat.Shape[0])
	}
	return &Ragged{Splits: offs, Flat: flat}, true, nil
}

// intAt reads element i of an integer tensor as int64; ok is false for a
// uint64 value above MaxInt64.
func intAt(t *Tensor, i int) (int64, bool) {
	b := t.Data
	switch t.DType {
	case Int8:
		return int64(int8(b[i])), true
	case Uint8:
		return int64(b[i]), true
	case Int16:
		return int64(int16(getU16(b[2*i:]))), true
	case Uint16:
		return int64(getU16(b[2*i:])), true
	case Int32:
		return int64(int32(getU32(b[4*i:]))), true
	case Uint32:
		return int64(getU32(b[4*i:])), true
	case Int64:
		return int64(getU64(b[8*i:])), true
	case Uint64:
		v := getU64(b[8*i:])
		return int64(v), v <= math.MaxInt64
	}
	return 0, false
}

func (d *decoder) sparse(p []byte, h header, base int64, depth int, exact bool) (Value, int, error) {
	if err := containerDepth(&h, base, depth, d.lim); err != nil {
		return nil, 0, err
	}
	if h.ndim != 2 {
		return nil, 0, ferr(ErrCorrupt, base+h.ndimOff(), "ndim", "sparse matrix with ndim %d, want 2", h.ndim)
	}
	shape, _, err := readShape(nil, p, h.size, h.ndim, base, base+h.ndimOff(), d.lim)
	if err != nil {
		return nil, 0, err
	}
	s := &Sparse{Shape: shape}
	switch h.kind {
	case KindSparseCOO:
		s.Format = COO
	case KindSparseCSR:
		s.Format = CSR
	default:
		s.Format = CSC
	}
	var comps [3]*Tensor
	var compOff [3]int64
	at, err := eachPart(p, base, &h, d.lim, func(i int, name string, at, n int) error {
		field := "sparse " + name
		compOff[i] = base + int64(at)
		v, _, err := d.decode(p[at:at+n:at+n], base+int64(at), depth+1, true)
		if err != nil {
			return err
		}
		t, ok := v.(*Tensor)
		if !ok || len(t.Shape) != 1 {
			return ferr(ErrCorrupt, compOff[i], field, "sparse component must be a 1-D dense tensor, got %s", describe(v))
		}
		if i > 0 && !t.DType.IsInteger() {
			return ferr(ErrCorrupt, compOff[i], field, "index component has dtype %s, want an integer type", t.DType)
		}
		comps[i] = t
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if exact && at != len(p) {
		return nil, 0, ferr(ErrCorrupt, base+int64(at), "sparse", "the sparse packet ends at %d but its length prefix gives %d", at, len(p))
	}
	s.Data = comps[0]
	if s.Format == COO {
		s.Row, s.Col = comps[1], comps[2]
	} else {
		s.Indices, s.Indptr = comps[1], comps[2]
	}
	if err := validateSparse(s, compOff); err != nil {
		return nil, 0, err
	}
	return s, at, nil
}

func describe(v Value) string {
	if t, ok := v.(*Tensor); ok {
		return "dense " + t.DType.String() + " of rank " + itoa(len(t.Shape))
	}
	return v.Kind().String()
}

// validateSparse checks index bounds and structure (FORMAT.md §9).
func validateSparse(s *Sparse, off [3]int64) error {
	rows, cols := int64(s.Shape[0]), int64(s.Shape[1])
	nnz := s.Data.Shape[0]
	inRange := func(t *Tensor, limit int64, o int64, name string) error {
		for i := 0; i < t.Shape[0]; i++ {
			v, ok := intAt(t, i)
			if !ok || v < 0 || v >= limit {
				return ferr(ErrCorrupt, o, "sparse "+name, "index %d is %d, out of range [0, %d)", i, v, limit)
			}
		}
		return nil
	}
	if s.Format == COO {
		if s.Row.Shape[0] != nnz || s.Col.Shape[0] != nnz {
			return ferr(ErrCorrupt, off[1], "sparse row", "COO lengths differ: data %d, row %d, col %d", nnz, s.Row.Shape[0], s.Col.Shape[0])
		}
		if err := inRange(s.Row, rows, off[1], "row"); err != nil {
			return err
		}
		return inRange(s.Col, cols, off[2], "col")
	}
	major, minor := rows, cols
	if s.Format == CSC {
		major, minor = cols, rows
	}
	if s.Indices.Shape[0] != nnz {
		return ferr(ErrCorrupt, off[1], "sparse indices", "%d indices for %d values", s.Indices.Shape[0], nnz)
	}
	if int64(s.Indptr.Shape[0]) != major+1 {
		return ferr(ErrCorrupt, off[2], "sparse indptr", "indptr has %d entries, want %d", s.Indptr.Shape[0], major+1)
	}
	prev, _ := intAt(s.Indptr, 0)
	if prev != 0 {
		return ferr(ErrCorrupt, off[2], "sparse indptr", "indptr[0] is %d, want 0", prev)
	}
	for i := 1; i < s.Indptr.Shape[0]; i++ {
		v, ok := intAt(s.Indptr, i)
		if !ok || v < prev {
			return ferr(ErrCorrupt, off[2], "sparse indptr", "indptr[%d] (%d) is smaller than indptr[%d] (%d)", i, v, i-1, prev)
		}
		prev = v
	}
	if prev != int64(nnz) {
		return ferr(ErrCorrupt, off[2], "sparse indptr", "indptr ends at %d but there are %d values", prev, nnz)
	}
	return inRange(s.Indices, minor, off[1], "indices")
}
