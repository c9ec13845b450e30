//go:build linux

package shm

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	tenso "github.com/tenso-go/tenso"
)

// testName returns a unique segment name and unlinks it when the test ends.
func testName(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("tenso_test_%d_%s", os.Getpid(), NewName())
	t.Cleanup(func() { _ = Unlink(name) })
	return name
}

// checkedTensor returns a uint8 tensor of n bytes (n ≥ 16) whose first 8
// bytes are the FNV-64a hash of the rest.
func checkedTensor(r *rand.Rand, n int) *tenso.Tensor {
	d := make([]byte, n)
	for i := 8; i < n; i++ {
		d[i] = byte(r.Uint32())
	}
	h := fnv.New64a()
	h.Write(d[8:])
	le.PutUint64(d, h.Sum64())
	return &tenso.Tensor{DType: tenso.Uint8, Shape: []int{n}, Data: d}
}

func verifyChecked(v tenso.Value) error {
	t, ok := v.(*tenso.Tensor)
	if !ok || t.DType != tenso.Uint8 || len(t.Data) < 16 || len(t.Shape) != 1 || t.Shape[0] != len(t.Data) {
		return fmt.Errorf("unexpected value %#v", v)
	}
	h := fnv.New64a()
	h.Write(t.Data[8:])
	if le.Uint64(t.Data) != h.Sum64() {
		return fmt.Errorf("checksum mismatch in %d-byte value", len(t.Data))
	}
	return nil
}

// check validates every structural invariant of the pool.
func (c *Cache) check() error {
	end, err := c.begin()
	if err != nil {
		return err
	}
	defer end()
	type chunk struct{ off, size uint64 }
	var used []chunk
	active := 0
	seen := map[string]bool{}
	for i := uint32(0); i < c.maxEntries; i++ {
		if !c.active(i) {
			continue
		}
		if !c.slotValid(i) {
			return fmt.Errorf("slot %d invalid", i)
		}
		k := string(c.slotKey(i))
		if seen[k] {
			return fmt.Errorf("duplicate key %q", k)
		}
		seen[k] = true
		active++
		s := c.slot(i)
		used = append(used, chunk{c.u64(s + sDataOff), uint64(c.u32(s + sChunk))})
	}
	if int(c.u32(hActive)) != active {
		return fmt.Errorf("active count %d, table has %d", c.u32(hActive), active)
	}
	// LRU list: every active slot exactly once, links symmetric.
	n := 0
	prev := uint32(noSlot)
	for i := c.u32(hLRUHead); i != noSlot; i = c.u32(c.slot(i) + sNext) {
		if i >= c.maxEntries || !c.active(i) || c.u32(c.slot(i)+sPrev) != prev {
			return fmt.Errorf("LRU list broken at slot %d", i)
		}
		prev = i
		if n++; n > active {
			return fmt.Errorf("LRU list longer than %d", active)
		}
	}
	if n != active || c.u32(hLRUTail) != prev {
		return fmt.Errorf("LRU list has %d entries (tail %d/%d), want %d", n, c.u32(hLRUTail), prev, active)
	}
	var sum uint64
	for _, u := range used {
		sum += u.size
	}
	var free []chunk
	for off := c.u64(hFreeHead); off != 0; {
		sz, next, err := c.freeNode(off)
		if err != nil {
			return fmt.Errorf("free list broken at %d", off)
		}
		free = append(free, chunk{off, sz})
		off = next
	}
	var fsum uint64
	for _, f := range free {
		fsum += f.size
	}
	wm := c.u64(hWatermark)
	if fsum+(c.poolSize-wm) != c.u64(hFreeBytes) {
		return fmt.Errorf("free bytes %d, free list %d + tail %d", c.u64(hFreeBytes), fsum, c.poolSize-wm)
	}
	if sum+c.u64(hFreeBytes) != c.poolSize-c.dataStart {
		return fmt.Errorf("used %d + free %d != data region %d", sum, c.u64(hFreeBytes), c.poolSize-c.dataStart)
	}
	all := append(append([]chunk(nil), used...), free...)
	for a := range all {
		if all[a].off+all[a].size > wm {
			return fmt.Errorf("chunk %v beyond watermark %d", all[a], wm)
		}
		for b := a + 1; b < len(all); b++ {
			if all[a].off < all[b].off+all[b].size && all[b].off < all[a].off+all[a].size {
				return fmt.Errorf("chunks %v and %v overlap", all[a], all[b])
			}
		}
	}
	for i := 1; i < len(free); i++ {
		if free[i-1].off+free[i-1].size >= free[i].off {
			return fmt.Errorf("free chunks %v and %v not coalesced", free[i-1], free[i])
		}
	}
	return nil
}

// fakeClock is a pool clock that moves only when a test advances it or the
// cache sleeps on it (by exactly the pause asked for), so TTLs and lock
// waits are tested without depending on how fast the machine runs. It
// starts at the real monotonic time, so its stamps compare with those of
// handles on the system clock.
type fakeClock struct {
	mu      sync.Mutex
	t       float64
	slept   time.Duration
	sleeps  int
	onSleep func(n int) // called after the n-th sleep (from 1), if set
}

func newFakeClock() *fakeClock { return &fakeClock{t: monotonic()} }

func (f *fakeClock) mono() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) sleep(d time.Duration) {
	f.mu.Lock()
	f.t += d.Seconds()
	f.slept += d
	f.sleeps++
	n, fn := f.sleeps, f.onSleep
	f.mu.Unlock()
	if fn != nil {
		fn(n)
	}
}

func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	f.t += d.Seconds()
	f.mu.Unlock()
}

// sleptFor returns the total time the cache slept on f.
func (f *fakeClock) sleptFor() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.slept
}
