//go:build linux

package shm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	tenso "github.com/tenso-go/tenso"
)

// TCSH v2 layout (FORMAT.md §19). All offsets are absolute from the start
// of the segment, all fields little-endian.
const (
	poolHeaderSize = 4096
	slotSize       = 256
	maxKeyLen      = 128
	cacheVersion   = 2
	maxEntriesCap  = 65536
	noSlot         = 0xFFFFFFFF
	minPoolSize    = poolHeaderSize + 4*slotSize
	freeHdrSize    = 16
	splitMin       = 80 // split a free chunk when the rest is ≥ 16 + 64 bytes
	maxPacket      = 1<<32 - 1

	hMagic      = 0
	hVersion    = 4
	hPoolSize   = 8
	hMaxEntries = 16
	hActive     = 20
	hFreeBytes  = 24
	hWatermark  = 32
	hLRUHead    = 40
	hLRUTail    = 44
	hFreeHead   = 48
	hGen        = 68
	hHits       = 76
	hMisses     = 84

	sStatus  = 0
	sKeyLen  = 1
	sKey     = 2
	sDataOff = 130
	sChunk   = 138
	sPacket  = 142
	sDType   = 146
	sNDim    = 147
	sDims    = 148
	sAccess  = 180
	sCreated = 188
	sTTL     = 196
	sPrev    = 204
	sNext    = 208
)

var le = binary.LittleEndian

// CacheOptions configure a Cache handle. The zero value is the default.
type CacheOptions struct {
	// LockTimeout bounds the wait for a lock held by a live process
	// (default 5 s, as the reference).
	LockTimeout time.Duration
	// StaleAfter is the age after which a lock whose holder cannot be
	// checked by PID is considered abandoned (default 30 s, as the
	// reference).
	StaleAfter time.Duration
	// DisablePIDCheck turns off crashed-holder detection by PID (use it
	// when the processes sharing the pool are in different PID
	// namespaces); only the StaleAfter rule remains.
	DisablePIDCheck bool
}

func (o CacheOptions) lockTimeout() time.Duration {
	if o.LockTimeout <= 0 {
		return 5 * time.Second
	}
	return o.LockTimeout
}

func (o CacheOptions) staleAfter() time.Duration {
	if o.StaleAfter <= 0 {
		return 30 * time.Second
	}
	return o.StaleAfter
}

// Cache is a multi-process tensor cache in one shared-memory segment, in
// the reference's TCSH v2 layout (TensoCache, FORMAT.md §19): a Python
// TensoCache(name=…, create=False) attaches to a Go pool and vice versa.
//
// Every operation takes the pool's cross-process lock; a Cache is safe for
// concurrent use by goroutines and by processes.
type Cache struct {
	name  string
	opts  CacheOptions
	owner bool

	mu         sync.Mutex // serialises this handle's goroutines
	f          *os.File
	mem        []byte
	poolSize   uint64
	maxEntries uint32
	dataStart  uint64

	// Process-local key→slot index, valid for generation indexGen.
	index     map[string]uint32
	freeSlots []uint32
	indexGen  uint64
	indexOK   bool
}

// Stats are the pool's counters.
type Stats struct {
	Entries    int     // active entries
	MaxEntries int     // size of the entry table
	PoolSize   int64   // bytes in the segment
	DataSize   int64   // bytes in the data region
	BytesUsed  int64   // data-region bytes held by entries
	BytesFree  int64   // data-region bytes not held by entries
	Hits       uint64  // successful gets (all processes)
	Misses     uint64  // failed gets (all processes)
	HitRate    float64 // Hits / (Hits + Misses), 0 when both are 0
	Generation uint64  // structural mutation counter
}

// EntryInfo describes an entry without decoding it.
type EntryInfo struct {
	Key        string
	DType      tenso.DType   // dtype code of a dense packet, 0 otherwise
	NDim       int           // full rank
	Shape      []int         // the first min(NDim, 8) dims
	PacketSize int           // exact packet length
	ChunkSize  int           // allocated bytes
	Created    float64       // monotonic seconds (CLOCK_MONOTONIC)
	LastAccess float64       // monotonic seconds
	TTL        time.Duration // 0 = none
}

// Quantization asks Put to quantize a float32 tensor before storing it
// (tenso.Quantize with these arguments).
type Quantization struct {
	DType     tenso.DType // QInt8, QUint8, QInt4 or QUint4
	Scheme    tenso.Scheme
	Axis      int // per_channel
	GroupSize int // per_group
}

// PutOptions configure Put. The zero value stores the value with the
// default encoding, no TTL and no quantization.
type PutOptions struct {
	Encode   tenso.Options // packet options (alignment, integrity, compression)
	TTL      time.Duration // expire after this long (0 = never)
	Quantize *Quantization // quantize a dense float tensor first
}

// View is the result of Get: a value whose data are views into the shared
// pool. It stays valid until the next structural mutation of the pool by
// any process (put, update, delete, expiry, clear, eviction); Valid tells
// whether that has happened. Copy what you keep, or use GetCopy.
type View struct {
	Value      tenso.Value
	Generation uint64
	c          *Cache
}

// Valid reports whether no structural mutation has happened since the
// view was taken, i.e. its bytes are still those of the entry. A false
// answer means the data may have changed or been reused.
func (v View) Valid() bool {
	if v.c == nil {
		return false
	}
	v.c.mu.Lock()
	defer v.c.mu.Unlock()
	if v.c.mem == nil {
		return false
	}
	return v.c.loadGen() == v.Generation
}

func maxEntriesFor(pool uint64) uint32 {
	n := (pool - poolHeaderSize) / 1280
	if n > maxEntriesCap {
		n = maxEntriesCap
	}
	if n < 1 {
		n = 1
	}
	return uint32(n)
}

func dataStartFor(maxEntries uint32) uint64 {
	return alignUp(poolHeaderSize+slotSize*uint64(maxEntries), 64)
}

func alignUp(x, a uint64) uint64 { return (x + a - 1) &^ (a - 1) }

// CreateCache creates a pool of the given size, written as the reference
// accepts it ("256MB", "1.5G", "65536"; suffixes are powers of 1024).
func CreateCache(name, size string, o CacheOptions) (*Cache, error) {
	n, err := ParseSize(size)
	if err != nil {
		return nil, err
	}
	return CreateCacheBytes(name, n, o)
}

// CreateCacheBytes creates a pool of size bytes (at least 5120). An empty
// name generates one ("psm_…"); Name reports it.
func CreateCacheBytes(name string, size int64, o CacheOptions) (*Cache, error) {
	if size < minPoolSize {
		return nil, fmt.Errorf("tenso/shm: cache pool of %d bytes is below the minimum of %d", size, minPoolSize)
	}
	pool := uint64(size)
	me := maxEntriesFor(pool)
	ds := dataStartFor(me)
	if ds >= pool {
		return nil, fmt.Errorf("tenso/shm: cache pool of %d bytes leaves no data region", size)
	}
	f, name, err := createFile(name, size)
	if err != nil {
		return nil, err
	}
	mem, err := mapFile(f, size)
	if err != nil {
		f.Close()
		unix.Unlink(shmDir + name)
		return nil, err
	}
	c := &Cache{name: name, opts: o, owner: true, f: f, mem: mem, poolSize: pool, maxEntries: me, dataStart: ds}
	// A fresh tmpfs file reads as zeros; fill the header and the slots'
	// non-zero fields, then publish the magic last.
	le.PutUint32(mem[hVersion:], cacheVersion)
	le.PutUint64(mem[hPoolSize:], pool)
	le.PutUint32(mem[hMaxEntries:], me)
	le.PutUint64(mem[hFreeBytes:], pool-ds)
	le.PutUint64(mem[hWatermark:], ds)
	le.PutUint32(mem[hLRUHead:], noSlot)
	le.PutUint32(mem[hLRUTail:], noSlot)
	for i := uint32(0); i < me; i++ {
		s := c.slot(i)
		le.PutUint32(mem[s+sPrev:], noSlot)
		le.PutUint32(mem[s+sNext:], noSlot)
	}
	atomic.StoreUint32(c.word32(hMagic), le.Uint32([]byte("TCSH")))
	return c, nil
}

// OpenCache attaches to an existing pool, checking its header: a segment
// that is too small, truncated, not a TCSH pool or corrupt is ErrBadHeader,
// another version ErrVersion.
func OpenCache(name string, o CacheOptions) (*Cache, error) {
	f, size, err := openFile(name)
	if err != nil {
		return nil, err
	}
	if size < poolHeaderSize {
		f.Close()
		return nil, fmt.Errorf("%w: segment %q has %d bytes, less than the %d-byte pool header", ErrBadHeader, name, size, poolHeaderSize)
	}
	mem, err := mapFile(f, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	c := &Cache{name: name, opts: o, f: f, mem: mem}
	if err := c.attach(uint64(size)); err != nil {
		unix.Munmap(mem)
		f.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cache) attach(size uint64) (err error) {
	defer guard(&err)()
	m := c.mem
	if string(m[hMagic:hMagic+4]) != "TCSH" {
		return fmt.Errorf("%w: segment %q has magic %q, want \"TCSH\"", ErrBadHeader, c.name, m[:4])
	}
	if v := le.Uint32(m[hVersion:]); v != cacheVersion {
		return fmt.Errorf("%w: segment %q is TCSH version %d, this package reads version %d", ErrVersion, c.name, v, cacheVersion)
	}
	pool := le.Uint64(m[hPoolSize:])
	if pool > size {
		return fmt.Errorf("%w: segment %q is truncated: its header says %d bytes, it has %d", ErrBadHeader, c.name, pool, size)
	}
	if pool < minPoolSize {
		return fmt.Errorf("%w: segment %q declares a pool of %d bytes, below the minimum %d", ErrBadHeader, c.name, pool, minPoolSize)
	}
	me := le.Uint32(m[hMaxEntries:])
	if me == 0 || me > maxEntriesCap || dataStartFor(me) >= pool {
		return fmt.Errorf("%w: segment %q declares %d entries for a %d-byte pool", ErrBadHeader, c.name, me, pool)
	}
	c.poolSize, c.maxEntries, c.dataStart = pool, me, dataStartFor(me)
	c.mem = m[:pool]
	if err := c.checkHeader(); err != nil {
		return err
	}
	return nil
}

// checkHeader validates the mutable header fields.
func (c *Cache) checkHeader() error {
	m := c.mem
	wm := le.Uint64(m[hWatermark:])
	fb := le.Uint64(m[hFreeBytes:])
	head, tail := le.Uint32(m[hLRUHead:]), le.Uint32(m[hLRUTail:])
	fh := le.Uint64(m[hFreeHead:])
	switch {
	case wm < c.dataStart || wm > c.poolSize:
		return fmt.Errorf("%w: segment %q: watermark %d outside the data region [%d, %d]", ErrBadHeader, c.name, wm, c.dataStart, c.poolSize)
	case fb > c.poolSize-c.dataStart:
		return fmt.Errorf("%w: segment %q: free bytes %d exceed the data region", ErrBadHeader, c.name, fb)
	case le.Uint32(m[hActive:]) > c.maxEntries:
		return fmt.Errorf("%w: segment %q: %d active entries in a table of %d", ErrBadHeader, c.name, le.Uint32(m[hActive:]), c.maxEntries)
	case (head != noSlot && head >= c.maxEntries) || (tail != noSlot && tail >= c.maxEntries):
		return fmt.Errorf("%w: segment %q: LRU head/tail outside the entry table", ErrBadHeader, c.name)
	case fh != 0 && (fh < c.dataStart || fh+freeHdrSize > wm):
		return fmt.Errorf("%w: segment %q: free-list head %d outside the data region", ErrBadHeader, c.name, fh)
	}
	return nil
}

// Name returns the pool's segment name.
func (c *Cache) Name() string { return c.name }

// Close unmaps the pool. It never touches a lock it does not hold and never
// unlinks (see Unlink). Views obtained from Get must not be used after
// Close.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mem == nil {
		return nil
	}
	err := unix.Munmap(c.mem[:cap(c.mem)])
	c.mem = nil
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Unlink removes the pool's name (the memory lives on while mapped).
func (c *Cache) Unlink() error { return Unlink(c.name) }

// ---- raw field access -------------------------------------------------

func (c *Cache) slot(i uint32) uint64 { return poolHeaderSize + slotSize*uint64(i) }

func (c *Cache) u32(off uint64) uint32        { return le.Uint32(c.mem[off:]) }
func (c *Cache) u64(off uint64) uint64        { return le.Uint64(c.mem[off:]) }
func (c *Cache) f64(off uint64) float64       { return math.Float64frombits(le.Uint64(c.mem[off:])) }
func (c *Cache) put32(off uint64, v uint32)   { le.PutUint32(c.mem[off:], v) }
func (c *Cache) put64(off uint64, v uint64)   { le.PutUint64(c.mem[off:], v) }
func (c *Cache) putF64(off uint64, v float64) { le.PutUint64(c.mem[off:], math.Float64bits(v)) }

// The generation is a u64 at offset 68 (4-aligned only): written as two
// 32-bit atomic halves so that View.Valid can read it without the lock.
func (c *Cache) loadGen() uint64 { return c.loadF64Bits(hGen) }

// Every mutation bumps the generation before it changes any byte a view
// may point to, so a reader that checks the generation after reading its
// view knows the bytes it read were intact. The CAS on the lock word (held
// by us, so 1→1) orders the bump before the later plain stores on weakly
// ordered CPUs.
func (c *Cache) bumpGen() {
	g := c.loadGen() + 1
	c.storeF64Bits(hGen, g)
	atomic.CompareAndSwapUint32(c.word32(hLock), 1, 1)
	if c.indexOK && c.indexGen == g-1 {
		c.indexGen = g
	}
}

// The status byte is published with an atomic store of the 32-bit word
// that holds it (status, key length, first two key bytes).
func (c *Cache) setStatus(i uint32, active bool) {
	s := c.slot(i)
	w := c.u32(s) &^ 0xFF
	if active {
		w |= 1
	}
	atomic.StoreUint32(c.word32(int(s)), w)
}

func (c *Cache) active(i uint32) bool { return c.mem[c.slot(i)+sStatus] == 1 }

func (c *Cache) slotKey(i uint32) []byte {
	s := c.slot(i)
	n := uint64(c.mem[s+sKeyLen])
	if n > maxKeyLen {
		n = maxKeyLen
	}
	return c.mem[s+sKey : s+sKey+n]
}

// slotValid checks an active slot's fields against the pool bounds.
func (c *Cache) slotValid(i uint32) bool {
	s := c.slot(i)
	kl := c.mem[s+sKeyLen]
	off, chunk, pkt := c.u64(s+sDataOff), uint64(c.u32(s+sChunk)), uint64(c.u32(s+sPacket))
	return kl > 0 && kl <= maxKeyLen && utf8.Valid(c.slotKey(i)) &&
		off >= c.dataStart && off%64 == 0 && chunk >= pkt && pkt >= 8 &&
		off <= c.poolSize && chunk <= c.poolSize-off
}

// ---- locking and the local index --------------------------------------

var errCorruptPool = errors.New("tenso/shm: cache structure corrupt")

// begin takes the handle mutex and the pool lock, recovers the pool if the
// lock was taken over, and refreshes the local index. The returned func
// releases both.
func (c *Cache) begin() (func(), error) {
	c.mu.Lock()
	if c.mem == nil {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	recovered, err := c.lock()
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	end := func() {
		func() {
			var ferr error
			defer guard(&ferr)() // the pool may have been truncated under us
			c.unlock()
		}()
		c.mu.Unlock()
	}
	if recovered {
		if err := c.rebuild(); err != nil {
			end()
			return nil, err
		}
	}
	return end, nil
}

// ensureIndex refreshes the local index if another process changed the
// pool's structure since it was built. Paths that only look up a key skip
// it: lookup verifies the slot it finds and rescans only on a miss.
func (c *Cache) ensureIndex() {
	if !c.indexOK || c.indexGen != c.loadGen() {
		c.refreshIndex()
	}
}

// refreshIndex rebuilds the key→slot map from the entry table.
func (c *Cache) refreshIndex() {
	if c.index == nil {
		c.index = make(map[string]uint32)
	} else {
		clear(c.index)
	}
	c.freeSlots = c.freeSlots[:0]
	for i := c.maxEntries; i > 0; i-- {
		s := i - 1
		if c.active(s) {
			c.index[string(c.slotKey(s))] = s
		} else {
			c.freeSlots = append(c.freeSlots, s)
		}
	}
	c.indexGen, c.indexOK = c.loadGen(), true
}

// lookup finds the active slot of key. A slot found in the local index is
// checked against the table (status and key), so a stale index costs a
// rescan only when it misses.
func (c *Cache) lookup(key string) (uint32, bool) {
	if !c.indexOK {
		c.refreshIndex()
	}
	i, ok := c.index[key]
	if ok && c.active(i) && string(c.slotKey(i)) == key {
		return i, true
	}
	if c.indexGen == c.loadGen() && !ok {
		return 0, false // current index, genuine miss
	}
	c.refreshIndex()
	i, ok = c.index[key]
	return i, ok && c.active(i)
}

// withRepair runs op; if it reports a corrupt structure, the pool is
// rebuilt from its active entries and op runs once more.
func (c *Cache) withRepair(op func() error) error {
	err := op()
	if errors.Is(err, errCorruptPool) {
		if rerr := c.rebuild(); rerr != nil {
			return rerr
		}
		err = op()
	}
	return err
}

// ---- LRU list ---------------------------------------------------------

func (c *Cache) lruUnlink(i uint32) error {
	s := c.slot(i)
	p, n := c.u32(s+sPrev), c.u32(s+sNext)
	if (p != noSlot && p >= c.maxEntries) || (n != noSlot && n >= c.maxEntries) {
		return errCorruptPool
	}
	if p != noSlot {
		if c.u32(c.slot(p)+sNext) != i {
			return errCorruptPool
		}
		c.put32(c.slot(p)+sNext, n)
	} else {
		if c.u32(hLRUHead) != i {
			return errCorruptPool
		}
		c.put32(hLRUHead, n)
	}
	if n != noSlot {
		if c.u32(c.slot(n)+sPrev) != i {
			return errCorruptPool
		}
		c.put32(c.slot(n)+sPrev, p)
	} else {
		if c.u32(hLRUTail) != i {
			return errCorruptPool
		}
		c.put32(hLRUTail, p)
	}
	c.put32(s+sPrev, noSlot)
	c.put32(s+sNext, noSlot)
	return nil
}

func (c *Cache) lruPushHead(i uint32) error {
	s := c.slot(i)
	h := c.u32(hLRUHead)
	if h != noSlot && h >= c.maxEntries {
		return errCorruptPool
	}
	c.put32(s+sPrev, noSlot)
	c.put32(s+sNext, h)
	if h != noSlot {
		c.put32(c.slot(h)+sPrev, i)
	}
	c.put32(hLRUHead, i)
	if c.u32(hLRUTail) == noSlot {
		c.put32(hLRUTail, i)
	}
	return nil
}

func (c *Cache) lruTouch(i uint32) error {
	if c.u32(hLRUHead) == i {
		return nil
	}
	if err := c.lruUnlink(i); err != nil {
		return err
	}
	return c.lruPushHead(i)
}

// ---- allocator --------------------------------------------------------

// freeNode reads and validates the free chunk at off.
func (c *Cache) freeNode(off uint64) (size, next uint64, err error) {
	wm := c.u64(hWatermark)
	if off < c.dataStart || off%16 != 0 || off > wm || wm-off < freeHdrSize {
		return 0, 0, errCorruptPool
	}
	size, next = c.u64(off), c.u64(off+8)
	if size < freeHdrSize || size > wm-off || (next != 0 && next < off+size) {
		return 0, 0, errCorruptPool
	}
	return size, next, nil
}

func (c *Cache) setFreeLink(from, to uint64) {
	if from == 0 {
		c.put64(hFreeHead, to)
	} else {
		c.put64(from+8, to)
	}
}

// alloc takes need bytes (a multiple of 64) first-fit from the free list,
// splitting a chunk when at least 80 bytes remain, else from the bump
// allocator. It returns the chunk and its real size.
func (c *Cache) alloc(need uint64) (off, size uint64, ok bool, err error) {
	prev := uint64(0)
	for cur := c.u64(hFreeHead); cur != 0; {
		sz, next, err := c.freeNode(cur)
		if err != nil {
			return 0, 0, false, err
		}
		if sz >= need {
			if sz-need >= splitMin {
				rest := cur + need
				c.put64(rest, sz-need)
				c.put64(rest+8, next)
				c.setFreeLink(prev, rest)
				sz = need
			} else {
				c.setFreeLink(prev, next)
			}
			c.put64(hFreeBytes, c.u64(hFreeBytes)-sz)
			return cur, sz, true, nil
		}
		prev, cur = cur, next
	}
	wm := c.u64(hWatermark)
	if wm <= c.poolSize && c.poolSize-wm >= need {
		c.put64(hWatermark, wm+need)
		c.put64(hFreeBytes, c.u64(hFreeBytes)-need)
		return wm, need, true, nil
	}
	return 0, 0, false, nil
}

// free returns a chunk to the sorted free list, coalescing with both
// neighbours; a free chunk that ends at the watermark lowers it instead.
func (c *Cache) free(off, size uint64) error {
	var pp, p uint64
	cur := c.u64(hFreeHead)
	for cur != 0 && cur < off {
		_, next, err := c.freeNode(cur)
		if err != nil {
			return err
		}
		pp, p, cur = p, cur, next
	}
	wm := c.u64(hWatermark)
	if off+size > wm || (cur != 0 && off+size > cur) {
		return errCorruptPool
	}
	start, sz, link := off, size, p
	if p != 0 {
		psz, _, err := c.freeNode(p)
		if err != nil {
			return err
		}
		if p+psz > off {
			return errCorruptPool
		}
		if p+psz == off {
			start, sz, link = p, psz+size, pp
		}
	}
	next := cur
	if cur != 0 && off+size == cur {
		csz, cnext, err := c.freeNode(cur)
		if err != nil {
			return err
		}
		sz += csz
		next = cnext
	}
	c.put64(hFreeBytes, c.u64(hFreeBytes)+size)
	if start+sz == wm {
		c.put64(hWatermark, start)
		c.setFreeLink(link, 0)
		return nil
	}
	c.put64(start, sz)
	c.put64(start+8, next)
	c.setFreeLink(link, start)
	return nil
}

// ---- entries ----------------------------------------------------------

// remove deletes the entry in slot i (status 0 first, so a crash leaves it
// absent), frees its chunk and bumps the generation.
func (c *Cache) remove(i uint32) error {
	s := c.slot(i)
	key := string(c.slotKey(i))
	c.bumpGen()
	c.setStatus(i, false)
	delete(c.index, key)
	c.freeSlots = append(c.freeSlots, i)
	if n := c.u32(hActive); n > 0 {
		c.put32(hActive, n-1)
	}
	if err := c.lruUnlink(i); err != nil {
		return err
	}
	return c.free(c.u64(s+sDataOff), uint64(c.u32(s+sChunk)))
}

func (c *Cache) expired(i uint32, now float64) bool {
	s := c.slot(i)
	ttl := c.f64(s + sTTL)
	return ttl > 0 && now-c.f64(s+sCreated) >= ttl
}

// expireAll removes every TTL-expired entry.
func (c *Cache) expireAll(now float64) error {
	c.ensureIndex()
	var victims []uint32
	for _, i := range c.index {
		if c.expired(i, now) {
			victims = append(victims, i)
		}
	}
	for _, i := range victims {
		if err := c.remove(i); err != nil {
			return err
		}
	}
	return nil
}

// evictTail removes the least recently used entry, except slot keep.
func (c *Cache) evictTail(keep uint32) (bool, error) {
	t := c.u32(hLRUTail)
	if t == keep && t != noSlot {
		t = c.u32(c.slot(t) + sPrev)
	}
	if t == noSlot {
		return false, nil
	}
	if t >= c.maxEntries || !c.active(t) {
		return false, errCorruptPool
	}
	return true, c.remove(t)
}

// rebuild reconstructs the LRU list, the free list, free_bytes, the
// watermark and the active count from the active entries (after taking
// over a crashed holder's lock, or on finding a corrupt structure).
// Entries that fail validation, overlap an earlier entry or duplicate a
// key are dropped.
func (c *Cache) rebuild() (err error) {
	defer guard(&err)()
	if err := c.checkStatic(); err != nil {
		return err
	}
	c.indexOK = false
	c.storeF64Bits(hGen, c.loadGen()+1)
	atomic.CompareAndSwapUint32(c.word32(hLock), 1, 1)
	type ent struct {
		slot       uint32
		off, chunk uint64
		access     float64
	}
	var ents []ent
	keys := make(map[string]int)
	for i := uint32(0); i < c.maxEntries; i++ {
		if c.mem[c.slot(i)+sStatus] == 0 {
			continue
		}
		if !c.active(i) || !c.slotValid(i) {
			c.setStatus(i, false)
			continue
		}
		s := c.slot(i)
		e := ent{i, c.u64(s + sDataOff), uint64(c.u32(s + sChunk)), c.f64(s + sAccess)}
		k := string(c.slotKey(i))
		if j, dup := keys[k]; dup {
			if ents[j].access >= e.access {
				c.setStatus(i, false)
				continue
			}
			c.setStatus(ents[j].slot, false)
			ents[j] = e
			continue
		}
		keys[k] = len(ents)
		ents = append(ents, e)
	}
	sort.Slice(ents, func(a, b int) bool { return ents[a].off < ents[b].off })
	kept := ents[:0]
	end := c.dataStart
	for _, e := range ents {
		if e.off < end {
			c.setStatus(e.slot, false)
			continue
		}
		kept = append(kept, e)
		end = e.off + e.chunk
	}
	ents = kept
	// Free list from the gaps, watermark at the end of the last chunk.
	var used uint64
	link := uint64(0)
	c.put64(hFreeHead, 0)
	pos := c.dataStart
	for _, e := range ents {
		if gap := e.off - pos; gap >= freeHdrSize {
			c.put64(pos, gap)
			c.put64(pos+8, 0)
			c.setFreeLink(link, pos)
			link = pos
		}
		used += e.chunk
		pos = e.off + e.chunk
	}
	c.put64(hWatermark, pos)
	c.put64(hFreeBytes, c.poolSize-c.dataStart-used)
	// LRU by last access, most recent first.
	sort.Slice(ents, func(a, b int) bool { return ents[a].access > ents[b].access })
	c.put32(hLRUHead, noSlot)
	c.put32(hLRUTail, noSlot)
	for i := c.maxEntries; i > 0; i-- {
		if !c.active(i - 1) {
			c.put32(c.slot(i-1)+sPrev, noSlot)
			c.put32(c.slot(i-1)+sNext, noSlot)
		}
	}
	prev := uint32(noSlot)
	for _, e := range ents {
		s := c.slot(e.slot)
		c.put32(s+sPrev, prev)
		c.put32(s+sNext, noSlot)
		if prev == noSlot {
			c.put32(hLRUHead, e.slot)
		} else {
			c.put32(c.slot(prev)+sNext, e.slot)
		}
		prev = e.slot
	}
	c.put32(hLRUTail, prev)
	c.put32(hActive, uint32(len(ents)))
	c.refreshIndex()
	return nil
}

// checkStatic re-validates the immutable header fields.
func (c *Cache) checkStatic() error {
	m := c.mem
	if string(m[:4]) != "TCSH" || le.Uint32(m[hVersion:]) != cacheVersion ||
		le.Uint64(m[hPoolSize:]) != c.poolSize || le.Uint32(m[hMaxEntries:]) != c.maxEntries {
		return fmt.Errorf("%w: segment %q: pool header overwritten", ErrBadHeader, c.name)
	}
	return nil
}

// ---- public operations ------------------------------------------------

func checkKey(key string) error {
	if len(key) > maxKeyLen {
		return fmt.Errorf("%w: %d bytes", ErrKeyTooLong, len(key))
	}
	if key == "" || !utf8.ValidString(key) {
		return ErrBadKey
	}
	return nil
}

// prepare encodes v (after optional quantization) into buffers and reads
// the slot metadata of the packet.
func prepare(v tenso.Value, o PutOptions) (bufs [][]byte, total int64, hdr packetMeta, err error) {
	if o.Quantize != nil {
		t, ok := v.(*tenso.Tensor)
		if !ok {
			return nil, 0, hdr, fmt.Errorf("%w: quantization needs a dense tensor, got %v", tenso.ErrInvalid, v.Kind())
		}
		q, err := quantize(t, *o.Quantize)
		if err != nil {
			return nil, 0, hdr, err
		}
		v = q
	}
	bufs, total, err = tenso.Segments(v, o.Encode)
	if err != nil {
		return nil, 0, hdr, err
	}
	if total > maxPacket {
		return nil, 0, hdr, fmt.Errorf("%w: packet of %d bytes; cache entries are below 4 GiB", ErrTooLarge, total)
	}
	if err := hdr.fill(bufs, total); err != nil {
		return nil, 0, hdr, err
	}
	return bufs, total, hdr, nil
}

// Put stores v under key (at most 128 bytes of UTF-8). An existing entry is
// rewritten in place when its chunk is large enough, else replaced. To make
// room Put evicts first every expired entry, then least recently used ones;
// a value larger than the data region is ErrTooLarge, and ErrPoolExhausted
// reports that even eviction could not make room.
func (c *Cache) Put(key string, v tenso.Value, o PutOptions) (err error) {
	if err := checkKey(key); err != nil {
		return err
	}
	if o.TTL < 0 {
		return fmt.Errorf("%w: negative TTL", tenso.ErrInvalid)
	}
	bufs, total, hdr, err := prepare(v, o)
	if err != nil {
		return err
	}
	end, err := c.begin()
	if err != nil {
		return err
	}
	defer end()
	defer guard(&err)()
	need := alignUp(uint64(total), 64)
	if need > c.poolSize-c.dataStart {
		return fmt.Errorf("%w: packet of %d bytes; the pool's data region has %d", ErrTooLarge, total, c.poolSize-c.dataStart)
	}
	return c.withRepair(func() error {
		return c.put(key, bufs, total, need, &hdr, o.TTL.Seconds(), false)
	})
}

// Update writes v into the existing entry key, in place: v must have the
// stored value's kind, and a dense tensor its dtype and shape, and the new
// packet must fit the entry's chunk (ErrMismatch otherwise); missing keys
// are ErrNotFound. The entry keeps its TTL, which restarts.
func (c *Cache) Update(key string, v tenso.Value, o tenso.Options) (err error) {
	if err := checkKey(key); err != nil {
		return err
	}
	bufs, total, hdr, err := prepare(v, PutOptions{Encode: o})
	if err != nil {
		return err
	}
	end, err := c.begin()
	if err != nil {
		return err
	}
	defer end()
	defer guard(&err)()
	return c.withRepair(func() error {
		i, ok := c.lookup(key)
		if !ok {
			return fmt.Errorf("%w: %q", ErrNotFound, key)
		}
		s := c.slot(i)
		old, err := tenso.Inspect(c.mem[c.u64(s+sDataOff) : c.u64(s+sDataOff)+uint64(c.u32(s+sPacket))])
		if err != nil {
			return fmt.Errorf("stored entry %q: %w", key, err)
		}
		if old.Kind != hdr.info.Kind || old.DType != hdr.info.DType || !sameShape(old.Shape, hdr.info.Shape) {
			return fmt.Errorf("%w: %q holds %v %v %v, got %v %v %v", ErrMismatch, key, old.Kind, old.DType, old.Shape, hdr.info.Kind, hdr.info.DType, hdr.info.Shape)
		}
		if uint64(total) > uint64(c.u32(s+sChunk)) {
			return fmt.Errorf("%w: %q: packet of %d bytes exceeds its %d-byte slot", ErrMismatch, key, total, c.u32(s+sChunk))
		}
		return c.put(key, bufs, total, alignUp(uint64(total), 64), &hdr, c.f64(s+sTTL), true)
	})
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// packetMeta is what an entry slot records about its packet.
type packetMeta struct {
	info tenso.Info
}

func (m *packetMeta) fill(bufs [][]byte, total int64) error {
	// The header, shape and metadata are in the leading buffers; Inspect
	// needs only those bytes.
	var head []byte
	for _, b := range bufs {
		head = append(head, b...)
		if info, err := tenso.Inspect(head); err == nil {
			m.info = info
			return nil
		}
	}
	info, err := tenso.Inspect(head)
	if err != nil {
		return err
	}
	m.info = info
	return nil
}

func (c *Cache) put(key string, bufs [][]byte, total int64, need uint64, m *packetMeta, ttl float64, inPlaceOnly bool) error {
	now := monotonic()
	if i, ok := c.lookup(key); ok {
		if uint64(c.u32(c.slot(i)+sChunk)) >= uint64(total) {
			return c.write(i, key, c.u64(c.slot(i)+sDataOff), uint64(c.u32(c.slot(i)+sChunk)), bufs, total, m, ttl, now, true)
		}
		if inPlaceOnly {
			return fmt.Errorf("%w: %q does not fit its slot", ErrMismatch, key)
		}
		if err := c.remove(i); err != nil {
			return err
		}
	}
	// A slot.
	c.ensureIndex()
	if len(c.freeSlots) == 0 {
		if err := c.expireAll(now); err != nil {
			return err
		}
	}
	for len(c.freeSlots) == 0 {
		ok, err := c.evictTail(noSlot)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: entry table full", ErrPoolExhausted)
		}
	}
	i := c.freeSlots[len(c.freeSlots)-1]
	if c.active(i) {
		return errCorruptPool
	}
	// Room in the data region.
	off, size, ok, err := c.alloc(need)
	if err != nil {
		return err
	}
	if !ok {
		if err := c.expireAll(now); err != nil {
			return err
		}
		for {
			if off, size, ok, err = c.alloc(need); err != nil || ok {
				break
			}
			evicted, err := c.evictTail(noSlot)
			if err != nil {
				return err
			}
			if !evicted {
				return fmt.Errorf("%w: %d bytes needed, %d free but fragmented", ErrPoolExhausted, need, c.u64(hFreeBytes))
			}
		}
		if err != nil {
			return err
		}
	}
	c.freeSlots = c.freeSlots[:len(c.freeSlots)-1]
	if err := c.write(i, key, off, size, bufs, total, m, ttl, now, false); err != nil {
		return err
	}
	c.index[key] = i
	c.put32(hActive, c.u32(hActive)+1)
	return c.lruPushHead(i)
}

// write fills slot i and its chunk and publishes it: status 0, packet,
// fields, status 1 (release order).
func (c *Cache) write(i uint32, key string, off, chunk uint64, bufs [][]byte, total int64, m *packetMeta, ttl, now float64, existing bool) error {
	s := c.slot(i)
	c.bumpGen()
	c.setStatus(i, false)
	if !existing {
		c.setKey(i, key)
	}
	copyBufs(c.mem[off:off+uint64(total)], bufs)
	c.put64(s+sDataOff, off)
	c.put32(s+sChunk, uint32(chunk))
	c.put32(s+sPacket, uint32(total))
	dt := byte(0)
	if m.info.Kind == tenso.KindDense {
		dt = byte(m.info.DType)
	}
	c.mem[s+sDType] = dt
	nd := len(m.info.Shape)
	if nd > 255 {
		nd = 255
	}
	c.mem[s+sNDim] = byte(nd)
	for d := 0; d < 8; d++ {
		v := uint32(0)
		if d < len(m.info.Shape) {
			v = uint32(m.info.Shape[d])
		}
		c.put32(s+sDims+4*uint64(d), v)
	}
	c.putF64(s+sAccess, now)
	c.putF64(s+sCreated, now)
	c.putF64(s+sTTL, ttl)
	if existing {
		if err := c.lruTouch(i); err != nil {
			return err
		}
	}
	c.setStatus(i, true)
	return nil
}

func (c *Cache) setKey(i uint32, key string) {
	s := c.slot(i)
	c.mem[s+sKeyLen] = byte(len(key))
	k := c.mem[s+sKey : s+sKey+maxKeyLen]
	clear(k[copy(k, key):])
}
