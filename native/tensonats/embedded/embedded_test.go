package embedded_test

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/tenso-go/tenso/native/tensonats/embedded"
	"github.com/tenso-go/tenso/native/tensonats/internal/natstest"
)

func TestStartDefaults(t *testing.T) {
	s, err := embedded.Start(embedded.Options{WebSocketPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.NATS().JetStreamConfig().StoreDir
	if !strings.HasPrefix(s.ClientURL(), "nats://127.0.0.1:") || strings.HasSuffix(s.ClientURL(), ":-1") {
		t.Fatalf("ClientURL %q", s.ClientURL())
	}
	if !strings.HasPrefix(s.WebSocketURL(), "ws://127.0.0.1:") || strings.HasSuffix(s.WebSocketURL(), ":-1") {
		t.Fatalf("WebSocketURL %q", s.WebSocketURL())
	}
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.WebSocketURL(), "ws://"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if s.ClusterURL() != "" {
		t.Fatalf("ClusterURL %q without a cluster", s.ClusterURL())
	}
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	js, _ := nc.JetStream()
	if _, err := js.AccountInfo(); err != nil {
		t.Fatalf("JetStream: %v", err)
	}
	nc.Close()
	s.Shutdown()
	if _, err := nats.Connect(s.ClientURL(), nats.Timeout(time.Second), nats.NoReconnect()); err == nil {
		t.Fatal("connected after Shutdown")
	}
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		t.Fatalf("temporary store %s left after Shutdown", dir)
	}
	if s2, err := embedded.Start(embedded.Options{}); err != nil || s2.WebSocketURL() != "" {
		t.Fatalf("WebSocket off: %v %q", err, s2.WebSocketURL())
	} else {
		s2.Shutdown()
	}
}

func TestBadOptions(t *testing.T) {
	for name, o := range map[string]embedded.Options{
		"cluster without name":   {ClusterPort: -1},
		"cluster without routes": {ClusterName: "c", ClusterPort: -1},
		"bad route":              {ClusterName: "c", Routes: []string{"::"}},
		"negative payload":       {MaxPayload: -1},
	} {
		s, err := embedded.Start(o)
		if !errors.Is(err, embedded.ErrBadOptions) {
			t.Errorf("%s: %v", name, err)
			if s != nil {
				s.Shutdown()
			}
		}
	}
}

func TestCluster(t *testing.T) {
	ports := natstest.FreePorts(t, 2)
	pa, pb := ports[0], ports[1]
	routes := []string{"nats-route://127.0.0.1:" + strconv.Itoa(pa), "nats-route://127.0.0.1:" + strconv.Itoa(pb)}
	a, err := embedded.Start(embedded.Options{ClusterName: "c", ClusterPort: pa, ServerName: "a", Routes: routes, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()
	if a.ClusterURL() != routes[0] {
		t.Fatalf("ClusterURL %q", a.ClusterURL())
	}
	b, err := embedded.Start(embedded.Options{ClusterName: "c", ClusterPort: pb, ServerName: "b", Routes: routes, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown()
	deadline := time.Now().Add(10 * time.Second)
	for a.NATS().NumRoutes() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no route between the two servers in 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
