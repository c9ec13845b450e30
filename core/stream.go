package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tenso-go/tenso/internal/sysio"
	"github.com/zeebo/xxh3"
)

// Reader reads packets one at a time from a stream of back-to-back packets
// (FORMAT.md §16). It reads exactly the bytes of each packet and nothing
// after it, so other data may follow on the stream. Memory is bounded: a
// packet's buffer grows as its bytes arrive, never beyond the size its
// validated fields give, so a truncated or lying stream costs memory in
// proportion to the bytes actually received.
//
// Each packet gets its own buffer; decoded values are views into it and
// stay valid after later reads. A Reader is not safe for concurrent use.
// After an error every later call returns the same error.
type Reader struct {
	r   io.Reader
	lim Limits
	buf []byte
	err error
	ctx context.Context // set during ReadContext on plain readers

	reuse bool   // ReuseBuffer: keep one buffer across packets
	keep  []byte // the kept buffer

	body *bodyReader // the body ReadHeader left to read, if any
}

// ReuseBuffer makes the Reader read every packet into one buffer that it
// keeps and grows as needed, instead of a fresh buffer per packet. This
// saves an allocation (and the kernel's zeroing of it) per packet, but a
// value or packet returned by Read, ReadContext or ReadPacket is then valid
// only until the next call: copy what must outlive it.
func (r *Reader) ReuseBuffer(on bool) {
	r.reuse = on
	if !on {
		r.keep = nil
	}
}

// minChunk bounds how far a packet's buffer grows ahead of the bytes
// received (the first allocation, and the doubling steps after it).
const minChunk = 64 << 10

// NewReader returns a Reader with the default Limits.
func NewReader(r io.Reader) *Reader { return NewReaderLimits(r, Limits{}) }

// NewReaderLimits returns a Reader that applies l to every packet.
func NewReaderLimits(r io.Reader, l Limits) *Reader {
	return &Reader{r: r, lim: l.norm()}
}

// Read reads and decodes the next packet. It returns io.EOF when the stream
// ends cleanly before a packet, and an error matching io.ErrUnexpectedEOF
// when it ends inside one. A top-level compressed dense packet cannot be
// delimited on a stream and is refused with ErrUnframed before any of its
// body is read. Integrity footers are verified before the value is
// returned.
func (r *Reader) Read() (Value, error) {
	p, err := r.ReadPacket()
	if err != nil {
		return nil, err
	}
	v, err := decodeExact(p, &r.lim)
	if err != nil {
		r.err = err
		return nil, err
	}
	return v, nil
}

// ReadPacket reads the next packet's bytes without decoding its body
// (framing and limits are checked). The slice is the caller's to keep.
func (r *Reader) ReadPacket() ([]byte, error) {
	if err := r.skipBody(); err != nil {
		return nil, err
	}
	r.buf = nil
	if r.reuse {
		r.buf = r.keep[:0]
	}
	var s source
	// fill grows r.buf; keep s.buf in step with it.
	s.fill = func(n int64) error {
		err := r.fill(n)
		s.buf = r.buf
		return err
	}
	n, err := s.frame(&r.lim, false)
	if err != nil {
		r.err = err
		return nil, err
	}
	p := r.buf[:n:n]
	if r.reuse {
		r.keep = r.buf
	}
	r.buf = nil
	return p, nil
}

// fill reads until r.buf holds n bytes.
func (r *Reader) fill(n int64) error {
	if r.ctx != nil {
		if err := r.ctx.Err(); err != nil {
			return fmt.Errorf("tenso: read interrupted: %w", err)
		}
	}
	for int64(len(r.buf)) < n {
		// Grow only when the buffer is full: a reader that returns a few
		// bytes per call must not make it double on every call.
		if len(r.buf) == cap(r.buf) {
			c := int64(2 * cap(r.buf))
			if c < int64(len(r.buf))+minChunk {
				c = int64(len(r.buf)) + minChunk
			}
			// A reader that knows how many bytes it holds lets us size
			// the buffer exactly: those bytes have arrived.
			if lr, ok := r.r.(interface{ Len() int }); ok && int64(lr.Len()) >= n-int64(len(r.buf)) {
				c = n
			}
			if c > n {
				c = n
			}
			nb := make([]byte, len(r.buf), c)
			copy(nb, r.buf)
			r.buf = nb
		}
		m, err := r.r.Read(r.buf[len(r.buf):min(int64(cap(r.buf)), n)])
		r.buf = r.buf[:len(r.buf)+m]
		if int64(len(r.buf)) >= n {
			return nil
		}
		if err != nil {
			if err == io.EOF {
				if len(r.buf) == 0 {
					return io.EOF
				}
				return fmt.Errorf("tenso: stream ended after %d bytes of a packet that needs at least %d: %w", len(r.buf), n, io.ErrUnexpectedEOF)
			}
			return fmt.Errorf("tenso: reading packet: %w", err)
		}
		if m == 0 && r.ctx != nil {
			if err := r.ctx.Err(); err != nil {
				return fmt.Errorf("tenso: read interrupted: %w", err)
			}
		}
	}
	return nil
}

type deadliner interface {
	SetReadDeadline(time.Time) error
}

// ReadContext is Read bounded by ctx. On a reader with read deadlines (a
// net.Conn) a cancelled or expired ctx interrupts a blocked read at once;
// on other readers ctx is checked between reads. An interrupted read
// leaves the stream mid-packet, so the Reader stays failed afterwards.
func (r *Reader) ReadContext(ctx context.Context) (Value, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tenso: read interrupted: %w", err)
	}
	dl, ok := r.r.(deadliner)
	if !ok {
		r.ctx = ctx
		defer func() { r.ctx = nil }()
		return r.Read()
	}
	if d, ok := ctx.Deadline(); ok {
		_ = dl.SetReadDeadline(d)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = dl.SetReadDeadline(time.Unix(1, 0))
		close(fired)
	})
	v, err := r.Read()
	if !stop() {
		<-fired // do not let it set its deadline after the reset below
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		// Every deadline set here comes from ctx. The conn's copy of
		// ctx's deadline can pass just before ctx itself notices.
		cause := context.Cause(ctx)
		if _, has := ctx.Deadline(); cause == nil && has {
			cause = context.DeadlineExceeded
		}
		if cause != nil {
			err = fmt.Errorf("tenso: read interrupted: %w", cause)
			r.err = err
		}
	}
	_ = dl.SetReadDeadline(time.Time{})
	return v, err
}

// ReadHeader reads the next packet only up to its body and describes it,
// for bodies too large to hold in memory: the body is then read from Body,
// as it arrives. Only uncompressed dense and quantized packets stream this
// way (their headers give the body length); other kinds are refused with
// an ErrUnsupported FormatError (use Read) and a compressed dense packet
// with ErrUnframed, in both cases before their bodies are read. A body
// left unread is skipped, and its footer still verified, by the next
// ReadHeader, Read or ReadPacket.
func (r *Reader) ReadHeader() (Info, error) {
	if err := r.skipBody(); err != nil {
		return Info{}, err
	}
	r.buf = nil
	var s source
	s.fill = func(n int64) error {
		err := r.fill(n)
		s.buf = r.buf
		return err
	}
	in, meta, err := s.streamHeader(&r.lim)
	if err != nil {
		r.err = err
		return Info{}, err
	}
	b := &bodyReader{r: r, left: in.DataSize, integrity: in.Integrity, at: int64(in.BodyOffset)}
	if in.Integrity {
		b.h.Reset()
		_, _ = b.h.Write(meta) // quantized packets hash their metadata too
	}
	r.body = b
	r.buf = nil
	return in, nil
}

// Body returns the body of the packet whose header ReadHeader just read:
// exactly Info.DataSize bytes, then io.EOF once the integrity footer, if
// any, has been read and verified (a mismatch is an ErrChecksum
// FormatError instead of io.EOF, so read to the end before trusting the
// bytes). Without a pending body it returns a reader at EOF.
func (r *Reader) Body() io.Reader {
	if r.body == nil {
		return eofReader{}
	}
	return r.body
}

// skipBody reads what is left of a pending body, verifying its footer.
func (r *Reader) skipBody() error {
	if r.err != nil {
		return r.err
	}
	if b := r.body; b != nil {
		if _, err := io.Copy(io.Discard, b); err != nil {
			r.err = err
			return err
		}
	}
	return nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// bodyReader streams one body and checks its footer.
type bodyReader struct {
	r         *Reader
	left      int64 // body bytes not yet read
	at        int64 // packet offset of the next byte
	integrity bool
	h         xxh3.Hasher
	err       error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left == 0 {
		b.err = b.finish()
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.r.Read(p)
	b.left -= int64(n)
	b.at += int64(n)
	if b.integrity {
		_, _ = b.h.Write(p[:n])
	}
	if err == io.EOF && b.left > 0 {
		err = fmt.Errorf("tenso: stream ended with %d body bytes missing: %w", b.left, io.ErrUnexpectedEOF)
	} else if err == io.EOF {
		err = nil
	}
	if err != nil {
		b.fail(err)
		if n > 0 {
			return n, nil // the error comes back on the next call
		}
		return 0, err
	}
	return n, nil
}

// finish reads and verifies the footer after the last body byte.
func (b *bodyReader) finish() error {
	b.r.body = nil
	if !b.integrity {
		return io.EOF
	}
	var f [footerLen]byte
	if _, err := io.ReadFull(b.r.r, f[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("tenso: stream ended in the integrity footer: %w", io.ErrUnexpectedEOF)
		}
		b.r.err = err
		return err
	}
	if err := checkFooter(f[:], b.h.Sum64(), 0, b.at); err != nil {
		b.r.err = err
		return err
	}
	return io.EOF
}

func (b *bodyReader) fail(err error) {
	b.err = err
	b.r.err = err
	b.r.body = nil
}

// streamHeader pulls the header of an uncompressed dense or quantized
// packet up to its body offset and describes it. meta is what the footer
// hashes before the body (a quantized packet's metadata).
func (s *source) streamHeader(l *Limits) (Info, []byte, error) {
	h, err := s.header()
	if err != nil {
		return Info{}, nil, err
	}
	if h.kind != KindDense && h.kind != KindQuantized {
		return Info{}, nil, ferr(ErrUnsupported, 5, "flags", "a %s packet has no body to stream; read it whole", h.kind)
	}
	var pr prelude
	if err := s.prelude(&h, &pr, l, nil); err != nil {
		return Info{}, nil, err
	}
	if pr.flags&FlagCompression != 0 {
		return Info{}, nil, ferr(ErrUnframed, 5, "flags", "%s", ErrUnframed.Error()[len("tenso: "):])
	}
	if err := s.need(int64(pr.body), "padding"); err != nil {
		return Info{}, nil, err
	}
	var in Info
	if err := inspect(&in, s.buf[:pr.body], 0, l); err != nil {
		return Info{}, nil, err
	}
	return in, s.buf[pr.metaStart:pr.metaEnd], nil
}

// DenseWriter writes one uncompressed dense packet whose body arrives in
// pieces — a tensor larger than memory, or one copied out of a device —
// exactly as Encode would write it: the header at once, the body through
// Write, the integrity footer at Close. A DenseWriter is not safe for
// concurrent use.
type DenseWriter struct {
	w         io.Writer
	left      int64
	size      int64
	integrity bool
	h         xxh3.Hasher
	err       error
}

// NewDenseWriter validates dt, shape and o as AppendDenseHeader does and
// writes the packet's header to w.
func NewDenseWriter(w io.Writer, dt DType, shape []int, o Options) (*DenseWriter, error) {
	hdr, err := AppendDenseHeader(nil, dt, shape, o)
	if err != nil {
		return nil, err
	}
	n, _ := checkShape(shape)
	d := &DenseWriter{w: w, left: n * int64(dt.ItemSize()), integrity: o.Integrity}
	d.size = int64(len(hdr)) + d.left
	if o.Integrity {
		d.size += footerLen
		d.h.Reset()
	}
	if err := writeAll(w, hdr); err != nil {
		return nil, err
	}
	return d, nil
}

// Size is the length of the whole packet: header, body and footer.
func (d *DenseWriter) Size() int64 { return d.size }

// Write writes body bytes. Bytes past the body's length are refused with
// ErrInvalid and not written.
func (d *DenseWriter) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if int64(len(p)) > d.left {
		return 0, invalid("%d body bytes written where %d remain", len(p), d.left)
	}
	if d.integrity {
		_, _ = d.h.Write(p)
	}
	if err := writeAll(d.w, p); err != nil {
		d.err = err
		return 0, err
	}
	d.left -= int64(len(p))
	return len(p), nil
}

// Close ends the packet: it writes the integrity footer, if any. A body
// shorter than the shape needs is an ErrInvalid error (the packet on the
// stream is then incomplete). Close does not close the underlying writer.
func (d *DenseWriter) Close() error {
	if d.err != nil {
		return d.err
	}
	if d.left != 0 {
		d.err = invalid("the body ended %d bytes short", d.left)
		return d.err
	}
	d.err = errClosed
	if d.integrity {
		var f [footerLen]byte
		putU64(f[:], d.h.Sum64())
		if err := writeAll(d.w, f[:]); err != nil {
			d.err = err
			return err
		}
	}
	return nil
}

var errClosed = errors.New("tenso: dense writer closed")

// writeAll writes b, turning a short write into io.ErrShortWrite.
func writeAll(w io.Writer, b []byte) error {
	n, err := w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	return err
}

// Writer writes packets to a stream, exactly the bytes Encode produces,
// with header and bodies as separate buffers: net.Conn and *os.File (on
// Linux) get one writev per packet, and no body byte is copied. After a
// write error every later call returns it. A Writer is not safe for
// concurrent use.
type Writer struct {
	w   io.Writer
	err error
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes v as one packet and returns the bytes written. A top-level
// dense tensor with o.Compress is refused with ErrUnframed before anything
// is written (a reader could not delimit it; put it in a bundle).
func (w *Writer) Write(v Value, o Options) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if _, ok := v.(*Tensor); ok && o.Compress {
		return 0, ErrUnframed
	}
	bufs, _, err := Segments(v, o)
	if err != nil {
		return 0, err
	}
	n, err := sysio.WriteBuffers(w.w, bufs)
	if err != nil {
		w.err = err
	}
	return n, err
}

// WritePacket writes an already encoded packet.
func (w *Writer) WritePacket(p []byte) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = err
	}
	return int64(n), err
}
