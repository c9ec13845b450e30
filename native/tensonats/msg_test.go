package tensonats

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/nats-io/nats.go"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/tensonats/embedded"
	"github.com/tenso-go/tenso/native/tensonats/internal/natstest"
)

type got struct {
	subject string
	v       tenso.Value
}

func collect(t *testing.T, nc *nats.Conn, subject string, opts ...SubOption) chan got {
	t.Helper()
	ch := make(chan got, 256)
	sub, err := Subscribe(nc, subject, func(s string, v tenso.Value) { ch <- got{s, v} }, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return ch
}

func recv[T any](t *testing.T, ch chan T) T {
	t.Helper()
	select {
	case g := <-ch:
		return g
	case <-time.After(10 * time.Second):
		t.Fatal("nothing received in 10 s")
	}
	panic("unreachable")
}

// Every golden packet, sent as it is and as a value, arrives as the same
// value: PublishPacket sends its exact bytes, Publish the packet Encode
// writes for the decoded value.
func TestGoldenMessages(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{MaxPayload: 8 << 20})
	raw := make(chan *nats.Msg, 256)
	rs, err := nc.ChanSubscribe("golden.>", raw)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Unsubscribe()
	ch := collect(t, nc, "golden.>")
	kinds := map[string]bool{}
	for _, p := range natstest.Golden(t) {
		kinds[p.Kind] = true
		if err := PublishPacket(nc, "golden.packet", p.Data); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		m := recv(t, raw)
		if !bytes.Equal(m.Data, p.Data) {
			t.Fatalf("%s: message data differs from the packet", p.Name)
		}
		if m.Header.Get(HeaderVersion) != "4" || m.Header.Get(HeaderContentType) != "application/octet-stream" {
			t.Fatalf("%s: headers %v", p.Name, m.Header)
		}
		g := recv(t, ch)
		want, _ := tenso.Decode(p.Data)
		if !bytes.Equal(natstest.Encode(t, g.v, tenso.Options{}), natstest.Encode(t, want, tenso.Options{})) {
			t.Fatalf("%s: received value differs", p.Name)
		}
		for _, o := range []tenso.Options{{}, {Integrity: true}} {
			if err := Publish(nc, "golden.value", want, o); err != nil {
				t.Fatalf("%s: %v", p.Name, err)
			}
			if m := recv(t, raw); !bytes.Equal(m.Data, natstest.Encode(t, want, o)) {
				t.Fatalf("%s: Publish did not send Encode's packet", p.Name)
			}
			g := recv(t, ch)
			if g.subject != "golden.value" || !bytes.Equal(natstest.Encode(t, g.v, o), natstest.Encode(t, want, o)) {
				t.Fatalf("%s %+v: round trip differs", p.Name, o)
			}
		}
	}
	for _, k := range []string{"dense", "bundle", "sparse_csr", "sparse_coo", "sparse_csc", "quantized", "string", "ragged"} {
		if !kinds[k] {
			t.Errorf("golden corpus has no %s packet", k)
		}
	}
}

func TestHeaders(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	raw := make(chan *nats.Msg, 4)
	rs, _ := nc.ChanSubscribe("h", raw)
	defer rs.Unsubscribe()
	v := &tenso.Tensor{DType: tenso.Float32, Shape: []int{2, 3}, Data: make([]byte, 24)}
	if err := Publish(nc, "h", v, tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	m := recv(t, raw)
	if m.Header.Get(HeaderShape) != "(2, 3)" || m.Header.Get(HeaderDType) != "float32" || m.Header.Get(HeaderVersion) != "4" {
		t.Fatalf("headers %v", m.Header)
	}
	if err := Publish(nc, "h", &tenso.Bundle{Entries: []tenso.Entry{{Key: "a", Value: v}}}, tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, raw); m.Header.Get(HeaderShape) != "" || m.Header.Get(HeaderVersion) != "4" {
		t.Fatalf("bundle headers %v", m.Header)
	}
}

// A decoded value is a view of the message data, not a copy.
func TestZeroCopy(t *testing.T) {
	v := &tenso.Tensor{DType: tenso.Float32, Shape: []int{256}, Data: make([]byte, 1024)}
	m, err := NewMsg("z", v, tenso.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var c subConfig
	c.limits.MaxBytes = 1 << 20
	var out *tenso.Tensor
	c.handle(m, func(_ string, v tenso.Value) { out = v.(*tenso.Tensor) })
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(m.Data)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(out.Data)))
	if p < lo || p+uintptr(len(out.Data)) > lo+uintptr(len(m.Data)) {
		t.Fatal("the received tensor's data is not a view of the message")
	}
}

// Malformed messages go to the error handler with the decode error; the
// subscription keeps delivering.
func TestMalformedMessages(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	type bad struct {
		m   *nats.Msg
		err error
	}
	errs := make(chan bad, 16)
	ch := collect(t, nc, "m", OnError(func(m *nats.Msg, err error) { errs <- bad{m, err} }))
	good := natstest.Encode(t, &tenso.Tensor{DType: tenso.Int32, Shape: []int{4}, Data: make([]byte, 16)}, tenso.Options{Integrity: true})
	flipped := bytes.Clone(good)
	flipped[len(flipped)-12] ^= 1 // body byte: the XXH3 footer no longer matches
	cases := map[string][]byte{
		"empty":     {},
		"garbage":   []byte("not a tenso packet at all"),
		"truncated": good[:len(good)-3],
		"checksum":  flipped,
		"trailing":  append(bytes.Clone(good), 0), // one message is exactly one packet
		"two":       append(bytes.Clone(good), good...),
	}
	for name, p := range cases {
		if err := nc.Publish("m", p); err != nil {
			t.Fatal(err)
		}
		b := recv(t, errs)
		var fe *tenso.FormatError
		if !errors.As(b.err, &fe) && !errors.Is(b.err, tenso.ErrChecksum) {
			t.Errorf("%s: error %v (%T) is not a *tenso.FormatError", name, b.err, b.err)
		}
		if !bytes.Equal(b.m.Data, p) {
			t.Errorf("%s: the handler got another message", name)
		}
		if err := nc.Publish("m", good); err != nil {
			t.Fatal(err)
		}
		if g := recv(t, ch); g.v.(*tenso.Tensor).Shape[0] != 4 {
			t.Fatalf("after %s: got %v", name, g.v)
		}
	}
}

func TestMaxPayload(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{MaxPayload: 64 << 10})
	big := &tenso.Tensor{DType: tenso.Uint8, Shape: []int{128 << 10}, Data: make([]byte, 128<<10)}
	err := Publish(nc, "p", big, tenso.Options{})
	var pe *PayloadError
	if !errors.Is(err, ErrMaxPayload) || !errors.Is(err, nats.ErrMaxPayload) || !errors.As(err, &pe) {
		t.Fatalf("Publish of 128 KiB over a 64 KiB max payload: %v", err)
	}
	if pe.Max != 64<<10 || pe.Size <= 128<<10 || !strings.Contains(err.Error(), "store") {
		t.Fatalf("error %q (%+v) does not say the sizes and the store", err, pe)
	}
	p := natstest.Encode(t, big, tenso.Options{})
	if err := PublishPacket(nc, "p", p); !errors.Is(err, ErrMaxPayload) {
		t.Fatalf("PublishPacket: %v", err)
	}
	// Just under the limit (headers included) goes through.
	ch := collect(t, nc, "p")
	n := 64<<10 - 256
	if err := Publish(nc, "p", &tenso.Tensor{DType: tenso.Uint8, Shape: []int{n}, Data: make([]byte, n)}, tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	if g := recv(t, ch); len(g.v.(*tenso.Tensor).Data) != n {
		t.Fatal("wrong size received")
	}
	if err := PublishPacket(nc, "p", []byte("junk")); err == nil || errors.Is(err, ErrMaxPayload) {
		t.Fatalf("PublishPacket of junk: %v", err)
	}
}
