package tensohttp

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/sysio"
	"github.com/tenso-go/tenso/native/budget"
)

// DefaultMaxBodyBytes is the default request body limit: 256 MiB, the
// reference's gRPC message limit.
const DefaultMaxBodyBytes = 256 << 20

var errNilValue = errors.New("tensohttp: endpoint returned a nil value")

// RequestOptions configure ReadRequest.
type RequestOptions struct {
	MaxBytes int64        // body limit; 0 means DefaultMaxBodyBytes
	Limits   tenso.Limits // decoder limits (zero: the defaults)
}

func (o RequestOptions) maxBytes() int64 {
	if o.MaxBytes <= 0 {
		return DefaultMaxBodyBytes
	}
	return o.MaxBytes
}

// CheckContentType reports whether r carries application/octet-stream.
// Media type parameters and case are tolerated (the reference compares the
// header string exactly, so it refuses "application/octet-stream; x=y").
func CheckContentType(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == ContentType {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == ContentType
}

// ReadRequest checks the content type, reads the body under the size limit
// and decodes it. The returned value owns its buffer. Every refusal is an
// *HTTPError with the reference's status: 400 (content type), 413 (too
// large), 422 (bad packet, with the decode error's text), 408 (the body
// did not arrive before the server's read deadline), 400 (body cut short).
func ReadRequest(r *http.Request, o RequestOptions) (tenso.Value, error) {
	if !CheckContentType(r) {
		return nil, &HTTPError{Status: http.StatusBadRequest, Detail: DetailContentType}
	}
	body, _, err := readBody(r.Body, r.ContentLength, o.maxBytes(), false, nil)
	if err != nil {
		return nil, err
	}
	v, err := tenso.DecodeWith(body, budget.Limits(o.Limits, o.maxBytes()))
	if err != nil {
		return nil, BadPacket(err)
	}
	return v, nil
}

func tooLarge(max int64) *HTTPError {
	return &HTTPError{Status: http.StatusRequestEntityTooLarge,
		Detail: fmt.Sprintf("Request body too large: the limit is %d bytes.", max)}
}

// readBody reads a whole body of declared length n (-1: unknown) into an
// aligned buffer, refusing more than max bytes. Without a lease a declared
// length is allocated at once (it is at most max). With one, the buffer
// grows with the bytes that arrive (from at most firstKnown for a declared
// length, 64 KiB otherwise, doubling), and every allocation is reserved
// from the lease's budget first: a client that declares a large body and
// sends little holds little. A budget refusal is returned as is.
func readBody(body io.Reader, n, max int64, pooled bool, l *lease) ([]byte, *pooledBuf, error) {
	if n > max {
		return nil, nil, tooLarge(max)
	}
	if body == nil || n == 0 {
		return []byte{}, nil, nil
	}
	var held int64 // bytes of the current buffer reserved in l
	get := func(size int) (*pooledBuf, error) {
		if l != nil {
			if err := l.grow(int64(size)); err != nil {
				return nil, err
			}
		}
		if pooled {
			return getBuf(size), nil
		}
		return &pooledBuf{b: sysio.AlignedBytes(size, size)}, nil
	}
	put := func(pb *pooledBuf, size int64) {
		putBuf(pb)
		if l != nil {
			l.shrink(size)
		}
	}
	if n > 0 && (l == nil || n <= firstKnown) {
		// Known length: one exact buffer. The limit above bounds it.
		pb, err := get(int(n))
		if err != nil {
			return nil, nil, err
		}
		buf := pb.b[:n]
		if _, err := io.ReadFull(body, buf); err != nil {
			put(pb, n)
			return nil, nil, bodyError(err)
		}
		return buf, pb, nil
	}
	// Unknown length (chunked), or a large declared one under a budget:
	// grow as bytes arrive, up to end: max+1 for chunked bodies so that one
	// longer than the limit is seen, n for a declared length.
	// A declared length needs no extra byte: net/http ends the body there.
	limit, end := max, max+1
	size := int64(64 << 10)
	if n > 0 {
		limit, end, size = n, n, firstKnown
	}
	if size > end {
		size = end
	}
	pb, err := get(int(size))
	if err != nil {
		return nil, nil, err
	}
	held = size
	buf := pb.b[:0:size]
	for {
		if n > 0 && int64(len(buf)) == n {
			return buf, pb, nil
		}
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				put(pb, held)
				return nil, nil, tooLarge(max)
			}
			nsize := int64(cap(buf)) * 2
			if nsize > end {
				nsize = end
			}
			npb, err := get(int(nsize))
			if err != nil {
				put(pb, held)
				return nil, nil, err
			}
			nbuf := npb.b[:len(buf):nsize]
			copy(nbuf, buf)
			put(pb, held)
			pb, buf, held = npb, nbuf, nsize
		}
		m, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if int64(len(buf)) > limit {
			put(pb, held)
			return nil, nil, tooLarge(max)
		}
		if err == io.EOF {
			if n > 0 && int64(len(buf)) < n {
				put(pb, held)
				return nil, nil, bodyError(io.ErrUnexpectedEOF)
			}
			return buf, pb, nil
		}
		if err != nil {
			put(pb, held)
			return nil, nil, bodyError(err)
		}
	}
}

// firstKnown is the first buffer for a declared body length under a
// budget; larger bodies grow from it as they arrive.
const firstKnown = 1 << 20

func bodyError(err error) *HTTPError {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return tooLarge(mbe.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &HTTPError{Status: http.StatusRequestTimeout, Detail: DetailTimeout, Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &HTTPError{Status: http.StatusBadRequest, Detail: "Request body shorter than its Content-Length.", Err: err}
	}
	return &HTTPError{Status: http.StatusBadRequest, Detail: "Could not read the request body.", Err: err}
}
