//go:build linux

package shm

import (
	"errors"
)

// ---- locking and the local index --------------------------------------

var errCorruptPool = errors.New("tenso/shm: cache structure corrupt")

// beginKey is begin for an operation on key: a bad key is refused before
// any lock is taken.
func (c *Cache) beginKey(key string) (func(), error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return c.begin()
}

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
