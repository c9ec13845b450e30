package main

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tenso-go/tenso/internal/golden"
)

// freePorts returns n loopback ports free at the time of the call.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// Three `tenso nats-server` processes form a JetStream cluster with the
// -cluster flags; `tenso store put -replicas 3` is acknowledged, and the
// value is read back byte for byte from the survivors after the server the
// put went through is stopped.
func TestCLINATSCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("three servers")
	}
	ports := freePorts(t, 6)
	var routes []string
	for i := range 3 {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3+i]))
	}
	var clients []string
	var stops []func() (int, string)
	for i := range 3 {
		c, _, stop := natsServer(t, "-name", fmt.Sprintf("n%d", i+1), "-addr", fmt.Sprintf("127.0.0.1:%d", ports[i]), "-ws", "",
			"-store", t.TempDir(), "-cluster", "tc", "-cluster-addr", fmt.Sprintf("127.0.0.1:%d", ports[3+i]), "-routes", strings.Join(routes, ","))
		clients = append(clients, c)
		stops = append(stops, stop)
	}
	// The cluster elects its meta leader after the servers are up: the
	// put retries until then, within -timeout.
	packet := golden.Read(t, "dense_f32_1M_compressed_integrity.tenso")
	start := time.Now()
	r := tensoCLI(t, "store", "put", "-nats", clients[0], "-replicas", "3", "-timeout", "60s", "r3", "k", "dense_f32_1M_compressed_integrity.tenso")
	if r.code != 0 {
		t.Fatalf("put -replicas 3: %+v", r)
	}
	t.Logf("put R3 acknowledged %v after the servers were ready", time.Since(start))
	if code, out := stops[0](); code != 0 {
		t.Fatalf("stop n1: exit %d\n%s", code, out)
	}
	for _, c := range clients[1:] {
		g := tensoCLI(t, "store", "get", "-nats", c, "-timeout", "60s", "r3", "k")
		if g.code != 0 || g.stdout != string(packet) {
			t.Fatalf("get from %s with n1 down: exit %d, %d bytes, %q", c, g.code, len(g.stdout), g.stderr)
		}
	}
	// Writes continue with two of three.
	if r := tensoCLI(t, "store", "put", "-nats", clients[1]+","+clients[2], "-timeout", "60s", "r3", "k2", "dense_f32.tenso"); r.code != 0 {
		t.Fatalf("put with 2 of 3: %+v", r)
	}
}
