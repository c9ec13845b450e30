package core

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/zeebo/xxh3"
)

// Encode returns the packet for v (always protocol version 4).
func Encode(v Value, o Options) ([]byte, error) {
	if !o.Compress {
		n, err := EncodedLen(v, o)
		if err != nil {
			return nil, err
		}
		if t, ok := v.(*Tensor); ok && len(t.Data) >= bigBody {
			// Start with room for the header only: appending the body
			// then allocates the packet through the runtime's slice
			// growth, which does not zero the bytes the body overwrites
			// (make would zero all of them first).
			return Append(make([]byte, 0, n-int64(len(t.Data))), v, o)
		}
		return Append(make([]byte, 0, n), v, o)
	}
	return Append(nil, v, o)
}

// Append appends the packet for v to dst and returns the extended slice.
// On error dst is returned unchanged (its spare capacity may be written).
func Append(dst []byte, v Value, o Options) ([]byte, error) {
	e := encoder{out: dst}
	if err := e.value(v, o, 0); err != nil {
		return dst[:len(dst):len(dst)], err
	}
	return e.out, nil
}

// Segments returns the packet for v as buffers whose concatenation is
// exactly Encode's output, for vectored writes (writev). Uncompressed tensor
// bodies are not copied: those buffers alias the value's Data, so v must
// not change until the buffers are written. total is the packet length.
func Segments(v Value, o Options) (bufs [][]byte, total int64, err error) {
	e := encoder{seg: true}
	if err := e.value(v, o, 0); err != nil {
		return nil, 0, err
	}
	e.flush()
	return e.segs, e.total, nil
}

// EncodedLen returns the exact length of the packet Encode produces for v
// without compression. With o.Compress set it fails with ErrInvalid when v
// holds a dense tensor (its compressed length is known only by
// compressing).
func EncodedLen(v Value, o Options) (int64, error) { return encLen(v, o, 0) }

// bigBody is the body size from which Encode lets append allocate the
// packet (see Encode).
const bigBody = 64 << 10

// Writer-side limits (FORMAT.md §15).
const (
	maxWriteDims     = 32
	maxWriteElements = 1_000_000_000
	maxBundleEntries = 255
	maxDepth         = DefaultMaxDepth
)

// checkContainerDepth refuses a container at depth maxDepth or deeper: the
// decoder reads a container only when its contents (one level down) are
// within the depth limit, even when it has no entries.
func checkContainerDepth(depth int) error {
	if depth >= maxDepth {
		return tooLarge("containers nested deeper than %d levels", maxDepth)
	}
	return nil
}

func tooLarge(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrTooLarge, fmt.Sprintf(format, args...))
}

// encoder writes packets either into one buffer (out) or, in segment mode,
// as a list of buffers where large bodies are kept as their own segments.
type encoder struct {
	out   []byte
	seg   bool
	mark  int // segment mode: start of the pending header bytes in out
	segs  [][]byte
	total int64
}

func (e *encoder) flush() {
	if e.seg && len(e.out) > e.mark {
		e.segs = append(e.segs, e.out[e.mark:len(e.out):len(e.out)])
		e.total += int64(len(e.out) - e.mark)
		e.mark = len(e.out)
	}
}

// pos is the number of bytes written so far (for padding and hashing).
func (e *encoder) pos() int64 {
	if e.seg {
		return e.total + int64(len(e.out)-e.mark)
	}
	return int64(len(e.out))
}

// body adds a large byte run: copied in buffer mode, referenced in segment
// mode.
func (e *encoder) body(b []byte) {
	if !e.seg {
		e.out = append(e.out, b...)
		return
	}
	if len(b) < 512 {
		e.out = append(e.out, b...)
		return
	}
	e.flush()
	e.segs = append(e.segs, b)
	e.total += int64(len(b))
}

func (e *encoder) u8(v byte)     { e.out = append(e.out, v) }
func (e *encoder) u32(v uint32)  { e.out = append(e.out, byte(v), byte(v>>8), byte(v>>16), byte(v>>24)) }
func (e *encoder) u64(v uint64)  { e.u32(uint32(v)); e.u32(uint32(v >> 32)) }
func (e *encoder) zeros(n int64) { e.out = appendZeros(e.out, n) }

func appendZeros(b []byte, n int64) []byte {
	for n > 0 {
		k := n
		if k > int64(len(zeroPage)) {
			k = int64(len(zeroPage))
		}
		b = append(b, zeroPage[:k]...)
		n -= k
	}
	return b
}

var zeroPage [4096]byte

func (e *encoder) header(flags uint16, dt DType, ndim int, resv byte) {
	e.out = appendHeader(e.out, flags, dt, ndim, resv)
}

func (e *encoder) shape(s []int) { e.out = appendShape(e.out, s) }

// appendHeader appends a version-4 fixed header (FORMAT.md §3).
func appendHeader(dst []byte, flags uint16, dt DType, ndim int, resv byte) []byte {
	return append(dst, 'T', 'N', 'S', 'O', Version, byte(flags), byte(flags>>8), byte(dt), byte(ndim), resv)
}

// appendShape appends the u32 dims of a (checked) shape.
func appendShape(dst []byte, s []int) []byte {
	for _, d := range s {
		dst = append(dst, byte(d), byte(d>>8), byte(d>>16), byte(d>>24))
	}
	return dst
}

// appendAlignment ends a header that began at dst[start]: the alignment
// exponent byte when a is not the default 64, then zeros up to a multiple
// of a from start.
func appendAlignment(dst []byte, start int, a int64) []byte {
	if _, extra := alignFlags(a); extra == 1 {
		dst = append(dst, byte(bits.TrailingZeros64(uint64(a))))
	}
	h := int64(len(dst) - start)
	return appendZeros(dst, alignUp(h, a)-h)
}

// appendDenseHead appends everything of a dense packet before its body:
// the one writer of dense headers (Encode, AppendDenseHeader).
func appendDenseHead(dst []byte, flags uint16, dt DType, shape []int, a int64) []byte {
	start := len(dst)
	dst = appendShape(appendHeader(dst, flags, dt, len(shape), 0), shape)
	return appendAlignment(dst, start, a)
}

// AppendDenseHeader appends to dst everything of an uncompressed dense
// packet that comes before its body — the fixed header, the shape, the
// alignment byte and the padding — exactly as Encode writes them, and
// returns the extended slice. The packet is that header, the body (the
// C-order little-endian element bytes), and with o.Integrity the XXH3-64
// of the body as 8 little-endian bytes; DenseWriter writes all three to a
// stream. The padding aligns the body relative to the header's start,
// len(dst). o.Compress is refused (ErrInvalid): a compressed body is only
// known once compressed; use Append. On error dst is returned unchanged.
func AppendDenseHeader(dst []byte, dt DType, shape []int, o Options) ([]byte, error) {
	if !dt.IsDense() {
		return dst, invalid("dtype %s is not a dense element type", dt)
	}
	if o.Compress {
		return dst, invalid("a dense header cannot announce a compressed body: the compressed length is known only after compressing")
	}
	if _, err := checkShape(shape); err != nil {
		return dst, err
	}
	a, flags, err := layoutFlags(o)
	if err != nil {
		return dst, err
	}
	return appendDenseHead(dst, flags, dt, shape, a), nil
}

// checkAlign validates a writer alignment and returns it (0 → 64).
func checkAlign(o Options) (int64, error) {
	a := o.alignment()
	if a < 1 || int64(a) > DefaultMaxAlignment || a&(a-1) != 0 {
		return 0, invalid("alignment %d is not a power of two between 1 and 2^31", o.Alignment)
	}
	return int64(a), nil
}

// alignFlags returns the flag and the header bytes the alignment adds.
func alignFlags(a int64) (uint16, int64) {
	if a == 64 {
		return FlagAligned, 0
	}
	return FlagCustAlign, 1
}

// layoutFlags validates o's alignment for a dense or quantized packet and
// returns it with the header flags it and o.Integrity set.
func layoutFlags(o Options) (int64, uint16, error) {
	a, err := checkAlign(o)
	if err != nil {
		return 0, 0, err
	}
	flags, _ := alignFlags(a)
	if o.Integrity {
		flags |= FlagIntegrity
	}
	return a, flags, nil
}

// alignHeader ends the header that began at start (a packet position):
// the alignment byte when the alignment is not the default, then zeros up
// to a multiple of a.
func (e *encoder) alignHeader(start, a int64) {
	e.out = appendAlignment(e.out, len(e.out)-int(e.pos()-start), a)
}

func checkShape(shape []int) (int64, error) {
	if len(shape) > maxWriteDims {
		return 0, tooLarge("ndim %d exceeds %d", len(shape), maxWriteDims)
	}
	// The same rule as the reader (readShape): the u64 product must not
	// overflow and must be within the limit; a zero dim after large ones
	// makes a legal empty tensor.
	n := uint64(1)
	overflow := false
	for _, d := range shape {
		if d < 0 {
			return 0, invalid("negative dimension in shape %v", shape)
		}
		if uint64(d) > math.MaxUint32 {
			return 0, tooLarge("dimension %d does not fit 32 bits", d)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 {
			overflow = true
		}
		n = lo
	}
	if overflow || n > maxWriteElements {
		return 0, tooLarge("shape %v has more than %d elements", shape, maxWriteElements)
	}
	return int64(n), nil
}

func checkTensor(t *Tensor) (int64, error) {
	if t == nil {
		return 0, invalid("nil tensor")
	}
	if !t.DType.IsDense() {
		return 0, invalid("dtype %s is not a dense element type", t.DType)
	}
	n, err := checkShape(t.Shape)
	if err != nil {
		return 0, err
	}
	if want := n * int64(t.DType.ItemSize()); int64(len(t.Data)) != want {
		return 0, invalid("%s tensor of shape %v needs %d data bytes, has %d", t.DType, t.Shape, want, len(t.Data))
	}
	return n, nil
}

func (e *encoder) value(v Value, o Options, depth int) error {
	if depth > maxDepth {
		return tooLarge("values nested deeper than %d levels", maxDepth)
	}
	switch v := v.(type) {
	case *Tensor:
		return e.dense(v, o)
	case *Quantized:
		return e.quantized(v, o)
	case *Strings:
		return e.strings(v, o)
	case *Bundle:
		return e.bundle(v, o, depth)
	case *Ragged:
		b, err := raggedBundle(v)
		if err != nil {
			return err
		}
		return e.bundle(b, o, depth)
	case *Sparse:
		return e.sparse(v, o, depth)
	case *IPCRef:
		if v == nil {
			return invalid("nil IPC reference")
		}
		e.header(FlagGPUIPCRef, 0, 0, 1)
		e.out = append(e.out, v.Handle[:]...)
		e.u64(v.Offset)
		e.u64(v.NBytes)
		e.out = append(e.out, v.DeviceUUID[:]...)
		return nil
	case nil:
		return invalid("nil value")
	}
	return invalid("unsupported value type %T", v)
}

func (e *encoder) dense(t *Tensor, o Options) error {
	if _, err := checkTensor(t); err != nil {
		return err
	}
	a, flags, err := layoutFlags(o)
	if err != nil {
		return err
	}
	if o.Compress {
		flags |= FlagCompression
	}
	e.out = appendDenseHead(e.out, flags, t.DType, t.Shape, a)
	body := t.Data
	if o.Compress {
		if e.seg {
			body = appendLZ4Frame(make([]byte, 0, lz4FrameBound(len(t.Data))), t.Data)
			e.flush()
			e.segs = append(e.segs, body)
			e.total += int64(len(body))
		} else {
			at := len(e.out)
			e.out = appendLZ4Frame(e.out, t.Data)
			body = e.out[at:]
		}
	} else {
		e.body(body)
	}
	if o.Integrity {
		e.u64(xxh3.Hash(body))
	}
	return nil
}

func checkQuantized(q *Quantized) (int64, error) {
	if q == nil {
		return 0, invalid("nil quantized tensor")
	}
	if !q.DType.IsQuantized() {
		return 0, invalid("dtype %s is not a quantized type", q.DType)
	}
	n, err := checkShape(q.Shape)
	if err != nil {
		return 0, err
	}
	var want int64
	switch q.Scheme {
	case PerTensor:
		want = 1
	case PerChannel:
		if q.Axis < 0 || q.Axis >= len(q.Shape) {
			return 0, invalid("per_channel axis %d out of range for ndim %d", q.Axis, len(q.Shape))
		}
		want = int64(q.Shape[q.Axis])
	case PerGroup:
		if q.GroupSize <= 0 || uint64(q.GroupSize) > math.MaxUint32 {
			return 0, invalid("per_group needs a group size in [1, 2^32), got %d", q.GroupSize)
		}
		want = (n + int64(q.GroupSize) - 1) / int64(q.GroupSize)
	default:
		return 0, invalid("unknown quantization scheme %d", uint8(q.Scheme))
	}
	if int64(len(q.Scales)) != want || int64(len(q.ZeroPoints)) != want {
		return 0, invalid("%s of shape %v needs %d scales and zero points, has %d and %d", q.Scheme, q.Shape, want, len(q.Scales), len(q.ZeroPoints))
	}
	if pl := int64(q.DType.DataLen(int(n))); int64(len(q.Data)) != pl {
		return 0, invalid("%s tensor of %d elements needs %d packed bytes, has %d", q.DType, n, pl, len(q.Data))
	}
	return n, nil
}

func (e *encoder) quantized(q *Quantized, o Options) error {
	if _, err := checkQuantized(q); err != nil {
		return err
	}
	a, flags, err := layoutFlags(o)
	if err != nil {
		return err
	}
	start := e.pos()
	e.header(flags, q.DType, len(q.Shape), 0)
	e.shape(q.Shape)
	metaAt := len(e.out)
	axis, gs := 0, 0
	switch q.Scheme {
	case PerChannel:
		axis = q.Axis
	case PerGroup:
		gs = q.GroupSize
	}
	e.u8(byte(q.Scheme))
	e.u8(byte(axis))
	e.u32(uint32(gs))
	e.u32(uint32(len(q.Scales)))
	for _, s := range q.Scales {
		e.u32(math.Float32bits(s))
	}
	for _, z := range q.ZeroPoints {
		e.u32(math.Float32bits(z))
	}
	var hs xxh3.Hasher
	if o.Integrity {
		hs.Reset()
		_, _ = hs.Write(e.out[metaAt:])
		_, _ = hs.Write(q.Data)
	}
	e.alignHeader(start, a)
	e.body(q.Data)
	if o.Integrity {
		e.u64(hs.Sum64())
	}
	return nil
}

// checkStrings validates a string tensor and returns its element count.
func checkStrings(s *Strings, o Options) (int, error) {
	if s == nil {
		return 0, invalid("nil string tensor")
	}
	if o.Alignment != 0 && o.Alignment != 64 {
		return 0, invalid("string tensors are always 64-aligned, got alignment %d", o.Alignment)
	}
	if s.DType != 0 && s.DType != String && s.DType != Bytes {
		return 0, invalid("string tensor dtype %s (want string or bytes)", s.DType)
	}
	if len(s.Offsets) < 8 || len(s.Offsets)%8 != 0 {
		return 0, invalid("string offsets must be (count+1) u64 values, got %d bytes", len(s.Offsets))
	}
	n := len(s.Offsets)/8 - 1
	if n > maxWriteElements {
		return 0, tooLarge("%d strings exceed %d", n, maxWriteElements)
	}
	prev := getU64(s.Offsets)
	if prev != 0 {
		return 0, invalid("first string offset is %d, want 0", prev)
	}
	for i := 1; i <= n; i++ {
		o := getU64(s.Offsets[8*i:])
		if o < prev || o > uint64(len(s.Payload)) {
			return 0, invalid("string offset %d (%d) out of order or past the payload", i, o)
		}
		if s.DType != Bytes && !validUTF8(s.Payload[prev:o]) {
			return 0, invalid("string %d is not valid UTF-8", i-1)
		}
		prev = o
	}
	if prev != uint64(len(s.Payload)) {
		return 0, invalid("last string offset %d does not match the payload length %d", prev, len(s.Payload))
	}
	return n, nil
}

func (e *encoder) strings(s *Strings, o Options) error {
	n, err := checkStrings(s, o)
	if err != nil {
		return err
	}
	flags := uint16(FlagString | FlagAligned)
	if o.Integrity {
		flags |= FlagIntegrity
	}
	dt := s.DType
	if dt == 0 {
		dt = String
	}
	start := e.pos()
	e.header(flags, dt, 1, 0)
	e.u32(uint32(n))
	h := e.pos() - start
	e.zeros(alignUp(h, 64) - h)
	e.body(s.Offsets)
	e.body(s.Payload)
	if o.Integrity {
		var hs xxh3.Hasher
		hs.Reset()
		_, _ = hs.Write(s.Offsets)
		_, _ = hs.Write(s.Payload)
		e.u64(hs.Sum64())
	}
	return nil
}

func checkBundle(b *Bundle) error {
	if b == nil {
		return invalid("nil bundle")
	}
	if len(b.Entries) > maxBundleEntries {
		return tooLarge("bundle has %d entries, at most %d can be written", len(b.Entries), maxBundleEntries)
	}
	for i, en := range b.Entries {
		if err := checkEntry(en.Key, en.Value); err != nil {
			return err
		}
		for _, prev := range b.Entries[:i] {
			if prev.Key == en.Key {
				return invalid("duplicate bundle key %q", en.Key)
			}
		}
	}
	return nil
}

// checkEntry applies the writer's rules for one bundle entry: a UTF-8 key
// whose length fits 32 bits, and a value a bundle may hold (v nil: a
// streamed dense value).
func checkEntry(key string, v Value) error {
	if !validUTF8([]byte(key)) {
		return invalid("bundle key %q is not valid UTF-8", key)
	}
	if uint64(len(key)) > math.MaxUint32 {
		return tooLarge("bundle key of %d bytes", len(key))
	}
	if _, ok := v.(*Strings); ok {
		return invalid("bundle value %q: string tensors cannot be bundle values (no reference writer or reader supports it)", key)
	}
	return nil
}

// checkFramed refuses a framed value (bundle value, sparse component)
// whose length does not fit its 32-bit prefix.
func checkFramed(what string, n int64) error {
	if uint64(n) > math.MaxUint32 {
		return tooLarge("%s is %d bytes, at most 2^32-1 can be framed", what, n)
	}
	return nil
}

func (e *encoder) bundle(b *Bundle, o Options, depth int) error {
	if err := checkBundle(b); err != nil {
		return err
	}
	if err := checkContainerDepth(depth); err != nil {
		return err
	}
	e.header(FlagBundle, 0, len(b.Entries), 0)
	for _, en := range b.Entries {
		e.u32(uint32(len(en.Key)))
		e.out = append(e.out, en.Key...)
		if err := e.prefixed(en.Value, o, depth+1, "bundle value "+en.Key); err != nil {
			return err
		}
	}
	return nil
}

// prefixed writes a u32 length prefix and the value's packet.
func (e *encoder) prefixed(v Value, o Options, depth int, what string) error {
	if !e.seg {
		at := len(e.out)
		e.u32(0)
		if err := e.value(v, o, depth); err != nil {
			return err
		}
		n := len(e.out) - at - 4
		if err := checkFramed(what, int64(n)); err != nil {
			return err
		}
		putU32(e.out[at:], uint32(n))
		return nil
	}
	n, err := encLen(v, o, depth)
	if err == nil {
		if err := checkFramed(what, n); err != nil {
			return err
		}
		e.u32(uint32(n))
		return e.value(v, o, depth)
	}
	if !o.Compress {
		return err
	}
	// Compressed: encode aside to learn the length.
	sub := encoder{seg: true}
	if err := sub.value(v, o, depth); err != nil {
		return err
	}
	sub.flush()
	if err := checkFramed(what, sub.total); err != nil {
		return err
	}
	e.u32(uint32(sub.total))
	e.flush()
	e.segs = append(e.segs, sub.segs...)
	e.total += sub.total
	return nil
}

// raggedBundle builds the reference's three-key bundle for r.
func raggedBundle(r *Ragged) (*Bundle, error) {
	if r == nil || r.Splits == nil || r.Flat == nil {
		return nil, invalid("ragged array needs splits and flat values")
	}
	if r.Framed {
		return nil, invalid("the RAGGED flag framing is decode-only and cannot be written")
	}
	if _, err := checkTensor(r.Splits); err != nil {
		return nil, err
	}
	if _, err := checkTensor(r.Flat); err != nil {
		return nil, err
	}
	if !r.Splits.DType.IsInteger() || len(r.Splits.Shape) != 1 || r.Splits.Shape[0] < 1 {
		return nil, invalid("ragged splits must be a non-empty 1-D integer tensor")
	}
	if len(r.Flat.Shape) != 1 {
		return nil, invalid("ragged flat values must be 1-D, got shape %v", r.Flat.Shape)
	}
	rows := r.Splits.Shape[0] - 1
	splits := r.Splits
	if splits.DType != Uint64 {
		splits = &Tensor{DType: Uint64, Shape: []int{rows + 1}, Data: make([]byte, 8*(rows+1))}
	}
	var prev int64
	for i := 0; i <= rows; i++ {
		v, ok := intAt(r.Splits, i)
		if !ok || v < prev || (i == 0 && v != 0) {
			return nil, invalid("ragged splits must start at 0 and never decrease (split %d)", i)
		}
		prev = v
		if splits != r.Splits {
			putU64(splits.Data[8*i:], uint64(v))
		}
	}
	if prev != int64(r.Flat.Shape[0]) {
		return nil, invalid("last ragged split %d does not match %d flat values", prev, r.Flat.Shape[0])
	}
	count := &Tensor{DType: Uint64, Shape: []int{1}, Data: make([]byte, 8)}
	putU64(count.Data, uint64(rows))
	return &Bundle{Entries: []Entry{{RaggedOffsetsKey, splits}, {RaggedFlatKey, r.Flat}, {RaggedCountKey, count}}}, nil
}

func checkSparse(s *Sparse) error {
	if s == nil {
		return invalid("nil sparse matrix")
	}
	if s.Format != COO && s.Format != CSR && s.Format != CSC {
		return invalid("unknown sparse format %d", uint8(s.Format))
	}
	if len(s.Shape) != 2 {
		return invalid("sparse matrices are 2-D, got shape %v", s.Shape)
	}
	if _, err := checkShape(s.Shape); err != nil {
		return err
	}
	for i, t := range s.components() {
		if t == nil {
			return invalid("sparse %s matrix is missing component %d", s.Format, i)
		}
		if _, err := checkTensor(t); err != nil {
			return err
		}
		if len(t.Shape) != 1 {
			return invalid("sparse component %d must be 1-D, got shape %v", i, t.Shape)
		}
		if i > 0 && !t.DType.IsInteger() {
			return invalid("sparse index component %d has dtype %s", i, t.DType)
		}
	}
	if err := validateSparse(s, [3]int64{}); err != nil {
		return invalid("%s", err.(*FormatError).Msg)
	}
	return nil
}

func (e *encoder) sparse(s *Sparse, o Options, depth int) error {
	if err := checkSparse(s); err != nil {
		return err
	}
	if err := checkContainerDepth(depth); err != nil {
		return err
	}
	if _, err := checkAlign(o); err != nil {
		return err
	}
	flag := uint16(FlagSparseCOO)
	switch s.Format {
	case CSR:
		flag = FlagSparseCSR
	case CSC:
		flag = FlagSparseCSC
	}
	e.header(flag, 0, 2, 0)
	e.shape(s.Shape)
	co := Options{Alignment: o.Alignment} // never integrity or compression (FORMAT.md §9)
	for _, t := range s.components() {
		if err := e.prefixed(t, co, depth+1, "sparse component"); err != nil {
			return err
		}
	}
	return nil
}

// encLen computes the exact uncompressed packet length of v.
func encLen(v Value, o Options, depth int) (int64, error) {
	if depth > maxDepth {
		return 0, tooLarge("values nested deeper than %d levels", maxDepth)
	}
	footer := int64(0)
	if o.Integrity {
		footer = footerLen
	}
	switch v := v.(type) {
	case *Tensor:
		if _, err := checkTensor(v); err != nil {
			return 0, err
		}
		if o.Compress {
			return 0, invalid("the length of a compressed packet is known only after compressing")
		}
		a, err := checkAlign(o)
		if err != nil {
			return 0, err
		}
		_, extra := alignFlags(a)
		return alignUp(headerV4+4*int64(len(v.Shape))+extra, a) + int64(len(v.Data)) + footer, nil
	case *Quantized:
		if _, err := checkQuantized(v); err != nil {
			return 0, err
		}
		a, err := checkAlign(o)
		if err != nil {
			return 0, err
		}
		_, extra := alignFlags(a)
		h := headerV4 + 4*int64(len(v.Shape)) + 10 + 8*int64(len(v.Scales)) + extra
		return alignUp(h, a) + int64(len(v.Data)) + footer, nil
	case *Strings:
		if _, err := checkStrings(v, o); err != nil {
			return 0, err
		}
		return 64 + int64(len(v.Offsets)) + int64(len(v.Payload)) + footer, nil
	case *Bundle:
		if err := checkBundle(v); err != nil {
			return 0, err
		}
		if err := checkContainerDepth(depth); err != nil {
			return 0, err
		}
		n := int64(headerV4)
		for _, en := range v.Entries {
			m, err := encLen(en.Value, o, depth+1)
			if err != nil {
				return 0, err
			}
			n += 8 + int64(len(en.Key)) + m
		}
		return n, nil
	case *Ragged:
		b, err := raggedBundle(v)
		if err != nil {
			return 0, err
		}
		return encLen(b, o, depth)
	case *Sparse:
		if err := checkSparse(v); err != nil {
			return 0, err
		}
		if err := checkContainerDepth(depth); err != nil {
			return 0, err
		}
		n := int64(headerV4 + 8)
		co := Options{Alignment: o.Alignment}
		for _, t := range v.components() {
			m, err := encLen(t, co, depth+1)
			if err != nil {
				return 0, err
			}
			n += 4 + m
		}
		return n, nil
	case *IPCRef:
		if v == nil {
			return 0, invalid("nil IPC reference")
		}
		return ipcPacketLen, nil
	case nil:
		return 0, invalid("nil value")
	}
	return 0, invalid("unsupported value type %T", v)
}
