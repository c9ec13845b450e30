package tensohttp

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

// discardWriter is a ResponseWriter that drops the body.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// bytesPerRequest measures the bytes the App allocates per request for an
// identity endpoint on a packet of the given tensor size, once warm.
func bytesPerRequest(t *testing.T, elems int) float64 {
	app := NewApp(Options{})
	app.Endpoint("/infer", identity)
	packet := mustEncode(t, testutil.F32([]int{elems}), tenso.Options{})
	body := bytes.NewReader(packet)
	req := httptest.NewRequest("POST", "/infer", body)
	req.Header.Set("Content-Type", ContentType)
	w := &discardWriter{h: http.Header{}}
	serve := func() {
		body.Reset(packet)
		req.Body = io.NopCloser(body)
		req.ContentLength = int64(len(packet))
		app.ServeHTTP(w, req)
	}
	for i := 0; i < 3; i++ {
		serve()
	}
	const n = 50
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := 0; i < n; i++ {
		serve()
	}
	runtime.ReadMemStats(&m1)
	return float64(m1.TotalAlloc-m0.TotalAlloc) / n
}

// TestServerAllocsIndependentOfSize: request buffers are recycled and
// responses are written from the value's own buffers, so the bytes an App
// allocates per request do not grow with the tensor.
func TestServerAllocsIndependentOfSize(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation measurement (sync.Pool drops items at random under -race)")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // keep the pool warm
	// One P: a sync.Pool item put on one P is not found by a Get that the
	// scheduler happened to run on another (its private slot cannot be
	// stolen), which made about one request in 50 allocate its buffer anew.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	small := bytesPerRequest(t, 1<<8)  // 1 KiB
	large := bytesPerRequest(t, 1<<20) // 4 MiB
	t.Logf("bytes allocated per request: %.0f (1 KiB tensor), %.0f (4 MiB tensor)", small, large)
	if large > small+16<<10 {
		t.Errorf("a 4 MiB request allocates %.0f bytes, a 1 KiB one %.0f: allocation grows with size", large, small)
	}
}

func TestSizeClasses(t *testing.T) {
	prev := 0
	for n := 1<<minClassShift + 1; n < 1<<22; n += 997 {
		class, size := classOf(n)
		if size < n || size > n+n/4+1 || class <= 0 {
			t.Fatalf("classOf(%d) = %d, %d", n, class, size)
		}
		if class < prev {
			t.Fatalf("classes not monotonic at %d", n)
		}
		prev = class
	}
	for _, n := range []int{0, 1, 4096, 4097, 1 << 20, 1<<20 + 1, 64<<20 + 64} {
		p := getBuf(n)
		if len(p.b) < n || !tenso.IsAligned(p.b, 64) {
			t.Fatalf("getBuf(%d): len %d", n, len(p.b))
		}
		putBuf(p)
	}
}

// TestVecBodyPath pins the conditions of the writev request path: net/http
// keeps a vecBody as the request body unwrapped, and vecConn writes it
// whole from a LimitedReader, as the transport hands it over.
func TestVecBodyPath(t *testing.T) {
	bufs := [][]byte{[]byte("head"), bytes.Repeat([]byte{7}, 100000), []byte("tail")}
	req, err := http.NewRequest("POST", "http://x/", &vecBody{bufs: bufs, n: 100008})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := req.Body.(*vecBody); !ok {
		t.Fatalf("request body is %T, not *vecBody", req.Body)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		got <- b
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	vb := &vecBody{bufs: append([][]byte(nil), bufs...), n: 100008}
	lr := &io.LimitedReader{R: vb, N: 100008}
	n, err := vecConn{nc}.ReadFrom(lr)
	nc.Close()
	if err != nil || n != 100008 || lr.N != 0 || vb.n != 0 {
		t.Fatalf("ReadFrom: %d, %v, left %d/%d", n, err, lr.N, vb.n)
	}
	b := <-got
	if len(b) != 100008 || string(b[:4]) != "head" || string(b[len(b)-4:]) != "tail" {
		t.Fatalf("peer got %d bytes", len(b))
	}
}
