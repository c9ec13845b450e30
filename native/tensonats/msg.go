package tensonats

import (
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/budget"
	"github.com/tenso-go/tenso/native/tensohttp"
)

// Header names of Tenso messages: the HTTP ones of package tensohttp
// without their X- prefix (NATS headers are not HTTP's; the values are
// the same).
const (
	HeaderVersion     = "Tenso-Version" // "4"
	HeaderShape       = "Tenso-Shape"   // "(2, 3)", as tensohttp.ShapeString
	HeaderDType       = "Tenso-Dtype"   // "float32"
	HeaderContentType = "Content-Type"  // tensohttp.ContentType
)

// ErrMaxPayload: a packet larger than the connection's max payload. Send
// such values through the store (store.Store.PutValue), which chunks them.
var ErrMaxPayload = errors.New("tensonats: packet exceeds the NATS max payload; store it with store.Store.PutValue (chunked object store) and send its key instead")

// PayloadError is the error of a message over the max payload. It wraps
// ErrMaxPayload and nats.ErrMaxPayload.
type PayloadError struct {
	Subject string
	Size    int64 // packet plus headers
	Max     int64 // the connection's max payload
}

func (e *PayloadError) Error() string {
	return fmt.Sprintf("tensonats: message to %q is %d bytes, the server's max payload is %d: %v", e.Subject, e.Size, e.Max, ErrMaxPayload)
}

// Unwrap returns ErrMaxPayload and nats.ErrMaxPayload.
func (e *PayloadError) Unwrap() []error { return []error{ErrMaxPayload, nats.ErrMaxPayload} }

// SetHeaders sets the Tenso headers for v on h (Content-Type,
// Tenso-Version, and Tenso-Shape and Tenso-Dtype where tensohttp sets its
// X- forms).
func SetHeaders(h nats.Header, v tenso.Value) {
	hh := make(map[string][]string, 4)
	tensohttp.SetHeaders(hh, v, "")
	h[HeaderContentType] = hh["Content-Type"]
	h[HeaderVersion] = hh[tensohttp.HeaderVersion]
	if s, ok := hh[tensohttp.HeaderShape]; ok {
		h[HeaderShape] = s
		h[HeaderDType] = hh[tensohttp.HeaderDType]
	}
}

func headerLen(h nats.Header) int64 {
	n := int64(len("NATS/1.0\r\n\r\n"))
	for k, vs := range h {
		for _, v := range vs {
			n += int64(len(k) + 2 + len(v) + 2)
		}
	}
	return n
}

// NewMsg encodes v as one message to subject: the packet is the data,
// with the Tenso headers. It does not check the max payload (Publish
// does).
func NewMsg(subject string, v tenso.Value, o tenso.Options) (*nats.Msg, error) {
	p, err := tenso.Encode(v, o)
	if err != nil {
		return nil, err
	}
	m := &nats.Msg{Subject: subject, Data: p, Header: nats.Header{}}
	SetHeaders(m.Header, v)
	return m, nil
}

// checkPayload returns a *PayloadError when m does not fit nc's max
// payload.
func checkPayload(nc *nats.Conn, m *nats.Msg) error {
	max := nc.MaxPayload()
	if n := int64(len(m.Data)) + headerLen(m.Header); max > 0 && n > max {
		return &PayloadError{Subject: m.Subject, Size: n, Max: max}
	}
	return nil
}

// Publish sends v on subject as one message: one packet, the Tenso
// headers. A packet over the connection's max payload is a *PayloadError
// (errors.Is ErrMaxPayload) and nothing is sent; the size is known before
// encoding, so no buffer is built for it.
func Publish(nc *nats.Conn, subject string, v tenso.Value, o tenso.Options) error {
	n, err := tenso.EncodedLen(v, o)
	if err != nil {
		return err
	}
	if max := nc.MaxPayload(); max > 0 && n > max {
		return &PayloadError{Subject: subject, Size: n, Max: max}
	}
	// The packet is built in a pooled buffer: PublishMsg copies the data
	// into the connection's buffer before it returns.
	bp := pubBufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooled {
			pubBufs.Put(bp)
		}
	}()
	p, err := tenso.Append((*bp)[:0], v, o)
	if err != nil {
		return err
	}
	*bp = p
	m := &nats.Msg{Subject: subject, Data: p, Header: nats.Header{}}
	SetHeaders(m.Header, v)
	if err := checkPayload(nc, m); err != nil {
		return err
	}
	return nc.PublishMsg(m)
}

// maxPooled is the largest publish buffer kept for reuse.
const maxPooled = 64 << 20

var pubBufs = sync.Pool{New: func() any { return new([]byte) }}

// SubOption configures Subscribe.
type SubOption func(*subConfig)

type subConfig struct {
	onError func(*nats.Msg, error)
	limits  tenso.Limits
	queue   string
}

// OnError sets the handler of messages that do not decode. err is the
// decode error: errors.As(err, &fe) with fe a *tenso.FormatError for a
// malformed packet; errors.Is(err, tenso.ErrTooLarge) for one over the
// limits. The subscription goes on after it. The default logs one line.
func OnError(fn func(m *nats.Msg, err error)) SubOption {
	return func(c *subConfig) { c.onError = fn }
}

// WithLimits sets the decoder limits (default: tenso's, with
// MaxDecodedBytes twice the connection's max payload).
func WithLimits(l tenso.Limits) SubOption { return func(c *subConfig) { c.limits = l } }

// Queue makes the subscription a member of a queue group: each message
// goes to one member.
func Queue(group string) SubOption { return func(c *subConfig) { c.queue = group } }

// handle decodes m and hands it to fn or to the error handler.
func (c *subConfig) handle(m *nats.Msg, fn func(string, tenso.Value)) {
	v, err := tenso.DecodeExact(m.Data, c.limits)
	if err != nil {
		c.onError(m, err)
		return
	}
	fn(m.Subject, v)
}

// Subscribe calls fn with each value published on subject (wildcards
// allowed). The value is a zero-copy view of the message data, which
// nothing reuses: it may be kept. fn is called from one goroutine per
// subscription, in message order. A message that does not decode goes to
// the OnError handler and never stops the subscription.
func Subscribe(nc *nats.Conn, subject string, fn func(subject string, v tenso.Value), opts ...SubOption) (*nats.Subscription, error) {
	c := subConfig{}
	for _, o := range opts {
		o(&c)
	}
	c.limits = budget.Limits(c.limits, nc.MaxPayload())
	if c.onError == nil {
		c.onError = func(m *nats.Msg, err error) {
			log.Printf("tensonats: message on %q (%d bytes) dropped: %v", m.Subject, len(m.Data), err)
		}
	}
	h := func(m *nats.Msg) { c.handle(m, fn) }
	if c.queue != "" {
		return nc.QueueSubscribe(subject, c.queue, h)
	}
	return nc.Subscribe(subject, h)
}

// PublishPacket sends an encoded packet on subject as it is (byte for
// byte), after checking that it decodes (a bad packet is the decode error
// and nothing is sent) and that it fits the max payload.
func PublishPacket(nc *nats.Conn, subject string, packet []byte) error {
	v, err := tenso.DecodeExact(packet, budget.Limits(tenso.Limits{}, nc.MaxPayload()))
	if err != nil {
		return fmt.Errorf("tensonats: not a valid packet: %w", err)
	}
	m := &nats.Msg{Subject: subject, Data: packet, Header: nats.Header{}}
	SetHeaders(m.Header, v)
	if err := checkPayload(nc, m); err != nil {
		return err
	}
	return nc.PublishMsg(m)
}
