package tensonats

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/tensohttp"
	"github.com/tenso-go/tenso/native/tensonats/embedded"
	"github.com/tenso-go/tenso/native/tensonats/internal/natstest"
	"github.com/tenso-go/tenso/native/tensonats/store"
	"github.com/tenso-go/tenso/shm"
)

func benchTensor(n int) *tenso.Tensor {
	return &tenso.Tensor{DType: tenso.Float32, Shape: []int{n / 4}, Data: make([]byte, n)}
}

// Publish + receive of one tensor, against raw NATS bytes of the packet's
// size on the same connection (the baseline, run beside it).
func BenchmarkPublishReceive(b *testing.B) {
	_, nc := natstest.Start(b, embedded.Options{MaxPayload: 8 << 20})
	for _, size := range []int{1 << 10, 4 << 20} {
		v := benchTensor(size)
		p, _ := tenso.Encode(v, tenso.Options{})
		b.Run(fmt.Sprintf("%dKiB/raw", size>>10), func(b *testing.B) {
			ch := make(chan int, 1)
			sub, err := nc.Subscribe("raw", func(m *nats.Msg) { ch <- len(m.Data) })
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Unsubscribe()
			nc.Flush()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if err := nc.Publish("raw", p); err != nil {
					b.Fatal(err)
				}
				<-ch
			}
		})
		b.Run(fmt.Sprintf("%dKiB/tenso", size>>10), func(b *testing.B) {
			ch := make(chan tenso.Value, 1)
			sub, err := Subscribe(nc, "tenso", func(_ string, v tenso.Value) { ch <- v })
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Unsubscribe()
			nc.Flush()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if err := Publish(nc, "tenso", v, tenso.Options{}); err != nil {
					b.Fatal(err)
				}
				<-ch
			}
		})
	}
}

// Store Put / Get of 64 MiB against the object store's own PutBytes /
// GetBytes of the same bytes. bodies/op is allocated bytes per op over
// the packet size (1 = one body buffer).
func BenchmarkStore64MiB(b *testing.B) {
	_, nc := natstest.Start(b, embedded.Options{})
	js := natstest.JetStream(b, nc)
	ctx := context.Background()
	s, err := store.Open(ctx, js, "bench", store.Config{Memory: true, MaxBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	p, _ := tenso.Encode(benchTensor(64<<20), tenso.Options{})
	obs := s.ObjectStore()
	runs := []struct {
		name string
		op   func() error
	}{
		{"Put/objectstore", func() error { _, err := obs.PutBytes(ctx, "raw", p); return err }},
		{"Put/tenso", func() error { return s.Put(ctx, "t", p) }},
		{"Get/objectstore", func() error { _, err := obs.GetBytes(ctx, "raw"); return err }},
		{"Get/tenso", func() error { _, err := s.Get(ctx, "t"); return err }},
	}
	for _, r := range runs {
		b.Run(r.name, func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			m := allocBytes(b, func() {
				if err := r.op(); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(m/float64(len(p)), "bodies/op")
		})
	}
}

// allocBytes runs fn in the benchmark loop and returns the bytes the
// process allocated per call (runtime TotalAlloc: the embedded server's
// allocations included, the same for both sides).
func allocBytes(b *testing.B, fn func()) float64 {
	var before, after runtimeMem
	before.read()
	n := 0
	for b.Loop() {
		fn()
		n++
	}
	after.read()
	return float64(after.total-before.total) / float64(max(n, 1))
}

// Service Predict of 1 KiB next to tensohttp's Predict on the same
// machine, then requests/s through 1, 2 and 4 service instances (8
// concurrent callers).
func BenchmarkPredict1KiB(b *testing.B) {
	srv, nc := natstest.Start(b, embedded.Options{})
	v := benchTensor(1 << 10)
	echo := func(_ context.Context, in tenso.Value) (tenso.Value, error) { return in, nil }
	svc, err := Serve(nc, "echo", echo, ServiceOptions{})
	if err != nil {
		b.Fatal(err)
	}
	client := natstest.Connect(b, srv.ClientURL())
	ctx := context.Background()
	b.Run("nats", func(b *testing.B) {
		for b.Loop() {
			if _, err := Predict(ctx, client, "echo", v, tenso.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	svc.Stop()
	b.Run("http", func(b *testing.B) {
		app := tensohttp.NewApp(tensohttp.Options{})
		app.Endpoint("/echo", echo)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		hctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go app.Serve(hctx, ln)
		hc, err := tensohttp.NewClient("http://"+ln.Addr().String(), tensohttp.ClientOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer hc.Close()
		for b.Loop() {
			if _, err := hc.Predict(ctx, "/echo", v, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("nats-workers-%d", workers), func(b *testing.B) {
			for range workers {
				wc := natstest.Connect(b, srv.ClientURL())
				s, err := Serve(wc, "pool", echo, ServiceOptions{})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Stop()
				if err := wc.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			var done atomic.Int64
			start := time.Now()
			var wg sync.WaitGroup
			n := b.N
			var next atomic.Int64
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(n) {
						if _, err := Predict(ctx, client, "pool", v, tenso.Options{}); err != nil {
							b.Error(err)
							return
						}
						done.Add(1)
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(done.Load())/time.Since(start).Seconds(), "req/s")
		})
	}
}

// A tiered-cache hit next to a plain shm cache Get of the same entry.
func BenchmarkTieredHit(b *testing.B) {
	_, nc := natstest.Start(b, embedded.Options{})
	ctx := context.Background()
	s, err := store.Open(ctx, natstest.JetStream(b, nc), "tier", store.Config{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := shm.CreateCacheBytes(shm.NewName(), 64<<20, shm.CacheOptions{})
	if err != nil {
		b.Skip(err)
	}
	defer func() { c.Close(); c.Unlink() }()
	tc, err := store.NewTiered(s, c)
	if err != nil {
		b.Fatal(err)
	}
	defer tc.Close()
	v := benchTensor(64 << 10)
	if err := tc.PutValue(ctx, "k", v, tenso.Options{}); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		g, err := tc.Get(ctx, "k")
		if err != nil {
			b.Fatal(err)
		}
		if g.Local {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("never cached")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := c.Put("plain", v, shm.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Run("shm", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Get("plain"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tiered", func(b *testing.B) {
		for b.Loop() {
			g, err := tc.Get(ctx, "k")
			if err != nil || !g.Local {
				b.Fatal("miss", err)
			}
		}
	})
}
