package convert

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	tenso "github.com/tenso-go/tenso"
)

// Tenso input is read by the codec alone: tenso.Inspect on the file's first
// bytes for the top-level packet, tenso.Reader to walk bundles and stream
// bodies (it verifies integrity footers, and decodes a compressed value
// inside a bundle whole). Nothing here parses the format.

// denseValue is a dense tensor of a Tenso file.
type denseValue struct {
	key   string // the bundle entry's key; DefaultTensorName at top level
	entry bool   // a bundle entry, not the top-level packet
	dtype tenso.DType
	shape []int
	size  int64 // decoded body bytes
}

// what names v in error messages: "the packet" or `bundle value "key"`.
func (v denseValue) what() string {
	if v.entry {
		return fmt.Sprintf("bundle value %q", v.key)
	}
	return "the packet"
}

// topInfo describes the top-level packet from the first bytes of br (which
// keeps them for whoever reads the packet next).
func topInfo(br *bufio.Reader) (tenso.Info, error) {
	// Most headers fit 4 KiB; large custom alignments need up to peekSize.
	for _, n := range []int{4 << 10, peekSize} {
		p, err := br.Peek(n)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return tenso.Info{}, err
		}
		in, err := tenso.Inspect(p)
		if err == nil {
			return in, nil
		}
		if len(p) < n || n == peekSize {
			return tenso.Info{}, err
		}
	}
	panic("unreachable")
}

// denseOf checks that in describes a dense tensor and returns it as v
// names it.
func denseOf(in tenso.Info, v denseValue) (denseValue, error) {
	if in.Kind != tenso.KindDense {
		return denseValue{}, fmt.Errorf("%w: %s is a %s value; only dense tensors convert", ErrUnsupported, v.what(), kindName(in.Kind))
	}
	v.dtype, v.shape, v.size = in.DType, in.Shape, in.DataSize
	return v, nil
}

func kindName(k tenso.Kind) string {
	switch k {
	case tenso.KindDense:
		return "dense"
	case tenso.KindQuantized:
		return "quantized"
	case tenso.KindString:
		return "string"
	case tenso.KindRaggedFrame, tenso.KindRagged:
		return "ragged"
	case tenso.KindBundle:
		return "bundle"
	case tenso.KindSparseCOO, tenso.KindSparseCSR, tenso.KindSparseCSC:
		return "sparse"
	case tenso.KindIPCRef:
		return "GPU IPC reference"
	}
	return fmt.Sprintf("kind %d", k)
}

// readErr names the value an error of the Reader is about; a file that
// ends early is corrupt (ErrCorrupt), not an interrupted stream.
func readErr(err error, what string) error {
	if errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, tenso.ErrCorrupt) {
		return fmt.Errorf("%w: %s is truncated: %w", tenso.ErrCorrupt, what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// writeBody writes the decoded body of v, the value whose header r has
// just read; reading it to the end verifies its integrity footer.
func (c *copier) writeBody(dst io.Writer, r *tenso.Reader, v denseValue) error {
	n, err := io.CopyBuffer(onlyWriter{dst}, r.Body(), c.buffer())
	if err != nil {
		return readErr(err, v.what())
	}
	if n != v.size {
		return fmt.Errorf("%w: %s has %d body bytes, its header says %d", tenso.ErrCorrupt, v.what(), n, v.size)
	}
	return nil
}

// onlyWriter hides a writer's ReadFrom, so io.CopyBuffer uses the copier's
// buffer.
type onlyWriter struct{ io.Writer }

// writeTop writes the decoded body of the top-level dense packet v, read
// through br from its first byte: streamed, or for a compressed packet
// (which runs to the end of the file) decoded whole in memory.
func (c *copier) writeTop(dst io.Writer, br *bufio.Reader, v denseValue, compressed bool) error {
	if compressed {
		p, err := io.ReadAll(br)
		if err != nil {
			return err
		}
		t, err := tenso.DecodeExact(p, tenso.Limits{})
		if err != nil {
			return readErr(err, v.what())
		}
		_, err = dst.Write(t.(*tenso.Tensor).Data)
		return err
	}
	r := tenso.NewReader(br)
	if _, err := r.ReadHeader(); err != nil {
		return readErr(err, v.what())
	}
	return c.writeBody(dst, r, v)
}

// eachEntry walks the bundle at the start of src, calling fn with the
// Reader positioned at each entry's body (dense values only: anything else
// is ErrUnsupported). A body fn leaves unread is skipped by seeking.
func eachEntry(src io.ReadSeeker, fn func(r *tenso.Reader, v denseValue) error) error {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := tenso.NewReader(src)
	top, err := r.ReadHeader()
	if err != nil {
		return readErr(err, "the packet")
	}
	for i := 0; i < top.Count; i++ {
		key, err := r.ReadEntry()
		if err != nil {
			return readErr(err, fmt.Sprintf("bundle entry %d", i))
		}
		v := denseValue{key: key, entry: true}
		in, err := r.ReadHeader()
		if errors.Is(err, tenso.ErrUnsupported) {
			return fmt.Errorf("%w: %s is not a dense tensor: %w", ErrUnsupported, v.what(), err)
		}
		if err != nil {
			return readErr(err, v.what())
		}
		if v, err = denseOf(in, v); err != nil {
			return err
		}
		if err := fn(r, v); err != nil {
			return err
		}
	}
	return nil
}
