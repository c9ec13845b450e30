// Package natstest starts real NATS servers for the tests of tensonats
// and its packages, and gives them the golden corpus as packets. Only
// _test.go files import it.
package natstest

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/golden"
	"github.com/tenso-go/tenso/native/tensonats/embedded"
)

// Start starts an embedded server (its store in the test's temporary
// directory unless o sets one) and connects to it; both are closed when
// the test ends.
func Start(t testing.TB, o embedded.Options) (*embedded.Server, *nats.Conn) {
	t.Helper()
	if o.StoreDir == "" {
		o.StoreDir = t.TempDir()
	}
	s, err := embedded.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s, Connect(t, s.ClientURL())
}

// Connect connects to url (closed when the test ends).
func Connect(t testing.TB, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	opts = append([]nats.Option{nats.Timeout(5 * time.Second)}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// JetStream returns a JetStream context on nc.
func JetStream(t testing.TB, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// FreePorts returns n loopback TCP ports free at the time of the call.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// Encode encodes v with o, failing the test on error.
func Encode(t testing.TB, v tenso.Value, o tenso.Options) []byte {
	t.Helper()
	p, err := tenso.Encode(v, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Packet is one golden packet.
type Packet struct {
	Name string // file name
	Kind string // manifest kind: dense, bundle, sparse_csr, quantized, string, ragged, …
	Data []byte
}

// Golden returns every packet of the golden corpus, each checked to decode.
func Golden(t testing.TB) []Packet {
	t.Helper()
	var out []Packet
	for _, f := range golden.Files(t) {
		name, _ := f["file"].(string)
		kind, _ := f["kind"].(string)
		p := golden.Read(t, name)
		if _, err := tenso.Decode(p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, Packet{Name: name, Kind: kind, Data: p})
	}
	return out
}
