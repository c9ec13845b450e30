package budget

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
)

func TestTryAcquire(t *testing.T) {
	b := New(100)
	if err := b.TryAcquire(101); !errors.Is(err, ErrNeverFits) || !errors.Is(err, tenso.ErrTooLarge) {
		t.Fatalf("101 of 100: %v", err)
	}
	if err := b.TryAcquire(60); err != nil {
		t.Fatal(err)
	}
	if err := b.TryAcquire(41); !errors.Is(err, ErrShortage) {
		t.Fatalf("41 beside 60: %v", err)
	}
	if err := b.TryAcquire(40); err != nil {
		t.Fatal(err)
	}
	b.Release(60)
	b.Force(50) // beyond the limit: counted, holds back the next
	if err := b.TryAcquire(20); !errors.Is(err, ErrShortage) {
		t.Fatalf("20 beside 90: %v", err)
	}
	b.Release(50)
	b.Release(40)
	s := b.Stats()
	if s != (Stats{Limit: 100, InFlight: 0, Peak: 100, NeverFits: 1, Shortages: 2}) {
		t.Fatalf("stats %+v", s)
	}
	if New(0).Limit() != DefaultLimit || (&Budget{}).Limit() != DefaultLimit {
		t.Fatal("default limit")
	}
	var nilb *Budget
	if nilb.TryAcquire(1<<62) != nil || nilb.Limit() >= 0 || nilb.Stats().Limit >= 0 {
		t.Fatal("nil budget")
	}
	u := New(-1)
	if err := u.TryAcquire(1 << 62); err != nil {
		t.Fatalf("unbounded: %v", err)
	}
}

func TestAcquireWaits(t *testing.T) {
	b := New(100)
	ctx := context.Background()
	if err := b.Acquire(ctx, 101); !errors.Is(err, ErrNeverFits) {
		t.Fatalf("never: %v", err)
	}
	if err := b.Acquire(ctx, 80); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 2)
	go func() { got <- b.Acquire(ctx, 50) }()
	for b.Stats().Waiting != 1 {
		time.Sleep(time.Millisecond)
	}
	// A later small reservation does not overtake the waiter.
	if err := b.TryAcquire(10); !errors.Is(err, ErrShortage) {
		t.Fatalf("overtaking: %v", err)
	}
	b.Release(80)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	// A waiter whose context ends gives up with ErrShortage.
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := b.Acquire(cctx, 60); !errors.Is(err, ErrShortage) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timed out waiter: %v", err)
	}
	b.Release(50)
	if s := b.Stats(); s.InFlight != 0 || s.Waiting != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestDecodedBytes(t *testing.T) {
	p, err := tenso.Encode(&tenso.Tensor{DType: tenso.Uint8, Shape: []int{1 << 20}, Data: make([]byte, 1<<20)}, tenso.Options{Compress: true})
	if err != nil {
		t.Fatal(err)
	}
	n, err := DecodedBytes(p, tenso.Limits{})
	if err != nil || n != int64(len(p))+1<<20 {
		t.Fatalf("DecodedBytes = %d, %v", n, err)
	}
	if _, err := DecodedBytes([]byte("nope"), tenso.Limits{}); err == nil {
		t.Fatal("bad packet accepted")
	}
	if l := Limits(tenso.Limits{}, 10); l.MaxDecodedBytes != 20 {
		t.Fatalf("Limits: %+v", l)
	}
	if l := Limits(tenso.Limits{MaxDecodedBytes: 7}, 10); l.MaxDecodedBytes != 7 {
		t.Fatalf("Limits kept: %+v", l)
	}
}
