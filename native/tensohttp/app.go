package tensohttp

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/budget"
)

// HandlerFunc is an endpoint: it receives the decoded request and returns
// the value to send back. The input is a view into the request body and is
// valid only during the call (see the package doc). Return an *HTTPError
// (see Error) to answer with a specific status; any other error answers 500
// with "Internal Server Error" and is logged.
type HandlerFunc func(ctx context.Context, in tenso.Value) (tenso.Value, error)

// Default server settings (Options zero values).
const (
	DefaultMaxConcurrent     = 64
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 120 * time.Second
	DefaultIdleTimeout       = 30 * time.Second // uvicorn's timeout_keep_alive in the reference's run()
	DefaultShutdownTimeout   = 10 * time.Second
	DefaultMaxHeaderBytes    = 1 << 20
)

// Options configure an App. The zero value is a sensible server: 256 MiB
// bodies, 64 concurrent requests, timeouts against slow clients, /health.
// Durations: 0 means the default, a negative value means no limit.
type Options struct {
	// MaxBodyBytes bounds a request body (default DefaultMaxBodyBytes);
	// larger bodies are answered 413 without being read.
	MaxBodyBytes int64
	// Limits are the decoder limits for request packets. A zero
	// MaxDecodedBytes means budget.DecodedPerBody × the body limit.
	Limits tenso.Limits
	// Integrity adds an XXH3 footer to responses (the reference's
	// check_integrity); an endpoint may override it.
	Integrity bool
	// Compress LZ4-compresses dense response bodies (the reference's
	// compress_response); an endpoint may override it.
	Compress bool
	// MaxConcurrent bounds the endpoint requests being handled or answered
	// at once (default DefaultMaxConcurrent); a request whose body has
	// arrived when every slot is taken is answered 503 at once, as
	// uvicorn's limit_concurrency does. Bodies are read before a slot is
	// taken (see the package doc). Negative: unbounded.
	MaxConcurrent int
	// Budget bounds the bytes held by requests in flight: bodies as they
	// arrive, decoded data, responses (see package budget). Several servers
	// may share one. Nil: a budget of MaxInflightBytes of the App's own.
	Budget *budget.Budget
	// MaxInflightBytes sizes the App's own budget when Budget is nil
	// (default budget.DefaultLimit, 1 GiB; negative: unbounded).
	MaxInflightBytes int64
	// MinBodyRate is the slowest request body accepted, in bytes per
	// second averaged since the request began, once BodyGrace has passed
	// (default DefaultMinBodyRate); slower bodies are answered 408.
	// Negative: no minimum (ReadTimeout still applies).
	MinBodyRate int64
	// BodyGrace is how long a body may arrive at any rate (default
	// DefaultBodyGrace).
	BodyGrace time.Duration
	// Server timeouts (see http.Server). ReadHeaderTimeout and ReadTimeout
	// cut off slowloris clients: a body that has not fully arrived within
	// ReadTimeout of the request's start is answered 408.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout is how long Run and Serve wait for requests in flight
	// after a signal or a cancelled context before closing connections.
	ShutdownTimeout time.Duration
	// NoHealth disables the health and stats endpoints; HealthPath moves
	// the health endpoint (default "/health"), StatsPath the stats one
	// (default HealthPath+"/stats"), which answers GET with the App's
	// gauges (Stats) as JSON.
	NoHealth   bool
	HealthPath string
	StatsPath  string
	// ErrorLog receives endpoint errors and the server's own errors; nil
	// means the standard logger.
	ErrorLog *log.Logger
}

func dur(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// EndpointOption configures one endpoint.
type EndpointOption func(*endpoint)

// Method sets the endpoint's HTTP method (default POST).
func Method(m string) EndpointOption {
	return func(e *endpoint) { e.method = strings.ToUpper(m) }
}

// Integrity overrides Options.Integrity for the endpoint's responses.
func Integrity(on bool) EndpointOption { return func(e *endpoint) { e.enc.Integrity = on } }

// Compress overrides Options.Compress for the endpoint's responses.
func Compress(on bool) EndpointOption { return func(e *endpoint) { e.enc.Compress = on } }

// MaxBodyBytes overrides Options.MaxBodyBytes for the endpoint.
func MaxBodyBytes(n int64) EndpointOption { return func(e *endpoint) { e.req.MaxBytes = n } }

// Filename sets a Content-Disposition filename on the endpoint's responses.
func Filename(name string) EndpointOption { return func(e *endpoint) { e.filename = name } }

// StreamHandlerFunc is a streaming endpoint: it receives the decoded
// request and calls send for each value of its answer; the values go out
// back to back in one chunked response, each flushed as it is sent (read
// them with Client.StreamPredictEach or any Tenso stream reader). An error
// returned before the first send answers with an error status like
// HandlerFunc; after it, the connection is aborted so that the client sees
// a truncated stream rather than a clean end.
type StreamHandlerFunc func(ctx context.Context, in tenso.Value, send func(tenso.Value) error) error

type endpoint struct {
	path     string
	method   string
	fn       HandlerFunc
	stream   StreamHandlerFunc
	enc      tenso.Options
	req      RequestOptions
	filename string
}

// App is an HTTP server of Tenso endpoints. It implements http.Handler.
type App struct {
	opts   Options
	sem    chan struct{}
	budget *budget.Budget
	ctr    counters

	minRate     int64
	grace       time.Duration
	readTimeout time.Duration

	mu    sync.RWMutex
	eps   map[string]*endpoint
	paths []string
}

// NewApp returns an App with the given options.
func NewApp(o Options) *App {
	if o.HealthPath == "" {
		o.HealthPath = "/health"
	}
	if o.StatsPath == "" {
		o.StatsPath = strings.TrimSuffix(o.HealthPath, "/") + "/stats"
	}
	a := &App{opts: o, eps: map[string]*endpoint{}, budget: o.Budget,
		grace: dur(o.BodyGrace, DefaultBodyGrace), readTimeout: dur(o.ReadTimeout, DefaultReadTimeout)}
	if a.budget == nil {
		a.budget = budget.New(o.MaxInflightBytes)
	}
	switch {
	case o.MinBodyRate == 0:
		a.minRate = DefaultMinBodyRate
	case o.MinBodyRate > 0:
		a.minRate = o.MinBodyRate
	}
	n := o.MaxConcurrent
	if n == 0 {
		n = DefaultMaxConcurrent
	}
	if n > 0 {
		a.sem = make(chan struct{}, n)
	}
	return a
}

// Endpoint registers fn at path (exact match). Registering a path again
// replaces its endpoint.
func (a *App) Endpoint(path string, fn HandlerFunc, opts ...EndpointOption) {
	e := &endpoint{path: path, method: http.MethodPost, fn: fn,
		enc: tenso.Options{Integrity: a.opts.Integrity, Compress: a.opts.Compress},
		req: RequestOptions{MaxBytes: a.opts.MaxBodyBytes, Limits: a.opts.Limits}}
	for _, o := range opts {
		o(e)
	}
	e.req.Limits = budget.Limits(e.req.Limits, e.req.maxBytes())
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, dup := a.eps[path]; !dup {
		a.paths = append(a.paths, path)
	}
	a.eps[path] = e
}

// StreamEndpoint registers a streaming endpoint at path. Its responses are
// never compressed at the top level (a stream cannot delimit a compressed
// dense packet); the Compress option is ignored.
func (a *App) StreamEndpoint(path string, fn StreamHandlerFunc, opts ...EndpointOption) {
	a.Endpoint(path, nil, opts...)
	a.mu.Lock()
	a.eps[path].stream = fn
	a.mu.Unlock()
}

// Endpoints returns the registered paths in registration order.
func (a *App) Endpoints() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return append([]string(nil), a.paths...)
}

func (a *App) logf(format string, args ...any) {
	if a.opts.ErrorLog != nil {
		a.opts.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// ServeHTTP implements http.Handler.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	a.mu.RLock()
	e := a.eps[r.URL.Path]
	a.mu.RUnlock()
	if e == nil {
		if !a.opts.NoHealth && (r.URL.Path == a.opts.HealthPath || r.URL.Path == a.opts.StatsPath) {
			a.health(w, r)
			return
		}
		WriteError(w, http.StatusNotFound, DetailNotFound)
		return
	}
	if r.Method != e.method {
		w.Header().Set("Allow", e.method)
		WriteError(w, http.StatusMethodNotAllowed, DetailMethod)
		return
	}
	// The body is read and its decoded size reserved before a handler slot
	// is taken: a slow body holds only what it has sent.
	in, pb, l, ok := a.admit(w, r, e, start)
	if !ok {
		return
	}
	defer l.release()
	defer putBuf(pb)
	if a.sem != nil {
		select {
		case a.sem <- struct{}{}:
			defer func() { <-a.sem }()
		default:
			a.reject(w, r, CauseBusy, &HTTPError{Status: http.StatusServiceUnavailable, Detail: DetailBusy})
			return
		}
	}
	a.serveEndpoint(w, r, e, in, l)
}

func (a *App) serveEndpoint(w http.ResponseWriter, r *http.Request, e *endpoint, in tenso.Value, l *lease) {
	if e.stream != nil {
		a.serveStream(w, r, e, in)
		return
	}
	out, err := e.fn(r.Context(), in)
	if err == nil && out == nil {
		err = errNilValue
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if _, err := writeResponse(w, out, ResponseOptions{Encode: e.enc, Filename: e.filename}, l); err != nil {
		var he *HTTPError
		if errors.As(err, &he) || isEncodeError(err) {
			a.fail(w, r, err) // nothing written yet
			return
		}
		// The client went away mid-response; nothing more to send.
	}
}

func (a *App) serveStream(w http.ResponseWriter, r *http.Request, e *endpoint, in tenso.Value) {
	enc := e.enc
	enc.Compress = false
	rc := http.NewResponseController(w)
	sw := tenso.NewWriter(w)
	sent := 0
	send := func(v tenso.Value) error {
		if v == nil {
			return errNilValue
		}
		if sent == 0 {
			SetHeaders(w.Header(), v, e.filename)
			w.Header().Del(HeaderShape) // describes the first value only
			w.Header().Del(HeaderDType)
			w.WriteHeader(http.StatusOK)
		}
		sent++
		if _, err := sw.Write(v, enc); err != nil {
			return err
		}
		return rc.Flush()
	}
	err := e.stream(r.Context(), in, send)
	switch {
	case err == nil && sent == 0:
		a.fail(w, r, errNilValue)
	case err == nil:
	case sent == 0:
		a.fail(w, r, err)
	default:
		if r.Context().Err() == nil {
			a.logf("tensohttp: %s %s: after %d values: %v", r.Method, r.URL.Path, sent, err)
		}
		panic(http.ErrAbortHandler) // the client must not see a clean end
	}
}

// isEncodeError reports an error from tenso.Segments (bad result value),
// which happens before any byte is written.
func isEncodeError(err error) bool {
	var fe *tenso.FormatError
	return errors.Is(err, tenso.ErrInvalid) || errors.Is(err, tenso.ErrUnsupported) ||
		errors.Is(err, tenso.ErrTooLarge) || errors.Is(err, tenso.ErrUnframed) || errors.As(err, &fe)
}

func (a *App) fail(w http.ResponseWriter, r *http.Request, err error) {
	var bad *HTTPError
	if errors.As(err, &bad) && (bad.Status < 400 || bad.Status > 599) {
		a.logf("tensohttp: %s %s: error status %d out of range 400..599: %v", r.Method, r.URL.Path, bad.Status, err)
	}
	he := StatusOf(err)
	if he.Status >= 500 {
		a.logf("tensohttp: %s %s: %v", r.Method, r.URL.Path, err)
	}
	if he.Status == http.StatusRequestTimeout || he.Status == http.StatusRequestEntityTooLarge {
		// The rest of the body may still be arriving: do not keep the
		// connection for another request.
		w.Header().Set("Connection", "close")
	}
	WriteError(w, he.Status, he.Detail)
}

// Health is the body of the health endpoint, as in the reference.
type Health struct {
	Status    string   `json:"status"`
	Endpoints []string `json:"endpoints"`
}

func (a *App) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		WriteError(w, http.StatusMethodNotAllowed, DetailMethod)
		return
	}
	var v any = Health{Status: "ok", Endpoints: a.Endpoints()}
	if r.URL.Path == a.opts.StatsPath {
		v = a.Stats()
	}
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// Server returns an http.Server for the App with its timeouts set. Run and
// Serve use it; call it to serve TLS or to tune further.
func (a *App) Server() *http.Server {
	s := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: dur(a.opts.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       dur(a.opts.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      dur(a.opts.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       dur(a.opts.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
		ErrorLog:          a.opts.ErrorLog,
	}
	return s
}

// Run listens on addr and serves until SIGINT or SIGTERM, then shuts down
// gracefully (requests in flight get Options.ShutdownTimeout to finish).
// It returns nil after a clean shutdown.
func (a *App) Run(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return a.ListenAndServe(ctx, addr)
}

// ListenAndServe listens on addr and serves until ctx is done.
func (a *App) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return a.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done, then shuts down gracefully. It
// closes ln and returns nil after a clean shutdown.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := a.Server()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), dur(a.opts.ShutdownTimeout, DefaultShutdownTimeout))
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
