package tensohttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tenso-go/tenso"
)

// Client defaults.
const (
	DefaultClientTimeout    = 30 * time.Second // the reference client's timeout
	DefaultMaxResponseBytes = 1 << 32          // 4 GiB
	maxErrorBody            = 64 << 10
	flattenBelow            = 64 << 10
)

// ClientOptions configure a Client. The zero value is the reference
// client's behaviour: 30 s timeout, no integrity footer, no extra headers.
type ClientOptions struct {
	// HTTPClient to use; nil means a client of this package with its own
	// connection pool (keep-alive, up to 64 idle connections per host).
	HTTPClient *http.Client
	// Timeout of a whole call when HTTPClient is nil (default 30 s, like
	// the reference; negative: none). Contexts bound calls as well.
	Timeout time.Duration
	// Integrity adds an XXH3 footer to request packets (the reference's
	// check_integrity). Footers on responses are always verified.
	Integrity bool
	// Header holds extra headers sent with every request (authentication,
	// tracing). Content-Type is always application/octet-stream.
	Header http.Header
	// Limits are the decoder limits for response packets.
	Limits tenso.Limits
	// MaxResponseBytes bounds a response body (default 4 GiB).
	MaxResponseBytes int64
}

// Client calls Tenso endpoints. It is safe for concurrent use.
type Client struct {
	base   *url.URL
	hc     *http.Client
	own    bool
	opts   ClientOptions
	header http.Header
	urls   sync.Map // path → URL string
}

// NewClient returns a client for the server at baseURL
// (e.g. "http://127.0.0.1:8000").
func NewClient(baseURL string, o ClientOptions) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("tensohttp: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("tensohttp: base URL %q: scheme must be http or https", baseURL)
	}
	c := &Client{base: u, hc: o.HTTPClient, opts: o, header: o.Header.Clone()}
	if c.hc == nil {
		c.own = true
		tr := http.DefaultTransport.(*http.Transport).Clone()
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return vecConn{nc}, nil
		}
		tr.MaxIdleConns = 256
		tr.MaxIdleConnsPerHost = 64
		tr.WriteBufferSize = 64 << 10
		tr.ReadBufferSize = 64 << 10
		c.hc = &http.Client{Transport: tr, Timeout: dur(o.Timeout, DefaultClientTimeout)}
	}
	if c.opts.MaxResponseBytes <= 0 {
		c.opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return c, nil
}

// Close drops the client's idle connections.
func (c *Client) Close() {
	if c.own {
		c.hc.CloseIdleConnections()
	}
}

func (c *Client) url(path string) string {
	if s, ok := c.urls.Load(path); ok {
		return s.(string)
	}
	s := c.buildURL(path)
	c.urls.Store(path, s)
	return s
}

func (c *Client) buildURL(path string) string {
	u := *c.base
	ref, err := url.Parse(path)
	if err != nil || ref.IsAbs() || ref.Host != "" {
		u.Path = c.base.Path + "/" + strings.TrimLeft(path, "/")
		return u.String()
	}
	u.Path = c.base.Path + "/" + strings.TrimLeft(ref.Path, "/")
	u.RawQuery = ref.RawQuery
	return u.String()
}

// do posts the packet given as buffers and returns the response of a 2xx
// status; any other status is turned into a *StatusError.
func (c *Client) do(ctx context.Context, path string, bufs [][]byte, total int64) (*http.Response, error) {
	var req *http.Request
	var err error
	if total <= flattenBelow || len(bufs) == 1 {
		// net/http writes the headers and a body of a known in-memory type
		// in one write; for any other body type it flushes the headers
		// first, which costs a round of syscalls and wake-ups per call.
		// Small packets are cheaper to copy than that.
		flat := bufs[0]
		if len(bufs) > 1 {
			flat = make([]byte, 0, total)
			for _, b := range bufs {
				flat = append(flat, b...)
			}
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.url(path), bytes.NewReader(flat))
	} else {
		// Large packets: the tensor bodies are read from the value itself,
		// never concatenated into a packet.
		body := &vecBody{bufs: bufs, n: total} // GetBody replays it
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.url(path), body)
		if err == nil {
			req.ContentLength = total
			req.GetBody = func() (io.ReadCloser, error) {
				return &vecBody{bufs: bufs, n: total}, nil
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("tensohttp: %w", err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	ct := new([1]string)
	ct[0] = ContentType
	req.Header["Content-Type"] = ct[:]
	req.Header["Accept"] = ct[:]
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("tensohttp: POST %s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		defer drainClose(resp.Body)
		return nil, statusError(http.MethodPost, path, resp)
	}
	return resp, nil
}

func statusError(method, path string, resp *http.Response) *StatusError {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	se := &StatusError{Method: method, URL: path, StatusCode: resp.StatusCode, Status: resp.Status}
	var js struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(b, &js) == nil && len(js.Detail) > 0 {
		var s string
		if json.Unmarshal(js.Detail, &s) == nil {
			se.Detail = s
		} else {
			se.Detail = string(js.Detail) // FastAPI validation errors: a list
		}
		return se
	}
	se.Detail = strings.TrimSpace(string(bytes.ToValidUTF8(b, []byte("?"))))
	return se
}

// drainClose reads what is left of a small body so the connection can be
// reused, then closes it.
func drainClose(body io.ReadCloser) {
	bp := drainBufs.Get().(*[]byte)
	for left := 256 << 10; left > 0; {
		n, err := body.Read(*bp)
		left -= n
		if err != nil || n == 0 {
			break
		}
	}
	drainBufs.Put(bp)
	body.Close()
}

var drainBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (c *Client) encode(v tenso.Value, compress bool) ([][]byte, int64, error) {
	if v == nil {
		return nil, 0, fmt.Errorf("%w: nil value", tenso.ErrInvalid)
	}
	return tenso.Segments(v, tenso.Options{Integrity: c.opts.Integrity, Compress: compress})
}

// Predict posts v to path and decodes the response. compress LZ4-compresses
// dense request bodies (the reference's compress argument). The result owns
// its memory. A non-2xx answer is a *StatusError carrying the server's
// detail message; a truncated or bad response packet is an error wrapping
// io.ErrUnexpectedEOF or a tenso sentinel.
func (c *Client) Predict(ctx context.Context, path string, v tenso.Value, compress bool) (tenso.Value, error) {
	bufs, total, err := c.encode(v, compress)
	if err != nil {
		return nil, err
	}
	_, out, err := c.post(ctx, path, bufs, total)
	return out, err
}

// PredictPacket posts an already encoded packet (sent byte for byte) and
// returns the response packet, checked to decode. It is what `tenso
// predict` uses.
func (c *Client) PredictPacket(ctx context.Context, path string, packet []byte) ([]byte, error) {
	body, _, err := c.post(ctx, path, [][]byte{packet}, int64(len(packet)))
	return body, err
}

// post sends the packet in bufs (total bytes) to path and returns the
// response packet with its decoded value.
func (c *Client) post(ctx context.Context, path string, bufs [][]byte, total int64) ([]byte, tenso.Value, error) {
	resp, err := c.do(ctx, path, bufs, total)
	if err != nil {
		return nil, nil, err
	}
	defer drainClose(resp.Body)
	body, _, err := readBody(resp.Body, resp.ContentLength, c.opts.MaxResponseBytes, false, nil)
	if err != nil {
		return nil, nil, responseError(path, err)
	}
	out, err := tenso.DecodeWith(body, c.opts.Limits)
	if err != nil {
		return nil, nil, fmt.Errorf("tensohttp: POST %s: response: %w", path, err)
	}
	return body, out, nil
}

// responseError turns a readBody refusal of a response into a client error.
func responseError(path string, err error) error {
	var he *HTTPError
	if errors.As(err, &he) {
		switch he.Status {
		case http.StatusRequestEntityTooLarge:
			return fmt.Errorf("tensohttp: POST %s: response: %w: body over the client's MaxResponseBytes", path, tenso.ErrTooLarge)
		default:
			if he.Err != nil {
				if errors.Is(he.Err, io.EOF) {
					return fmt.Errorf("tensohttp: POST %s: response truncated: %w", path, io.ErrUnexpectedEOF)
				}
				return fmt.Errorf("tensohttp: POST %s: reading response: %w", path, he.Err)
			}
		}
	}
	return fmt.Errorf("tensohttp: POST %s: reading response: %w", path, err)
}

// StreamPredict posts v and decodes the response through the streaming
// reader as it arrives: memory grows with the bytes received, and a
// truncated response fails as soon as the connection ends. The response
// must be exactly one streamable packet; a top-level compressed dense
// answer (no length framing) fails with tenso.ErrUnframed — use Predict
// for servers that compress responses.
func (c *Client) StreamPredict(ctx context.Context, path string, v tenso.Value) (tenso.Value, error) {
	var out tenso.Value
	n := 0
	err := c.StreamPredictEach(ctx, path, v, func(x tenso.Value) error {
		out = x
		n++
		if n > 1 {
			return fmt.Errorf("tensohttp: POST %s: response holds more than one packet", path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("tensohttp: POST %s: empty response: %w", path, io.ErrUnexpectedEOF)
	}
	return out, nil
}

// StreamPredictEach posts v and calls fn for each packet of the response,
// read back to back through the streaming reader (a server answering with
// a sequence of tensors). Each value owns its memory. It stops at the
// first error from fn, the reader or ctx.
func (c *Client) StreamPredictEach(ctx context.Context, path string, v tenso.Value, fn func(tenso.Value) error) error {
	bufs, total, err := c.encode(v, false)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, path, bufs, total)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body := io.Reader(resp.Body)
	if resp.ContentLength > c.opts.MaxResponseBytes {
		return fmt.Errorf("tensohttp: POST %s: response: %w: body over the client's MaxResponseBytes", path, tenso.ErrTooLarge)
	}
	body = &capReader{r: body, left: c.opts.MaxResponseBytes}
	rd := tenso.NewReaderLimits(body, c.opts.Limits)
	for {
		x, err := rd.ReadContext(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tensohttp: POST %s: response: %w", path, err)
		}
		if err := fn(x); err != nil {
			return err
		}
	}
}

// capReader fails once more than left bytes have been read.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, fmt.Errorf("%w: response body over the client's MaxResponseBytes", tenso.ErrTooLarge)
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, fmt.Errorf("%w: response body over the client's MaxResponseBytes", tenso.ErrTooLarge)
	}
	return n, err
}

// Health calls the server's health endpoint (GET /health).
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/health"), nil)
	if err != nil {
		return h, fmt.Errorf("tensohttp: %w", err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return h, fmt.Errorf("tensohttp: GET /health: %w", err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode/100 != 2 {
		return h, statusError(http.MethodGet, "/health", resp)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&h); err != nil {
		return h, fmt.Errorf("tensohttp: GET /health: %w", err)
	}
	return h, nil
}

// vecBody is a request body made of the packet's buffers (header, tensor
// bodies aliasing the value's memory).
type vecBody struct {
	bufs net.Buffers
	n    int64 // bytes left
}

// Close implements io.Closer, so that net/http hands the body itself (not
// a wrapper) to the connection's ReadFrom.
func (b *vecBody) Close() error { return nil }

func (b *vecBody) Read(p []byte) (int, error) {
	n, err := b.bufs.Read(p)
	b.n -= int64(n)
	return n, err
}

// vecConn is the connection type of the Client's own transport. net/http
// copies a request body of a type it does not know through io.Copy in
// 32 KiB chunks; vecConn recognises the copy of a vecBody and writes the
// buffers with one vectored write (writev) instead, so large tensors go
// from the value's memory to the socket without a copy. Other copies take
// the connection's own path.
type vecConn struct{ net.Conn }

func (c vecConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		if vb, ok := lr.R.(*vecBody); ok && vb.n <= lr.N {
			n, err := vb.bufs.WriteTo(c.Conn)
			vb.n -= n
			lr.N -= n
			return n, err
		}
	}
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}
