package store

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/shm"
)

// Tiered is a Store with a shared-memory cache (shm.Cache) in front as a
// local read-through tier: a Get that the cache holds is a zero-copy view
// of the shared pool, one that it misses is read from the store and fills
// the cache. Every process of the machine that opens the same cache shares
// its entries. A Put or Delete anywhere in the cluster invalidates the
// local copies: Tiered watches the bucket and deletes the cache entry of
// every key that changes.
//
// Cache keys are "BUCKET/KEY"; a key too long for the cache (128 bytes
// with the prefix) is always read from the store. If the watch ends (the
// connection closed), Get reads the store only from then on, so that no
// stale copy is ever served.
type Tiered struct {
	s      *Store
	c      *shm.Cache
	prefix string
	cancel context.CancelFunc
	done   chan struct{}

	epoch atomic.Uint64 // bumped by every change seen
	blind atomic.Bool   // the watch ended or the cache failed: bypass the cache
}

// NewTiered puts cache c in front of s. It first drops the cache's entries
// of this bucket (they may predate changes it did not see), then watches
// the bucket until Close.
func NewTiered(s *Store, c *shm.Cache) (*Tiered, error) {
	ctx, cancel := context.WithCancel(context.Background())
	t := &Tiered{s: s, c: c, prefix: s.name + "/", cancel: cancel, done: make(chan struct{})}
	ev, err := s.Watch(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	keys, err := c.Keys()
	if err != nil {
		cancel()
		return nil, err
	}
	for _, k := range keys {
		if strings.HasPrefix(k, t.prefix) {
			if _, err := c.Delete(k); err != nil {
				cancel()
				return nil, err
			}
		}
	}
	go t.watch(ctx, ev)
	return t, nil
}

func (t *Tiered) watch(ctx context.Context, ev <-chan Event) {
	defer close(t.done)
	for e := range ev {
		t.epoch.Add(1)
		t.invalidate(e.Key)
	}
	if ctx.Err() == nil {
		t.blind.Store(true)
	}
}

func (t *Tiered) invalidate(key string) {
	ck := t.prefix + key
	if len(ck) > 128 {
		return
	}
	if _, err := t.c.Delete(ck); err != nil {
		// The cache lock timed out or the pool is broken: serve no copy.
		t.blind.Store(true)
	}
}

// Close stops the watch. It does not close the cache or the store.
func (t *Tiered) Close() error {
	t.cancel()
	<-t.done
	return nil
}

// Store returns the store behind the cache.
func (t *Tiered) Store() *Store { return t.s }

// View is a value read through a Tiered.
type View struct {
	Value tenso.Value
	// Local: Value is a view of the shared-memory cache, valid until the
	// pool's next structural change by any process (see Valid, shm.View).
	// Otherwise Value owns its buffer.
	Local bool
	view  shm.View
}

// Valid reports whether Value still holds the entry's bytes (always true
// when it is not Local).
func (v View) Valid() bool { return !v.Local || v.view.Valid() }

// Get returns the value under key from the local cache, or from the store
// (then filling the cache).
func (t *Tiered) Get(ctx context.Context, key string) (View, error) {
	if err := checkKey(key); err != nil {
		return View{}, err
	}
	ck := t.prefix + key
	cacheable := len(ck) <= 128 && !t.blind.Load()
	if cacheable {
		v, err := t.c.Get(ck)
		if err == nil {
			return View{Value: v.Value, Local: true, view: v}, nil
		}
		if !errors.Is(err, shm.ErrNotFound) {
			return View{}, err
		}
	}
	e := t.epoch.Load()
	v, err := t.s.GetValue(ctx, key)
	if err != nil || !cacheable {
		return View{Value: v}, err
	}
	switch err := t.c.Put(ck, v, shm.PutOptions{}); {
	case errors.Is(err, shm.ErrTooLarge) || errors.Is(err, shm.ErrPoolExhausted):
		return View{Value: v}, nil
	case err != nil:
		return View{}, err
	}
	if t.epoch.Load() != e || t.blind.Load() {
		// A change arrived while the value was read: what was put may be
		// older than it.
		t.invalidate(key)
		return View{Value: v}, nil
	}
	return View{Value: v}, nil
}

// Put stores packet and drops the local copy (the next Get fills it).
func (t *Tiered) Put(ctx context.Context, key string, packet []byte) error {
	if err := t.s.Put(ctx, key, packet); err != nil {
		return err
	}
	t.invalidate(key)
	return nil
}

// PutValue stores v and drops the local copy.
func (t *Tiered) PutValue(ctx context.Context, key string, v tenso.Value, o tenso.Options) error {
	if err := t.s.PutValue(ctx, key, v, o); err != nil {
		return err
	}
	t.invalidate(key)
	return nil
}

// Delete deletes key from the store and the local cache.
func (t *Tiered) Delete(ctx context.Context, key string) error {
	err := t.s.Delete(ctx, key)
	t.invalidate(key)
	return err
}
