package tensonats

import (
	"context"
	"errors"
	"fmt"
	"log"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/sysio"
	"github.com/tenso-go/tenso/native/budget"
	"github.com/tenso-go/tenso/native/tensohttp"
)

// ServiceOptions configure Serve. The zero value serves the endpoint on
// the subject name, queue group "q" (micro's default), one request at a
// time, under a budget of budget.DefaultLimit.
type ServiceOptions struct {
	Version     string // SemVer (default "1.0.0")
	Description string
	Subject     string // request subject (default: the service name)
	QueueGroup  string // default: micro's "q"
	// Limits are the decoder limits of requests. A zero MaxDecodedBytes
	// means budget.DecodedPerBody × the connection's max payload.
	Limits tenso.Limits
	// Budget bounds the bytes held by requests in flight (shared with
	// other servers of the process if given). Nil: a budget of
	// MaxInflightBytes (default budget.DefaultLimit; negative: unbounded).
	Budget           *budget.Budget
	MaxInflightBytes int64
	// Concurrency is how many requests one instance handles at once
	// (default 1: in order). Further requests wait in the client's
	// pending queue.
	Concurrency int
	Encode      tenso.Options // encoding of responses
	ErrorLog    *log.Logger   // endpoint errors (status 500) and refusals; nil: the standard logger
}

// DefaultPredictTimeout bounds a Predict whose context has no deadline.
const DefaultPredictTimeout = 30 * time.Second

// StatusError is a service's error answer, as Predict returns it: the
// HTTP status tensohttp would answer (400 wrong content, 413 too large,
// 422 bad packet, 503 busy, 500 internal, or the endpoint's own
// tensohttp.Error status) and its detail.
type StatusError struct {
	Service string
	Status  int
	Detail  string
}

func (e *StatusError) Error() string {
	return "tensonats: service " + strconv.Quote(e.Service) + ": " + strconv.Itoa(e.Status) + " " + http.StatusText(e.Status) + ": " + e.Detail
}

// Serve serves fn as the NATS micro service name (letters, digits, '-'
// and '_'): discovery ($SRV.PING/INFO/STATS), stats and a queue group, so
// that every instance started under the same name, on any machine, shares
// the requests. A request is one packet; it is answered with one packet,
// or with an error whose Nats-Service-Error-Code header is the HTTP status
// (see StatusError) and Nats-Service-Error the detail. Stop the returned
// service to stop serving.
func Serve(nc *nats.Conn, name string, fn tensohttp.HandlerFunc, o ServiceOptions) (micro.Service, error) {
	if fn == nil {
		return nil, fmt.Errorf("tensonats: %w: nil handler", tenso.ErrInvalid)
	}
	if o.Version == "" {
		o.Version = "1.0.0"
	}
	if o.Subject == "" {
		o.Subject = name
	}
	if o.Budget == nil {
		o.Budget = budget.New(o.MaxInflightBytes)
	}
	o.Limits = budget.Limits(o.Limits, nc.MaxPayload())
	sv := &service{name: name, fn: fn, o: o, nc: nc}
	h := micro.HandlerFunc(sv.handle)
	if o.Concurrency > 1 {
		sem := make(chan struct{}, o.Concurrency)
		h = func(r micro.Request) {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				sv.handle(r)
			}()
		}
	}
	return micro.AddService(nc, micro.Config{
		Name: name, Version: o.Version, Description: o.Description, QueueGroup: o.QueueGroup,
		Endpoint: &micro.EndpointConfig{Subject: o.Subject, Handler: h},
	})
}

type service struct {
	name string
	fn   tensohttp.HandlerFunc
	o    ServiceOptions
	nc   *nats.Conn
}

func (s *service) logf(format string, args ...any) {
	if s.o.ErrorLog != nil {
		s.o.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

func (s *service) fail(r micro.Request, he *tensohttp.HTTPError) {
	if he.Status >= 500 && he.Status != http.StatusServiceUnavailable {
		s.logf("tensonats: service %s: %d: %v", s.name, he.Status, he)
	}
	_ = r.Error(strconv.Itoa(he.Status), he.Detail, nil)
}

// octet reports a request without Content-Type (a plain NATS request) or
// with tensohttp's.
func octet(h micro.Headers) bool {
	ct := nats.Header(h).Get(HeaderContentType)
	if ct == "" || ct == tensohttp.ContentType {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == tensohttp.ContentType
}

func (s *service) handle(r micro.Request) {
	if !octet(r.Headers()) {
		s.fail(r, &tensohttp.HTTPError{Status: http.StatusBadRequest, Detail: tensohttp.DetailContentType})
		return
	}
	p := r.Data()
	lim := s.o.Limits
	n, err := budget.DecodedBytes(p, lim)
	if err != nil {
		s.fail(r, tensohttp.BadPacket(err))
		return
	}
	if d := n - int64(len(p)); d > lim.MaxDecodedBytes {
		s.fail(r, &tensohttp.HTTPError{Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("Packet decodes to %d bytes: the limit is %d bytes.", d, lim.MaxDecodedBytes)})
		return
	}
	if err := s.o.Budget.TryAcquire(n); err != nil {
		s.fail(r, tensohttp.BudgetError(err, "the decoded packet"))
		return
	}
	defer s.o.Budget.Release(n)
	in, err := tenso.DecodeExact(sysio.AlignedCopy(p), lim)
	if err != nil {
		s.fail(r, tensohttp.BadPacket(err))
		return
	}
	out, err := s.fn(context.Background(), in)
	if err == nil && out == nil {
		err = errors.New("handler returned a nil value")
	}
	if err != nil {
		he := tensohttp.StatusOf(err)
		if he.Status >= 500 {
			s.logf("tensonats: service %s: %v", s.name, err)
		}
		_ = r.Error(strconv.Itoa(he.Status), he.Detail, nil)
		return
	}
	m, err := NewMsg("", out, s.o.Encode)
	if err == nil {
		err = checkPayload(s.nc, m)
	}
	if err != nil {
		s.fail(r, &tensohttp.HTTPError{Status: http.StatusInternalServerError, Detail: tensohttp.DetailInternal, Err: err})
		return
	}
	s.o.Budget.Force(int64(len(m.Data)))
	defer s.o.Budget.Release(int64(len(m.Data)))
	if err := r.Respond(m.Data, micro.WithHeaders(micro.Headers(m.Header))); err != nil {
		s.logf("tensonats: service %s: responding: %v", s.name, err)
	}
}

// Predict sends v to the service listening on subject service (its name,
// unless it was served on another Subject) and returns its answer. An
// error answer is a *StatusError; a service with no instance running is
// nats.ErrNoResponders (wrapped). ctx bounds the call; without a deadline
// it is DefaultPredictTimeout.
func Predict(ctx context.Context, nc *nats.Conn, service string, v tenso.Value, o tenso.Options) (tenso.Value, error) {
	m, err := NewMsg(service, v, o)
	if err != nil {
		return nil, err
	}
	if err := checkPayload(nc, m); err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultPredictTimeout)
		defer cancel()
	}
	resp, err := nc.RequestMsgWithContext(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("tensonats: service %q: %w", service, err)
	}
	if code := resp.Header.Get(micro.ErrorCodeHeader); code != "" {
		st, err := strconv.Atoi(code)
		if err != nil {
			st = http.StatusInternalServerError
		}
		return nil, &StatusError{Service: service, Status: st, Detail: resp.Header.Get(micro.ErrorHeader)}
	}
	out, err := tenso.DecodeExact(resp.Data, budget.Limits(tenso.Limits{}, nc.MaxPayload()))
	if err != nil {
		return nil, fmt.Errorf("tensonats: service %q answered a bad packet: %w", service, err)
	}
	return out, nil
}
