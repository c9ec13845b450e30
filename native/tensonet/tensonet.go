package tensonet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/budget"
)

// Handler answers one packet with one value.
type Handler func(ctx context.Context, in tenso.Value) (tenso.Value, error)

// Options configure Serve and Conn. The zero value uses default Limits,
// default encoding, and a 5-minute idle timeout on served connections.
type Options struct {
	Limits tenso.Limits  // decoder limits for packets read
	Encode tenso.Options // encoding of packets written
	// IdleTimeout closes a served connection that sends nothing for this
	// long between packets, or stalls inside one (default 5 minutes;
	// negative: never).
	IdleTimeout time.Duration
	// WriteTimeout bounds writing one answer (default 1 minute; negative:
	// none), so a peer that stops reading cannot hold a server goroutine.
	WriteTimeout time.Duration
	// ErrorLog, if set, receives per-connection errors of Serve.
	ErrorLog func(format string, args ...any)
	// Budget bounds the bytes Serve holds for packets being handled: each
	// packet plus what decoding it allocates (tenso.DecompressedSize),
	// reserved before decoding. A packet that does not fit beside the
	// others waits (up to IdleTimeout) for room, which pauses reading on
	// its connection; one larger than the whole budget closes the
	// connection. Several servers may share one Budget. Nil: a budget of
	// MaxInflightBytes of the Serve call's own. A packet is read before it
	// is reserved (its length is known only once framed): while it
	// arrives, each connection may buffer up to Limits.MaxBytes (at most
	// the budget) outside it, so bound the connections (the listener) to
	// bound the total.
	Budget *budget.Budget
	// MaxInflightBytes sizes Serve's own budget when Budget is nil
	// (default budget.DefaultLimit; negative: unbounded).
	MaxInflightBytes int64
}

// serveLimits are the decoder limits of a served connection: no packet
// may be larger, or decode to more, than the whole budget (a packet
// refused by its header is never read).
func (o Options) serveLimits(b *budget.Budget) tenso.Limits {
	l := o.Limits
	if max := b.Limit(); max >= 0 {
		if l.MaxBytes == 0 || l.MaxBytes > max {
			l.MaxBytes = max
		}
		if l.MaxDecodedBytes == 0 || l.MaxDecodedBytes > max {
			l.MaxDecodedBytes = max
		}
	}
	return l
}

func (o Options) idle() time.Duration {
	switch {
	case o.IdleTimeout == 0:
		return 5 * time.Minute
	case o.IdleTimeout < 0:
		return 0
	}
	return o.IdleTimeout
}

func (o Options) write() time.Duration {
	switch {
	case o.WriteTimeout == 0:
		return time.Minute
	case o.WriteTimeout < 0:
		return 0
	}
	return o.WriteTimeout
}

// Conn sends and receives packets on a stream connection.
type Conn struct {
	nc net.Conn
	r  *tenso.Reader
	w  *tenso.Writer
	o  Options
	wm sync.Mutex
}

// NewConn wraps an established connection.
func NewConn(nc net.Conn, o Options) *Conn {
	return &Conn{nc: nc, r: tenso.NewReaderLimits(nc, o.Limits), w: tenso.NewWriter(nc), o: o}
}

// Dial connects to address on network ("tcp", "unix", …).
func Dial(ctx context.Context, network, address string, o Options) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return NewConn(nc, o), nil
}

// Send writes v as one packet (one vectored write; bodies are not copied).
func (c *Conn) Send(v tenso.Value) error {
	c.wm.Lock()
	defer c.wm.Unlock()
	_, err := c.w.Write(v, c.o.Encode)
	return err
}

// SendContext is Send bounded by ctx: a done ctx interrupts a blocked
// write at once (the Conn is failed afterwards, as the packet was cut).
func (c *Conn) SendContext(ctx context.Context, v tenso.Value) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("tensonet: send interrupted: %w", err)
	}
	c.wm.Lock()
	defer c.wm.Unlock()
	if d, ok := ctx.Deadline(); ok {
		_ = c.nc.SetWriteDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetWriteDeadline(time.Unix(1, 0)) })
	_, err := c.w.Write(v, c.o.Encode)
	if !stop() || ctx.Err() != nil {
		if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("tensonet: send interrupted: %w", context.Cause(ctx))
		}
	}
	_ = c.nc.SetWriteDeadline(time.Time{})
	return err
}

// Recv reads the next packet; io.EOF when the peer closed the stream
// between packets, an error matching io.ErrUnexpectedEOF inside one. A done
// ctx interrupts a blocked read at once.
func (c *Conn) Recv(ctx context.Context) (tenso.Value, error) {
	v, err := c.r.ReadContext(ctx)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
		// The socket deadline the reader set from ctx can fire a moment
		// before ctx's own timer: report it as the context's deadline.
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			err = fmt.Errorf("tensonet: read interrupted: %w (%w)", context.DeadlineExceeded, err)
		}
	}
	return v, err
}

// Predict sends v and reads one answer.
func (c *Conn) Predict(ctx context.Context, v tenso.Value) (tenso.Value, error) {
	if err := c.SendContext(ctx, v); err != nil {
		return nil, err
	}
	return c.Recv(ctx)
}

// CloseWrite half-closes a TCP or Unix connection: the peer reads io.EOF
// after the packets already sent, and can still answer them.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return fmt.Errorf("tensonet: %T cannot half-close", c.nc)
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Serve accepts connections on ln and answers every packet with h's
// result, until ctx is done; then it closes ln and every connection and
// waits for their goroutines. It returns nil after ctx is done, or the
// listener's error.
func Serve(ctx context.Context, ln net.Listener, h Handler, o Options) error {
	if o.Budget == nil {
		o.Budget = budget.New(o.MaxInflightBytes)
	}
	o.Limits = o.serveLimits(o.Budget)
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	var err error
	for {
		nc, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = aerr
			}
			break
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			nc.Close()
			break
		}
		conns[nc] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				delete(conns, nc)
				mu.Unlock()
				nc.Close()
			}()
			if cerr := serveConn(ctx, nc, h, o); cerr != nil && o.ErrorLog != nil {
				o.ErrorLog("tensonet: %s: %v", nc.RemoteAddr(), cerr)
			}
		}()
	}
	stop()
	ln.Close()
	mu.Lock()
	for c := range conns {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	return err
}

func serveConn(ctx context.Context, nc net.Conn, h Handler, o Options) error {
	c := NewConn(nc, o)
	for {
		if d := o.idle(); d > 0 {
			_ = nc.SetReadDeadline(time.Now().Add(d))
		}
		p, err := c.r.ReadPacket()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := serveOne(ctx, c, p, h, o); err != nil {
			return err
		}
	}
}

// serveOne answers packet p under the budget.
func serveOne(ctx context.Context, c *Conn, p []byte, h Handler, o Options) error {
	n, err := budget.DecodedBytes(p, o.Limits)
	if err != nil {
		return err
	}
	actx, cancel := ctx, context.CancelFunc(func() {})
	if d := o.idle(); d > 0 {
		actx, cancel = context.WithTimeout(ctx, d)
	}
	err = o.Budget.Acquire(actx, n)
	cancel()
	if err != nil {
		return fmt.Errorf("tensonet: packet of %d bytes (decoded): %w", n, err)
	}
	defer o.Budget.Release(n)
	in, err := tenso.DecodeWith(p, o.Limits)
	if err != nil {
		return err
	}
	out, err := h(ctx, in)
	if err == nil && out == nil {
		err = errors.New("handler returned a nil value")
	}
	if err != nil {
		return err
	}
	wctx, wcancel := ctx, context.CancelFunc(func() {})
	if d := o.write(); d > 0 {
		wctx, wcancel = context.WithTimeout(ctx, d)
	}
	defer wcancel()
	return c.SendContext(wctx, out)
}
