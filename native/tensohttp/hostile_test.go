package tensohttp

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
	"github.com/tenso-go/tenso/native/budget"
)

// post sends one packet and returns the status and the Retry-After header.
func post(t testing.TB, hc *http.Client, url string, p []byte) (int, string) {
	resp, err := hc.Post(url, ContentType, bytes.NewReader(p))
	if err != nil {
		t.Errorf("post: %v", err)
		return 0, ""
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// slowBodies opens n connections that send full headers declaring a 1 MiB
// body, then drip one byte every 50 ms until stop is closed or the server
// cuts them; it returns a wait function.
func slowBodies(t *testing.T, addr string, n int, stop chan struct{}) func() {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Errorf("dial: %v", err)
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ContentType, 1<<20)
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := c.Write([]byte{0}); err != nil {
						return
					}
				}
			}
		}()
	}
	return wg.Wait
}

// 64 slow bodies (as many as the handler slots) do not lock out a normal
// client: bodies are read before a slot is taken, and the minimum body
// rate cuts the drippers (408) after the grace period. The success ratio
// is asserted; the latency is logged and bounded generously (2 s) because
// on a loaded 2-core CI machine a 100 ms p99 would flake; make
// serve-hostile (TENSO_HOSTILE_FULL=1) asserts the 100 ms p99.
func TestSlowBodiesDoNotStarve(t *testing.T) {
	testutil.CheckGoroutines(t)
	a := NewApp(Options{BodyGrace: 300 * time.Millisecond, ErrorLog: quietLog()})
	a.Endpoint("/echo", identity)
	base := startApp(t, a)
	stop := make(chan struct{})
	wait := slowBodies(t, strings.TrimPrefix(base, "http://"), DefaultMaxConcurrent, stop)
	defer wait()
	defer close(stop)
	// Wait until every slow body is being read.
	for deadline := time.Now().Add(5 * time.Second); a.Stats().Reading < DefaultMaxConcurrent && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if r := a.Stats().Reading; r < DefaultMaxConcurrent {
		t.Fatalf("%d slow bodies being read, want %d", r, DefaultMaxConcurrent)
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	p := mustEncode(t, testutil.F32([]int{256}), tenso.Options{}) // 1 KiB
	const calls = 100
	ok := 0
	lat := make([]time.Duration, 0, calls)
	for i := 0; i < calls; i++ {
		t0 := time.Now()
		st, _ := post(t, hc, base+"/echo", p)
		lat = append(lat, time.Since(t0))
		if st == http.StatusOK {
			ok++
		}
		if i == calls/2 {
			if s := a.Stats(); s.SlotsBusy > 1 {
				t.Errorf("slow bodies hold %d handler slots", s.SlotsBusy)
			}
		}
	}
	slices.Sort(lat)
	p99 := lat[len(lat)*99/100-1]
	t.Logf("normal client during %d slow bodies: %d/%d ok, p50 %v, p99 %v", DefaultMaxConcurrent, ok, calls, lat[len(lat)/2], p99)
	if ok*100 < calls*99 {
		t.Errorf("%d/%d calls succeeded, want >= 99%%", ok, calls)
	}
	bound := 2 * time.Second
	if os.Getenv("TENSO_HOSTILE_FULL") != "" {
		bound = 100 * time.Millisecond // the figure, on an unloaded machine
	}
	if p99 > bound {
		t.Errorf("p99 %v, want under %v", p99, bound)
	}
	// The drippers are cut for their rate once the grace has passed.
	for deadline := time.Now().Add(5 * time.Second); a.Stats().Rejected[CauseSlowBody] < DefaultMaxConcurrent && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := a.Stats().Rejected[CauseSlowBody]; n < DefaultMaxConcurrent {
		t.Errorf("%d slow bodies cut with 408, want %d", n, DefaultMaxConcurrent)
	}
}

// bomb returns a compressed packet of n zero bytes, a float32 tensor (an
// LZ4 body about n/250 bytes long).
func bomb(t testing.TB, n int) []byte {
	return mustEncode(t, &tenso.Tensor{DType: tenso.Float32, Shape: []int{n / 4}, Data: make([]byte, n)}, tenso.Options{Compress: true})
}

// heapPeak samples the heap's object bytes every millisecond until the
// returned stop function is called, which returns the growth over the
// starting value at the highest sample.
func heapPeak() func() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() int64 { metrics.Read(s); return int64(s[0].Value.Uint64()) }
	runtime.GC()
	base := read()
	var peak atomic.Int64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if v := read() - base; v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() int64 { close(done); <-stopped; return peak.Load() }
}

// Decompression bombs are refused from their headers (413) before
// anything is allocated when they exceed the decoded limit, and wait their
// turn (503 + Retry-After) when they fit one by one but not together;
// the budget's peak stays under its limit and a normal client is served.
// Scaled down from the defaults (256 MiB body, 512 MiB decoded, 1 GiB
// budget) by 256; make serve-hostile runs them at full size.
func TestDecompressionBombs(t *testing.T) {
	testutil.CheckGoroutines(t)
	const body = 1 << 20
	a := NewApp(Options{MaxBodyBytes: body, MaxInflightBytes: 4 << 20, ErrorLog: quietLog()})
	release := make(chan struct{})
	a.Endpoint("/hold", func(ctx context.Context, in tenso.Value) (tenso.Value, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return testutil.F32([]int{1}), nil
	})
	a.Endpoint("/echo", identity)
	base := startApp(t, a)
	hc := &http.Client{Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()

	// Over the per-packet decoded limit (2 × body): 413, no allocation.
	big := bomb(t, 64<<20)
	t.Logf("bomb: %d byte body decodes to %d bytes", len(big), 64<<20)
	stop := heapPeak()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st, _ := post(t, hc, base+"/echo", big); st != http.StatusRequestEntityTooLarge {
				t.Errorf("bomb: status %d, want 413", st)
			}
		}()
	}
	wg.Wait()
	grew := stop()
	t.Logf("4 bombs of 64 MiB: heap grew %d bytes at most", grew)
	if grew > 64<<20 {
		t.Errorf("heap grew %d bytes for 4 refused bombs", grew)
	}

	// Within the decoded limit (1.5 MiB each), 4 at once over a 4 MiB
	// budget: two are held, the others answered 503 with Retry-After.
	mid := bomb(t, 3<<19)
	var ok, busy atomic.Int32
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch st, ra := post(t, hc, base+"/hold", mid); {
			case st == http.StatusOK:
				ok.Add(1)
			case st == http.StatusServiceUnavailable && ra != "":
				busy.Add(1)
			default:
				t.Errorf("status %d, Retry-After %q", st, ra)
			}
		}()
	}
	for deadline := time.Now().Add(5 * time.Second); a.Stats().Rejected[CauseMemory] < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	// A small request still fits beside the two held bombs.
	if st, _ := post(t, hc, base+"/echo", mustEncode(t, testutil.F32([]int{256}), tenso.Options{})); st != http.StatusOK {
		t.Errorf("normal client during bombs: %d", st)
	}
	close(release)
	wg.Wait()
	s := a.Stats()
	t.Logf("held %d, refused %d; budget %+v", ok.Load(), busy.Load(), s.Budget)
	if ok.Load() != 2 || busy.Load() != 2 {
		t.Errorf("%d held, %d refused; want 2 and 2", ok.Load(), busy.Load())
	}
	if s.Budget.Peak > s.Budget.Limit {
		t.Errorf("budget peak %d over its limit %d", s.Budget.Peak, s.Budget.Limit)
	}
	if s.Budget.InFlight != 0 {
		t.Errorf("%d bytes still held after every request", s.Budget.InFlight)
	}
	if s.Rejected[CauseTooLarge] != 4 || s.Rejected[CauseMemory] != 2 {
		t.Errorf("rejections %v", s.Rejected)
	}
}

// The decoder's depth ceiling holds behind the App: a packet nested 1.5
// million levels deep with Limits.MaxDepth raised is answered 422, and the
// bundle that claims entries it does not carry allocates little.
func TestDeepAndClaimingPackets(t *testing.T) {
	testutil.CheckGoroutines(t)
	a := NewApp(Options{Limits: tenso.Limits{MaxDepth: 1 << 30}, ErrorLog: quietLog()})
	a.Endpoint("/echo", identity)
	base := startApp(t, a)
	hc := &http.Client{Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	inner := mustEncode(t, &tenso.Tensor{DType: tenso.Uint8, Shape: []int{1}, Data: []byte{7}}, tenso.Options{})
	deep := claimingBundles(1_500_000, 1, inner)
	t.Logf("depth 1.5 M: %d bytes", len(deep))
	if st, _ := post(t, hc, base+"/echo", deep); st != http.StatusUnprocessableEntity {
		t.Errorf("depth 1.5 M: %d, want 422", st)
	}
	// 64 bundles each claiming 255 entries but carrying one.
	claim := claimingBundles(64, 255, inner)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	st, _ := post(t, hc, base+"/echo", claim)
	runtime.ReadMemStats(&m1)
	alloc := m1.TotalAlloc - m0.TotalAlloc
	t.Logf("claiming bundles: %d byte packet, status %d, %d bytes allocated by client and server", len(claim), st, alloc)
	if st != http.StatusUnprocessableEntity {
		t.Errorf("claiming bundles: %d, want 422", st)
	}
	// The request's own machinery (connection buffers, headers, the 4 KiB
	// body buffer, the JSON answer) costs some tens of kilobytes; the 526 KB
	// the claims used to reserve would show.
	if alloc > 200<<10 {
		t.Errorf("claiming bundles allocated %d bytes", alloc)
	}
}

// Full-size figures (make serve-hostile): 4 concurrent 1 GiB bombs at the
// defaults.
func TestBombsFullSize(t *testing.T) {
	if os.Getenv("TENSO_HOSTILE_FULL") == "" {
		t.Skip("set TENSO_HOSTILE_FULL=1 (make serve-hostile)")
	}
	a := NewApp(Options{ErrorLog: quietLog()})
	a.Endpoint("/echo", identity)
	base := startApp(t, a)
	hc := &http.Client{Timeout: 60 * time.Second}
	defer hc.CloseIdleConnections()
	for _, n := range []int{1 << 30, 400 << 20} {
		p := bomb(t, n)
		runtime.GC()
		stop := heapPeak()
		codes := make([]int, 4)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Add(1)
			go func() { defer wg.Done(); codes[i], _ = post(t, hc, base+"/echo", p) }()
		}
		wg.Wait()
		grew := stop()
		t.Logf("4 × %d MiB bombs (%d byte bodies): statuses %v, heap grew %d MiB at most, budget %+v", n>>20, len(p), codes, grew>>20, a.Stats().Budget)
		if grew > 2<<30 {
			t.Errorf("heap grew %d bytes", grew)
		}
	}
	// Responses count while written without being refused (they exist
	// already), so the peak may pass the limit by the responses of admitted
	// requests: two 400 MiB echoes here.
	if s := a.Stats(); s.Budget.Peak > budget.DefaultLimit+2*(400<<20)+(64<<20) {
		t.Errorf("budget peak %d", s.Budget.Peak)
	}
}

// claimingBundles nests depth bundles, each claiming claim entries but
// carrying one (key "k"), around inner (as core's limits test builds them).
func claimingBundles(depth int, claim byte, inner []byte) []byte {
	const level = 19 // header 10 + key length 4 + key 1 + value length 4
	out := make([]byte, 0, depth*level+len(inner))
	for i := 0; i < depth; i++ {
		out = append(out, 'T', 'N', 'S', 'O', 4, 16 /* bundle flag */, 0, 0, claim, 0)
		out = binary.LittleEndian.AppendUint32(out, 1)
		out = append(out, 'k')
		out = binary.LittleEndian.AppendUint32(out, uint32((depth-i-1)*level+len(inner)))
	}
	return append(out, inner...)
}
