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
	v, _, err := readRequest(r, o, false)
	return v, err
}

// readRequest is ReadRequest; with pooled it reads into a recycled buffer
// that the caller must hand back with putBuf once done with the value.
func readRequest(r *http.Request, o RequestOptions, pooled bool) (tenso.Value, *pooledBuf, error) {
	if !CheckContentType(r) {
		return nil, nil, &HTTPError{Status: http.StatusBadRequest, Detail: DetailContentType}
	}
	body, pb, err := readBody(r.Body, r.ContentLength, o.maxBytes(), pooled)
	if err != nil {
		return nil, nil, err
	}
	v, err := tenso.DecodeWith(body, o.Limits)
	if err != nil {
		putBuf(pb)
		return nil, nil, &HTTPError{Status: http.StatusUnprocessableEntity, Detail: DetailBadPacket + err.Error(), Err: err}
	}
	return v, pb, nil
}

func tooLarge(max int64) *HTTPError {
	return &HTTPError{Status: http.StatusRequestEntityTooLarge,
		Detail: fmt.Sprintf("Request body too large: the limit is %d bytes.", max)}
}

// readBody reads a whole body of declared length n (-1: unknown) into an
// aligned buffer, refusing more than max bytes. A declared length is
// allocated at once (it is at most max, and the App bounds how many bodies
// are read at a time); an unknown length grows with the bytes that arrive.
func readBody(body io.Reader, n, max int64, pooled bool) ([]byte, *pooledBuf, error) {
	if n > max {
		return nil, nil, tooLarge(max)
	}
	if body == nil || n == 0 {
		return []byte{}, nil, nil
	}
	get := func(size int) *pooledBuf {
		if pooled {
			return getBuf(size)
		}
		return &pooledBuf{b: sysio.AlignedBytes(size, size)}
	}
	if n > 0 {
		// Known length: one exact buffer. The limit above bounds it.
		pb := get(int(n))
		buf := pb.b[:n]
		if _, err := io.ReadFull(body, buf); err != nil {
			putBuf(pb)
			return nil, nil, bodyError(err)
		}
		return buf, pb, nil
	}
	// Unknown length (chunked): grow as bytes arrive, up to max+1.
	const first = 64 << 10
	size := first
	if int64(size) > max+1 {
		size = int(max + 1)
	}
	pb := get(size)
	buf := pb.b[:0:size]
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > max {
				putBuf(pb)
				return nil, nil, tooLarge(max)
			}
			nsize := int64(cap(buf)) * 2
			if nsize > max+1 {
				nsize = max + 1
			}
			npb := get(int(nsize))
			nbuf := npb.b[:len(buf):nsize]
			copy(nbuf, buf)
			putBuf(pb)
			pb, buf = npb, nbuf
		}
		m, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if int64(len(buf)) > max {
			putBuf(pb)
			return nil, nil, tooLarge(max)
		}
		if err == io.EOF {
			return buf, pb, nil
		}
		if err != nil {
			putBuf(pb)
			return nil, nil, bodyError(err)
		}
	}
}

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
