package core

import (
	"fmt"
	"unicode/utf8"
)

// DType is the one-byte element type code of FORMAT.md §4.
type DType uint8

// Element type codes (FORMAT.md §4). Names follow NumPy.
const (
	Float32    DType = 1
	Int32      DType = 2
	Float64    DType = 3
	Int64      DType = 4
	Uint8      DType = 5
	Uint16     DType = 6
	Bool       DType = 7
	Float16    DType = 8
	Int8       DType = 9
	Int16      DType = 10
	Uint32     DType = 11
	Uint64     DType = 12
	Complex64  DType = 13
	Complex128 DType = 14
	BFloat16   DType = 15
	QInt8      DType = 16
	QUint8     DType = 17
	QInt4      DType = 18
	QUint4     DType = 19
	String     DType = 20
	Bytes      DType = 21
)

var dtypeNames = [...]string{
	Float32: "float32", Int32: "int32", Float64: "float64", Int64: "int64",
	Uint8: "uint8", Uint16: "uint16", Bool: "bool", Float16: "float16",
	Int8: "int8", Int16: "int16", Uint32: "uint32", Uint64: "uint64",
	Complex64: "complex64", Complex128: "complex128", BFloat16: "bfloat16",
	QInt8: "qint8", QUint8: "quint8", QInt4: "qint4", QUint4: "quint4",
	String: "string", Bytes: "bytes",
}

var dtypeSizes = [...]uint8{
	Float32: 4, Int32: 4, Float64: 8, Int64: 8, Uint8: 1, Uint16: 2, Bool: 1,
	Float16: 2, Int8: 1, Int16: 2, Uint32: 4, Uint64: 8, Complex64: 8,
	Complex128: 16, BFloat16: 2,
}

// String returns the NumPy-style name ("float32", "qint4", …) or "dtype(N)".
func (d DType) String() string {
	if int(d) < len(dtypeNames) && dtypeNames[d] != "" {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// ItemSize is the size in bytes of one element of a dense dtype (1..15),
// and 0 for every other code.
func (d DType) ItemSize() int {
	if int(d) < len(dtypeSizes) {
		return int(dtypeSizes[d])
	}
	return 0
}

// IsDense reports whether d is a dense element type (codes 1..15).
func (d DType) IsDense() bool { return d >= Float32 && d <= BFloat16 }

// IsQuantized reports whether d is one of qint8, quint8, qint4, quint4.
func (d DType) IsQuantized() bool { return d >= QInt8 && d <= QUint4 }

// IsInteger reports whether d is a dense integer type (the types allowed
// for sparse indices and ragged splits).
func (d DType) IsInteger() bool {
	switch d {
	case Int32, Int64, Uint8, Uint16, Int8, Int16, Uint32, Uint64:
		return true
	}
	return false
}

// ParseDType maps a NumPy-style name back to its code.
func ParseDType(name string) (DType, bool) {
	for i, n := range dtypeNames {
		if n == name && n != "" {
			return DType(i), true
		}
	}
	return 0, false
}

// Value is one decoded or to-be-encoded packet. The set of implementations
// is closed: *Tensor, *Bundle, *Sparse, *Quantized, *Strings, *Ragged and
// *IPCRef.
type Value interface {
	// Kind names the packet kind ("dense", "bundle", …).
	Kind() Kind
	isValue()
}

// Kind identifies a packet kind, as reported by Inspect and Value.Kind.
type Kind uint8

// Packet kinds.
const (
	KindDense Kind = iota + 1
	KindQuantized
	KindString
	KindRaggedFrame // the decode-only RAGGED flag framing (FORMAT.md §13)
	KindRagged      // the reference's three-key ragged bundle
	KindBundle
	KindSparseCOO
	KindSparseCSR
	KindSparseCSC
	KindIPCRef
)

var kindNames = [...]string{
	KindDense: "dense", KindQuantized: "quantized", KindString: "string",
	KindRaggedFrame: "ragged_frame", KindRagged: "ragged", KindBundle: "bundle",
	KindSparseCOO: "sparse_coo", KindSparseCSR: "sparse_csr",
	KindSparseCSC: "sparse_csc", KindIPCRef: "ipc_ref",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Tensor is a dense tensor: C-order, little-endian element bytes.
//
// After Decode, Data is a view into the packet (for uncompressed bodies) and
// is valid exactly as long as the packet's memory is; it must not be written
// to if the packet is shared.
type Tensor struct {
	DType DType
	Shape []int
	Data  []byte
}

// Kind returns KindDense.
func (*Tensor) Kind() Kind { return KindDense }
func (*Tensor) isValue()   {}

// NumElements is the product of the shape (1 for a 0-d tensor).
func (t *Tensor) NumElements() int { return product(t.Shape) }

// product is the element count of shape: 1 for a 0-d shape, unchecked for
// overflow (checkShape is the checked rule).
func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Entry is one key/value pair of a Bundle.
type Entry struct {
	Key   string
	Value Value
}

// Bundle is the ordered dict container (FORMAT.md §8). Entries keep wire
// order; duplicate keys read from the wire are kept (Get returns the last,
// as a Python dict would). Writers refuse duplicates and more than 255 entries.
type Bundle struct {
	Entries []Entry
}

// Kind returns KindBundle.
func (*Bundle) Kind() Kind { return KindBundle }
func (*Bundle) isValue()   {}

// Add appends an entry and returns the bundle, for chaining.
func (b *Bundle) Add(key string, v Value) *Bundle {
	b.Entries = append(b.Entries, Entry{key, v})
	return b
}

// Get returns the value of the last entry named key, or nil.
func (b *Bundle) Get(key string) Value {
	for i := len(b.Entries) - 1; i >= 0; i-- {
		if b.Entries[i].Key == key {
			return b.Entries[i].Value
		}
	}
	return nil
}

// Map returns the entries as a map; a duplicated key keeps its last value.
func (b *Bundle) Map() map[string]Value {
	m := make(map[string]Value, len(b.Entries))
	for _, e := range b.Entries {
		m[e.Key] = e.Value
	}
	return m
}

// SparseFormat selects the sparse layout.
type SparseFormat uint8

// Sparse layouts.
const (
	COO SparseFormat = iota + 1
	CSR
	CSC
)

func (f SparseFormat) String() string {
	switch f {
	case COO:
		return "coo"
	case CSR:
		return "csr"
	case CSC:
		return "csc"
	}
	return fmt.Sprintf("sparse(%d)", uint8(f))
}

// Sparse is a 2-D sparse matrix (FORMAT.md §9). COO uses Row and Col; CSR
// and CSC use Indices and Indptr. Every component is a 1-D dense tensor.
//
// Writers give the components the caller's alignment and never apply
// Options.Integrity or Options.Compress to them, exactly as the reference.
type Sparse struct {
	Format  SparseFormat
	Shape   []int // always two dims
	Data    *Tensor
	Row     *Tensor // COO
	Col     *Tensor // COO
	Indices *Tensor // CSR, CSC
	Indptr  *Tensor // CSR, CSC
}

// Kind returns KindSparseCOO, KindSparseCSR or KindSparseCSC.
func (s *Sparse) Kind() Kind {
	switch s.Format {
	case CSR:
		return KindSparseCSR
	case CSC:
		return KindSparseCSC
	}
	return KindSparseCOO
}
func (*Sparse) isValue() {}

// components returns the three component tensors in wire order.
func (s *Sparse) components() [3]*Tensor {
	if s.Format == COO {
		return [3]*Tensor{s.Data, s.Row, s.Col}
	}
	return [3]*Tensor{s.Data, s.Indices, s.Indptr}
}

// Scheme is the quantization granularity (FORMAT.md §11).
type Scheme uint8

// Quantization schemes.
const (
	PerTensor  Scheme = 0
	PerChannel Scheme = 1
	PerGroup   Scheme = 2
)

func (s Scheme) String() string {
	switch s {
	case PerTensor:
		return "per_tensor"
	case PerChannel:
		return "per_channel"
	case PerGroup:
		return "per_group"
	}
	return fmt.Sprintf("scheme(%d)", uint8(s))
}

// ParseScheme maps "per_tensor", "per_channel", "per_group" to a Scheme.
func ParseScheme(name string) (Scheme, bool) {
	for _, s := range []Scheme{PerTensor, PerChannel, PerGroup} {
		if s.String() == name {
			return s, true
		}
	}
	return 0, false
}

// Quantized is a quantized tensor (dtype 16..19). Data holds the packed
// values: one byte per element for 8-bit types, two elements per byte for
// 4-bit types (element 2i in the low nibble). Scales and ZeroPoints have one
// entry per tensor, channel or group. Dequantization is
// (q − zeroPoint) × scale in float32.
type Quantized struct {
	DType      DType
	Shape      []int
	Scheme     Scheme
	Axis       int // per_channel only
	GroupSize  int // per_group only
	Scales     []float32
	ZeroPoints []float32
	Data       []byte
}

// Kind returns KindQuantized.
func (*Quantized) Kind() Kind { return KindQuantized }
func (*Quantized) isValue()   {}

// NumElements is the logical element count (1 for 0-d).
func (q *Quantized) NumElements() int { return product(q.Shape) }

// DataLen is the body length of n elements of dtype d: n × ItemSize for a
// dense dtype, n for qint8 and quint8, ⌈n/2⌉ for qint4 and quint4 (two per
// byte), 0 for the string dtypes (their length comes from their offsets).
func (d DType) DataLen(n int) int {
	switch {
	case d == QInt4 || d == QUint4:
		return (n + 1) / 2
	case d == QInt8 || d == QUint8:
		return n
	}
	return n * d.ItemSize()
}

// Validate reports whether t can be encoded, with exactly the error Encode
// would give: a dense dtype, a shape within the writer's limits (FORMAT.md
// §15), and exactly the data bytes the shape needs.
func (t *Tensor) Validate() error {
	_, err := checkTensor(t)
	return err
}

// Validate reports whether q can be encoded, with exactly the error Encode
// would give: a quantized dtype, a valid shape, scheme, axis and group
// size, one scale and zero point per tensor, channel or group, and exactly
// the packed data bytes the shape needs.
func (q *Quantized) Validate() error {
	_, err := checkQuantized(q)
	return err
}

// Strings is a string tensor (FORMAT.md §12): count+1 little-endian u64
// offsets into a payload. After Decode both are views into the packet.
type Strings struct {
	DType   DType  // String (20, UTF-8) or Bytes (21, never written by the reference)
	Offsets []byte // (Len()+1) × u64 LE
	Payload []byte
}

// NewStrings builds a UTF-8 string tensor.
func NewStrings(values ...string) *Strings {
	n := 0
	for _, v := range values {
		n += len(v)
	}
	s := &Strings{DType: String, Offsets: make([]byte, 8*(len(values)+1)), Payload: make([]byte, 0, n)}
	for i, v := range values {
		s.Payload = append(s.Payload, v...)
		putU64(s.Offsets[8*(i+1):], uint64(len(s.Payload)))
	}
	return s
}

// Kind returns KindString.
func (*Strings) Kind() Kind { return KindString }
func (*Strings) isValue()   {}

// Len is the number of elements.
func (s *Strings) Len() int {
	if len(s.Offsets) < 8 {
		return 0
	}
	return len(s.Offsets)/8 - 1
}

// Bytes returns element i as a view into the payload. Offsets of a decoded
// value are validated; for a hand-built value, i must be in range.
func (s *Strings) Bytes(i int) []byte {
	return s.Payload[getU64(s.Offsets[8*i:]):getU64(s.Offsets[8*i+8:])]
}

// At returns element i as a string (a copy).
func (s *Strings) At(i int) string { return string(s.Bytes(i)) }

// All returns every element as a string (copies).
func (s *Strings) All() []string {
	out := make([]string, s.Len())
	for i := range out {
		out[i] = s.At(i)
	}
	return out
}

// Ragged is a ragged array: row i is Flat[Splits[i]:Splits[i+1]].
//
// The reference writes it as a three-key bundle (__ragged_offsets__,
// __ragged_flat__, __ragged_count__) with uint64 splits; that is what the
// encoder emits. Framed is true for a value decoded from the decode-only
// RAGGED flag framing (FORMAT.md §13): then Splits are byte offsets into a
// uint8 Flat payload and FrameDType is the dtype byte as found; such a value
// cannot be encoded.
type Ragged struct {
	Splits     *Tensor // 1-D integer, len = rows+1
	Flat       *Tensor // 1-D dense
	Framed     bool
	FrameDType DType
}

// Kind returns KindRagged, or KindRaggedFrame for a framed value.
func (r *Ragged) Kind() Kind {
	if r.Framed {
		return KindRaggedFrame
	}
	return KindRagged
}
func (*Ragged) isValue() {}

// IPCRef is a GPU IPC reference (FORMAT.md §14). Host code never
// dereferences it; opening the handle is the gpu package's job.
type IPCRef struct {
	Handle     [64]byte
	Offset     uint64
	NBytes     uint64
	DeviceUUID [16]byte
}

// Kind returns KindIPCRef.
func (*IPCRef) Kind() Kind { return KindIPCRef }
func (*IPCRef) isValue()   {}

// Options are the writer options. The zero value means alignment 64, no
// integrity footer, no compression.
//
// Alignment is any power of two from 1 to 2^31 (0 means 64); 64 is written
// with the ALIGNED flag, every other value with CUST_ALIGN. Compress applies
// to dense bodies only (also to dense values inside bundles); it is ignored
// for quantized tensors, strings and sparse matrices. Integrity adds an
// XXH3-64 footer to dense, quantized and string packets and is forwarded to
// bundle values; sparse components never get one (as in the reference).
// String packets are always 64-aligned: another Alignment is an error.
type Options struct {
	Alignment int
	Integrity bool
	Compress  bool
}

func (o Options) alignment() int {
	if o.Alignment == 0 {
		return 64
	}
	return o.Alignment
}

// Limits bound what a decoder accepts (FORMAT.md §15). A zero field means
// its default; the defaults are never unbounded.
type Limits struct {
	MaxDims      int   // default 32
	MaxElements  int64 // default 1e9
	MaxDepth     int   // default 64; values above MaxDepthCeiling mean MaxDepthCeiling
	MaxAlignment int64 // default 2^31
	MaxBytes     int64 // default 2^34
	// MaxDecodedBytes bounds the memory one decode allocates for
	// decompressed bodies, summed over every compressed body of the packet
	// (default 2^34). A packet that needs more is refused with ErrTooLarge
	// before anything is allocated. Servers tie it to their body limit:
	// without it a small LZ4 body may claim gigabytes.
	MaxDecodedBytes int64
}

// Defaults for Limits.
const (
	DefaultMaxDims         = 32
	DefaultMaxElements     = 1_000_000_000
	DefaultMaxDepth        = 64
	DefaultMaxAlignment    = 1 << 31
	DefaultMaxBytes        = 1 << 34
	DefaultMaxDecodedBytes = 1 << 34
)

// MaxDepthCeiling is the deepest nesting any Limits can allow. The decoder
// recurses once per container level, using a few hundred bytes of
// goroutine stack each; without a ceiling, a raised MaxDepth would let a
// packet of a few megabytes nest a million levels and overflow the stack,
// a fatal error no recover can catch. At the ceiling a decode needs well
// under 1 MiB of stack. The reference writers never nest deeper than 64
// and its pure-Python reader fails near 1000 (Python's recursion limit), so
// nothing interoperable is lost; an iterative decoder would cost the
// recursive one's simplicity for depths no writer produces.
const MaxDepthCeiling = 1000

// norm puts the defaults in place of unset limits, in place.
func (l *Limits) norm() {
	if l.MaxDims <= 0 {
		l.MaxDims = DefaultMaxDims
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultMaxElements
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxDepth > MaxDepthCeiling {
		l.MaxDepth = MaxDepthCeiling
	}
	if l.MaxAlignment <= 0 || l.MaxAlignment > DefaultMaxAlignment {
		l.MaxAlignment = DefaultMaxAlignment
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
}

// Info is the header-level description of a packet (FORMAT.md §17).
//
// Offsets and lengths are relative to the start of the packet described.
// Shape is never nil (empty for a 0-d tensor and for containers). Parts is
// filled only by InspectTree.
type Info struct {
	Version    int
	Flags      uint16
	Kind       Kind
	DType      DType
	Shape      []int
	Count      int   // bundle entries; strings or rows of the RAGGED framing
	Elements   int64 // product of the shape
	Aligned    bool
	Alignment  int
	Integrity  bool
	Compressed bool
	HeaderLen  int   // bytes up to the padding (header, shape, metadata, exponent byte)
	BodyOffset int   // where the body starts
	DataSize   int64 // decoded body bytes of a dense or quantized packet
	Parts      []Part
}

// PacketLen returns the full length of the described packet when its
// header alone determines it — an uncompressed dense or a quantized packet
// (body offset, body and footer) and a GPU IPC reference — and false for
// every other packet, whose length comes from its contents (PacketLen the
// function walks them).
func (in *Info) PacketLen() (int64, bool) {
	footer := int64(0)
	if in.Integrity {
		footer = footerLen
	}
	switch {
	case in.Kind == KindIPCRef:
		return ipcPacketLen, true
	case in.Kind == KindQuantized, in.Kind == KindDense && !in.Compressed:
		return int64(in.BodyOffset) + in.DataSize + footer, true
	}
	return 0, false
}

// Part is one value inside a container packet, as InspectTree describes
// it: a bundle entry (Key is the entry's key) or a sparse component (Key
// is "data", "row", "col", "indices" or "indptr"). Offset and Len locate
// the value's own packet inside the packet given to InspectTree.
type Part struct {
	Key    string
	Offset int
	Len    int
	Info   Info
}

func validUTF8(b []byte) bool { return utf8.Valid(b) }
