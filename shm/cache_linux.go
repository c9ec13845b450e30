//go:build linux

package shm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
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
// accepts it ("256MB", "1.5G", "65536"; suffixes are powers of 1024). It
// fails if the name exists (the error matches os.ErrExist): attach with
// OpenCache, or use OpenOrCreateCache.
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
	return createCache(name, size, o, nil)
}

// OpenOrCreateCache attaches to the pool called name if it exists, and
// creates it with the given size (as CreateCache) if it does not; Created
// tells which happened. The size matters only for creating: an existing
// pool keeps its own (Stats reports it). Processes that race to open or
// create the same name all end up attached to one pool: one creates it,
// the others wait (up to CacheOptions.LockTimeout) until its creator has
// published the pool header. A segment whose creator died before that is
// reported as ErrBadHeader after the wait; remove it with Unlink(name).
func OpenOrCreateCache(name, size string, o CacheOptions) (*Cache, error) {
	n, err := ParseSize(size)
	if err != nil {
		return nil, err
	}
	return OpenOrCreateCacheBytes(name, n, o)
}

// OpenOrCreateCacheBytes is OpenOrCreateCache with the size in bytes.
func OpenOrCreateCacheBytes(name string, size int64, o CacheOptions) (*Cache, error) {
	return openOrCreate(name, size, o, nil)
}

func openOrCreate(name string, size int64, o CacheOptions, clk clock) (*Cache, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: OpenOrCreateCache needs a name (an empty one would create a new pool every time)", ErrBadName)
	}
	if _, _, err := geometry(size); err != nil {
		return nil, err
	}
	if clk == nil {
		clk = sysClock{}
	}
	var start float64
	pause := 50 * time.Microsecond
	for try := 0; ; try++ {
		c, err := createCache(name, size, o, clk)
		if !errors.Is(err, os.ErrExist) {
			return c, err
		}
		c, pending, err := openCache(name, o, clk)
		if err == nil {
			return c, nil
		}
		if !pending && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		// Its creator has not published the header yet, or gave up and
		// removed the name between our two calls: wait, then try again.
		now := clk.mono()
		if try == 0 {
			start = now
		} else if now-start > o.lockTimeout().Seconds() {
			if pending {
				return nil, fmt.Errorf("%w (waited %v; remove it with shm.Unlink(%q) if its creator died)", err, o.lockTimeout(), name)
			}
			return nil, err
		}
		clk.sleep(pause)
		if pause < 5*time.Millisecond {
			pause *= 2
		}
	}
}

// geometry returns the entry-table size and the data-region start of a
// pool of size bytes.
func geometry(size int64) (maxEntries uint32, dataStart uint64, err error) {
	if size < minPoolSize {
		return 0, 0, fmt.Errorf("tenso/shm: cache pool of %d bytes is below the minimum of %d", size, minPoolSize)
	}
	me := maxEntriesFor(uint64(size))
	ds := dataStartFor(me)
	if ds >= uint64(size) {
		return 0, 0, fmt.Errorf("tenso/shm: cache pool of %d bytes leaves no data region", size)
	}
	return me, ds, nil
}

func createCache(name string, size int64, o CacheOptions, clk clock) (*Cache, error) {
	me, ds, err := geometry(size)
	if err != nil {
		return nil, err
	}
	pool := uint64(size)
	f, name, err := createFile(name, size)
	if err != nil {
		return nil, err
	}
	ident, err := f.Stat()
	var mem []byte
	if err == nil {
		mem, err = mapFile(f, size)
	}
	if err != nil {
		f.Close()
		unix.Unlink(shmDir + name)
		return nil, err
	}
	c := &Cache{name: name, opts: o, created: true, ident: ident, clk: clk, f: f, mem: mem, poolSize: pool, maxEntries: me, dataStart: ds}
	c.format()
	return c, nil
}

// format writes the header and the slots of a new pool into c.mem (a fresh
// tmpfs file, so zeros), publishing the magic last.
func (c *Cache) format() {
	m := c.mem
	le.PutUint32(m[hVersion:], cacheVersion)
	le.PutUint64(m[hPoolSize:], c.poolSize)
	le.PutUint32(m[hMaxEntries:], c.maxEntries)
	le.PutUint64(m[hFreeBytes:], c.poolSize-c.dataStart)
	le.PutUint64(m[hWatermark:], c.dataStart)
	le.PutUint32(m[hLRUHead:], noSlot)
	le.PutUint32(m[hLRUTail:], noSlot)
	for i := uint32(0); i < c.maxEntries; i++ {
		s := c.slot(i)
		le.PutUint32(m[s+sPrev:], noSlot)
		le.PutUint32(m[s+sNext:], noSlot)
	}
	atomic.StoreUint32(c.word32(hMagic), le.Uint32([]byte("TCSH")))
}

// OpenCache attaches to an existing pool, checking its header: a segment
// that is too small, truncated, not a TCSH pool or corrupt is ErrBadHeader,
// another version ErrVersion; a missing name matches os.ErrNotExist.
func OpenCache(name string, o CacheOptions) (*Cache, error) {
	c, _, err := openCache(name, o, nil)
	return c, err
}

// openCache is OpenCache; pending reports a segment whose creator has not
// published the pool header (yet): empty, or its magic still zero (a Go
// creator writes it last), or a magic without version and size (a Python
// creator writes the magic first).
func openCache(name string, o CacheOptions, clk clock) (c *Cache, pending bool, err error) {
	f, size, err := openFile(name)
	if err != nil {
		return nil, false, err
	}
	ident, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("tenso/shm: stat segment %q: %w", name, err)
	}
	if size == 0 {
		f.Close()
		return nil, true, fmt.Errorf("%w: segment %q is empty: its creator has not sized it", ErrBadHeader, name)
	}
	if size < poolHeaderSize {
		f.Close()
		return nil, false, fmt.Errorf("%w: segment %q has %d bytes, less than the %d-byte pool header", ErrBadHeader, name, size, poolHeaderSize)
	}
	mem, err := mapFile(f, size)
	if err != nil {
		f.Close()
		return nil, false, err
	}
	c = &Cache{name: name, opts: o, ident: ident, clk: clk, f: f, mem: mem}
	pending, err = c.attach(uint64(size))
	if err != nil {
		unix.Munmap(mem)
		f.Close()
		return nil, pending, err
	}
	return c, false, nil
}

func (c *Cache) attach(size uint64) (pending bool, err error) {
	defer guard(&err)()
	m := c.mem
	magic := atomic.LoadUint32(c.word32(hMagic)) // pairs with the creator's release store
	if magic == 0 || (magic == le.Uint32([]byte("TCSH")) && le.Uint32(m[hVersion:]) == 0 && le.Uint64(m[hPoolSize:]) == 0) {
		return true, fmt.Errorf("%w: segment %q: its creator has not published the pool header (still creating it, or died doing so)", ErrBadHeader, c.name)
	}
	if string(m[hMagic:hMagic+4]) != "TCSH" {
		return false, fmt.Errorf("%w: segment %q has magic %q, want \"TCSH\"", ErrBadHeader, c.name, m[:4])
	}
	if v := le.Uint32(m[hVersion:]); v != cacheVersion {
		return false, fmt.Errorf("%w: segment %q is TCSH version %d, this package reads version %d", ErrVersion, c.name, v, cacheVersion)
	}
	pool := le.Uint64(m[hPoolSize:])
	if pool > size {
		return false, fmt.Errorf("%w: segment %q is truncated: its header says %d bytes, it has %d", ErrBadHeader, c.name, pool, size)
	}
	if pool < minPoolSize {
		return false, fmt.Errorf("%w: segment %q declares a pool of %d bytes, below the minimum %d", ErrBadHeader, c.name, pool, minPoolSize)
	}
	me := le.Uint32(m[hMaxEntries:])
	if me == 0 || me > maxEntriesCap || dataStartFor(me) >= pool {
		return false, fmt.Errorf("%w: segment %q declares %d entries for a %d-byte pool", ErrBadHeader, c.name, me, pool)
	}
	c.poolSize, c.maxEntries, c.dataStart = pool, me, dataStartFor(me)
	c.mem = m[:pool]
	if err := c.checkHeader(); err != nil {
		return false, err
	}
	return false, nil
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

// Created reports whether this handle created the pool (CreateCache, or
// OpenOrCreateCache that found none) rather than attaching to one.
func (c *Cache) Created() bool { return c.created }

// Close unmaps the pool. It never touches a lock it does not hold and never
// unlinks (see Unlink): the pool and its entries stay in /dev/shm for the
// other processes and for later OpenCache calls. Views obtained from Get
// must not be used after Close. Closing twice is a no-op.
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

// Unlink removes the pool's name, /dev/shm/<name>: the pool lives in that
// one segment, so this frees everything it holds once every process that
// has it mapped has closed it (they keep working until then). Later
// OpenCache calls fail with os.ErrNotExist, and OpenOrCreateCache creates a
// fresh, empty pool under the name. Unlink may be called before or after
// Close; call it once, from the process that owns the pool's lifetime (the
// creator, say: Created reports it). A name already removed is an error
// matching os.ErrNotExist, and a name that another process has removed and
// re-created since this handle attached is left alone (an error says so).
// A pool left behind by a program that died is removed with Unlink(name).
func (c *Cache) Unlink() error {
	if c.ident != nil {
		if st, err := os.Stat(shmDir + c.name); err == nil && !os.SameFile(st, c.ident) {
			return fmt.Errorf("tenso/shm: segment %q is no longer this pool (removed and re-created by another process): not unlinked", c.name)
		}
	}
	return Unlink(c.name)
}

// sysClock is the clock of every Cache outside tests.
type sysClock struct{}

func (sysClock) mono() float64         { return monotonic() }
func (sysClock) sleep(d time.Duration) { time.Sleep(d) }

// now returns the pool clock's monotonic seconds.
func (c *Cache) now() float64 {
	if c.clk == nil {
		return monotonic()
	}
	return c.clk.mono()
}

// pause sleeps for d on the pool's clock.
func (c *Cache) pause(d time.Duration) {
	if c.clk == nil {
		time.Sleep(d)
		return
	}
	c.clk.sleep(d)
}
