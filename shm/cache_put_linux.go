//go:build linux

package shm

import (
	"fmt"
	"slices"
	"unicode/utf8"

	tenso "github.com/tenso-go/tenso"
)

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
func (c *Cache) Put(key string, v tenso.Value, o PutOptions) error {
	if o.TTL < 0 {
		return fmt.Errorf("%w: negative TTL", tenso.ErrInvalid)
	}
	return c.writing(key, v, o, func(p *prepared) error {
		need := alignUp(uint64(p.total), 64)
		if need > c.poolSize-c.dataStart {
			return fmt.Errorf("%w: packet of %d bytes; the pool's data region has %d", ErrTooLarge, p.total, c.poolSize-c.dataStart)
		}
		return c.withRepair(func() error {
			return c.put(key, p.bufs, p.total, need, &p.hdr, o.TTL.Seconds(), false)
		})
	})
}

// prepared is a value's packet, ready to be copied into the pool.
type prepared struct {
	bufs  [][]byte
	total int64
	hdr   packetMeta
}

// writing is what Put and Update share: the key checked and the packet
// prepared before any lock is taken, then fn under the locks, with a
// memory fault turned into ErrFault.
func (c *Cache) writing(key string, v tenso.Value, o PutOptions, fn func(*prepared) error) (err error) {
	if err := checkKey(key); err != nil {
		return err
	}
	var p prepared
	if p.bufs, p.total, p.hdr, err = prepare(v, o); err != nil {
		return err
	}
	end, err := c.begin()
	if err != nil {
		return err
	}
	defer end()
	defer guard(&err)()
	return fn(&p)
}

// Update writes v into the existing entry key, in place: v must have the
// stored value's kind, and a dense tensor its dtype and shape, and the new
// packet must fit the entry's chunk (ErrMismatch otherwise); missing keys
// are ErrNotFound. The entry keeps its TTL, which restarts.
func (c *Cache) Update(key string, v tenso.Value, o tenso.Options) error {
	return c.writing(key, v, PutOptions{Encode: o}, func(p *prepared) error {
		return c.update(key, p)
	})
}

// update is Update under the locks.
func (c *Cache) update(key string, p *prepared) error {
	bufs, total, hdr := p.bufs, p.total, &p.hdr
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
		if old.Kind != hdr.info.Kind || old.DType != hdr.info.DType || !slices.Equal(old.Shape, hdr.info.Shape) {
			return fmt.Errorf("%w: %q holds %v %v %v, got %v %v %v", ErrMismatch, key, old.Kind, old.DType, old.Shape, hdr.info.Kind, hdr.info.DType, hdr.info.Shape)
		}
		if uint64(total) > uint64(c.u32(s+sChunk)) {
			return fmt.Errorf("%w: %q: packet of %d bytes exceeds its %d-byte slot", ErrMismatch, key, total, c.u32(s+sChunk))
		}
		return c.put(key, bufs, total, alignUp(uint64(total), 64), hdr, c.f64(s+sTTL), true)
	})
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
	now := c.now()
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
