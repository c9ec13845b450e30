//go:build !linux

package shm

// The types are declared once, for every platform, in cache.go; here every
// constructor and operation returns ErrNotSupported.

import tenso "github.com/tenso-go/tenso"

// Create returns ErrNotSupported on this platform.
func Create(name string, size int64) (*Segment, error) { return nil, ErrNotSupported }

// CreateFrom returns ErrNotSupported on this platform.
func CreateFrom(name string, v tenso.Value, o tenso.Options) (*Segment, error) {
	return nil, ErrNotSupported
}

// Open returns ErrNotSupported on this platform.
func Open(name string) (*Segment, error) { return nil, ErrNotSupported }

// Unlink returns ErrNotSupported on this platform.
func Unlink(name string) error { return ErrNotSupported }

// NewName returns an empty name on this platform.
func NewName() string { return "" }

func (s *Segment) Name() string                                    { return "" }
func (s *Segment) Size() int                                       { return 0 }
func (s *Segment) Bytes() []byte                                   { return nil }
func (s *Segment) Put(v tenso.Value, o tenso.Options) (int, error) { return 0, ErrNotSupported }
func (s *Segment) Get() (tenso.Value, error)                       { return nil, ErrNotSupported }
func (s *Segment) GetWith(l tenso.Limits) (tenso.Value, error)     { return nil, ErrNotSupported }
func (s *Segment) GetCopy() (tenso.Value, error)                   { return nil, ErrNotSupported }
func (s *Segment) Close() error                                    { return nil }
func (s *Segment) Unlink() error                                   { return ErrNotSupported }

// Valid reports false on this platform.
func (v View) Valid() bool { return false }

// CreateCache returns ErrNotSupported on this platform.
func CreateCache(name, size string, o CacheOptions) (*Cache, error) { return nil, ErrNotSupported }

// CreateCacheBytes returns ErrNotSupported on this platform.
func CreateCacheBytes(name string, size int64, o CacheOptions) (*Cache, error) {
	return nil, ErrNotSupported
}

// OpenOrCreateCache returns ErrNotSupported on this platform.
func OpenOrCreateCache(name, size string, o CacheOptions) (*Cache, error) {
	return nil, ErrNotSupported
}

// OpenOrCreateCacheBytes returns ErrNotSupported on this platform.
func OpenOrCreateCacheBytes(name string, size int64, o CacheOptions) (*Cache, error) {
	return nil, ErrNotSupported
}

// OpenCache returns ErrNotSupported on this platform.
func OpenCache(name string, o CacheOptions) (*Cache, error) { return nil, ErrNotSupported }

func (c *Cache) Name() string                                            { return "" }
func (c *Cache) Created() bool                                           { return false }
func (c *Cache) Close() error                                            { return nil }
func (c *Cache) Unlink() error                                           { return ErrNotSupported }
func (c *Cache) Put(key string, v tenso.Value, o PutOptions) error       { return ErrNotSupported }
func (c *Cache) Update(key string, v tenso.Value, o tenso.Options) error { return ErrNotSupported }
func (c *Cache) Get(key string) (View, error)                            { return View{}, ErrNotSupported }
func (c *Cache) GetCopy(key string) (tenso.Value, error)                 { return nil, ErrNotSupported }
func (c *Cache) GetPacket(key string) ([]byte, error)                    { return nil, ErrNotSupported }
func (c *Cache) Info(key string) (EntryInfo, error)                      { return EntryInfo{}, ErrNotSupported }
func (c *Cache) Contains(key string) (bool, error)                       { return false, ErrNotSupported }
func (c *Cache) Delete(key string) (bool, error)                         { return false, ErrNotSupported }
func (c *Cache) Keys() ([]string, error)                                 { return nil, ErrNotSupported }
func (c *Cache) Stats() (Stats, error)                                   { return Stats{}, ErrNotSupported }
func (c *Cache) Clear() error                                            { return ErrNotSupported }
