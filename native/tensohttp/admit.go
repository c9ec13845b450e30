package tensohttp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/budget"
)

// Defaults of the admission settings (Options zero values).
const (
	// DefaultMinBodyRate is the slowest body accepted once
	// DefaultBodyGrace has passed: 4 KiB/s on average since the request
	// began. A 256 MiB body at that rate would take 18 hours, so the bound
	// only cuts clients that drip; it frees what they hold long before
	// ReadTimeout.
	DefaultMinBodyRate = 4 << 10
	// DefaultBodyGrace is how long a body may arrive at any rate.
	DefaultBodyGrace = 5 * time.Second
	// RetryAfter is the Retry-After (seconds) of 503 answers.
	RetryAfter = "1"
)

// Rejection causes, the keys of Stats.Rejected and of the log lines: the
// causes every server shares (package budget).
const (
	CauseBusy       = budget.CauseBusy       // 503: every handler slot taken
	CauseMemory     = budget.CauseMemory     // 503: the memory budget is momentarily spent
	CauseTooLarge   = budget.CauseTooLarge   // 413: body or decoded size over a limit, or over the whole budget
	CauseSlowBody   = budget.CauseSlowBody   // 408: the body arrived slower than MinBodyRate, or past ReadTimeout
	CauseBadRequest = budget.CauseBadRequest // 400: content type, body cut short
	CauseBadPacket  = budget.CauseBadPacket  // 422: the packet does not decode
)

// Stats are the App's gauges, served as JSON at Options.StatsPath.
type Stats struct {
	Budget    budget.Stats     `json:"budget"`     // bytes in flight (bodies, decoded data, responses)
	Reading   int64            `json:"reading"`    // request bodies being received
	SlotsBusy int              `json:"slots_busy"` // handler slots taken
	Slots     int              `json:"slots"`      // MaxConcurrent (negative: unbounded)
	Rejected  map[string]int64 `json:"rejected"`   // refused requests by cause
}

type counters struct {
	reading  atomic.Int64
	rejected budget.Rejections
}

// Stats returns the App's gauges.
func (a *App) Stats() Stats {
	s := Stats{Budget: a.budget.Stats(), Reading: a.ctr.reading.Load(), Slots: -1, Rejected: a.ctr.rejected.Snapshot()}
	if a.sem != nil {
		s.SlotsBusy, s.Slots = len(a.sem), cap(a.sem)
	}
	return s
}

// causeOf classifies a refusal of the App's own (not an endpoint's).
func causeOf(status int) string {
	switch status {
	case http.StatusServiceUnavailable:
		return CauseMemory
	case http.StatusRequestEntityTooLarge:
		return CauseTooLarge
	case http.StatusRequestTimeout:
		return CauseSlowBody
	case http.StatusUnprocessableEntity:
		return CauseBadPacket
	}
	return CauseBadRequest
}

// reject answers a request the App refuses, counts it and logs one line
// with its cause.
func (a *App) reject(w http.ResponseWriter, r *http.Request, cause string, he *HTTPError) {
	a.ctr.rejected.Add(cause)
	msg := he.Detail
	if he.Err != nil && !strings.Contains(msg, he.Err.Error()) {
		msg += " (" + he.Err.Error() + ")"
	}
	a.logf("tensohttp: rejected %s %s from %s: %s: %d %s", r.Method, r.URL.Path, r.RemoteAddr, cause, he.Status, msg)
	if he.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", RetryAfter)
	}
	if he.Status == http.StatusRequestTimeout || he.Status == http.StatusRequestEntityTooLarge {
		w.Header().Set("Connection", "close") // the rest of the body may still be arriving
	}
	WriteError(w, he.Status, he.Detail)
}

// lease is what one request holds of the budget.
type lease struct {
	b    *budget.Budget
	held int64
}

func (l *lease) grow(n int64) error {
	if err := l.b.TryAcquire(n); err != nil {
		return err
	}
	l.held += n
	return nil
}

func (l *lease) shrink(n int64) { l.b.Release(n); l.held -= n }

func (l *lease) release() { l.b.Release(l.held); l.held = 0 }

// rateReader enforces the minimum body rate through the connection's read
// deadline: before each read, the deadline is the moment by which the
// next byte must arrive for the average since start to stay at or above
// rate after grace, and never later than hard (ReadTimeout).
type rateReader struct {
	r           io.Reader
	rc          *http.ResponseController
	start, hard time.Time
	grace       time.Duration
	rate        int64
	got         int64
	on          bool // SetReadDeadline works on this connection
}

func (x *rateReader) Read(p []byte) (int, error) {
	if x.on {
		d := x.start.Add(x.grace + time.Duration(float64(x.got+1)/float64(x.rate)*float64(time.Second)))
		if !x.hard.IsZero() && d.After(x.hard) {
			d = x.hard
		}
		if x.rc.SetReadDeadline(d) != nil {
			x.on = false
		}
	}
	n, err := x.r.Read(p)
	x.got += int64(n)
	return n, err
}

// done puts back the server's own read deadline.
func (x *rateReader) done() {
	if x.on {
		_ = x.rc.SetReadDeadline(x.hard)
	}
}

// admit reads and decodes the request of endpoint e under the budget,
// before any handler slot is taken. It returns the value, its buffer and
// the lease to release once the response is written; on refusal it has
// answered already and returns ok false.
func (a *App) admit(w http.ResponseWriter, r *http.Request, e *endpoint, start time.Time) (in tenso.Value, pb *pooledBuf, l *lease, ok bool) {
	if !CheckContentType(r) {
		a.reject(w, r, CauseBadRequest, &HTTPError{Status: http.StatusBadRequest, Detail: DetailContentType})
		return nil, nil, nil, false
	}
	l = &lease{b: a.budget}
	body := io.Reader(r.Body)
	var rr *rateReader
	if a.minRate > 0 && r.Body != nil {
		rr = &rateReader{r: r.Body, rc: http.NewResponseController(w), start: start, grace: a.grace, rate: a.minRate, on: true}
		if a.readTimeout > 0 {
			rr.hard = start.Add(a.readTimeout)
		}
		body = rr
	}
	a.ctr.reading.Add(1)
	p, pb, err := readBody(body, r.ContentLength, e.req.maxBytes(), true, l)
	a.ctr.reading.Add(-1)
	if rr != nil {
		rr.done()
	}
	if err != nil {
		l.release()
		var he *HTTPError
		if !errors.As(err, &he) {
			he = BudgetError(err, "the body")
		}
		a.reject(w, r, causeOf(he.Status), he)
		return nil, nil, nil, false
	}
	fail := func(he *HTTPError) (tenso.Value, *pooledBuf, *lease, bool) {
		putBuf(pb)
		l.release()
		a.reject(w, r, causeOf(he.Status), he)
		return nil, nil, nil, false
	}
	// What decoding will allocate, reserved before it happens.
	lim := e.req.Limits
	n, err := tenso.DecompressedSize(p, lim)
	if err != nil {
		return fail(BadPacket(err))
	}
	if max := lim.MaxDecodedBytes; max > 0 && n > max {
		return fail(&HTTPError{Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("Packet decodes to %d bytes: the limit is %d bytes.", n, max)})
	}
	if err := l.grow(n); err != nil {
		return fail(BudgetError(err, "the decoded packet"))
	}
	v, err := tenso.DecodeWith(p, lim)
	if err != nil {
		return fail(BadPacket(err))
	}
	return v, pb, l, true
}
