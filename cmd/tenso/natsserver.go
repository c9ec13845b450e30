package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/tenso-go/tenso/native/tensonats/embedded"
)

func init() {
	register("nats-server", "run an embedded NATS server with JetStream and WebSocket (127.0.0.1 by default)", runNATSServer)
}

// listenPort splits a HOST:PORT flag; an empty value is (def, 0).
func listenPort(flagName, addr, def string) (host string, port int, err error) {
	if addr == "" {
		return def, 0, nil
	}
	h, p, err := net.SplitHostPort(addr)
	if err == nil {
		port, err = strconv.Atoi(p)
	}
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("-%s %q: want HOST:PORT", flagName, addr)
	}
	return h, port, nil
}

// extraListener parses the flag of a listener besides the client one: ""
// is none (0), HOST:PORT must be on the client listener's host, and port 0
// (a free one) is embedded's -1.
func extraListener(flagName, addr, host string) (int, error) {
	if addr == "" {
		return 0, nil
	}
	h, p, err := listenPort(flagName, addr, host)
	if err != nil {
		return 0, err
	}
	if h != host {
		return 0, fmt.Errorf("-%s %s: every listener is on the -addr host %s", flagName, addr, host)
	}
	if p == 0 {
		p = -1
	}
	return p, nil
}

// splitList splits a comma-separated flag value, dropping spaces around
// the items; an empty item is an error.
func splitList(flagName, s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("-%s %q: an empty item in the comma-separated list", flagName, s)
		}
		out = append(out, item)
	}
	return out, nil
}

func runNATSServer(args []string) int {
	fs := newFlags("nats-server", "[-addr 127.0.0.1:4222] [-ws 127.0.0.1:4223] [-store DIR] [-name NAME]\n"+
		"                         [-cluster NAME -cluster-addr HOST:PORT -routes URLS]",
		"Runs a NATS server with JetStream in this process: the server `tenso store`,\n"+
			"`tenso serve -nats` and the web demo's live panel talk to. Every listener is on\n"+
			"the -addr host (127.0.0.1 by default). Without -store, JetStream keeps its data\n"+
			"in a temporary directory removed at exit. For a cluster, give each server a\n"+
			"-name, the same -cluster name, its -cluster-addr and -routes listing every\n"+
			"server's route URL (nats-route://HOST:PORT, its own included). Prints the URLs\n"+
			"it listens on; stops cleanly on Ctrl-C or SIGTERM.")
	addr := fs.String("addr", "127.0.0.1:4222", "client listen address, HOST:PORT (port 0 picks a free one)")
	ws := fs.String("ws", "127.0.0.1:4223", "WebSocket listen address on the same host, no TLS (\"\" for none; port 0 picks a free one)")
	storeDir := fs.String("store", "", "JetStream storage directory (default: a temporary directory removed at exit)")
	name := fs.String("name", "", "server name (default: generated; set it in a cluster)")
	cluster := fs.String("cluster", "", "cluster name (with -cluster-addr and -routes)")
	clusterAddr := fs.String("cluster-addr", "", "route listen address, HOST:PORT on the same host (port 0 picks a free one)")
	routes := fs.String("routes", "", "comma-separated route URLs of the cluster's servers (nats-route://HOST:PORT)")
	maxPayload := fs.Int("max-payload", 0, "largest message in bytes (0: the server's default, 1 MiB)")
	logs := fs.Bool("log", false, "print the server's own log on stderr")
	pos, status, ok := parseArgs(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 0 {
		return badUsage(fs, fmt.Sprintf("nats-server: unexpected operand %q", pos[0]))
	}
	host, port, err := listenPort("addr", *addr, "127.0.0.1")
	if err != nil {
		return badUsage(fs, "nats-server: "+err.Error())
	}
	if *maxPayload < 0 || *maxPayload > math.MaxInt32 {
		return badUsage(fs, fmt.Sprintf("nats-server: -max-payload %d: want 0 to %d", *maxPayload, math.MaxInt32))
	}
	o := embedded.Options{Host: host, Port: port, StoreDir: *storeDir, ServerName: *name,
		ClusterName: *cluster, Log: *logs, MaxPayload: int32(*maxPayload)}
	if o.WebSocketPort, err = extraListener("ws", *ws, host); err != nil {
		return badUsage(fs, "nats-server: "+err.Error())
	}
	if o.ClusterPort, err = extraListener("cluster-addr", *clusterAddr, host); err != nil {
		return badUsage(fs, "nats-server: "+err.Error())
	}
	if o.Routes, err = splitList("routes", *routes); err != nil {
		return badUsage(fs, "nats-server: "+err.Error())
	}
	if (*cluster != "" || *clusterAddr != "" || len(o.Routes) > 0) && (*cluster == "" || *clusterAddr == "" || len(o.Routes) == 0) {
		return badUsage(fs, "nats-server: a cluster needs -cluster, -cluster-addr and -routes together")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := embedded.Start(o)
	if err != nil {
		return fail(fmt.Errorf("nats-server: %w", err))
	}
	where := *storeDir
	if where == "" {
		where = "a temporary directory"
	}
	fmt.Printf("tenso nats-server: %s (JetStream in %s)\n", s.ClientURL(), where)
	if u := s.WebSocketURL(); u != "" {
		fmt.Printf("tenso nats-server: websocket %s\n", u)
	}
	if u := s.ClusterURL(); u != "" {
		fmt.Printf("tenso nats-server: cluster %q routes %s\n", *cluster, u)
	}
	fmt.Println("tenso nats-server: ready (Ctrl-C to stop)")
	<-ctx.Done()
	s.Shutdown() // waits for the server, removes a temporary store
	fmt.Println("tenso nats-server: stopped")
	return 0
}
