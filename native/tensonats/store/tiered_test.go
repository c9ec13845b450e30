//go:build linux

package store

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/tensonats/embedded"
	"github.com/tenso-go/tenso/native/tensonats/internal/natstest"
	"github.com/tenso-go/tenso/shm"
)

func newCache(t *testing.T) *shm.Cache {
	t.Helper()
	c, err := shm.CreateCacheBytes(shm.NewName(), 64<<20, shm.CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); c.Unlink() })
	return c
}

func tensorData(t *testing.T, v tenso.Value) []byte {
	t.Helper()
	d, ok := v.(*tenso.Tensor)
	if !ok {
		t.Fatalf("value %T", v)
	}
	return d.Data
}

// Another process (the test binary run again, with its own cache, as on
// another machine) puts and deletes keys; the local copies are dropped and
// the next Get reads the new value.
func TestTieredAcrossProcesses(t *testing.T) {
	srv, nc := natstest.Start(t, embedded.Options{})
	s := open(t, nc, "tiered", Config{})
	c := newCache(t)
	tc, err := NewTiered(s, c)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	ctx := ctxT(t, 60*time.Second)
	v1, v2 := dense(1000, 1), dense(1000, 2)
	if err := tc.PutValue(ctx, "k", v1, tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := tc.PutValue(ctx, "k2", v1, tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	g, err := tc.Get(ctx, "k")
	if err != nil || g.Local || !bytes.Equal(tensorData(t, g.Value), v1.Data) {
		t.Fatalf("first Get: local %v, %v", g.Local, err)
	}
	getLocal(t, tc, "k", v1.Data)
	if _, err := tc.Get(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tiered/k", "tiered/k2"} {
		if ok, _ := c.Contains(k); !ok {
			t.Fatalf("%s not cached", k)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTieredChild$", "-test.v")
	cmd.Env = append(os.Environ(), "TENSO_TIERED_CHILD="+srv.ClientURL())
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("child done")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, _ := c.Contains("tiered/k")
		b, _ := c.Contains("tiered/k2")
		if !a && !b {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("local copies not invalidated 10 s after the other process changed them (k %v, k2 %v)", a, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	g, err = tc.Get(ctx, "k")
	if err != nil || g.Local || !bytes.Equal(tensorData(t, g.Value), v2.Data) {
		t.Fatalf("Get after the remote Put: local %v, %v", g.Local, err)
	}
	getLocal(t, tc, "k", v2.Data)
	if _, err := tc.Get(ctx, "k2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after the remote Delete: %v", err)
	}
}

// getLocal gets key until it is a local hit (the watch events of earlier
// puts may drop the first fills), within 10 s, checking every answer.
func getLocal(t *testing.T, tc *Tiered, key string, want []byte) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g, err := tc.Get(ctxT(t, 10*time.Second), key)
		if err != nil || !g.Valid() || !bytes.Equal(tensorData(t, g.Value), want) {
			t.Fatalf("Get %s: %v", key, err)
		}
		if g.Local {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get %s never served from the local cache", key)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTieredChild is the other process of TestTieredAcrossProcesses.
func TestTieredChild(t *testing.T) {
	url := os.Getenv("TENSO_TIERED_CHILD")
	if url == "" {
		t.Skip("run by TestTieredAcrossProcesses")
	}
	nc := natstest.Connect(t, url)
	s := open(t, nc, "tiered", Config{})
	tc, err := NewTiered(s, newCache(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	ctx := ctxT(t, 30*time.Second)
	if g, err := tc.Get(ctx, "k"); err != nil || !bytes.Equal(tensorData(t, g.Value), dense(1000, 1).Data) {
		t.Fatalf("child Get: %v", err)
	}
	if err := tc.PutValue(ctx, "k", dense(1000, 2), tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := tc.Delete(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	t.Log("child done")
}

// Once the watch ends (the connection closed), no local copy is served:
// it could be stale.
func TestTieredWatchEnds(t *testing.T) {
	srv, _ := natstest.Start(t, embedded.Options{})
	nc := natstest.Connect(t, srv.ClientURL())
	s := open(t, nc, "blind", Config{})
	c := newCache(t)
	tc, err := NewTiered(s, c)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	v := dense(100, 3)
	if err := tc.PutValue(ctxT(t, 10*time.Second), "k", v, tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	getLocal(t, tc, "k", v.Data)
	nc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g, err := tc.Get(ctxT(t, 2*time.Second), "k")
		if err != nil && !g.Local {
			break // read from the (unreachable) store, not the cache
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache still serves its copy 10 s after the watch ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ok, _ := c.Contains("blind/k"); !ok {
		t.Fatal("the entry itself should still be in the pool (only bypassed)")
	}
}
