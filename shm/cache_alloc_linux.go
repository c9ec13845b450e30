//go:build linux

package shm

// ---- LRU list ---------------------------------------------------------

func (c *Cache) lruUnlink(i uint32) error {
	s := c.slot(i)
	p, n := c.u32(s+sPrev), c.u32(s+sNext)
	if (p != noSlot && p >= c.maxEntries) || (n != noSlot && n >= c.maxEntries) {
		return errCorruptPool
	}
	// relink points the link that points at i (field of slot j, or the
	// list's end word when j is noSlot) at to, after checking it does.
	relink := func(j uint32, field, end uint64, to uint32) error {
		at := end
		if j != noSlot {
			at = c.slot(j) + field
		}
		if c.u32(at) != i {
			return errCorruptPool
		}
		c.put32(at, to)
		return nil
	}
	if err := relink(p, sNext, hLRUHead, n); err != nil {
		return err
	}
	if err := relink(n, sPrev, hLRUTail, p); err != nil {
		return err
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
