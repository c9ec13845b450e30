package shm

import (
	"os"
	"sync"
	"time"

	tenso "github.com/tenso-go/tenso"
)

// The types of this file are the package's API on every platform; the
// operations are in the Linux files, and shm_other.go declares them
// returning ErrNotSupported elsewhere.

// Segment is a named POSIX shared-memory segment holding one Tenso packet
// at offset 0 (the reference's TensoShm, FORMAT.md §18). Python attaches
// to the same name with multiprocessing.shared_memory.SharedMemory(name)
// or tenso's TensoShm(name).
//
// The segment has no lock (the layout is Python's: no room for one).
// Methods may be called from several goroutines, but a Put concurrent with
// a Get in another goroutine or process gives that Get torn data:
// coordinate writers and readers yourself.
type Segment struct {
	name string

	mu   sync.RWMutex
	f    *os.File
	data []byte
}

// CacheOptions configure a Cache handle. The zero value is the default.
type CacheOptions struct {
	// LockTimeout bounds the wait for a lock held by a live process
	// (default 5 s, as the reference), and OpenOrCreateCache's wait for
	// another process to finish creating the pool.
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
// concurrent use by goroutines and by processes. See the package
// documentation for its life cycle (create or open, Close, Unlink).
type Cache struct {
	name    string
	opts    CacheOptions
	created bool        // this handle created the pool
	ident   os.FileInfo // the segment this handle mapped, for Unlink
	clk     clock       // nil: the system's monotonic clock

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

// clock is a Cache's time source: the monotonic seconds it stores in the
// pool and compares TTLs and lock ages with (CLOCK_MONOTONIC, Python's
// time.monotonic()), and the pauses of its waits. Tests replace it.
type clock interface {
	mono() float64
	sleep(time.Duration)
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
