package tensohttp

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/pytuple"
)

// ContentType is the media type of Tenso bodies, as in the reference.
const ContentType = "application/octet-stream"

// Header names set on Tenso responses, as in the reference's TensoResponse.
const (
	HeaderVersion = "X-Tenso-Version"
	HeaderShape   = "X-Tenso-Shape"
	HeaderDType   = "X-Tenso-Dtype"
)

// ResponseOptions configure WriteResponse. The zero value writes an
// uncompressed, 64-byte aligned packet without integrity footer, status 200.
type ResponseOptions struct {
	Encode   tenso.Options // alignment, XXH3 footer, LZ4 compression
	Filename string        // if set: Content-Disposition: attachment; filename="…"
	Status   int           // 0 means 200
}

// ShapeString formats a shape as Python's str() of a tuple, the form of the
// reference's X-Tenso-Shape header: "(2, 3)", "(5,)" for one dimension,
// "()" for a 0-d tensor.
func ShapeString(shape []int) string { return pytuple.Format(shape) }

// ParseShape parses the X-Tenso-Shape form written by ShapeString (and by
// Python's str(tuple)).
func ParseShape(s string) ([]int, bool) { return pytuple.Parse(s) }

// shapeAndDType returns what the reference would put in X-Tenso-Shape and
// X-Tenso-Dtype: it sets them for objects with .shape/.dtype (NumPy arrays,
// SciPy sparse matrices, quantized tensors), not for dicts (bundles).
func shapeAndDType(v tenso.Value) (shape []int, dtype string, ok bool) {
	switch t := v.(type) {
	case *tenso.Tensor:
		return t.Shape, t.DType.String(), true
	case *tenso.Quantized:
		return t.Shape, t.DType.String(), true
	case *tenso.Sparse:
		if t.Data != nil {
			return t.Shape, t.Data.DType.String(), true
		}
	}
	return nil, "", false
}

// SetHeaders sets the reference's response headers for v on h: Content-Type,
// X-Tenso-Version: 4, and for dense, quantized and sparse values
// X-Tenso-Shape and X-Tenso-Dtype; Content-Disposition if filename is set.
func SetHeaders(h http.Header, v tenso.Value, filename string) {
	setHeaders(h, v, filename, -1)
}

// setHeaders is SetHeaders plus Content-Length when length >= 0. The
// values share one allocation (the keys are already canonical).
func setHeaders(h http.Header, v tenso.Value, filename string, length int64) {
	vals := new([5]string)
	vals[0], vals[1] = ContentType, "4"
	h["Content-Type"] = vals[0:1:1]
	h[HeaderVersion] = vals[1:2:2]
	if shape, dtype, ok := shapeAndDType(v); ok {
		vals[2], vals[3] = ShapeString(shape), dtype
		h[HeaderShape] = vals[2:3:3]
		h[HeaderDType] = vals[3:4:4]
	}
	if length >= 0 {
		vals[4] = strconv.FormatInt(length, 10)
		h["Content-Length"] = vals[4:5:5]
	}
	if filename != "" {
		h.Set("Content-Disposition", contentDisposition(filename))
	}
}

func contentDisposition(name string) string {
	plain := true
	for _, r := range name {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return `attachment; filename="` + name + `"`
	}
	// RFC 2231/5987 encoding for names a quoted string cannot carry.
	if s := mime.FormatMediaType("attachment", map[string]string{"filename": name}); s != "" {
		return s
	}
	return "attachment"
}

// WriteResponse writes v as the whole response body with the reference's
// headers and an exact Content-Length. The packet is produced by
// tenso.Segments and written buffer by buffer: tensor bodies are handed to
// the connection without being copied into a packet first.
//
// An error from encoding (an invalid value) is returned before anything is
// written, so the caller can still answer with an error status. Errors
// after that are the connection's (a client that went away).
func WriteResponse(w http.ResponseWriter, v tenso.Value, o ResponseOptions) (int64, error) {
	return writeResponse(w, v, o, nil)
}

// writeResponse is WriteResponse; with a lease, the response's size counts
// in the budget while it is written (it is already allocated: it is
// forced in, holding back new requests, not refused).
func writeResponse(w http.ResponseWriter, v tenso.Value, o ResponseOptions, l *lease) (int64, error) {
	if v == nil {
		return 0, &HTTPError{Status: http.StatusInternalServerError, Detail: DetailInternal, Err: errNilValue}
	}
	bufs, total, err := tenso.Segments(v, o.Encode)
	if err != nil {
		return 0, err
	}
	if l != nil {
		l.b.Force(total)
		l.held += total
	}
	setHeaders(w.Header(), v, o.Filename, total)
	status := o.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	var n int64
	for _, b := range bufs {
		m, err := w.Write(b)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
