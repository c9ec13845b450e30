//go:build linux

package shm

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

func newCache(t testing.TB, size int64) *Cache {
	t.Helper()
	c, err := CreateCacheBytes(testName(t), size, CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustCheck(t testing.TB, c *Cache) {
	t.Helper()
	if err := c.check(); err != nil {
		t.Fatal("invariants:", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"256MB": 256 << 20, "256mb": 256 << 20, "1.5K": 1536, "4096": 4096, "2g": 2 << 30,
		"1T": 1 << 40, "10b": 10, " 3 KB ": 3072, "0.5": 0, "1.9B": 1, "64k": 65536,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1", "1e3", "0x10", "12Q", "nan", "inf", "1..2K", "99999999999T"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

// The pool header and slots sit at the offsets FORMAT.md §19 gives, so a
// Python TensoCache can attach.
func TestCacheLayout(t *testing.T) {
	c, err := CreateCache(testName(t), "1MB", CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := c.mem
	me := uint32((1<<20 - 4096) / 1280)
	if string(m[:4]) != "TCSH" || le.Uint32(m[4:]) != 2 || le.Uint64(m[8:]) != 1<<20 || le.Uint32(m[16:]) != me {
		t.Fatalf("header % x", m[:24])
	}
	ds := alignUp(4096+256*uint64(me), 64)
	if le.Uint64(m[24:]) != 1<<20-ds || le.Uint64(m[32:]) != ds || le.Uint32(m[40:]) != noSlot || le.Uint32(m[44:]) != noSlot {
		t.Fatal("allocator/LRU header fields")
	}
	in := testutil.Bytes(10)
	if err := c.Put("k", &tenso.Tensor{DType: tenso.Float32, Shape: []int{2, 5}, Data: in.Data}, PutOptions{TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	s := m[4096:]
	pkt, _ := tenso.Encode(&tenso.Tensor{DType: tenso.Float32, Shape: []int{2, 5}, Data: in.Data}, tenso.Options{})
	if s[0] != 1 || s[1] != 1 || s[2] != 'k' || le.Uint64(s[130:]) != ds || le.Uint32(s[138:]) != 128 ||
		le.Uint32(s[142:]) != uint32(len(pkt)) || s[146] != 1 || s[147] != 2 || le.Uint32(s[148:]) != 2 || le.Uint32(s[152:]) != 5 ||
		math.Float64frombits(le.Uint64(s[196:])) != 60 || le.Uint32(m[40:]) != 0 || le.Uint32(m[20:]) != 1 {
		t.Fatalf("slot 0: % x", s[:212])
	}
	if !bytes.Equal(m[ds:ds+uint64(len(pkt))], pkt) {
		t.Fatal("packet not at the data-region start")
	}
	if math.Abs(math.Float64frombits(le.Uint64(s[188:]))-monotonic()) > 5 {
		t.Fatal("creation time is not CLOCK_MONOTONIC seconds")
	}
}

func TestCacheBasics(t *testing.T) {
	c := newCache(t, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	vals := map[string]*tenso.Tensor{}
	for i := 0; i < 20; i++ {
		k := strings.Repeat("é", i%5) + string(rune('a'+i))
		vals[k] = checkedTensor(r, 100+i*50)
		if err := c.Put(k, vals[k], PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mustCheck(t, c)
	for k, want := range vals {
		v, err := c.Get(k)
		if err != nil {
			t.Fatal(k, err)
		}
		got := v.Value.(*tenso.Tensor)
		if !bytes.Equal(got.Data, want.Data) || !testutil.Within(got.Data, c.mem) || !v.Valid() {
			t.Fatalf("%q: zero-copy get wrong", k)
		}
		if !tenso.IsAligned(got.Data, 64) {
			t.Fatalf("%q: body not aligned", k)
		}
		cp, err := c.GetCopy(k)
		if err != nil || testutil.Within(cp.(*tenso.Tensor).Data, c.mem) || verifyChecked(cp) != nil {
			t.Fatal(k, err)
		}
	}
	if _, err := c.Get("missing"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	st, _ := c.Stats()
	if st.Entries != 20 || st.Hits != 40 || st.Misses != 1 || st.BytesUsed+st.BytesFree != st.DataSize || st.HitRate != 40.0/41 {
		t.Fatalf("stats %+v", st)
	}
	info, err := c.Info("ééc")
	if err != nil || info.DType != tenso.Uint8 || info.NDim != 1 || info.Shape[0] != 200 || info.PacketSize != 264 || info.ChunkSize != 320 {
		t.Fatalf("info %+v %v", info, err)
	}
	if st2, _ := c.Stats(); st2.Hits != st.Hits || st2.Misses != st.Misses {
		t.Fatal("Info must not count")
	}
	keys, _ := c.Keys()
	if len(keys) != 20 {
		t.Fatal(keys)
	}
	if ok, _ := c.Delete("ééc"); !ok {
		t.Fatal("delete")
	}
	if ok, _ := c.Delete("ééc"); ok {
		t.Fatal("double delete")
	}
	if ok, _ := c.Contains("ééc"); ok {
		t.Fatal("contains deleted")
	}
	mustCheck(t, c)
	// Errors.
	if err := c.Put(strings.Repeat("x", 129), vals["a"], PutOptions{}); !errors.Is(err, ErrKeyTooLong) {
		t.Fatal(err)
	}
	if err := c.Put(string([]byte{0xff}), vals["a"], PutOptions{}); !errors.Is(err, ErrBadKey) {
		t.Fatal(err)
	}
	if err := c.Put(strings.Repeat("x", 128), vals["a"], PutOptions{}); err != nil {
		t.Fatal("128-byte key:", err)
	}
	if err := c.Put("big", testutil.Bytes(1<<18), PutOptions{}); !errors.Is(err, ErrTooLarge) {
		t.Fatal(err)
	}
	if err := c.Clear(); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.Stats(); st.Entries != 0 || st.BytesUsed != 0 {
		t.Fatalf("after clear %+v", st)
	}
	mustCheck(t, c)
}

func TestCacheUpdateInPlace(t *testing.T) {
	c := newCache(t, 1<<20)
	a := testutil.Bytes(256)
	if err := c.Put("w", a, PutOptions{}); err != nil {
		t.Fatal(err)
	}
	v, _ := c.Get("w")
	before, _ := c.Info("w")
	b := testutil.Bytes(256)
	for i := range b.Data {
		b.Data[i] ^= 0xFF
	}
	if err := c.Update("w", b, tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	after, _ := c.Info("w")
	if v.Valid() {
		t.Fatal("view still valid after an update")
	}
	// Same slot and chunk: the old view now shows the new bytes.
	if !bytes.Equal(v.Value.(*tenso.Tensor).Data, b.Data) || before.ChunkSize != after.ChunkSize {
		t.Fatal("update was not in place")
	}
	if err := c.Update("w", testutil.Bytes(255), tenso.Options{}); !errors.Is(err, ErrMismatch) {
		t.Fatal(err)
	}
	if err := c.Update("w", &tenso.Tensor{DType: tenso.Int32, Shape: []int{256}, Data: b.Data}, tenso.Options{}); !errors.Is(err, ErrMismatch) {
		t.Fatal(err)
	}
	if err := c.Update("nope", b, tenso.Options{}); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	// A put of a smaller value under an existing key reuses the chunk.
	if err := c.Put("w", testutil.Bytes(10), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if i, _ := c.Info("w"); i.ChunkSize != before.ChunkSize || i.PacketSize != 104 {
		t.Fatalf("%+v", i)
	}
	mustCheck(t, c)
}

// TTLs on the pool's clock: an entry lives for exactly its TTL from its
// creation (Get does not extend it), and expiry removes it.
func TestCacheTTL(t *testing.T) {
	c := newCache(t, 1<<20)
	clk := newFakeClock()
	c.clk = clk
	if err := c.Put("short", testutil.Bytes(4), PutOptions{TTL: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := c.Put("long", testutil.Bytes(4), PutOptions{TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	clk.advance(19 * time.Millisecond)
	if _, err := c.Get("short"); err != nil {
		t.Fatal("entry expired before its TTL:", err)
	}
	if keys, _ := c.Keys(); len(keys) != 2 {
		t.Fatalf("keys %q before the TTL", keys)
	}
	clk.advance(2 * time.Millisecond) // 21 ms after the put
	if keys, _ := c.Keys(); len(keys) != 1 || keys[0] != "long" {
		t.Fatalf("keys %q after the TTL", keys)
	}
	g0, _ := c.Stats()
	if _, err := c.Get("short"); !errors.Is(err, ErrNotFound) {
		t.Fatal("expired entry returned:", err)
	}
	g1, _ := c.Stats()
	if g1.Entries != 1 || g1.Generation == g0.Generation || g1.Misses != g0.Misses+1 {
		t.Fatalf("expiry: %+v", g1)
	}
	if ok, _ := c.Contains("short"); ok {
		t.Fatal("Contains reports an expired entry")
	}
	// Another handle on the system clock agrees (the fake clock started
	// at the real monotonic time and is ahead of it by 21 ms only).
	o, err := OpenCache(c.Name(), CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if _, err := o.Get("long"); err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Hour)
	if _, err := c.Get("long"); !errors.Is(err, ErrNotFound) {
		t.Fatal("entry outlived its 1 h TTL:", err)
	}
	mustCheck(t, c)
}

func TestCacheLRUEviction(t *testing.T) {
	// 64 KiB pool: a 45-entry table and a ~52 KiB data region.
	c := newCache(t, 64<<10)
	st, _ := c.Stats()
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 10; i++ {
		if err := c.Put(string(rune('a'+i)), checkedTensor(r, 4000), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Touch "a" so that "b" is the least recently used.
	if _, err := c.Get("a"); err != nil {
		t.Fatal(err)
	}
	n := int(st.DataSize / 4096)
	for i := 10; i < n+2; i++ {
		if err := c.Put(string(rune('a'+i)), checkedTensor(r, 4000), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := c.Contains("a"); !ok {
		t.Error("recently used entry evicted")
	}
	if ok, _ := c.Contains("b"); ok {
		t.Error("least recently used entry kept")
	}
	mustCheck(t, c)
	// Expired entries go before LRU ones.
	c.Clear()
	clk := newFakeClock()
	c.clk = clk
	c.Put("old", checkedTensor(r, 20000), PutOptions{})
	c.Put("ttl", checkedTensor(r, 20000), PutOptions{TTL: time.Millisecond})
	clk.advance(2 * time.Millisecond)
	if err := c.Put("new", checkedTensor(r, 20000), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Contains("old"); !ok {
		t.Error("LRU entry evicted before the expired one")
	}
	mustCheck(t, c)
	// A full entry table evicts the tail.
	c.Clear()
	for i := 0; i < st.MaxEntries+5; i++ {
		if err := c.Put(string(rune(0x4e00+i)), testutil.Bytes(1), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if st2, _ := c.Stats(); st2.Entries != st.MaxEntries {
		t.Fatalf("entries %d, table %d", st2.Entries, st.MaxEntries)
	}
	mustCheck(t, c)
}

// First fit, splitting, coalescing and the watermark, checked after every
// step of a random workload.
func TestCacheAllocator(t *testing.T) {
	c := newCache(t, 256<<10)
	r := rand.New(rand.NewPCG(5, 6))
	live := map[string]*tenso.Tensor{}
	for step := 0; step < 3000; step++ {
		k := string(rune('A' + r.IntN(40)))
		switch r.IntN(4) {
		case 0, 1:
			v := checkedTensor(r, 16+r.IntN(12000))
			if err := c.Put(k, v, PutOptions{}); err != nil {
				t.Fatal(step, err)
			}
			live[k] = v
		case 2:
			c.Delete(k)
			delete(live, k)
		case 3:
			v, err := c.GetCopy(k)
			if err == nil {
				if verifyChecked(v) != nil || !bytes.Equal(v.(*tenso.Tensor).Data, live[k].Data) {
					t.Fatal(step, "wrong value for", k)
				}
			}
		}
		if step%50 == 0 {
			mustCheck(t, c)
		}
	}
	mustCheck(t, c)
	for k := range live {
		c.Delete(k)
	}
	mustCheck(t, c)
	if st, _ := c.Stats(); st.BytesUsed != 0 || c.u64(hWatermark) != c.dataStart || c.u64(hFreeHead) != 0 {
		t.Fatalf("empty pool not fully coalesced: %+v wm=%d", st, c.u64(hWatermark)-c.dataStart)
	}
}

func TestCacheQuantizedPut(t *testing.T) {
	c := newCache(t, 1<<20)
	f := make([]float32, 64)
	for i := range f {
		f[i] = float32(i)/8 - 4
	}
	x, err := tenso.FromSlice(f, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Put("q", x, PutOptions{Quantize: &Quantization{DType: tenso.QInt8, Scheme: tenso.PerChannel, Axis: 1}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Get("q")
	if err != nil {
		t.Fatal(err)
	}
	q, ok := v.Value.(*tenso.Quantized)
	if !ok || q.DType != tenso.QInt8 || len(q.Scales) != 8 {
		t.Fatalf("%#v", v.Value)
	}
	if info, _ := c.Info("q"); info.DType != 0 || info.NDim != 2 {
		t.Fatalf("quantized slot records dtype 0: %+v", info)
	}
	if err := c.Put("s", tenso.NewStrings("a"), PutOptions{Quantize: &Quantization{DType: tenso.QInt8}}); !errors.Is(err, tenso.ErrInvalid) {
		t.Fatal(err)
	}
}

func writeSeg(t *testing.T, data []byte) string {
	name := testName(t)
	if err := os.WriteFile(shmDir+name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestCacheAttachErrors(t *testing.T) {
	c := newCache(t, 64<<10)
	c.Put("a", testutil.Bytes(10), PutOptions{})
	good := append([]byte(nil), c.mem...)
	mut := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"too small", good[:100], ErrBadHeader},
		{"wrong magic", mut(func(b []byte) { copy(b, "TNSO") }), ErrBadHeader},
		{"zeros", make([]byte, 8192), ErrBadHeader},
		{"wrong version", mut(func(b []byte) { le.PutUint32(b[4:], 3) }), ErrVersion},
		{"truncated", good[:40000], ErrBadHeader},
		{"entries", mut(func(b []byte) { le.PutUint32(b[16:], 70000) }), ErrBadHeader},
		{"watermark", mut(func(b []byte) { le.PutUint64(b[32:], 1<<40) }), ErrBadHeader},
		{"free bytes", mut(func(b []byte) { le.PutUint64(b[24:], 1<<40) }), ErrBadHeader},
		{"lru head", mut(func(b []byte) { le.PutUint32(b[40:], 1000) }), ErrBadHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenCache(writeSeg(t, tc.data), CacheOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
	if _, err := OpenCache(writeSeg(t, nil), CacheOptions{}); !errors.Is(err, ErrBadHeader) {
		t.Fatal(err)
	}
	// A good copy attaches and reads.
	o, err := OpenCache(writeSeg(t, good), CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if _, err := o.Get("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateCacheBytes(testName(t), 5000, CacheOptions{}); err == nil {
		t.Fatal("pool below the minimum accepted")
	}
	if m, err := CreateCacheBytes(testName(t), minPoolSize, CacheOptions{}); err != nil {
		t.Fatal(err)
	} else {
		m.Close()
	}
}

// Corrupt structures found during operations are repaired from the
// published entries instead of crashing or looping.
func TestCacheRepair(t *testing.T) {
	c := newCache(t, 256<<10)
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 20; i++ {
		c.Put(string(rune('a'+i)), checkedTensor(r, 3000), PutOptions{})
	}
	for i := 0; i < 20; i += 3 {
		c.Delete(string(rune('a' + i)))
	}
	mustCheck(t, c)
	// A free-list loop and a broken LRU link.
	fh := c.u64(hFreeHead)
	c.put64(fh+8, fh)
	c.put32(c.slot(1)+sNext, 12345)
	if err := c.Put("new", checkedTensor(r, 3000), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, c)
	for i := 0; i < 20; i++ {
		if i%3 == 0 {
			continue
		}
		v, err := c.GetCopy(string(rune('a' + i)))
		if err != nil || verifyChecked(v) != nil {
			t.Fatal(i, err)
		}
	}
}

// Goroutines sharing one handle and a second handle of the same pool.
func TestCacheGoroutines(t *testing.T) {
	c := newCache(t, 128<<10)
	o, err := OpenCache(c.Name(), CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	errs := make(chan error, 6)
	for g := 0; g < 6; g++ {
		h := c
		if g%2 == 1 {
			h = o
		}
		go func(g int) {
			_, err := stress(h, 1000+g, 400)
			errs <- err
		}(g)
	}
	for g := 0; g < 6; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	mustCheck(t, c)
	if st, _ := c.Stats(); st.BytesUsed+st.BytesFree != st.DataSize {
		t.Fatal(st)
	}
	for _, k := range []string{"a", "b"} {
		if _, err := o.GetCopy(k); err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
	}
	v, _ := c.GetCopy("k1")
	if v != nil && !tenso.IsAligned(v.(*tenso.Tensor).Data, 64) {
		t.Fatal("GetCopy result not aligned")
	}
}

// TestLRULinksRepaired: a broken LRU link (either neighbour of the entry
// touched) is found when Get moves the entry to the head; the pool is
// rebuilt once, the Get succeeds and every invariant holds afterwards.
func TestLRULinksRepaired(t *testing.T) {
	for _, side := range []string{"prev of next", "next of prev"} {
		t.Run(side, func(t *testing.T) {
			c := newCache(t, 1<<20)
			for _, k := range []string{"a", "b", "c"} { // LRU: c, b, a
				if err := c.Put(k, testutil.Bytes(16), PutOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			a, _ := c.lookup("a")
			b, _ := c.lookup("b")
			cc, _ := c.lookup("c")
			if side == "prev of next" {
				c.put32(c.slot(a)+sPrev, cc) // should point at b
			} else {
				c.put32(c.slot(cc)+sNext, a) // should point at b
			}
			gen := c.loadGen()
			v, err := c.Get("b")
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Value.(*tenso.Tensor).Data; !bytes.Equal(got, testutil.Bytes(16).Data) {
				t.Fatal("wrong value after the repair")
			}
			if c.loadGen() != gen+1 {
				t.Fatalf("generation %v → %v: the broken link was not repaired", gen, c.loadGen())
			}
			if c.u32(hLRUHead) != b {
				t.Fatalf("LRU head is slot %d, want b's %d", c.u32(hLRUHead), b)
			}
			mustCheck(t, c)
		})
	}
}
