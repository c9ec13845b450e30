package gpu

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/core"
	"github.com/zeebo/xxh3"
)

// Flag bits of FORMAT.md §3 used here.
const (
	flagAligned     = 1
	flagIntegrity   = 2
	flagCompression = 4
	flagCustAlign   = 128
)

// maxStreamPadding bounds the padding read before a streamed body: larger
// alignments are refused rather than buffered.
const maxStreamPadding = 1 << 20

// denseHeader is a parsed dense packet header read from a stream.
type denseHeader struct {
	info    tenso.Info
	headLen int   // bytes up to the body (header, shape, exponent, padding)
	bodyLen int64 // on-wire body bytes
}

// readDenseHeader reads the header of one uncompressed dense packet from r,
// up to (not including) its body. Anything else is an error: compressed
// bodies need the host, other kinds are not tensors.
func readDenseHeader(r io.Reader, l tenso.Limits) (denseHeader, []byte, error) {
	head := make([]byte, 10, 256)
	if _, err := io.ReadFull(r, head[:8]); err != nil {
		return denseHeader{}, nil, eof(err, "header")
	}
	base := 8
	if head[4] == 4 {
		base = 10
		if _, err := io.ReadFull(r, head[8:10]); err != nil {
			return denseHeader{}, nil, eof(err, "header")
		}
	}
	head = head[:base]
	var flags uint16
	var ndim int
	if base == 10 {
		flags, ndim = binary.LittleEndian.Uint16(head[5:]), int(head[8])
	} else {
		flags, ndim = uint16(head[5]), int(head[7])
	}
	if string(head[:4]) != "TNSO" {
		return denseHeader{}, nil, fmt.Errorf("%w: bad magic % x", tenso.ErrCorrupt, head[:4])
	}
	if head[4] != 3 && head[4] != 4 {
		return denseHeader{}, nil, fmt.Errorf("%w: protocol version %d", tenso.ErrUnsupported, head[4])
	}
	maxDims := l.MaxDims
	if maxDims <= 0 {
		maxDims = 32
	}
	if ndim > maxDims {
		return denseHeader{}, nil, fmt.Errorf("%w: ndim %d exceeds %d", tenso.ErrTooLarge, ndim, maxDims)
	}
	n := 4 * ndim
	if flags&flagCustAlign != 0 {
		n++
	}
	head = append(head, make([]byte, n)...)
	if _, err := io.ReadFull(r, head[base:]); err != nil {
		return denseHeader{}, nil, eof(err, "shape")
	}
	align := 1
	switch {
	case flags&flagCustAlign != 0:
		e := head[len(head)-1]
		if e > 20 {
			return denseHeader{}, nil, fmt.Errorf("%w: alignment 2^%d is too large to stream to a device", tenso.ErrTooLarge, e)
		}
		align = 1 << e
	case flags&flagAligned != 0:
		align = 64
	}
	pad := (align - len(head)%align) % align
	if pad > maxStreamPadding {
		return denseHeader{}, nil, fmt.Errorf("%w: padding of %d bytes", tenso.ErrTooLarge, pad)
	}
	h := len(head)
	head = append(head, make([]byte, pad)...)
	if _, err := io.ReadFull(r, head[h:]); err != nil {
		return denseHeader{}, nil, eof(err, "padding")
	}
	info, err := core.InspectWith(head, l)
	if err != nil {
		return denseHeader{}, nil, err
	}
	if info.Kind != tenso.KindDense {
		return denseHeader{}, nil, fmt.Errorf("%w: a %v packet is not a dense tensor", tenso.ErrUnsupported, info.Kind)
	}
	if info.Compressed {
		return denseHeader{}, nil, fmt.Errorf("%w: compressed body; decode it on the host (tenso.Decode) and Upload", tenso.ErrUnsupported)
	}
	if info.BodyOffset != len(head) {
		return denseHeader{}, nil, fmt.Errorf("%w: body offset %d, header parsed to %d", tenso.ErrCorrupt, info.BodyOffset, len(head))
	}
	return denseHeader{info: info, headLen: len(head), bodyLen: info.DataSize}, head, nil
}

func eof(err error, field string) error {
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return fmt.Errorf("%w: stream ended in the %s: %w", tenso.ErrCorrupt, field, io.ErrUnexpectedEOF)
	}
	return err
}

// appendDenseHeader appends the header, shape, exponent byte and padding of
// an uncompressed dense packet exactly as the encoder writes them
// (FORMAT.md §5).
func appendDenseHeader(dst []byte, dt tenso.DType, shape []int, o WriteOptions) ([]byte, error) {
	if !dt.IsDense() {
		return nil, fmt.Errorf("%w: dtype %v is not dense", tenso.ErrInvalid, dt)
	}
	if len(shape) > 32 {
		return nil, fmt.Errorf("%w: ndim %d > 32", tenso.ErrInvalid, len(shape))
	}
	align := o.Alignment
	if align == 0 {
		align = 64
	}
	if align < 1 || align > 1<<20 || align&(align-1) != 0 {
		return nil, fmt.Errorf("%w: alignment %d (a power of two up to 2^20)", tenso.ErrInvalid, o.Alignment)
	}
	flags := uint16(flagAligned)
	if align != 64 {
		flags = flagCustAlign
	}
	if o.Integrity {
		flags |= flagIntegrity
	}
	start := len(dst)
	dst = append(dst, 'T', 'N', 'S', 'O', 4, byte(flags), byte(flags>>8), byte(dt), byte(len(shape)), 0)
	for _, d := range shape {
		if d < 0 || uint64(d) > 0xFFFFFFFF {
			return nil, fmt.Errorf("%w: dim %d does not fit u32", tenso.ErrInvalid, d)
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(d))
	}
	if align != 64 {
		dst = append(dst, byte(bits.TrailingZeros(uint(align))))
	}
	for (len(dst)-start)%align != 0 {
		dst = append(dst, 0)
	}
	return dst, nil
}

// stager moves chunks between two pinned host buffers and device memory.
type stager interface {
	buf(i int) []byte                            // staging buffer i (0 or 1)
	toDevice(i int, devOff int64, n int) error   // start copying buf(i)[:n] to the device
	fromDevice(i int, devOff int64, n int) error // start copying device bytes into buf(i)[:n]
	wait(i int) error                            // wait for buffer i's copy to finish
}

// upload reads n body bytes from r into the device through the two staging
// buffers: while buffer i is being copied to the device, the next chunk is
// read into the other one. h, if not nil, hashes the body.
func upload(r io.Reader, n int64, s stager, h *xxh3.Hasher) error {
	var busy [2]bool
	var off int64
	i := 0
	for off < n {
		if busy[i] {
			if err := s.wait(i); err != nil {
				return err
			}
			busy[i] = false
		}
		b := s.buf(i)
		c := int(min(int64(len(b)), n-off))
		if _, err := io.ReadFull(r, b[:c]); err != nil {
			waitAll(s, &busy)
			return eof(err, "body")
		}
		if h != nil {
			h.Write(b[:c])
		}
		if err := s.toDevice(i, off, c); err != nil {
			waitAll(s, &busy)
			return err
		}
		busy[i] = true
		off += int64(c)
		i ^= 1
	}
	return waitAll(s, &busy)
}

func waitAll(s stager, busy *[2]bool) error {
	var first error
	for i := range busy {
		if busy[i] {
			if err := s.wait(i); err != nil && first == nil {
				first = err
			}
			busy[i] = false
		}
	}
	return first
}

// download writes n device bytes to w through the staging buffers: the
// copy of the next chunk runs while the previous one is written. h, if not
// nil, hashes the body.
func download(w io.Writer, n int64, s stager, h *xxh3.Hasher) (int64, error) {
	var busy [2]bool
	var size [2]int
	var next, written int64
	issue := func(i int) error {
		if next >= n {
			return nil
		}
		c := int(min(int64(len(s.buf(i))), n-next))
		if err := s.fromDevice(i, next, c); err != nil {
			return err
		}
		busy[i], size[i] = true, c
		next += int64(c)
		return nil
	}
	if err := issue(0); err != nil {
		return 0, err
	}
	if err := issue(1); err != nil {
		waitAll(s, &busy)
		return 0, err
	}
	for i := 0; written < n; i ^= 1 {
		if err := s.wait(i); err != nil {
			busy[i] = false
			waitAll(s, &busy)
			return written, err
		}
		busy[i] = false
		b := s.buf(i)[:size[i]]
		if h != nil {
			h.Write(b)
		}
		m, err := w.Write(b)
		written += int64(m)
		if err == nil && m != len(b) {
			err = io.ErrShortWrite
		}
		if err != nil {
			waitAll(s, &busy)
			return written, err
		}
		if err := issue(i); err != nil {
			waitAll(s, &busy)
			return written, err
		}
	}
	return written, nil
}

// readFooter reads and checks the 8-byte integrity footer against sum.
func readFooter(r io.Reader, sum uint64) error {
	var f [8]byte
	if _, err := io.ReadFull(r, f[:]); err != nil {
		return eof(err, "integrity footer")
	}
	if want := binary.LittleEndian.Uint64(f[:]); want != sum {
		return fmt.Errorf("%w: footer 0x%016x, computed 0x%016x", tenso.ErrChecksum, want, sum)
	}
	return nil
}

func shapeBytes(dt tenso.DType, shape []int) (int64, error) {
	n := int64(dt.ItemSize())
	if n == 0 {
		return 0, fmt.Errorf("%w: dtype %v is not dense", tenso.ErrInvalid, dt)
	}
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dim %d", tenso.ErrInvalid, d)
		}
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > 1<<62 {
			return 0, fmt.Errorf("%w: tensor size overflows", tenso.ErrTooLarge)
		}
		n = int64(lo)
	}
	return n, nil
}
