//go:build linux

package shm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tenso-go/tenso/internal/testutil"
)

func exists(name string) bool {
	_, err := os.Stat(shmDir + name)
	return err == nil
}

// Create, open, open-or-create, Close and Unlink, as the package
// documentation describes them.
func TestCacheLifeCycle(t *testing.T) {
	name := testName(t)
	if _, err := OpenCache(name, CacheOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("OpenCache of a missing name:", err)
	}
	a, err := OpenOrCreateCache(name, "1MB", CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Created() {
		t.Fatal("first OpenOrCreateCache did not create the pool")
	}
	if _, err := CreateCache(name, "1MB", CacheOptions{}); !errors.Is(err, os.ErrExist) {
		t.Fatal("CreateCache of an existing name:", err)
	}
	// The size is for creating only: the second handle attaches to the
	// 1 MB pool.
	b, err := OpenOrCreateCache(name, "64KB", CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Created() {
		t.Fatal("second OpenOrCreateCache created a pool")
	}
	if st, _ := b.Stats(); st.PoolSize != 1<<20 {
		t.Fatalf("attached to a pool of %d bytes, want the existing 1 MiB", st.PoolSize)
	}
	if err := a.Put("w", testutil.Bytes(8), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetCopy("w"); err != nil {
		t.Fatal("entry put through one handle not seen through the other:", err)
	}

	// Close keeps the pool; Unlink removes the name, and attached handles
	// keep working until they close.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if !exists(name) {
		t.Fatal("Close removed the pool")
	}
	if _, err := a.Get("w"); !errors.Is(err, ErrClosed) {
		t.Fatal("Get after Close:", err)
	}
	if err := a.Unlink(); err != nil {
		t.Fatal("Unlink after Close:", err)
	}
	if exists(name) {
		t.Fatal("Unlink left the pool")
	}
	if _, err := OpenCache(name, CacheOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("OpenCache after Unlink:", err)
	}
	if _, err := b.GetCopy("w"); err != nil {
		t.Fatal("an attached handle stopped working at Unlink:", err)
	}
	if err := a.Unlink(); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("second Unlink:", err)
	}

	// The name is free: a new pool, empty. b's Unlink must not remove it.
	c, err := OpenOrCreateCache(name, "64KB", CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Created() {
		t.Fatal("OpenOrCreateCache after Unlink attached to something")
	}
	if ok, _ := c.Contains("w"); ok {
		t.Fatal("the new pool has the old pool's entry")
	}
	if err := b.Unlink(); err == nil || !strings.Contains(err.Error(), "no longer this pool") {
		t.Fatal("Unlink through a handle of the removed pool:", err)
	}
	if !exists(name) {
		t.Fatal("a stale handle's Unlink removed the new pool")
	}
	b.Close()
	if err := c.Unlink(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenOrCreateCacheErrors(t *testing.T) {
	if _, err := OpenOrCreateCache("", "1MB", CacheOptions{}); !errors.Is(err, ErrBadName) {
		t.Fatal("empty name:", err)
	}
	name := testName(t)
	if _, err := OpenOrCreateCacheBytes(name, 100, CacheOptions{}); err == nil || exists(name) {
		t.Fatal("a 100-byte pool:", err, exists(name))
	}
	if _, err := OpenOrCreateCache(name, "lots", CacheOptions{}); err == nil || exists(name) {
		t.Fatal("a bad size:", err)
	}
	// A segment that is not a pool is refused at once, not waited for.
	s, err := Create(name, 8192)
	if err != nil {
		t.Fatal(err)
	}
	copy(s.Bytes(), "XXXX")
	s.Close()
	clk := newFakeClock()
	if _, err := openOrCreate(name, 1<<20, CacheOptions{}, clk); !errors.Is(err, ErrBadHeader) || clk.sleptFor() != 0 {
		t.Fatalf("a segment that is not a pool: %v (after %v)", err, clk.sleptFor())
	}
}

// An open-or-create that finds a pool still being created waits for its
// creator to publish the header, whichever step the creator is at; one
// whose creator died is reported after the lock timeout; one whose creator
// gave up and removed the name is created afresh.
func TestOpenOrCreateCacheWaits(t *testing.T) {
	const size = 64 << 10
	me, ds, err := geometry(size)
	if err != nil {
		t.Fatal(err)
	}
	newPending := func(t *testing.T) (string, *os.File) {
		name := testName(t)
		f, err := os.OpenFile(shmDir+name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return name, f
	}

	t.Run("published", func(t *testing.T) {
		name, f := newPending(t) // created, not yet sized
		clk := newFakeClock()
		clk.onSleep = func(n int) {
			switch n {
			case 2: // sized, header not written
				if err := f.Truncate(size); err != nil {
					t.Error(err)
				}
			case 4: // header published
				mem, err := mapFile(f, size)
				if err != nil {
					t.Error(err)
					return
				}
				(&Cache{mem: mem, poolSize: size, maxEntries: me, dataStart: ds}).format()
				unix.Munmap(mem)
			}
		}
		c, err := openOrCreate(name, size, CacheOptions{}, clk)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.Created() || clk.sleeps != 4 {
			t.Fatalf("created %v after %d waits, want attached after 4", c.Created(), clk.sleeps)
		}
		if err := c.Put("k", testutil.Bytes(4), PutOptions{}); err != nil {
			t.Fatal(err)
		}
		mustCheck(t, c)
	})

	t.Run("creator died", func(t *testing.T) {
		name, f := newPending(t)
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		clk := newFakeClock()
		_, err := openOrCreate(name, size, CacheOptions{LockTimeout: 200 * time.Millisecond}, clk)
		if !errors.Is(err, ErrBadHeader) || !strings.Contains(err.Error(), "shm.Unlink") {
			t.Fatal(err)
		}
		if d := clk.sleptFor(); d < 200*time.Millisecond {
			t.Fatalf("gave up after %v, before the 200 ms timeout", d)
		}
		t.Log(err)
		// OpenCache does not wait: the same verdict at once.
		if _, err := OpenCache(name, CacheOptions{}); !errors.Is(err, ErrBadHeader) {
			t.Fatal(err)
		}
	})

	t.Run("creator gave up", func(t *testing.T) {
		name, _ := newPending(t)
		clk := newFakeClock()
		clk.onSleep = func(n int) {
			if n == 1 {
				if err := Unlink(name); err != nil {
					t.Error(err)
				}
			}
		}
		c, err := openOrCreate(name, size, CacheOptions{}, clk)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if !c.Created() {
			t.Fatal("attached to a removed pool")
		}
	})
}

// openOrCreateChild is one racer of TestOpenOrCreateRace: it waits for the
// start signal (the barrier file appearing), opens or creates the pool,
// stores its own key and reports whether it created the pool.
func openOrCreateChild(name string, seed int) {
	fail := func(code int, err error) {
		fmt.Fprintln(os.Stderr, "racer", seed, "ERROR", err)
		os.Exit(code)
	}
	barrier := os.Getenv("TENSO_SHM_BARRIER")
	fmt.Println("READY")
	for give := time.Now().Add(30 * time.Second); ; { // in case the parent died
		if _, err := os.Stat(barrier); err == nil {
			break
		}
		if time.Now().After(give) {
			fail(8, errors.New("no start signal"))
		}
		time.Sleep(20 * time.Microsecond)
	}
	c, err := OpenOrCreateCacheBytes(name, 256<<10, CacheOptions{})
	if err != nil {
		fail(9, err)
	}
	if err := c.Put("k"+strconv.Itoa(seed), testutil.Bytes(4), PutOptions{}); err != nil {
		fail(10, err)
	}
	created := c.Created()
	if err := c.Close(); err != nil {
		fail(11, err)
	}
	fmt.Println("CREATED", created)
}

// Processes that race to open or create one name all end up in one pool,
// created by exactly one of them.
func TestOpenOrCreateRace(t *testing.T) {
	const racers = 4
	rounds := 4
	if testing.Short() {
		rounds = 1
	}
	for round := 0; round < rounds; round++ {
		name := testName(t)
		barrier := filepath.Join(t.TempDir(), "start")
		var cmds []*exec.Cmd
		var outs []*bufio.Reader
		for i := 0; i < racers; i++ {
			cmd, out := startChild(t, "openorcreate", name, i, 0, "TENSO_SHM_BARRIER="+barrier)
			cmds, outs = append(cmds, cmd), append(outs, out)
		}
		for i := range outs {
			if _, err := readLine(outs[i], "READY"); err != nil {
				t.Fatalf("racer %d: %v", i, err)
			}
		}
		if err := os.WriteFile(barrier, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		created := 0
		for i, cmd := range cmds {
			line, err := readLine(outs[i], "CREATED ")
			io.Copy(io.Discard, outs[i])
			if werr := cmd.Wait(); err != nil || werr != nil {
				t.Fatalf("racer %d: %v %v", i, err, werr)
			}
			if line == "true" {
				created++
			}
		}
		if created != 1 {
			t.Fatalf("round %d: %d racers created the pool, want 1", round, created)
		}
		c, err := OpenCache(name, CacheOptions{})
		if err != nil {
			t.Fatal(err)
		}
		keys, err := c.Keys()
		c.Close()
		slices.Sort(keys)
		if err != nil || !slices.Equal(keys, []string{"k0", "k1", "k2", "k3"}) {
			t.Fatalf("round %d: the pool has keys %q (%v), want every racer's", round, keys, err)
		}
	}
}
