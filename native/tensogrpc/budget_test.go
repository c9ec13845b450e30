package tensogrpc

import (
	"bytes"
	"context"
	"io"
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
	"github.com/tenso-go/tenso/native/budget"
)

func zeros(t *testing.T, n int) *tenso.Tensor {
	return &tenso.Tensor{DType: tenso.Uint8, Shape: []int{n}, Data: make([]byte, n)}
}

// Decompression bombs against a service with a 4 MiB budget and a 1 MiB
// message limit: over the decoded limit is ResourceExhausted before any
// allocation; four that fit one by one but not together get two through
// and two Unavailable; a normal call still succeeds.
func TestBudget(t *testing.T) {
	testutil.CheckGoroutines(t)
	b := budget.New(4 << 20)
	release := make(chan struct{})
	h := func(ctx context.Context, in tenso.Value) (tenso.Value, error) {
		if in.(*tenso.Tensor).DType == tenso.Uint8 {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return testutil.F32([]int{1}), nil
	}
	lis := testutil.Loopback(t)
	var logged bytes.Buffer
	var logMu sync.Mutex
	svc := NewService(h, ServiceOptions{Budget: b, Limits: tenso.Limits{MaxDecodedBytes: 2 << 20}, ErrorLog: log.New(lockedWriter{&logMu, &logged}, "", 0)})
	testutil.Serve(t, func(ctx context.Context) error {
		return Serve(ctx, lis, svc, ServerOptions{MaxMessageBytes: 1 << 20})
	})
	c := dial(t, lis.Addr().String(), ClientOptions{Encode: tenso.Options{Compress: true}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err := c.Predict(ctx, zeros(t, 64<<20))
	if s, _ := status.FromError(err); s.Code() != codes.ResourceExhausted {
		t.Errorf("bomb over the decoded limit: %v", err)
	}
	var ok, busy atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Predict(ctx, zeros(t, 3<<19))
			switch s, _ := status.FromError(err); s.Code() {
			case codes.OK:
				ok.Add(1)
			case codes.Unavailable:
				busy.Add(1)
			default:
				t.Errorf("bomb: %v", err)
			}
		}()
	}
	for deadline := time.Now().Add(5 * time.Second); b.Stats().Shortages < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := c.Predict(ctx, testutil.F32([]int{256})); err != nil {
		t.Errorf("normal call during bombs: %v", err)
	}
	close(release)
	wg.Wait()
	s := svc.Budget().Stats()
	t.Logf("held %d, refused %d; budget %+v", ok.Load(), busy.Load(), s)
	if ok.Load() != 2 || busy.Load() != 2 {
		t.Errorf("%d held, %d refused; want 2 and 2", ok.Load(), busy.Load())
	}
	if s.Peak > s.Limit || s.InFlight != 0 {
		t.Errorf("budget %+v", s)
	}
	// Each refusal is counted by its cause and logged once, with it.
	rej := svc.Stats().Rejected
	if rej[budget.CauseTooLarge] != 1 || rej[budget.CauseMemory] != 2 || len(rej) != len(budget.Causes) {
		t.Errorf("rejections %v, want 1 too_large and 2 memory", rej)
	}
	logMu.Lock()
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	logMu.Unlock()
	if len(lines) != 3 || !strings.Contains(lines[0], "rejected Predict from 127.0.0.1:") || !strings.Contains(lines[0], ": too_large: ResourceExhausted") {
		t.Errorf("log lines %q", lines)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
