//go:build linux

package shm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

// Child processes re-execute this test binary with TENSO_SHM_CHILD set;
// TestChildProcess then runs the child's part and returns.
const childEnv = "TENSO_SHM_CHILD"

func startChild(t *testing.T, mode, name string, seed, ops int, env ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "TENSO_SHM_NAME="+name,
		"TENSO_SHM_SEED="+strconv.Itoa(seed), "TENSO_SHM_OPS="+strconv.Itoa(ops))
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, bufio.NewReader(out)
}

// readLine returns the first stdout line starting with prefix.
func readLine(r *bufio.Reader, prefix string) (string, error) {
	for {
		line, err := r.ReadString('\n')
		if strings.HasPrefix(line, prefix) {
			return strings.TrimSpace(strings.TrimPrefix(line, prefix)), nil
		}
		if err != nil {
			return "", fmt.Errorf("no %q line: %w", prefix, err)
		}
	}
}

func TestChildProcess(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		return // only runs as a child
	}
	name := os.Getenv("TENSO_SHM_NAME")
	seed, _ := strconv.Atoi(os.Getenv("TENSO_SHM_SEED"))
	ops, _ := strconv.Atoi(os.Getenv("TENSO_SHM_OPS"))
	if mode == "openorcreate" {
		openOrCreateChild(name, seed)
		return
	}
	c, err := OpenCache(name, CacheOptions{})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	switch mode {
	case "put4mib":
		if err := c.Put("t", bigTensor(4<<20), PutOptions{}); err != nil {
			fmt.Println("ERROR", err)
			os.Exit(7)
		}
	case "stress":
		gets, err := stress(c, seed, ops)
		if err != nil {
			fmt.Println("ERROR", err)
			os.Exit(3)
		}
		fmt.Println("GETS", gets)
	case "hold":
		// Die in the middle of a put: the lock held, a chunk allocated
		// and half written, a slot filled but not published, the LRU
		// head pointing at it.
		if _, err := c.lock(); err != nil {
			fmt.Println("ERROR", err)
			os.Exit(4)
		}
		c.refreshIndex()
		i := c.freeSlots[len(c.freeSlots)-1]
		off, size, ok, err := c.alloc(8192)
		if err != nil || !ok {
			fmt.Println("ERROR alloc", err)
			os.Exit(5)
		}
		for j := off; j < off+size/2; j++ {
			c.mem[j] = 0xEE
		}
		c.setKey(i, "half-written")
		c.put64(c.slot(i)+sDataOff, off)
		c.put32(c.slot(i)+sChunk, uint32(size))
		c.put32(hLRUHead, i)
		fmt.Println("HOLDING", i)
		time.Sleep(time.Minute)
		os.Exit(6)
	}
}

// stress runs ops random operations with checksummed values and returns
// how many gets it made (hits and misses).
func stress(c *Cache, seed, ops int) (gets uint64, err error) {
	r := rand.New(rand.NewPCG(uint64(seed), 99))
	for op := 0; op < ops; op++ {
		k := "k" + strconv.Itoa(r.IntN(24))
		switch r.IntN(10) {
		case 0, 1, 2:
			var o PutOptions
			if r.IntN(4) == 0 {
				o.TTL = time.Duration(1+r.IntN(3)) * time.Millisecond
			}
			if r.IntN(5) == 0 {
				o.Encode.Integrity = true
			}
			err = c.Put(k, checkedTensor(r, 16+r.IntN(6000)), o)
		case 3:
			var info EntryInfo
			if info, err = c.Info(k); err == nil && info.NDim == 1 {
				err = c.Update(k, checkedTensor(r, info.Shape[0]), tenso.Options{})
			}
			if errors.Is(err, ErrMismatch) {
				err = nil // replaced by another process in between
			}
		case 4:
			_, err = c.Delete(k)
		case 5, 6:
			gets++
			var v View
			if v, err = c.Get(k); err == nil {
				if verr := verifyChecked(v.Value); verr != nil && v.Valid() {
					return gets, fmt.Errorf("op %d: corrupted zero-copy read of %s: %v", op, k, verr)
				}
			}
		case 7, 8:
			gets++
			var v tenso.Value
			if v, err = c.GetCopy(k); err == nil {
				if verr := verifyChecked(v); verr != nil {
					return gets, fmt.Errorf("op %d: corrupted copy of %s: %v", op, k, verr)
				}
			}
		case 9:
			if _, err = c.Stats(); err == nil {
				_, err = c.Keys()
			}
		}
		if errors.Is(err, ErrNotFound) {
			err = nil
		}
		if err != nil {
			return gets, fmt.Errorf("op %d: %w", op, err)
		}
		if op%500 == 499 {
			if err := c.check(); err != nil {
				return gets, fmt.Errorf("op %d: invariants: %w", op, err)
			}
		}
	}
	return gets, nil
}

func waitChildren(t *testing.T, cmds []*exec.Cmd, outs []*bufio.Reader) (gets uint64) {
	t.Helper()
	for i, cmd := range cmds {
		line, err := readLine(outs[i], "GETS ")
		io.Copy(io.Discard, outs[i])
		if werr := cmd.Wait(); werr != nil || err != nil {
			t.Fatalf("child %d: %v %v", i, err, werr)
		}
		n, _ := strconv.ParseUint(line, 10, 64)
		gets += n
	}
	return gets
}

// Four processes × thousands of random operations on a small pool: no
// corrupted read, consistent structures and counters at the end.
func TestCacheMultiProcess(t *testing.T) {
	ops := 5000
	if testing.Short() {
		ops = 500
	}
	name := testName(t)
	c, err := CreateCacheBytes(name, 96<<10, CacheOptions{}) // ~70 KiB of data, 71 slots
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	var cmds []*exec.Cmd
	var outs []*bufio.Reader
	for i := 0; i < 4; i++ {
		cmd, out := startChild(t, "stress", name, 100+i, ops)
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	gets := waitChildren(t, cmds, outs)
	t.Logf("4 processes × %d ops in %v", ops, time.Since(start))
	mustCheck(t, c)
	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Hits+st.Misses != gets {
		t.Fatalf("hits %d + misses %d != %d gets made", st.Hits, st.Misses, gets)
	}
	keys, _ := c.Keys()
	t.Logf("stats %+v, %d live keys", st, len(keys))
	for _, k := range keys {
		v, err := c.GetCopy(k)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(k, err)
		}
		if err == nil && verifyChecked(v) != nil {
			t.Fatal("corrupted", k)
		}
	}
}

// A process killed by SIGKILL while it holds the lock, halfway through a
// put: the others carry on (the holder's death is detected by PID, well
// before the lock timeout), and the half-written entry is absent.
func TestCacheKillHolder(t *testing.T) {
	for _, reaped := range []bool{false, true} {
		t.Run(fmt.Sprintf("reaped=%v", reaped), func(t *testing.T) {
			name := testName(t)
			c, err := CreateCacheBytes(name, 256<<10, CacheOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			r := rand.New(rand.NewPCG(1, 1))
			for i := 0; i < 8; i++ {
				c.Put("pre"+strconv.Itoa(i), checkedTensor(r, 2000), PutOptions{})
			}
			holder, hout := startChild(t, "hold", name, 0, 0)
			if _, err := readLine(hout, "HOLDING"); err != nil {
				t.Fatal(err)
			}
			// Workers start while the lock is held and must block.
			var cmds []*exec.Cmd
			var outs []*bufio.Reader
			for i := 0; i < 3; i++ {
				cmd, out := startChild(t, "stress", name, 200+i, 300)
				cmds, outs = append(cmds, cmd), append(outs, out)
			}
			time.Sleep(50 * time.Millisecond)
			if err := holder.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed := time.Now()
			if reaped {
				holder.Wait() // ESRCH from then on, instead of a zombie
			}
			if err := c.Put("after", checkedTensor(r, 1000), PutOptions{}); err != nil {
				t.Fatal(err)
			}
			// A figure, not a bound: on a loaded machine it may take longer
			// (the bound that matters is the 5 s lock timeout of the Put).
			t.Logf("lock recovered %v after SIGKILL", time.Since(killed))
			waitChildren(t, cmds, outs)
			if !reaped {
				holder.Wait()
			}
			mustCheck(t, c)
			if ok, _ := c.Contains("half-written"); ok {
				t.Fatal("unpublished entry visible")
			}
			if v, err := c.GetCopy("after"); err != nil || verifyChecked(v) != nil {
				t.Fatal(err)
			}
		})
	}
}

// A lock left by a holder that cannot be checked by PID (a Python process)
// is taken over by the reference's time rule, after one second of
// observation on the waiter's clock; a live holder is waited for until the
// timeout. Both waits run on fake clocks: what is checked is the waiting
// rule, not how fast this machine sleeps.
func TestCacheStaleLock(t *testing.T) {
	c := newCache(t, 64<<10)
	c.Put("a", testutil.Bytes(4), PutOptions{})
	o, err := OpenCache(c.Name(), CacheOptions{StaleAfter: 50 * time.Millisecond, LockTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	clk := newFakeClock()
	o.clk = clk
	// What a Python holder leaves: word 1 and a time, no PID.
	c.storeF64Bits(hLockTime, 0x3FF0000000000000) // 1.0 s after boot: very old
	c.put32(hLock, 1)
	start := time.Now()
	if _, err := o.Get("a"); err != nil {
		t.Fatal(err)
	}
	// Taken at the first poll after one second of observation (polls are
	// at most 100 µs apart).
	if d := clk.sleptFor(); d < time.Second || d > time.Second+time.Millisecond {
		t.Fatalf("stale lock taken after %v of observation, want 1 s", d)
	}
	t.Logf("stale lock taken after 1 s on the fake clock, %v of real time", time.Since(start))
	// A live holder (this process) is waited for until the timeout.
	if _, err := c.lock(); err != nil {
		t.Fatal(err)
	}
	o2, err := OpenCache(c.Name(), CacheOptions{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	clk2 := newFakeClock()
	o2.clk = clk2
	if _, err := o2.Get("a"); !errors.Is(err, ErrLockTimeout) {
		t.Fatal(err)
	}
	if d := clk2.sleptFor(); d < 100*time.Millisecond {
		t.Fatalf("gave up after %v, before the 100 ms timeout", d)
	}
	c.unlock()
	if _, err := o2.Get("a"); err != nil {
		t.Fatal(err)
	}
}

// SIGKILL of a worker at a random moment (holding the lock or not, maybe
// mid-put): the survivors finish their work and the pool stays consistent.
func TestCacheKillRandom(t *testing.T) {
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	r := rand.New(rand.NewPCG(11, 12))
	for round := 0; round < rounds; round++ {
		name := testName(t)
		c, err := CreateCacheBytes(name, 96<<10, CacheOptions{})
		if err != nil {
			t.Fatal(err)
		}
		victim, _ := startChild(t, "stress", name, 300+round, 1<<30)
		var cmds []*exec.Cmd
		var outs []*bufio.Reader
		for i := 0; i < 3; i++ {
			cmd, out := startChild(t, "stress", name, 400+10*round+i, 2000)
			cmds, outs = append(cmds, cmd), append(outs, out)
		}
		time.Sleep(time.Duration(20+r.IntN(150)) * time.Millisecond)
		victim.Process.Signal(syscall.SIGKILL)
		victim.Wait()
		waitChildren(t, cmds, outs)
		if err := c.Put("after", checkedTensor(r, 500), PutOptions{}); err != nil {
			t.Fatal(err)
		}
		mustCheck(t, c)
		c.Close()
	}
}
