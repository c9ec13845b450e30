package core

import (
	"errors"
	"fmt"
	"io"

	"github.com/zeebo/xxh3"
)

// Streaming bodies and bundles (FORMAT.md §8, §16): a Reader can stop at a
// packet's body and hand it out as it arrives, and walk a bundle entry by
// entry; DenseWriter and BundleWriter write the same packets from pieces.

// openBundle is a bundle the Reader has entered.
type openBundle struct {
	left  int   // entries not yet started
	end   int64 // stream position where the bundle ends; -1 when unknown (top level)
	value int64 // end of the pending entry's value; -1: none pending; -2: the value is the nested bundle above
	entry int   // index of the last entry started
}

// source returns a framing source that pulls bytes from the stream into
// r.buf.
func (r *Reader) source() *source {
	s := &source{}
	s.fill = func(n int64) error {
		err := r.fill(n)
		s.buf = r.buf
		return err
	}
	return s
}

// startValue prepares to read a value: it skips a pending body and, inside
// a bundle, requires an entry started by ReadEntry, whose end it returns
// (-1 outside bundles).
func (r *Reader) startValue() (int64, error) {
	if err := r.skipBody(); err != nil {
		return 0, err
	}
	if len(r.open) == 0 {
		r.top = r.pos
		return -1, nil
	}
	b := &r.open[len(r.open)-1]
	if b.value < 0 {
		return 0, invalid("the reader is inside a bundle: call ReadEntry before reading its next value")
	}
	return b.value, nil
}

// valueDone records that the pending value ended at r.pos and closes the
// bundles it completes, checking that each ends where its length prefix
// said.
func (r *Reader) valueDone() error {
	for len(r.open) > 0 {
		b := &r.open[len(r.open)-1]
		if b.value >= 0 {
			b.value = -1
		}
		if b.left > 0 || b.value != -1 {
			return nil
		}
		if b.end >= 0 && b.end != r.pos {
			err := ferr(ErrCorrupt, r.pos-r.top, "bundle", "the bundle ends at %d but its length prefix gives %d", r.pos-r.top, b.end-r.top)
			r.err = err
			return err
		}
		r.open = r.open[:len(r.open)-1]
		if n := len(r.open); n > 0 {
			r.open[n-1].value = -1 // the entry whose value was this bundle is done
		}
	}
	return nil
}

// ReadHeader reads the next packet only up to its body and describes it,
// for packets too large to hold in memory.
//
// For an uncompressed dense or a quantized packet the body is then read
// from Body as it arrives. For a bundle it reads the fixed header
// (Info.Count entries) and enters the bundle: each entry is then started
// with ReadEntry and its value read with ReadHeader, Read or ReadPacket;
// nested bundles work the same way, up to Limits.MaxDepth. A compressed
// dense value inside a bundle is framed by its length prefix: ReadHeader
// reads and decodes it whole (one value in memory, as Read would) and
// Body serves its decoded bytes. Other kinds are refused with an
// ErrUnsupported FormatError (use Read), and a top-level compressed dense
// packet with ErrUnframed, before their bodies are read.
//
// A body left unread is skipped by the next call: read to the end of Body
// to have its integrity footer verified. On an io.Seeker skipping seeks.
func (r *Reader) ReadHeader() (Info, error) {
	end, err := r.startValue()
	if err != nil {
		return Info{}, err
	}
	r.buf = nil
	s := r.source()
	h, err := s.header()
	if err != nil {
		return Info{}, r.fail(err)
	}
	if h.kind == KindBundle {
		if len(r.open) >= r.lim.MaxDepth {
			return Info{}, r.fail(ferr(ErrTooLarge, r.pos-r.top, "bundle", "nesting deeper than %d levels", r.lim.MaxDepth))
		}
		if n := len(r.open); n > 0 {
			r.open[n-1].value = -2
		}
		r.open = append(r.open, openBundle{left: h.ndim, end: end, value: -1})
		r.pos += int64(h.size)
		in := Info{Version: h.version, Flags: h.flags, Kind: KindBundle, Count: h.ndim, Shape: []int{}}
		r.buf = nil
		return in, r.valueDone() // an empty bundle ends here
	}
	if h.kind != KindDense && h.kind != KindQuantized {
		return Info{}, r.fail(ferr(ErrUnsupported, r.pos-r.top+5, "flags", "a %s packet has no body to stream; read it whole", h.kind))
	}
	var pr prelude
	if err := s.prelude(&h, &pr, &r.lim, nil); err != nil {
		return Info{}, r.fail(err)
	}
	if pr.flags&FlagCompression != 0 {
		if end >= 0 {
			return r.compressedValue(s, end)
		}
		return Info{}, r.fail(ferr(ErrUnframed, 5, "flags", "%s", ErrUnframed.Error()[len("tenso: "):]))
	}
	if err := s.need(int64(pr.body), "padding"); err != nil {
		return Info{}, r.fail(err)
	}
	var in Info
	if err := inspect(&in, s.buf[:pr.body], 0, &r.lim); err != nil {
		return Info{}, r.fail(err)
	}
	if n, _ := in.PacketLen(); end >= 0 && r.pos+n != end {
		return Info{}, r.fail(ferr(ErrCorrupt, r.pos-r.top, "bundle value", "a packet of %d bytes under a %d-byte length prefix", n, end-r.pos))
	}
	b := &bodyReader{r: r, left: in.DataSize, footer: in.Integrity, verify: in.Integrity, at: int64(in.BodyOffset)}
	if in.Integrity {
		b.h.Reset()
		_, _ = b.h.Write(s.buf[pr.metaStart:pr.metaEnd]) // quantized packets hash their metadata too
	}
	r.pos += int64(pr.body)
	r.body = b
	r.buf = nil
	return in, nil
}

// compressedValue is ReadHeader for a compressed dense value inside a
// bundle: its length prefix frames it, so the value is read and decoded
// whole (as Read would: one value in memory, its footer verified), and
// Body serves the decoded bytes.
func (r *Reader) compressedValue(s *source, end int64) (Info, error) {
	n := end - r.pos
	if err := s.need(n, "bundle value"); err != nil {
		return Info{}, r.fail(err)
	}
	p := s.buf[:n:n]
	if err := exactFrame(p, &r.lim); err != nil {
		return Info{}, r.fail(err)
	}
	var in Info
	if err := inspect(&in, p, 0, &r.lim); err != nil {
		return Info{}, r.fail(err)
	}
	d := decoder{lim: &r.lim}
	v, _, err := d.decode(p, 0, len(r.open), true)
	if err != nil {
		return Info{}, r.fail(err)
	}
	t, ok := v.(*Tensor)
	if !ok || int64(len(t.Data)) != in.DataSize {
		return Info{}, r.fail(ferr(ErrCorrupt, r.pos-r.top, "bundle value", "a compressed value that does not decode to its %d-byte dense body", in.DataSize))
	}
	r.pos = end
	r.body = &bodyReader{r: r, left: in.DataSize, at: int64(in.BodyOffset), mem: t.Data}
	r.buf = nil
	return in, nil
}

// ReadEntry starts the next entry of the bundle the Reader is in (see
// ReadHeader) and returns its key; the entry's value is read next.
// Keys must be UTF-8; lengths are checked against the limits and the
// enclosing bundle.
func (r *Reader) ReadEntry() (string, error) {
	if err := r.skipBody(); err != nil {
		return "", err
	}
	if len(r.open) == 0 {
		return "", invalid("ReadEntry outside a bundle: ReadHeader enters one")
	}
	b := &r.open[len(r.open)-1]
	if b.value != -1 || b.left == 0 {
		return "", invalid("ReadEntry before the previous entry's value was read")
	}
	i := b.entry
	if b.left > 0 {
		b.entry++
	}
	field := func(what string) string { return "bundle entry " + itoa(i) + " " + what }
	r.buf = nil
	s := r.source()
	at := r.pos - r.top
	lenAt := func(off int64, what string) (int64, error) {
		if err := s.need(off+4, field(what)); err != nil {
			return 0, err
		}
		n := int64(getU32(s.buf[off:]))
		if n > r.lim.MaxBytes {
			return 0, ferr(ErrTooLarge, at+off, field(what), "length %d exceeds the limit of %d bytes", n, r.lim.MaxBytes)
		}
		return n, nil
	}
	kl, err := lenAt(0, "key length")
	if err != nil {
		return "", r.fail(err)
	}
	if err := s.need(4+kl, field("key")); err != nil {
		return "", r.fail(err)
	}
	key := s.buf[4 : 4+kl]
	if !validUTF8(key) {
		return "", r.fail(ferr(ErrCorrupt, at+4, field("key"), "key is not valid UTF-8"))
	}
	vl, err := lenAt(4+kl, "value length")
	if err != nil {
		return "", r.fail(err)
	}
	if vl < headerV3 {
		return "", r.fail(ferr(ErrCorrupt, at+4+kl, field("value length"), "value length %d is shorter than a header", vl))
	}
	r.pos += 8 + kl
	if b.end >= 0 && r.pos+vl > b.end {
		return "", r.fail(ferr(ErrCorrupt, at+4+kl, field("value length"), "length %d runs past the end of the bundle (%d bytes remain)", vl, b.end-r.pos))
	}
	k := string(key)
	b.left--
	b.value = r.pos + vl
	r.buf = nil
	return k, nil
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

// fail makes err sticky and returns it.
func (r *Reader) fail(err error) error {
	r.err = err
	r.buf = nil
	return err
}

// skipBody skips what is left of a pending body and its footer, unread
// and unverified: by seeking on an io.Seeker, else by reading.
func (r *Reader) skipBody() error {
	if r.err != nil {
		return r.err
	}
	b := r.body
	if b == nil {
		return nil
	}
	if b.mem != nil {
		r.body = nil // the stream is already past the value
		return r.valueDone()
	}
	n := b.left
	if b.footer {
		n += footerLen
	}
	if sk, ok := r.r.(io.Seeker); ok && n > 0 {
		if _, err := sk.Seek(n, io.SeekCurrent); err == nil {
			r.pos += n
			r.body = nil
			return r.valueDone()
		}
	}
	b.verify = false // skipped bytes are not verified
	if _, err := io.Copy(io.Discard, b); err != nil {
		return r.fail(err)
	}
	return nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// bodyReader streams one body and checks its footer.
type bodyReader struct {
	r      *Reader
	left   int64 // body bytes not yet read
	at     int64 // packet offset of the next byte
	footer bool  // the packet ends with an integrity footer
	verify bool  // hash the body and check the footer (not when skipped)
	h      xxh3.Hasher
	err    error
	mem    []byte // a decoded body held in memory (compressedValue): the stream is past it
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
	if b.mem != nil {
		n := copy(p, b.mem)
		b.mem = b.mem[n:]
		b.left -= int64(n)
		b.at += int64(n)
		return n, nil
	}
	n, err := b.r.r.Read(p)
	b.left -= int64(n)
	b.at += int64(n)
	b.r.pos += int64(n)
	if b.verify {
		_, _ = b.h.Write(p[:n])
	}
	if err == io.EOF && b.left > 0 {
		err = fmt.Errorf("tenso: stream ended with %d body bytes missing: %w", b.left, io.ErrUnexpectedEOF)
	} else if err == io.EOF {
		err = nil
	}
	if err != nil {
		b.err = b.r.fail(err)
		b.r.body = nil
		if n > 0 {
			return n, nil // the error comes back on the next call
		}
		return 0, err
	}
	return n, nil
}

// finish reads (and, unless skipped, verifies) the footer after the last
// body byte and ends the value.
func (b *bodyReader) finish() error {
	b.r.body = nil
	if b.footer {
		var f [footerLen]byte
		if _, err := io.ReadFull(b.r.r, f[:]); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = fmt.Errorf("tenso: stream ended in the integrity footer: %w", io.ErrUnexpectedEOF)
			}
			return b.r.fail(err)
		}
		b.r.pos += footerLen
		if b.verify {
			if err := checkFooter(f[:], b.h.Sum64(), 0, b.at); err != nil {
				return b.r.fail(err)
			}
		}
	}
	if err := b.r.valueDone(); err != nil {
		return err
	}
	return io.EOF
}

// exactFrame checks that p holds exactly one packet by its own framing.
func exactFrame(p []byte, l *Limits) error {
	s := source{buf: p}
	n, err := s.frame(l, true)
	if err != nil {
		return err
	}
	if n != int64(len(p)) {
		return ferr(ErrCorrupt, n, "bundle value", "a packet of %d bytes under a %d-byte length prefix", n, len(p))
	}
	return nil
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
	done      func() // BundleWriter: the value is complete
}

// NewDenseWriter validates dt, shape and o as AppendDenseHeader does and
// writes the packet's header to w.
func NewDenseWriter(w io.Writer, dt DType, shape []int, o Options) (*DenseWriter, error) {
	d, hdr, err := newDense(w, dt, shape, o)
	if err != nil {
		return nil, err
	}
	if err := writeAll(w, hdr); err != nil {
		return nil, err
	}
	return d, nil
}

// newDense validates a dense packet's description and returns its writer
// and header, nothing written yet.
func newDense(w io.Writer, dt DType, shape []int, o Options) (*DenseWriter, []byte, error) {
	hdr, err := AppendDenseHeader(nil, dt, shape, o)
	if err != nil {
		return nil, nil, err
	}
	n, _ := checkShape(shape)
	d := &DenseWriter{w: w, left: n * int64(dt.ItemSize()), integrity: o.Integrity}
	d.size = int64(len(hdr)) + d.left
	if o.Integrity {
		d.size += footerLen
		d.h.Reset()
	}
	return d, hdr, nil
}

// Size is the length of the whole packet: header, body and footer.
func (d *DenseWriter) Size() int64 { return d.size }

// Remaining is the number of body bytes still to be written.
func (d *DenseWriter) Remaining() int64 { return d.left }

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
	if d.done != nil {
		d.done()
	}
	return nil
}

// BundleWriter writes a bundle whose values are streamed: the header at
// once, then for each entry its key, length prefix and value. The entry
// count is fixed in advance (at most 255, FORMAT.md §8), as the format
// requires. A BundleWriter is not safe for concurrent use.
type BundleWriter struct {
	w    io.Writer
	left int
	open bool // the last entry's DenseWriter is not closed yet
	err  error
	keys map[string]bool
}

// NewBundleWriter writes the header of a bundle of n entries to w.
func NewBundleWriter(w io.Writer, n int) (*BundleWriter, error) {
	if n < 0 || n > maxBundleEntries {
		return nil, invalid("a bundle holds 0 to %d entries, not %d", maxBundleEntries, n)
	}
	if err := writeAll(w, appendHeader(nil, FlagBundle, 0, n, 0)); err != nil {
		return nil, err
	}
	return &BundleWriter{w: w, left: n, keys: map[string]bool{}}, nil
}

// entry writes the key and length prefix of the next entry, whose value
// (nil when streamed) is size bytes.
func (b *BundleWriter) entry(key string, v Value, size int64) error {
	switch {
	case b.err != nil:
		return b.err
	case b.open:
		return invalid("the previous entry's DenseWriter is not closed")
	case b.left == 0:
		return invalid("all the bundle's entries are written")
	case b.keys[key]:
		return invalid("duplicate bundle key %q", key)
	}
	if err := checkEntry(key, v); err != nil {
		return err
	}
	if err := checkFramed("bundle value", size); err != nil {
		return err
	}
	b.keys[key] = true
	buf := make([]byte, 0, 8+len(key))
	buf = append(buf, byte(len(key)), byte(len(key)>>8), byte(len(key)>>16), byte(len(key)>>24))
	buf = append(buf, key...)
	buf = append(buf, byte(size), byte(size>>8), byte(size>>16), byte(size>>24))
	if err := writeAll(b.w, buf); err != nil {
		b.err = err
		return err
	}
	b.left--
	return nil
}

// Add writes the next entry with value v, encoded with o.
func (b *BundleWriter) Add(key string, v Value, o Options) error {
	p, err := Encode(v, o)
	if err != nil {
		return err
	}
	if err := b.entry(key, v, int64(len(p))); err != nil {
		return err
	}
	if err := writeAll(b.w, p); err != nil {
		b.err = err
		return err
	}
	return nil
}

// Dense starts the next entry as an uncompressed dense value whose body is
// streamed: write it to the returned DenseWriter and Close it before the
// next entry.
func (b *BundleWriter) Dense(key string, dt DType, shape []int, o Options) (*DenseWriter, error) {
	d, hdr, err := newDense(b.w, dt, shape, o)
	if err != nil {
		return nil, err
	}
	if err := b.entry(key, nil, d.size); err != nil {
		return nil, err
	}
	if err := writeAll(b.w, hdr); err != nil {
		b.err = err
		return nil, err
	}
	b.open = true
	d.done = func() { b.open = false }
	return d, nil
}

// Close checks that every entry was written (and the last streamed value
// closed). It does not close the underlying writer.
func (b *BundleWriter) Close() error {
	switch {
	case b.err != nil:
		return b.err
	case b.open:
		return invalid("the last entry's DenseWriter is not closed")
	case b.left != 0:
		return invalid("%d of the bundle's entries were not written", b.left)
	}
	b.err = errClosed
	return nil
}

var errClosed = errors.New("tenso: writer closed")

// writeAll writes b, turning a short write into io.ErrShortWrite.
func writeAll(w io.Writer, b []byte) error {
	n, err := w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	return err
}
