//go:build linux

package shm

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// The cross-process lock of a TCSH pool (FORMAT.md §19.3, "This project").
//
// Word at 56: 0 free, 1 held, changed only by compare-and-swap 0→1 and by
// the holder's release. The holder records the acquisition time at 60 (as
// the reference does), its PID at 96, its start time at 112 and finally the
// stamp at 104 (the bits of the time at 60). A waiter trusts a record only
// when the PID read before and after the other fields agrees and the stamp
// equals the time bit for bit.
//
// Takeover of a lock whose recorded holder is dead (kill ESRCH, zombie, or
// another start time = PID reused) is a compare-and-swap of the PID field
// from the dead PID to the waiter's PID with claimBit set; the winner then
// rewrites time, start time and stamp and finally clears claimBit. The
// bit keeps other waiters from pairing the new PID with the dead holder's
// start time while the fields are being rewritten (Linux PIDs are below
// 2^22, so the bit is never part of a real PID). A verdict of "dead" must
// be seen on two polls with an identical record before it is acted on.
//
// Without a trustworthy record (a Python holder, or a Go holder between its
// CAS and recording itself) the reference's rule applies: a time that is
// negative or more than StaleAfter old, or 0.0 for StaleAfter of local
// observation, is stale. The record must stay unchanged for one second of
// local observation before it is claimed (this also rules out torn reads of
// the two 32-bit halves of the time).
const claimBit = 1 << 31

const (
	hLock     = 56
	hLockTime = 60
	hPID      = 96
	hStamp    = 104
	hStart    = 112
)

func (c *Cache) word32(off int) *uint32 { return (*uint32)(unsafe.Pointer(&c.mem[off])) }
func (c *Cache) word64(off int) *uint64 { return (*uint64)(unsafe.Pointer(&c.mem[off])) }

// f64 at a 4-aligned offset, written and read as two 32-bit atomic halves
// (low first), so that the lock-free readers never see a torn half.
func (c *Cache) loadF64Bits(off int) uint64 {
	lo := atomic.LoadUint32(c.word32(off))
	hi := atomic.LoadUint32(c.word32(off + 4))
	return uint64(hi)<<32 | uint64(lo)
}

func (c *Cache) storeF64Bits(off int, v uint64) {
	atomic.StoreUint32(c.word32(off), uint32(v))
	atomic.StoreUint32(c.word32(off+4), uint32(v>>32))
}

type lockRecord struct {
	pid   uint32
	time  uint64 // bits
	stamp uint64
	start uint64
}

func (c *Cache) readRecord() (r lockRecord, consistent bool) {
	p1 := atomic.LoadUint32(c.word32(hPID))
	r.stamp = atomic.LoadUint64(c.word64(hStamp))
	r.time = c.loadF64Bits(hLockTime)
	r.start = atomic.LoadUint64(c.word64(hStart))
	p2 := atomic.LoadUint32(c.word32(hPID))
	r.pid = p2
	return r, p1 == p2
}

// recordSelf writes our time, start time and stamp (and, for a takeover,
// clears the claim bit last).
func (c *Cache) recordSelf(takeover bool) {
	t := math.Float64bits(c.now())
	c.storeF64Bits(hLockTime, t)
	if !takeover {
		atomic.StoreUint32(c.word32(hPID), selfPID)
	}
	atomic.StoreUint64(c.word64(hStart), selfStart)
	atomic.StoreUint64(c.word64(hStamp), t)
	if takeover {
		atomic.StoreUint32(c.word32(hPID), selfPID)
	}
}

// lock acquires the pool lock. recovered is true when it was taken over
// from a dead or stale holder (the caller must then rebuild the pool).
// Its waits and ages are measured on the pool's clock.
func (c *Cache) lock() (recovered bool, err error) {
	if atomic.CompareAndSwapUint32(c.word32(hLock), 0, 1) {
		c.recordSelf(false)
		return false, nil
	}
	deadline := c.now() + c.opts.lockTimeout().Seconds()
	var (
		prevDead bool
		prevRec  lockRecord
		watch    staleWatch
		sleep    = 5 * time.Microsecond
	)
	for spin := 0; ; spin++ {
		if atomic.CompareAndSwapUint32(c.word32(hLock), 0, 1) {
			c.recordSelf(false)
			return false, nil
		}
		if spin < 30 {
			runtime.Gosched()
			continue
		}
		now := c.now()
		rec, ok := c.readRecord()
		if ok && atomic.LoadUint32(c.word32(hLock)) != 0 {
			dead, stale := c.judge(rec, now, &watch)
			if (dead && prevDead && rec == prevRec) || stale {
				if atomic.CompareAndSwapUint32(c.word32(hPID), rec.pid, selfPID|claimBit) {
					c.recordSelf(true)
					return true, nil
				}
			}
			prevDead, prevRec = dead, rec
		} else {
			prevDead = false
		}
		if now > deadline {
			return false, fmt.Errorf("%w: held for over %v by pid %d", ErrLockTimeout, c.opts.lockTimeout(), rec.pid&^claimBit)
		}
		c.pause(sleep)
		if sleep < 100*time.Microsecond {
			sleep *= 2
		}
	}
}

// staleWatch is a waiter's observation of one untrusted lock record: the
// record and when (pool clock seconds) it was first seen unchanged.
type staleWatch struct {
	rec   lockRecord
	since float64
	ok    bool
}

// judge decides whether the holder described by rec is certainly dead
// (trusted record) or the lock is stale under the time rule; now is the
// pool clock's time.
func (c *Cache) judge(rec lockRecord, now float64, w *staleWatch) (dead, stale bool) {
	if rec.pid != 0 && !c.opts.DisablePIDCheck {
		if rec.pid&claimBit != 0 {
			// Being claimed: the claimer is the holder; its start time is
			// not recorded yet.
			return processDead(rec.pid&^claimBit, 0), false
		}
		if rec.stamp == rec.time && rec.stamp != 0 {
			return processDead(rec.pid, rec.start), false
		}
	}
	if !w.ok || w.rec != rec {
		*w = staleWatch{rec: rec, since: now, ok: true}
		return false, false
	}
	observed := now - w.since
	after := c.opts.staleAfter().Seconds()
	t := math.Float64frombits(rec.time)
	switch {
	case rec.time == 0: // held with no time at all
		return false, observed > after
	case math.IsNaN(t) || t < 0 || now-t > after:
		return false, observed >= 1
	}
	return false, false
}

// unlock releases the lock if we still hold it. It returns false when the
// lock had been taken from us (we were judged stale).
func (c *Cache) unlock() bool {
	if atomic.LoadUint32(c.word32(hPID)) != selfPID {
		return false
	}
	atomic.StoreUint64(c.word64(hStamp), 0)
	atomic.StoreUint64(c.word64(hStart), 0)
	if !atomic.CompareAndSwapUint32(c.word32(hPID), selfPID, 0) {
		return false
	}
	c.storeF64Bits(hLockTime, 0)
	atomic.StoreUint32(c.word32(hLock), 0)
	return true
}
