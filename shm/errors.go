package shm

import (
	"errors"

	tenso "github.com/tenso-go/tenso"
)

// Errors returned by this package. Match them with errors.Is. Errors about
// packets read from a segment wrap the codec's sentinels (tenso.ErrCorrupt,
// tenso.ErrUnframed, …) instead.
var (
	// ErrTooLarge: a value larger than the segment or the cache's data
	// region, or a packet of 4 GiB or more in a cache. It is the codec's
	// tenso.ErrTooLarge, so errors.Is matches either name.
	ErrTooLarge = tenso.ErrTooLarge
	// ErrNotFound: no entry with that key (or it has expired).
	ErrNotFound = errors.New("tenso/shm: key not found")
	// ErrKeyTooLong: a cache key longer than 128 bytes of UTF-8.
	ErrKeyTooLong = errors.New("tenso/shm: key longer than 128 bytes")
	// ErrBadKey: an empty cache key or one that is not valid UTF-8.
	ErrBadKey = errors.New("tenso/shm: key is empty or not valid UTF-8")
	// ErrPoolExhausted: no room for a value even after evicting every
	// expired and least-recently-used entry it was allowed to evict.
	ErrPoolExhausted = errors.New("tenso/shm: cache pool exhausted after eviction")
	// ErrBadHeader: attaching to a segment that is too small, truncated, or
	// whose TCSH header is corrupt or not a cache at all.
	ErrBadHeader = errors.New("tenso/shm: not a valid TensoCache segment")
	// ErrVersion: a TCSH segment of a version other than 2.
	ErrVersion = errors.New("tenso/shm: unsupported TensoCache version")
	// ErrLockTimeout: the cache lock stayed held by a live process for
	// longer than CacheOptions.LockTimeout.
	ErrLockTimeout = errors.New("tenso/shm: timed out waiting for the cache lock")
	// ErrMismatch: Update with a value of another kind, dtype or shape than
	// the stored one, or one that does not fit the existing slot.
	ErrMismatch = errors.New("tenso/shm: value does not match the stored entry")
	// ErrClosed: use of a closed Segment or Cache.
	ErrClosed = errors.New("tenso/shm: use of closed segment")
	// ErrFault: the segment's memory became inaccessible (another process
	// shrank the segment with ftruncate while it was mapped).
	ErrFault = errors.New("tenso/shm: segment memory fault (segment truncated by another process?)")
	// ErrBadName: a segment name that is empty, contains '/', or is too long.
	ErrBadName = errors.New("tenso/shm: invalid segment name")
	// ErrNotSupported: shared memory is not available on this platform.
	ErrNotSupported = errors.New("tenso/shm: POSIX shared memory is supported on Linux only")
)
