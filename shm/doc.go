// Package shm shares Tenso packets between processes on one Linux host
// through POSIX shared memory, in the reference implementation's layouts,
// so Go and Python processes can read what the other writes.
//
// # Segment (TensoShm)
//
// A Segment is a named segment (/dev/shm/<name>, exactly what Python's
// multiprocessing.shared_memory uses) holding one packet at offset 0 and
// nothing else (FORMAT.md §18). Get decodes it without copying; the packet
// length always comes from the packet's own framing — for a compressed
// dense packet by walking its LZ4 frame — never from the segment size, so
// oversized segments written by the reference read correctly.
// CreateFrom sizes a segment to exactly its packet, which is what lets a
// Python reader (who takes the whole segment as the packet) read
// compressed packets; Put of a compressed dense packet into a segment of
// another size is refused with tenso.ErrUnframed.
//
// A segment has no lock: coordinate a writer and its readers yourself.
//
// # Cache (TensoCache)
//
// A Cache is a key→packet store in one segment, in the reference's TCSH v2
// layout (FORMAT.md §19): a 4096-byte pool header, an entry table of
// 256-byte slots and a 64-byte aligned data region managed by a first-fit
// free list with coalescing plus a bump allocator, LRU eviction and TTLs.
// A Python TensoCache(name=…, create=False) attaches to a Go pool and vice
// versa.
//
// Every Go operation (reads included, since a get updates the LRU order and
// counters) takes the pool's lock, an atomic compare-and-swap word with the
// holder's PID and start time recorded beside it: a process that dies while
// holding the lock (even by SIGKILL) is detected at once by the next
// waiter, which takes the lock over and rebuilds the free list, LRU list
// and counters from the published entries. An entry is published by its
// status byte, written last with release ordering, so no reader sees a
// half-written entry. Python readers do not take the lock; mutual
// exclusion holds among Go processes only.
//
// # Life cycle
//
// A segment or a pool is a file in /dev/shm: it outlives the processes
// that use it, until it is unlinked (or the machine restarts).
//
//  1. Create or open. Create, CreateFrom and CreateCache make a new name
//     and fail if it exists (the error matches os.ErrExist); Open and
//     OpenCache attach to an existing one (os.ErrNotExist if there is
//     none). OpenOrCreateCache does whichever applies, so a program may run
//     twice, or in several processes at once, and they all share one pool;
//     Created tells a handle whether it made the pool.
//  2. Close unmaps a handle: its zero-copy views become invalid, and the
//     data stay for every other process. Close never unlinks.
//  3. Unlink removes the name (a pool is one segment: this is everything
//     it holds). Processes that have it mapped keep working until they
//     Close; the memory is freed after the last Close. Unlink once, from
//     the process that owns the data's lifetime; Unlink(name) removes what
//     a program that died left behind.
//
// A program that must leave nothing behind defers both (deferred calls
// run last first: Close, then Unlink):
//
//	c, err := shm.OpenOrCreateCache("models", "256MB", shm.CacheOptions{})
//	if err != nil {
//		return err
//	}
//	defer c.Unlink()
//	defer c.Close()
//
// A pool meant to outlive the program (filled by one service, read by
// others) skips the Unlink and is removed by whoever retires it.
//
// # Lifetimes of views
//
// Zero-copy results (Segment.Get, Cache.Get) point into the shared
// mapping:
//
//   - they must not be used after Close of the Segment or Cache;
//   - a Segment view changes when any process Puts into the segment;
//   - a Cache view stays valid until the next structural mutation of the
//     pool by any process (put, update, delete, expiry, eviction, clear);
//     View.Valid tells whether one has happened since. Use GetCopy for
//     data that must stay stable.
//
// Memory faults: if another process shrinks a segment with ftruncate while
// it is mapped, touching the lost pages raises SIGBUS. This package's own
// accesses are guarded (they return ErrFault instead of crashing), but user
// code reading a zero-copy view is not; only processes you trust should
// share a segment.
//
// Segment and Cache methods are safe for concurrent use by goroutines.
// The package builds on Linux only; elsewhere every constructor returns
// ErrNotSupported.
package shm
