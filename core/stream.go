package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tenso-go/tenso/internal/sysio"
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

	body *bodyReader  // the body ReadHeader left to read, if any
	open []openBundle // bundles entered by ReadHeader, innermost last
	pos  int64        // bytes consumed from the stream
	top  int64        // stream position of the top-level packet being read
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
	l.norm()
	return &Reader{r: r, lim: l}
}

// Read reads and decodes the next packet. It returns io.EOF when the stream
// ends cleanly before a packet, and an error matching io.ErrUnexpectedEOF
// when it ends inside one. A top-level compressed dense packet cannot be
// delimited on a stream and is refused with ErrUnframed before any of its
// body is read. Integrity footers are verified before the value is
// returned.
func (r *Reader) Read() (Value, error) {
	depth := len(r.open)
	p, err := r.ReadPacket()
	if err != nil {
		return nil, err
	}
	d := decoder{lim: &r.lim}
	v, _, err := d.decode(p, 0, depth, true)
	if err != nil {
		r.err = err
		return nil, err
	}
	return v, nil
}

// ReadPacket reads the next packet's bytes without decoding its body
// (framing and limits are checked). The slice is the caller's to keep.
func (r *Reader) ReadPacket() ([]byte, error) {
	end, err := r.startValue()
	if err != nil {
		return nil, err
	}
	r.buf = nil
	if r.reuse {
		r.buf = r.keep[:0]
	}
	s := r.source()
	var n int64
	if end >= 0 {
		// A bundle entry's value: its length prefix frames it, so a
		// compressed dense value streams too; its own framing must end
		// exactly there.
		n = end - r.pos
		if err = s.need(n, "bundle value"); err == nil {
			err = exactFrame(r.buf[:n], &r.lim)
		}
	} else {
		n, err = s.frame(&r.lim, false)
	}
	if err != nil {
		r.err = err
		return nil, err
	}
	r.pos += n
	if err := r.valueDone(); err != nil {
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
