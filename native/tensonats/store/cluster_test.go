//go:build linux

package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/tensonats/internal/natstest"
)

// natsServerBinary builds the nats-server of this module's go.mod once
// per machine (cached in the temporary directory, keyed by version) so
// that the cluster test can kill real server processes.
func natsServerBinary(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "tenso-nats-server-v2.15.3")
	bin := filepath.Join(dir, "nats-server")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, fmt.Sprintf("nats-server.%d", os.Getpid()))
	cmd := exec.Command("go", "build", "-o", tmp, "github.com/nats-io/nats-server/v2")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building nats-server: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

type node struct {
	name       string
	port, cprt int
	dir        string
	cmd        *exec.Cmd
	log        *os.File
}

func (n *node) url() string { return "nats://127.0.0.1:" + strconv.Itoa(n.port) }

type cluster struct {
	t     *testing.T
	bin   string
	nodes []*node
}

func startCluster(t *testing.T, size int) *cluster {
	c := &cluster{t: t, bin: natsServerBinary(t)}
	ports := natstest.FreePorts(t, 2*size)
	var routes []string
	for i := range size {
		routes = append(routes, "nats://127.0.0.1:"+strconv.Itoa(ports[size+i]))
	}
	for i := range size {
		n := &node{name: "n" + strconv.Itoa(i), port: ports[i], cprt: ports[size+i], dir: t.TempDir()}
		c.nodes = append(c.nodes, n)
		c.start(n, strings.Join(routes, ","))
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			c.kill(n)
		}
	})
	return c
}

func (c *cluster) start(n *node, routes string) {
	c.t.Helper()
	var err error
	n.log, err = os.OpenFile(filepath.Join(n.dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	n.cmd = exec.Command(c.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(n.port), "-n", n.name,
		"-js", "-sd", filepath.Join(n.dir, "js"), "--cluster_name", "tenso",
		"--cluster", "nats://127.0.0.1:"+strconv.Itoa(n.cprt), "--routes", routes)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) kill(n *node) {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	_ = n.cmd.Wait()
	n.cmd = nil
	n.log.Close()
}

func (c *cluster) byName(name string) *node {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	c.t.Fatalf("no node %q", name)
	return nil
}

func (c *cluster) urls(except ...*node) string {
	var u []string
	for _, n := range c.nodes {
		skip := n.cmd == nil
		for _, e := range except {
			skip = skip || e == n
		}
		if !skip {
			u = append(u, n.url())
		}
	}
	return strings.Join(u, ",")
}

func (c *cluster) connect(urls string) *nats.Conn {
	c.t.Helper()
	return natstest.Connect(c.t, urls, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.RetryOnFailedConnect(true), nats.ReconnectJitter(10*time.Millisecond, 10*time.Millisecond))
}

// leader returns the node leading the bucket's stream.
func (c *cluster) leader(ctx context.Context, nc *nats.Conn, stream string) *node {
	c.t.Helper()
	js := natstest.JetStream(c.t, nc)
	for {
		if s, err := js.Stream(ctx, stream); err == nil {
			if si, err := s.Info(ctx); err == nil && si.Cluster != nil && si.Cluster.Leader != "" {
				return c.byName(si.Cluster.Leader)
			}
		}
		if ctx.Err() != nil {
			c.t.Fatalf("no leader of %s: %v", stream, ctx.Err())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitCurrent waits until every replica of stream is current.
func (c *cluster) waitCurrent(ctx context.Context, nc *nats.Conn, stream string, want int) {
	c.t.Helper()
	js := natstest.JetStream(c.t, nc)
	for {
		if s, err := js.Stream(ctx, stream); err == nil {
			if si, err := s.Info(ctx); err == nil && si.Cluster != nil && si.Cluster.Leader != "" {
				ok := 1
				for _, r := range si.Cluster.Replicas {
					if r.Current && !r.Offline && r.Lag == 0 {
						ok++
					}
				}
				if ok >= want {
					return
				}
			}
		}
		if ctx.Err() != nil {
			c.t.Fatalf("replicas of %s not current: %v", stream, ctx.Err())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// clusterSizes is the size of each of n puts: skewed small (1 B to 4 KiB
// mostly), some of a few hundred KiB and MiB, and a handful of 20 MiB
// (the first and last included), ≈ 100 MiB in all.
func clusterSizes(n int) []int {
	r := rand.New(rand.NewPCG(10, 10))
	s := make([]int, n)
	for i := range s {
		switch x := r.IntN(1000); {
		case x < 880:
			s[i] = 1 + r.IntN(4096)
		case x < 975:
			s[i] = 4096 + r.IntN(256<<10)
		default:
			s[i] = 256<<10 + r.IntN(2<<20)
		}
	}
	s[0] = 1
	for _, i := range []int{1, n / 4, n / 2, 3 * n / 4, n - 1} {
		s[i] = 20 << 20
	}
	return s
}

func clusterValue(i, size int) *tenso.Tensor { return dense(size, uint64(i)+1000) }

// A real 3-node cluster (nats-server processes, routes, R3): the node
// leading the bucket is killed with SIGKILL during 1,000 puts of 1 B to
// 20 MiB; every acknowledged put is then readable from the survivors byte
// for byte, writes go on with 2 of 3, the killed node rejoins and serves
// every value (with another node down), and a client cut mid-put of a
// large value leaves nothing visible.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("3-node cluster test: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := startCluster(t, 3)
	nc := c.connect(c.urls())
	var retries atomic.Int64
	cfg := Config{Replicas: 3, AttemptTimeout: 5 * time.Second, OnRetry: func(error) { retries.Add(1) }}
	s, err := Open(ctx, natstest.JetStream(t, nc), "cluster", cfg)
	if err != nil {
		t.Fatal(err)
	}
	const stream = "OBJ_cluster"
	c.waitCurrent(ctx, nc, stream, 3)

	sizes := clusterSizes(1000)
	const killAt = 300
	var (
		acked     = make([]bool, len(sizes))
		next      atomic.Int64
		done      atomic.Int64
		afterKill atomic.Int64
		killed    atomic.Bool
		mu        sync.Mutex
		failures  []string
		wg        sync.WaitGroup
	)
	var victim *node
	killOnce := sync.Once{}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(sizes) {
					return
				}
				pctx, pcancel := context.WithTimeout(ctx, 90*time.Second)
				err := s.PutValue(pctx, "v"+strconv.Itoa(i), clusterValue(i, sizes[i]), tenso.Options{Integrity: i%2 == 0})
				pcancel()
				if err != nil {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("put %d (%d B): %v", i, sizes[i], err))
					mu.Unlock()
					continue
				}
				acked[i] = true
				if killed.Load() {
					afterKill.Add(1)
				}
				if done.Add(1) == killAt {
					killOnce.Do(func() {
						victim = c.leader(ctx, nc, stream)
						t.Logf("killing %s, the leader of %s, after %d acknowledged puts", victim.name, stream, killAt)
						c.kill(victim)
						killed.Store(true)
					})
				}
			}
		}()
	}
	wg.Wait()
	if victim == nil {
		t.Fatal("the leader was never killed")
	}
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d puts acknowledged, %d after the kill; %d retried attempts", done.Load(), afterKill.Load(), retries.Load())
	if afterKill.Load() < int64(len(sizes)-killAt)/2 {
		t.Fatalf("only %d puts acknowledged with 2 of 3 nodes", afterKill.Load())
	}

	// Every acknowledged put, byte for byte, from the survivors only.
	check := func(who string, s *Store) {
		t.Helper()
		for i, ok := range acked {
			if !ok {
				continue
			}
			gctx, gcancel := context.WithTimeout(ctx, 30*time.Second)
			got, err := s.Get(gctx, "v"+strconv.Itoa(i))
			gcancel()
			if err != nil {
				t.Fatalf("%s: Get v%d: %v", who, i, err)
			}
			want := natstest.Encode(t, clusterValue(i, sizes[i]), tenso.Options{Integrity: i%2 == 0})
			if !bytes.Equal(got, want) {
				t.Fatalf("%s: v%d (%d B) differs", who, i, sizes[i])
			}
		}
	}
	survivors := c.connect(c.urls(victim))
	ss, err := Open(ctx, natstest.JetStream(t, survivors), "cluster", cfg)
	if err != nil {
		t.Fatal(err)
	}
	check("survivors", ss)

	// The killed node rejoins and catches up; then another node goes
	// down, so that the values are served with the rejoined node as one
	// of the two left.
	c.start(victim, strings.Join(func() (r []string) {
		for _, n := range c.nodes {
			r = append(r, "nats://127.0.0.1:"+strconv.Itoa(n.cprt))
		}
		return
	}(), ","))
	c.waitCurrent(ctx, nc, stream, 3)
	var other *node
	for _, n := range c.nodes {
		if n != victim {
			other = n
			if n == c.leader(ctx, nc, stream) {
				break
			}
		}
	}
	t.Logf("%s rejoined and is current; killing %s", victim.name, other.name)
	c.kill(other)
	rejoined := c.connect(victim.url())
	rs, err := Open(ctx, natstest.JetStream(t, rejoined), "cluster", cfg)
	if err != nil {
		t.Fatal(err)
	}
	check("rejoined", rs)

	// A client cut in the middle of a 20 MiB put: nothing visible.
	CutMidPut(t, victim.url(), "cluster", "cut", 20<<20)
	if _, err := rs.Get(ctx, "cut"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after a cut put: %v", err)
	}
	l, err := rs.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l {
		if !strings.HasPrefix(e.Key, "v") {
			t.Errorf("List has %+v", e)
		}
	}
	if len(l) != int(done.Load()) {
		t.Fatalf("List: %d values, want %d", len(l), done.Load())
	}
}
