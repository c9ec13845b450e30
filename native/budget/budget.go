// Package budget bounds the memory that Tenso servers hold for requests in
// flight: received bodies, the decoded (decompressed) data of their
// packets and the responses being written. One Budget may be shared by
// several servers of a process (tensohttp, tensogrpc, tensonet, a NATS
// service): they then draw on the same bytes.
//
// A server reserves what a request will hold before allocating it, with
// TryAcquire (or Acquire, which waits), and releases it once the request
// is done. A reservation larger than the whole budget can never succeed
// (ErrNeverFits: HTTP 413, gRPC ResourceExhausted); one that does not fit
// now may fit later (ErrShortage: HTTP 503 with Retry-After, gRPC
// Unavailable). What a packet will allocate when decoded is known from its
// headers before decoding (tenso.DecompressedSize); DecodedBytes adds it
// to the packet's own size.
package budget

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tenso-go/tenso"
)

// DefaultLimit is the budget of a zero Budget and of New(0): 1 GiB. It
// fits a small machine (a 2 GiB VM keeps room for the runtime, the model
// and the garbage collector's headroom: Go's heap may grow to twice the
// live data before a collection at GOGC=100), yet holds four requests at
// the default 256 MiB body limit. Raise it on larger machines.
const DefaultLimit = 1 << 30

// DecodedPerBody is the default ratio of the decoded bytes one packet may
// allocate (tenso.Limits.MaxDecodedBytes) to the server's body limit.
const DecodedPerBody = 2

// Sentinel errors of TryAcquire and Acquire. Both wrap tenso.ErrTooLarge.
var (
	// ErrNeverFits: the reservation is larger than the whole budget.
	ErrNeverFits = fmt.Errorf("tenso: request needs more memory than the server's whole budget: %w", tenso.ErrTooLarge)
	// ErrShortage: the budget is momentarily spent by other requests.
	ErrShortage = fmt.Errorf("tenso: server memory budget momentarily spent: %w", tenso.ErrTooLarge)
)

// Budget is a count of bytes in flight under a limit. Its methods are safe
// for concurrent use. The zero value is a budget of DefaultLimit.
type Budget struct {
	mu      sync.Mutex
	limit   int64
	used    int64
	peak    int64
	waiters []*waiter

	neverFits atomic.Int64
	shortages atomic.Int64
}

type waiter struct {
	n     int64
	ready chan struct{}
}

// New returns a budget of limit bytes; 0 means DefaultLimit, a negative
// limit means unbounded (reservations are counted but never refused).
func New(limit int64) *Budget { return &Budget{limit: limit} }

func (b *Budget) lim() int64 {
	if b.limit == 0 {
		return DefaultLimit
	}
	return b.limit
}

// Limit returns the budget's size in bytes (negative: unbounded).
func (b *Budget) Limit() int64 {
	if b == nil {
		return -1
	}
	return b.lim()
}

// Force reserves n bytes even beyond the limit: for memory already
// allocated (a response being written), so that it counts and holds back
// new reservations until released.
func (b *Budget) Force(n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.mu.Lock()
	b.take(n)
	b.mu.Unlock()
}

// TryAcquire reserves n bytes if they fit now. It returns ErrNeverFits if
// n exceeds the limit, ErrShortage if it does not fit beside what is held.
// A nil Budget accepts everything.
func (b *Budget) TryAcquire(n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tryLocked(n)
}

func (b *Budget) tryLocked(n int64) error {
	l := b.lim()
	if l >= 0 && n > l {
		b.neverFits.Add(1)
		return ErrNeverFits
	}
	if l >= 0 && (n > l-b.used || len(b.waiters) > 0) {
		b.shortages.Add(1)
		return ErrShortage
	}
	b.take(n)
	return nil
}

func (b *Budget) take(n int64) {
	b.used += n
	if b.used > b.peak {
		b.peak = b.used
	}
}

// Acquire reserves n bytes, waiting (in arrival order) until they fit or
// ctx is done. It returns ErrNeverFits at once if n exceeds the limit, and
// ErrShortage wrapping ctx's error if ctx ends first.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	b.mu.Lock()
	err := b.tryLocked(n)
	if !errors.Is(err, ErrShortage) {
		b.mu.Unlock()
		return err
	}
	b.shortages.Add(-1) // counted only if the wait fails
	w := &waiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready: // granted meanwhile: keep it
		return nil
	default:
	}
	for i, x := range b.waiters {
		if x == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			break
		}
	}
	b.wakeLocked()
	b.shortages.Add(1)
	return fmt.Errorf("%w (%w)", ErrShortage, context.Cause(ctx))
}

// Release returns n bytes reserved by TryAcquire or Acquire.
func (b *Budget) Release(n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.mu.Lock()
	b.used -= n
	if b.used < 0 {
		b.mu.Unlock()
		panic("budget: Release of more than was acquired")
	}
	b.wakeLocked()
	b.mu.Unlock()
}

// wakeLocked grants waiting reservations in order while they fit.
func (b *Budget) wakeLocked() {
	l := b.lim()
	for len(b.waiters) > 0 {
		w := b.waiters[0]
		if l >= 0 && w.n > l-b.used {
			return
		}
		b.take(w.n)
		b.waiters = b.waiters[1:]
		close(w.ready)
	}
}

// Stats is a snapshot of a Budget's gauges.
type Stats struct {
	Limit     int64 `json:"limit_bytes"`    // negative: unbounded
	InFlight  int64 `json:"inflight_bytes"` // reserved now
	Peak      int64 `json:"peak_bytes"`     // highest InFlight seen
	Waiting   int   `json:"waiting"`        // Acquire calls waiting
	NeverFits int64 `json:"never_fits"`     // refusals: larger than the limit
	Shortages int64 `json:"shortages"`      // refusals: no room at the time
}

// Stats returns the current gauges.
func (b *Budget) Stats() Stats {
	if b == nil {
		return Stats{Limit: -1}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return Stats{Limit: b.lim(), InFlight: b.used, Peak: b.peak, Waiting: len(b.waiters),
		NeverFits: b.neverFits.Load(), Shortages: b.shortages.Load()}
}

// DecodedBytes returns what holding packet p and its decoded value costs:
// len(p) plus what decoding allocates for compressed bodies
// (tenso.DecompressedSize under l). Its error is the packet's, to be
// answered as a bad packet.
func DecodedBytes(p []byte, l tenso.Limits) (int64, error) {
	n, err := tenso.DecompressedSize(p, l)
	if err != nil {
		return 0, err
	}
	return int64(len(p)) + n, nil
}

// DecodedLimit returns the default per-packet decoded-bytes limit for a
// server whose body (message) limit is maxBody: DecodedPerBody × maxBody.
func DecodedLimit(maxBody int64) int64 {
	if maxBody <= 0 {
		return tenso.DefaultMaxDecodedBytes
	}
	return DecodedPerBody * maxBody
}

// Limits returns l with MaxDecodedBytes set to DecodedLimit(maxBody) if it
// is zero.
func Limits(l tenso.Limits, maxBody int64) tenso.Limits {
	if l.MaxDecodedBytes == 0 {
		l.MaxDecodedBytes = DecodedLimit(maxBody)
	}
	return l
}
