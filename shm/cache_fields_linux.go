//go:build linux

package shm

import (
	"math"
	"sync/atomic"
	"unicode/utf8"
)

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
