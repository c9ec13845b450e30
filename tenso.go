package tenso

import (
	"io"

	"github.com/tenso-go/tenso/core"
)

// Value types, aliases of package core so users import one package.
type (
	DType        = core.DType
	Kind         = core.Kind
	Value        = core.Value
	Tensor       = core.Tensor
	Bundle       = core.Bundle
	Entry        = core.Entry
	Sparse       = core.Sparse
	SparseFormat = core.SparseFormat
	Quantized    = core.Quantized
	Scheme       = core.Scheme
	Strings      = core.Strings
	Ragged       = core.Ragged
	IPCRef       = core.IPCRef
	Options      = core.Options
	Limits       = core.Limits
	Info         = core.Info
	Part         = core.Part
	FormatError  = core.FormatError
	Reader       = core.Reader
	Writer       = core.Writer
	DenseWriter  = core.DenseWriter
	BundleWriter = core.BundleWriter
)

// Element types (FORMAT.md §4).
const (
	Float32    = core.Float32
	Int32      = core.Int32
	Float64    = core.Float64
	Int64      = core.Int64
	Uint8      = core.Uint8
	Uint16     = core.Uint16
	Bool       = core.Bool
	Float16    = core.Float16
	Int8       = core.Int8
	Int16      = core.Int16
	Uint32     = core.Uint32
	Uint64     = core.Uint64
	Complex64  = core.Complex64
	Complex128 = core.Complex128
	BFloat16   = core.BFloat16
	QInt8      = core.QInt8
	QUint8     = core.QUint8
	QInt4      = core.QInt4
	QUint4     = core.QUint4
	String     = core.String
	Bytes      = core.Bytes
)

// Packet kinds.
const (
	KindDense       = core.KindDense
	KindQuantized   = core.KindQuantized
	KindString      = core.KindString
	KindRaggedFrame = core.KindRaggedFrame
	KindRagged      = core.KindRagged
	KindBundle      = core.KindBundle
	KindSparseCOO   = core.KindSparseCOO
	KindSparseCSR   = core.KindSparseCSR
	KindSparseCSC   = core.KindSparseCSC
	KindIPCRef      = core.KindIPCRef
)

// Version is the protocol version Encode writes (Decode reads 3 and 4).
const Version = core.Version

// Ragged bundle keys (FORMAT.md §13): a bundle of exactly these three
// entries decodes as a *Ragged.
const (
	RaggedOffsetsKey = core.RaggedOffsetsKey
	RaggedFlatKey    = core.RaggedFlatKey
	RaggedCountKey   = core.RaggedCountKey
)

// Header flag bits (FORMAT.md §3), for reading Info.Flags.
const (
	FlagAligned     = core.FlagAligned
	FlagIntegrity   = core.FlagIntegrity
	FlagCompression = core.FlagCompression
	FlagSparseCOO   = core.FlagSparseCOO
	FlagBundle      = core.FlagBundle
	FlagSparseCSR   = core.FlagSparseCSR
	FlagSparseCSC   = core.FlagSparseCSC
	FlagCustAlign   = core.FlagCustAlign
	FlagString      = core.FlagString
	FlagRagged      = core.FlagRagged
	FlagGPUIPCRef   = core.FlagGPUIPCRef
)

// Sparse layouts and quantization schemes.
const (
	COO        = core.COO
	CSR        = core.CSR
	CSC        = core.CSC
	PerTensor  = core.PerTensor
	PerChannel = core.PerChannel
	PerGroup   = core.PerGroup
)

// Errors; see package core for their meaning. Match with errors.Is.
var (
	ErrCorrupt     = core.ErrCorrupt
	ErrTooLarge    = core.ErrTooLarge
	ErrChecksum    = core.ErrChecksum
	ErrUnsupported = core.ErrUnsupported
	ErrUnframed    = core.ErrUnframed
	ErrInvalid     = core.ErrInvalid
)

// Encode returns the packet for v (FORMAT.md; version 4).
func Encode(v Value, o Options) ([]byte, error) { return core.Encode(v, o) }

// Append appends the packet for v to dst and returns the extended slice.
func Append(dst []byte, v Value, o Options) ([]byte, error) { return core.Append(dst, v, o) }

// Decode decodes one packet with the default Limits. The returned value's
// data are views into packet (no copy) for uncompressed bodies: they are
// valid exactly as long as packet is, and change if packet changes.
// Compressed bodies are decompressed into one exactly-sized allocation.
func Decode(packet []byte) (Value, error) { return core.Decode(packet) }

// DecodeWith is Decode under the given Limits.
func DecodeWith(packet []byte, l Limits) (Value, error) { return core.DecodeWith(packet, l) }

// Inspect describes a packet from its header alone (the reference's
// get_packet_info, correct for v3 and v4 and for containers).
func Inspect(packet []byte) (Info, error) { return core.Inspect(packet) }

// ParseDType maps a NumPy-style name ("float32", "bfloat16", "qint4", …:
// what DType.String returns) back to its DType.
func ParseDType(name string) (DType, bool) { return core.ParseDType(name) }

// ParseScheme maps "per_tensor", "per_channel", "per_group" to a Scheme.
func ParseScheme(name string) (Scheme, bool) { return core.ParseScheme(name) }

// InspectInto is InspectWith writing into *in and reusing in.Shape's
// storage: it allocates nothing when the shape fits cap(in.Shape).
func InspectInto(in *Info, p []byte, l Limits) error { return core.InspectInto(in, p, l) }

// InspectTree is InspectWith that also describes every bundle entry and
// sparse component (Info.Parts, recursively), from headers and length
// prefixes only; the whole container must be present.
func InspectTree(p []byte, l Limits) (Info, error) { return core.InspectTree(p, l) }

// DecodeTensor decodes a dense packet into *t without allocating where it
// can: the shape goes into t.Shape's storage, an uncompressed body is a
// view into p, a compressed one is decompressed into buf when cap(buf)
// suffices. Validation and errors are exactly Decode's; other packet kinds
// are an ErrUnsupported FormatError.
func DecodeTensor(t *Tensor, p, buf []byte, l Limits) error { return core.DecodeTensor(t, p, buf, l) }

// DecompressedSize returns how many bytes decoding p allocates for
// decompressed bodies (0 without compressed bodies), from headers only, so
// a server can reserve the memory before decoding.
func DecompressedSize(p []byte, l Limits) (int64, error) { return core.DecompressedSize(p, l) }

// Limits defaults (a zero Limits field means its default), and the
// deepest nesting any Limits allows: the decoder recurses per level, so
// the ceiling keeps its stack small whatever a caller sets.
const (
	DefaultMaxDims         = core.DefaultMaxDims
	DefaultMaxElements     = core.DefaultMaxElements
	DefaultMaxDepth        = core.DefaultMaxDepth
	DefaultMaxAlignment    = core.DefaultMaxAlignment
	DefaultMaxBytes        = core.DefaultMaxBytes
	DefaultMaxDecodedBytes = core.DefaultMaxDecodedBytes
	MaxDepthCeiling        = core.MaxDepthCeiling
)

// NewReader returns a streaming reader of back-to-back packets.
func NewReader(r io.Reader) *Reader { return core.NewReader(r) }

// NewReaderLimits is NewReader with explicit Limits.
func NewReaderLimits(r io.Reader, l Limits) *Reader { return core.NewReaderLimits(r, l) }

// AppendDenseHeader appends everything of an uncompressed dense packet
// before its body — header, shape, alignment byte, padding — exactly as
// Encode writes it. The packet continues with the body and, with
// o.Integrity, the body's XXH3-64 as 8 little-endian bytes.
func AppendDenseHeader(dst []byte, dt DType, shape []int, o Options) ([]byte, error) {
	return core.AppendDenseHeader(dst, dt, shape, o)
}

// NewDenseWriter writes the header of an uncompressed dense packet to w
// and returns a writer for its body, which may arrive in pieces; Close
// writes the integrity footer. The bytes are exactly Encode's.
func NewDenseWriter(w io.Writer, dt DType, shape []int, o Options) (*DenseWriter, error) {
	return core.NewDenseWriter(w, dt, shape, o)
}

// NewBundleWriter writes the header of a bundle of n entries (at most 255)
// to w; its entries are then written one by one, whole (Add) or with a
// streamed dense body (Dense). The bytes are exactly Encode's.
func NewBundleWriter(w io.Writer, n int) (*BundleWriter, error) { return core.NewBundleWriter(w, n) }

// NewWriter returns a streaming writer; bodies are written without copying.
func NewWriter(w io.Writer) *Writer { return core.NewWriter(w) }

// NewStrings builds a UTF-8 string tensor.
func NewStrings(values ...string) *Strings { return core.NewStrings(values...) }
