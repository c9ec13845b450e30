package convert

import (
	"errors"
	"fmt"
	"io"

	tenso "github.com/tenso-go/tenso"
)

// Errors. Bad input files wrap ErrNpy, ErrSafetensors or (for Tenso input)
// one of the core sentinels; conversions a format cannot express wrap
// ErrUnsupported. Match with errors.Is.
var (
	ErrNpy         = errors.New("convert: bad .npy file")
	ErrSafetensors = errors.New("convert: bad safetensors file")
	ErrUnsupported = errors.New("convert: not convertible")
	ErrInvalid     = errors.New("convert: invalid option")
)

// Options control the Tenso side of a conversion. The zero value writes
// 64-byte-aligned packets without integrity footers.
type Options struct {
	Alignment int  // body alignment of written Tenso packets; 0 means 64
	Integrity bool // write XXH3-64 footers
}

// Limits of this package, matching what a Tenso writer accepts.
const (
	maxDims      = 32
	maxElements  = 1_000_000_000
	maxEntries   = 255
	chunkSize    = 1 << 20 // copy buffer
	peekSize     = 1 << 20 // Tenso headers must fit in this many bytes
	maxNpyHeader = 1 << 20
	maxSTHeader  = 100_000_000 // the safetensors library's own bound
)

// shapeElements validates a shape read from another format with the Tenso
// writer's own rule (tenso.AppendDenseHeader: rank, 32-bit dimensions,
// element count) and returns its element count. A shape the writer refuses
// is legal in that format but not convertible (ErrUnsupported).
func shapeElements(dt tenso.DType, shape []int) (int64, error) {
	var buf [256]byte
	if _, err := tenso.AppendDenseHeader(buf[:0], dt, shape, tenso.Options{}); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	n := int64(1)
	for _, d := range shape {
		n *= int64(d)
	}
	return n, nil
}

// coreOptions are the core encoder options of o; a bad alignment is an
// ErrInvalid error of this package (core says why).
func (o Options) coreOptions() (tenso.Options, error) {
	co := tenso.Options{Alignment: o.Alignment, Integrity: o.Integrity}
	if _, err := tenso.AppendDenseHeader(nil, tenso.Uint8, nil, co); err != nil {
		return co, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return co, nil
}

// copier moves bodies through one reused buffer, optionally byte-swapping
// them.
type copier struct {
	buf []byte
}

func (c *copier) buffer() []byte {
	if c.buf == nil {
		c.buf = make([]byte, chunkSize)
	}
	return c.buf
}

// copyN copies exactly n bytes from src to dst. swap > 1 reverses the bytes
// of every swap-sized unit (big-endian input). truncated builds the error
// for a short source.
func (c *copier) copyN(dst io.Writer, src io.Reader, n int64, swap int, truncated func(got int64) error) error {
	buf := c.buffer()
	var done int64
	for done < n {
		k := int64(len(buf))
		if n-done < k {
			k = n - done
		}
		m, err := io.ReadFull(src, buf[:k])
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return truncated(done + int64(m))
			}
			return err
		}
		b := buf[:k]
		if swap > 1 {
			swapUnits(b, swap)
		}
		if _, err := dst.Write(b); err != nil {
			return err
		}
		done += k
	}
	return nil
}

func swapUnits(b []byte, unit int) {
	for i := 0; i+unit <= len(b); i += unit {
		u := b[i : i+unit]
		for l, r := 0, unit-1; l < r; l, r = l+1, r-1 {
			u[l], u[r] = u[r], u[l]
		}
	}
}

// expectEOF fails if r has more bytes.
func expectEOF(r io.Reader, sentinel error, what string) error {
	var b [1]byte
	n, err := io.ReadFull(r, b[:])
	if n > 0 {
		return fmt.Errorf("%w: unexpected bytes after %s", sentinel, what)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
