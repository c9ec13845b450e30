package gpu

import (
	"errors"
	"fmt"
	"io"

	tenso "github.com/tenso-go/tenso"
)

// maxStreamAlignment is the alignment limit when the caller's Limits set
// none: the padding before a streamed body is read into host memory, so
// larger alignments are refused rather than buffered.
const maxStreamAlignment = 1 << 20

// readDenseHeader reads the header of one uncompressed dense packet from r
// with the codec's streaming reader, which reads nothing past the packet,
// and returns its description and its body: exactly Info.DataSize bytes,
// then io.EOF once the integrity footer, if any, has been verified (an
// ErrChecksum error instead). Anything but an uncompressed dense packet is
// an error: compressed bodies need the host, other kinds are not tensors.
func readDenseHeader(r io.Reader, l tenso.Limits) (tenso.Info, io.Reader, error) {
	if l.MaxAlignment <= 0 {
		l.MaxAlignment = maxStreamAlignment
	}
	cr := tenso.NewReaderLimits(r, l)
	info, err := cr.ReadHeader()
	switch {
	case errors.Is(err, tenso.ErrUnframed):
		return tenso.Info{}, nil, fmt.Errorf("%w: %w; decode it on the host (tenso.Decode) and Upload", tenso.ErrUnsupported, err)
	case err != nil:
		return tenso.Info{}, nil, err
	case info.Kind != tenso.KindDense:
		return tenso.Info{}, nil, fmt.Errorf("%w: a %v packet is not a dense tensor", tenso.ErrUnsupported, info.Kind)
	}
	return info, cr.Body(), nil
}

// finishBody reads body (readDenseHeader's) to its end, which verifies
// the integrity footer.
func finishBody(body io.Reader) error {
	_, err := io.Copy(io.Discard, body)
	return err
}

// denseWriter validates a device tensor's description with the codec's
// writer (as Encode would write it: the one header writer) before
// anything reaches w, then writes its header to w. Write the body to the
// result and Close it (which writes the footer).
func denseWriter(w io.Writer, dt tenso.DType, shape []int, nbytes int64, o WriteOptions) (*tenso.DenseWriter, error) {
	opts := tenso.Options{Alignment: o.Alignment, Integrity: o.Integrity}
	probe, err := tenso.NewDenseWriter(io.Discard, dt, shape, opts)
	if err != nil {
		return nil, err
	}
	if probe.Remaining() != nbytes {
		return nil, fmt.Errorf("%w: device tensor of %d bytes (freed?) for shape %v of %v, which needs %d", tenso.ErrInvalid, nbytes, shape, dt, probe.Remaining())
	}
	return tenso.NewDenseWriter(w, dt, shape, opts)
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
// read into the other one.
func upload(r io.Reader, n int64, s stager) error {
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
			return err
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
// copy of the next chunk runs while the previous one is written.
func download(w io.Writer, n int64, s stager) (int64, error) {
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

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	m, err := c.w.Write(p)
	c.n += int64(m)
	return m, err
}
