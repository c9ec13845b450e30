package tensonats

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/budget"
	"github.com/tenso-go/tenso/native/tensohttp"
	"github.com/tenso-go/tenso/native/tensonats/embedded"
	"github.com/tenso-go/tenso/native/tensonats/internal/natstest"
)

func serve(t *testing.T, nc *nats.Conn, name string, fn tensohttp.HandlerFunc, o ServiceOptions) micro.Service {
	t.Helper()
	if o.ErrorLog == nil {
		o.ErrorLog = log.New(io.Discard, "", 0)
	}
	svc, err := Serve(nc, name, fn, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop() })
	return svc
}

func echo(_ context.Context, in tenso.Value) (tenso.Value, error) { return in, nil }

func ctx10(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Every golden value goes through a service and back unchanged.
func TestGoldenService(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{MaxPayload: 8 << 20})
	serve(t, nc, "echo", echo, ServiceOptions{})
	client := natstest.Connect(t, nc.ConnectedUrl())
	for _, p := range natstest.Golden(t) {
		v, _ := tenso.Decode(p.Data)
		out, err := Predict(ctx10(t), client, "echo", v, tenso.Options{})
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if !bytes.Equal(natstest.Encode(t, out, tenso.Options{}), natstest.Encode(t, v, tenso.Options{})) {
			t.Fatalf("%s: answer differs", p.Name)
		}
	}
}

func statusOf(t *testing.T, err error) *StatusError {
	t.Helper()
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *StatusError", err, err)
	}
	return se
}

// Errors travel as the statuses tensohttp answers.
func TestServiceErrors(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	serve(t, nc, "conflict", func(context.Context, tenso.Value) (tenso.Value, error) {
		return nil, tensohttp.Error(http.StatusConflict, "already there")
	}, ServiceOptions{})
	serve(t, nc, "boom", func(context.Context, tenso.Value) (tenso.Value, error) {
		return nil, errors.New("secret internal detail")
	}, ServiceOptions{})
	serve(t, nc, "nil", func(context.Context, tenso.Value) (tenso.Value, error) { return nil, nil }, ServiceOptions{})
	serve(t, nc, "limited", echo, ServiceOptions{Limits: tenso.Limits{MaxDecodedBytes: 1 << 10}})
	serve(t, nc, "poor", echo, ServiceOptions{MaxInflightBytes: 100})
	v := &tenso.Tensor{DType: tenso.Float32, Shape: []int{64}, Data: make([]byte, 256)}

	if se := statusOf(t, second(Predict(ctx10(t), nc, "conflict", v, tenso.Options{}))); se.Status != 409 || se.Detail != "already there" {
		t.Fatalf("endpoint error: %+v", se)
	}
	if se := statusOf(t, second(Predict(ctx10(t), nc, "boom", v, tenso.Options{}))); se.Status != 500 || se.Detail != tensohttp.DetailInternal {
		t.Fatalf("internal error: %+v", se)
	}
	if se := statusOf(t, second(Predict(ctx10(t), nc, "nil", v, tenso.Options{}))); se.Status != 500 {
		t.Fatalf("nil result: %+v", se)
	}
	big := &tenso.Tensor{DType: tenso.Float32, Shape: []int{4096}, Data: make([]byte, 16384)}
	if se := statusOf(t, second(Predict(ctx10(t), nc, "limited", big, tenso.Options{Compress: true}))); se.Status != 413 {
		t.Fatalf("decoded size over the limit: %+v", se)
	}
	if se := statusOf(t, second(Predict(ctx10(t), nc, "poor", v, tenso.Options{}))); se.Status != 413 {
		t.Fatalf("over the whole budget: %+v", se)
	}
	// Raw requests: a bad packet, a wrong content type.
	for _, c := range []struct {
		name   string
		msg    *nats.Msg
		status string
	}{
		{"bad packet", &nats.Msg{Subject: "boom", Data: []byte("not a packet")}, "422"},
		{"content type", &nats.Msg{Subject: "boom", Data: natstest.Encode(t, v, tenso.Options{}), Header: nats.Header{"Content-Type": {"text/plain"}}}, "400"},
	} {
		resp, err := nc.RequestMsgWithContext(ctx10(t), c.msg)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get(micro.ErrorCodeHeader); got != c.status {
			t.Fatalf("%s: status %q, want %s (%s)", c.name, got, c.status, resp.Header.Get(micro.ErrorHeader))
		}
	}
	// The services keep serving after all that.
	serve(t, nc, "echo", echo, ServiceOptions{})
	if _, err := Predict(ctx10(t), nc, "echo", v, tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Predict(ctx10(t), nc, "nobody", v, tenso.Options{}); !errors.Is(err, nats.ErrNoResponders) {
		t.Fatalf("no instance: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

// Instances under one name share the requests (queue group) and are
// discoverable.
func TestServiceQueueGroup(t *testing.T) {
	srv, nc := natstest.Start(t, embedded.Options{})
	b := budget.New(-1)
	var svcs []micro.Service
	for i := range 3 {
		conn := natstest.Connect(t, srv.ClientURL())
		svcs = append(svcs, serve(t, conn, "double", func(_ context.Context, in tenso.Value) (tenso.Value, error) {
			t := in.(*tenso.Tensor)
			out := &tenso.Tensor{DType: t.DType, Shape: t.Shape, Data: bytes.Repeat(t.Data, 2)}
			out.Shape = []int{2 * t.Shape[0]}
			return out, nil
		}, ServiceOptions{Budget: b, Description: fmt.Sprint("instance ", i), Concurrency: 2}))
	}
	const n = 60
	for i := range n {
		in := &tenso.Tensor{DType: tenso.Uint8, Shape: []int{3}, Data: []byte{byte(i), 1, 2}}
		out, err := Predict(ctx10(t), nc, "double", in, tenso.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if o := out.(*tenso.Tensor); o.Shape[0] != 6 || o.Data[3] != byte(i) {
			t.Fatalf("answer %v", o)
		}
	}
	total := 0
	for i, s := range svcs {
		st := s.Stats()
		if len(st.Endpoints) != 1 || st.Endpoints[0].NumRequests == 0 {
			t.Errorf("instance %d handled no request: %+v", i, st)
		}
		total += st.Endpoints[0].NumRequests
	}
	if total != n {
		t.Fatalf("instances handled %d requests, want %d", total, n)
	}
	// Discovery: every instance answers $SRV.PING.double.
	sub, err := nc.SubscribeSync(nats.NewInbox())
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.PublishRequest("$SRV.PING.double", sub.Subject, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := sub.NextMsg(5 * time.Second); err != nil {
			t.Fatalf("ping answer %d: %v", i, err)
		}
	}
	if st := b.Stats(); st.InFlight != 0 {
		t.Fatalf("budget holds %d bytes after the requests", st.InFlight)
	}
}

// A request that does not fit the service's budget now (other requests
// hold it) but would fit the whole budget is answered 503, and reaches
// Predict as a *StatusError; once the budget is released the same request
// is served.
func TestServiceBusy(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	b := budget.New(4096)
	serve(t, nc, "busy", echo, ServiceOptions{Budget: b})
	v := &tenso.Tensor{DType: tenso.Float32, Shape: []int{64}, Data: make([]byte, 256)}
	b.Force(4000) // another request holds most of the budget
	se := statusOf(t, second(Predict(ctx10(t), nc, "busy", v, tenso.Options{})))
	t.Logf("Predict under a spent budget: %v", se)
	if se.Status != http.StatusServiceUnavailable || se.Service != "busy" || se.Detail == "" {
		t.Fatalf("spent budget: %+v, want status 503 with a detail", se)
	}
	if st := b.Stats(); st.InFlight != 4000 {
		t.Fatalf("the refused request left %d bytes in flight, want the 4000 held", st.InFlight)
	}
	b.Release(4000)
	if _, err := Predict(ctx10(t), nc, "busy", v, tenso.Options{}); err != nil {
		t.Fatalf("after the budget is released: %v", err)
	}
	if st := b.Stats(); st.InFlight != 0 {
		t.Fatalf("budget holds %d bytes after the requests", st.InFlight)
	}
}
