package core

// TEMPORARY: signatures of the core API, bodies land in the next commits.

import (
	"context"
	"io"
)

// Encode returns the packet for v.
func Encode(v Value, o Options) ([]byte, error) { return Append(nil, v, o) }

// Append appends the packet for v to dst.
func Append(dst []byte, v Value, o Options) ([]byte, error) { return dst, ErrUnsupported }

// Segments returns the packet for v as a list of buffers whose
// concatenation is exactly Encode's output; tensor bodies are not copied
// (the buffers alias the value's Data). total is the sum of the lengths.
func Segments(v Value, o Options) (bufs [][]byte, total int64, err error) {
	return nil, 0, ErrUnsupported
}

// EncodedLen returns the exact packet length Encode would produce for an
// uncompressed encoding (o.Compress is an error here: compressed length is
// known only after compressing).
func EncodedLen(v Value, o Options) (int64, error) { return 0, ErrUnsupported }

// Decode decodes one packet with the default Limits.
func Decode(p []byte) (Value, error) { return DecodeWith(p, Limits{}) }

// DecodeWith decodes one packet under l.
func DecodeWith(p []byte, l Limits) (Value, error) { v, _, err := DecodePrefix(p, l); return v, err }

// DecodePrefix decodes the packet at the start of p and reports how many
// bytes it consumed.
func DecodePrefix(p []byte, l Limits) (Value, int, error) { return nil, 0, ErrUnsupported }

// Inspect reads the header of p.
func Inspect(p []byte) (Info, error) { return InspectWith(p, Limits{}) }

// InspectWith reads the header of p under l.
func InspectWith(p []byte, l Limits) (Info, error) { return Info{}, ErrUnsupported }

// PacketLen returns the exact length of the packet at the start of p.
func PacketLen(p []byte, l Limits) (int, error) { return 0, ErrUnsupported }

// Reader reads packets one at a time.
type Reader struct{}

// NewReader returns a Reader with default Limits.
func NewReader(r io.Reader) *Reader { return &Reader{} }

// NewReaderLimits returns a Reader with the given Limits.
func NewReaderLimits(r io.Reader, l Limits) *Reader { return &Reader{} }

// Read reads and decodes the next packet.
func (r *Reader) Read() (Value, error) { return nil, ErrUnsupported }

// ReadContext is Read, interrupted when ctx is done.
func (r *Reader) ReadContext(ctx context.Context) (Value, error) { return nil, ErrUnsupported }

// ReadPacket reads the next packet's raw bytes, validated.
func (r *Reader) ReadPacket() ([]byte, error) { return nil, ErrUnsupported }

// Writer writes packets.
type Writer struct{}

// NewWriter returns a Writer.
func NewWriter(w io.Writer) *Writer { return &Writer{} }

// Write writes v as one packet.
func (w *Writer) Write(v Value, o Options) (int64, error) { return 0, ErrUnsupported }
