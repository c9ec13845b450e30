//go:build linux

package shm

import (
	"errors"
	"fmt"
	"sort"
	"time"

	tenso "github.com/tenso-go/tenso"
)

// find returns the live slot of key, removing it if it has expired (which
// bumps the generation, as the reference does for get and info).
func (c *Cache) find(key string, now float64) (uint32, bool, error) {
	i, ok := c.lookup(key)
	if !ok {
		return 0, false, nil
	}
	if !c.slotValid(i) {
		return 0, false, errCorruptPool
	}
	if c.expired(i, now) {
		return 0, false, c.remove(i)
	}
	return i, true, nil
}

// entryPacket returns the packet bytes of slot i (validated by slotValid).
func (c *Cache) entryPacket(i uint32) []byte {
	s := c.slot(i)
	off := c.u64(s + sDataOff)
	return c.mem[off : off+uint64(c.u32(s+sPacket))]
}

// hit records a successful get: LRU head, access time, hits.
func (c *Cache) hit(i uint32, now float64) error {
	c.putF64(c.slot(i)+sAccess, now)
	c.put64(hHits, c.u64(hHits)+1)
	return c.lruTouch(i)
}

func (c *Cache) miss() { c.put64(hMisses, c.u64(hMisses)+1) }

// get looks key up for Get and GetPacket, counting a hit or a miss, and
// returns its packet: a view into the pool, or a private copy if copied.
// The caller holds the cache (begin) and guards against faults.
func (c *Cache) get(key string, copied bool) (p []byte, err error) {
	err = c.withRepair(func() error {
		now := c.now()
		i, ok, err := c.find(key, now)
		if err != nil {
			return err
		}
		if !ok {
			c.miss()
			return fmt.Errorf("%w: %q", ErrNotFound, key)
		}
		p = c.entryPacket(i)
		if copied {
			p = alignedCopy(p)
		}
		return c.hit(i, now)
	})
	return p, err
}

// Get returns the value stored under key without copying it: its tensor
// data are views into the shared pool (see View for how long they stay
// valid). A missing or expired key is ErrNotFound. Get moves the entry to
// the LRU head and counts a hit or a miss.
func (c *Cache) Get(key string) (view View, err error) {
	end, err := c.beginKey(key)
	if err != nil {
		return View{}, err
	}
	defer end()
	defer guard(&err)()
	p, err := c.get(key, false)
	if err != nil {
		return View{}, err
	}
	v, err := tenso.Decode(p)
	if err != nil {
		return View{}, fmt.Errorf("tenso/shm: entry %q: %w", key, err)
	}
	return View{Value: v, Generation: c.loadGen(), c: c}, nil
}

// GetCopy is Get on a private copy of the entry's packet: the result is
// stable whatever other processes do and stays valid after Close.
func (c *Cache) GetCopy(key string) (tenso.Value, error) {
	p, err := c.GetPacket(key)
	if err != nil {
		return nil, err
	}
	v, err := tenso.Decode(p)
	if err != nil {
		return nil, fmt.Errorf("tenso/shm: entry %q: %w", key, err)
	}
	return v, nil
}

// GetPacket returns a copy of the raw packet stored under key (counted as
// a get).
func (c *Cache) GetPacket(key string) (p []byte, err error) {
	end, err := c.beginKey(key)
	if err != nil {
		return nil, err
	}
	defer end()
	defer guard(&err)()
	return c.get(key, true)
}

// Info describes the entry key from its slot, without decoding the packet
// and without touching the LRU order or the hit counters.
func (c *Cache) Info(key string) (info EntryInfo, err error) {
	end, err := c.beginKey(key)
	if err != nil {
		return EntryInfo{}, err
	}
	defer end()
	defer guard(&err)()
	err = c.withRepair(func() error {
		i, ok, err := c.find(key, c.now())
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %q", ErrNotFound, key)
		}
		s := c.slot(i)
		nd := int(c.mem[s+sNDim])
		info = EntryInfo{
			Key:        key,
			DType:      tenso.DType(c.mem[s+sDType]),
			NDim:       nd,
			Shape:      make([]int, min(nd, 8)),
			PacketSize: int(c.u32(s + sPacket)),
			ChunkSize:  int(c.u32(s + sChunk)),
			Created:    c.f64(s + sCreated),
			LastAccess: c.f64(s + sAccess),
			TTL:        time.Duration(c.f64(s+sTTL) * float64(time.Second)),
		}
		for d := range info.Shape {
			info.Shape[d] = int(c.u32(s + sDims + 4*uint64(d)))
		}
		return nil
	})
	return info, err
}

// Contains reports whether key is present and not expired (no LRU or
// counter change).
func (c *Cache) Contains(key string) (bool, error) {
	_, err := c.Info(key)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return false, err
}

// Delete removes key; it reports whether the key was present.
func (c *Cache) Delete(key string) (found bool, err error) {
	end, err := c.beginKey(key)
	if err != nil {
		return false, err
	}
	defer end()
	defer guard(&err)()
	err = c.withRepair(func() error {
		i, ok := c.lookup(key)
		if !ok {
			return nil
		}
		found = true
		return c.remove(i)
	})
	return found, err
}

// Keys returns the keys of the live entries, most recently used first.
func (c *Cache) Keys() (keys []string, err error) {
	end, err := c.begin()
	if err != nil {
		return nil, err
	}
	defer end()
	defer guard(&err)()
	err = c.withRepair(func() error {
		c.ensureIndex()
		now := c.now()
		keys = keys[:0]
		type ka struct {
			k string
			a float64
		}
		var all []ka
		for k, i := range c.index {
			if !c.expired(i, now) {
				all = append(all, ka{k, c.f64(c.slot(i) + sAccess)})
			}
		}
		sort.Slice(all, func(a, b int) bool { return all[a].a > all[b].a })
		for _, e := range all {
			keys = append(keys, e.k)
		}
		return nil
	})
	return keys, err
}

// Stats returns the pool's counters.
func (c *Cache) Stats() (st Stats, err error) {
	end, err := c.begin()
	if err != nil {
		return Stats{}, err
	}
	defer end()
	defer guard(&err)()
	free := c.u64(hFreeBytes)
	data := c.poolSize - c.dataStart
	st = Stats{
		Entries:    int(c.u32(hActive)),
		MaxEntries: int(c.maxEntries),
		PoolSize:   int64(c.poolSize),
		DataSize:   int64(data),
		BytesUsed:  int64(data - free),
		BytesFree:  int64(free),
		Hits:       c.u64(hHits),
		Misses:     c.u64(hMisses),
		Generation: c.loadGen(),
	}
	if n := st.Hits + st.Misses; n > 0 {
		st.HitRate = float64(st.Hits) / float64(n)
	}
	return st, nil
}

// Clear removes every entry and resets the allocator (counters are kept).
func (c *Cache) Clear() (err error) {
	end, err := c.begin()
	if err != nil {
		return err
	}
	defer end()
	defer guard(&err)()
	c.bumpGen()
	for i := uint32(0); i < c.maxEntries; i++ {
		if c.active(i) {
			c.setStatus(i, false)
		}
		c.put32(c.slot(i)+sPrev, noSlot)
		c.put32(c.slot(i)+sNext, noSlot)
	}
	c.put32(hActive, 0)
	c.put64(hFreeHead, 0)
	c.put64(hWatermark, c.dataStart)
	c.put64(hFreeBytes, c.poolSize-c.dataStart)
	c.put32(hLRUHead, noSlot)
	c.put32(hLRUTail, noSlot)
	c.refreshIndex()
	return nil
}
