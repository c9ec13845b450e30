package core

// TEMPORARY: signatures of the core API, bodies land in the next commits.

import (
	"context"
	"io"
)

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
