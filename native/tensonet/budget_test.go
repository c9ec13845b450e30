package tensonet

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
	"github.com/tenso-go/tenso/native/budget"
)

// bombBundle is a bundle holding n zero bytes, LZ4-compressed when sent
// with Compress (a stream cannot delimit a top-level compressed packet).
func bombBundle(n int) tenso.Value {
	return &tenso.Bundle{Entries: []tenso.Entry{{Key: "z", Value: &tenso.Tensor{DType: tenso.Uint8, Shape: []int{n}, Data: make([]byte, n)}}}}
}

// Served connections draw on one budget: a packet that decodes to more
// than the whole budget closes its connection before being decoded; four
// that fit one by one but not together are answered in turn (the others
// wait for room) and the budget's peak stays under its limit.
func TestBudget(t *testing.T) {
	testutil.CheckGoroutines(t)
	b := budget.New(4 << 20)
	release := make(chan struct{})
	h := func(ctx context.Context, in tenso.Value) (tenso.Value, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return testutil.F32([]int{1}), nil
	}
	ln := testutil.Loopback(t)
	serve(t, ln, h, Options{Budget: b, Encode: tenso.Options{}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dial := func() *Conn {
		c, err := Dial(ctx, "tcp", ln.Addr().String(), Options{Encode: tenso.Options{Compress: true}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	if _, err := dial().Predict(ctx, bombBundle(64<<20)); err == nil {
		t.Errorf("bomb over the whole budget answered")
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		c := dial()
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = c.Predict(ctx, bombBundle(3<<19)) }()
	}
	for deadline := time.Now().Add(5 * time.Second); b.Stats().Waiting < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	s := b.Stats()
	if s.Waiting != 2 {
		t.Errorf("%d packets waiting for room, want 2 (%+v)", s.Waiting, s)
	}
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("bomb %d: %v", i, err)
		}
	}
	// The server releases a reservation after writing its answer, which
	// the client may have read first: wait (bounded) for the last release.
	for deadline := time.Now().Add(5 * time.Second); b.Stats().InFlight != 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	s = b.Stats()
	t.Logf("budget %+v", s)
	if s.Peak > s.Limit || s.InFlight != 0 || s.NeverFits != 1 {
		t.Errorf("budget %+v", s)
	}
}
