//go:build linux

package shm

import (
	"fmt"
	"sort"
	"sync/atomic"
)

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
