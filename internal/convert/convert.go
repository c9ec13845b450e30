package convert

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/tenso-go/tenso/core"
	"github.com/zeebo/xxh3"
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
// writer's own rule (core.AppendDenseHeader: rank, 32-bit dimensions,
// element count) and returns its element count. A shape the writer refuses
// is legal in that format but not convertible (ErrUnsupported).
func shapeElements(dt core.DType, shape []int) (int64, error) {
	var buf [256]byte
	if _, err := core.AppendDenseHeader(buf[:0], dt, shape, core.Options{}); err != nil {
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
func (o Options) coreOptions() (core.Options, error) {
	co := core.Options{Alignment: o.Alignment, Integrity: o.Integrity}
	if _, err := core.AppendDenseHeader(nil, core.Uint8, nil, co); err != nil {
		return co, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return co, nil
}

// copier moves bodies through one reused buffer, optionally hashing and
// byte-swapping them.
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
// of every swap-sized unit (big-endian input). If h is not nil it hashes the
// bytes as written. truncated builds the error for a short source.
func (c *copier) copyN(dst io.Writer, src io.Reader, n int64, swap int, h *xxh3.Hasher, truncated func(got int64) error) error {
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
		if h != nil {
			_, _ = h.Write(b)
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

// tensoValue is a dense value located inside a Tenso file.
type tensoValue struct {
	key        string
	dtype      core.DType
	shape      []int
	start      int64 // offset of the value packet in the file
	length     int64 // packet length; -1 when it runs to the end of the file
	body       int64 // offset of the body in the file
	bodyLen    int64 // on-wire body length (uncompressed only)
	dataLen    int64 // decoded length: elements × item size
	compressed bool
	integrity  bool
	entry      bool // a bundle entry (named by key), not the top-level packet
}

// what names v in error messages: "the packet" or `bundle value "key"`.
func (v tensoValue) what() string {
	if v.entry {
		return fmt.Sprintf("bundle value %q", v.key)
	}
	return "the packet"
}

// inspectDense reads the header of the dense packet at the reader's
// position (file offset at) through br and describes it; a non-empty key
// marks a bundle entry.
func inspectDense(br *bufio.Reader, at int64, key string) (tensoValue, error) {
	// Most headers fit 4 KiB; large custom alignments need up to peekSize.
	var in core.Info
	for _, n := range []int{4 << 10, peekSize} {
		p, err := br.Peek(n)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return tensoValue{}, err
		}
		in, err = core.Inspect(p)
		if err == nil {
			break
		}
		if len(p) < n || n == peekSize {
			return tensoValue{}, err
		}
	}
	what := tensoValue{key: key, entry: key != ""}.what()
	if in.Kind != core.KindDense {
		return tensoValue{}, fmt.Errorf("%w: %s is a %s value; only dense tensors convert", ErrUnsupported, what, kindName(in.Kind))
	}
	v := tensoValue{
		key: key, entry: key != "", dtype: in.DType, shape: in.Shape, start: at, length: -1,
		body: at + int64(in.BodyOffset), bodyLen: in.DataSize,
		dataLen:    in.Elements * int64(in.DType.ItemSize()),
		compressed: in.Compressed, integrity: in.Integrity,
	}
	if !v.compressed && v.bodyLen != v.dataLen {
		return tensoValue{}, fmt.Errorf("%w: %s has a %d-byte body for %d data bytes", core.ErrCorrupt, what, v.bodyLen, v.dataLen)
	}
	return v, nil
}

func kindName(k core.Kind) string {
	switch k {
	case core.KindDense:
		return "dense"
	case core.KindQuantized:
		return "quantized"
	case core.KindString:
		return "string"
	case core.KindRaggedFrame, core.KindRagged:
		return "ragged"
	case core.KindBundle:
		return "bundle"
	case core.KindSparseCOO, core.KindSparseCSR, core.KindSparseCSC:
		return "sparse"
	case core.KindIPCRef:
		return "GPU IPC reference"
	}
	return fmt.Sprintf("kind %d", k)
}

// writeBody writes the decoded body of v, read from src positioned at
// v.start (compressed) or v.body (uncompressed), verifying the integrity
// footer when the packet has one.
func (c *copier) writeBody(dst io.Writer, src io.Reader, v tensoValue) error {
	what := v.what()
	if v.compressed {
		// LZ4 frames are decoded whole: one value in memory at a time.
		var t core.Value
		var err error
		if v.length >= 0 {
			p := make([]byte, v.length)
			if _, err := io.ReadFull(src, p); err != nil {
				return fmt.Errorf("%w: %s is truncated", core.ErrCorrupt, what)
			}
			t, err = core.Decode(p)
		} else {
			// A top-level compressed packet runs to the end of the file.
			p, rerr := io.ReadAll(src)
			if rerr != nil {
				return rerr
			}
			t, err = core.Decode(p)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		_, err = dst.Write(t.(*core.Tensor).Data)
		return err
	}
	var h *xxh3.Hasher
	if v.integrity {
		h = xxh3.New()
	}
	err := c.copyN(dst, src, v.bodyLen, 0, h, func(got int64) error {
		return fmt.Errorf("%w: %s is truncated: body has %d of %d bytes", core.ErrCorrupt, what, got, v.bodyLen)
	})
	if err != nil {
		return err
	}
	if h != nil {
		var f [8]byte
		if _, err := io.ReadFull(src, f[:]); err != nil {
			return fmt.Errorf("%w: %s is truncated: integrity footer missing", core.ErrCorrupt, what)
		}
		want, got := binary.LittleEndian.Uint64(f[:]), h.Sum64()
		if want != got {
			return fmt.Errorf("%w: %s: footer 0x%016x, computed 0x%016x", core.ErrChecksum, what, want, got)
		}
	}
	return nil
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
