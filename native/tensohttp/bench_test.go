package tensohttp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

// rawEcho is the baseline server: plain net/http, application/octet-stream,
// the body read into one buffer of its Content-Length and written back.
func rawEcho(w http.ResponseWriter, r *http.Request) {
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(r.Body, buf); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	w.Write(buf)
}

// rawClient is the baseline client: the same transport settings as Client.
func rawClient(b *testing.B) *http.Client {
	c, err := NewClient("http://127.0.0.1", ClientOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return c.hc
}

func rawRoundTrip(b *testing.B, hc *http.Client, url string, payload []byte) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, resp.ContentLength)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
}

// benchRoundTrip compares Client.Predict + App (identity endpoint) with a
// raw net/http round trip of the same packet bytes, in one family.
func benchRoundTrip(b *testing.B, elems int) {
	in := testutil.F32([]int{elems})
	packet := mustEncode(b, in, tenso.Options{})

	b.Run("raw-net-http", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(rawEcho))
		defer srv.Close()
		hc := rawClient(b)
		rawRoundTrip(b, hc, srv.URL, packet) // warm the connection
		b.SetBytes(int64(len(packet)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			rawRoundTrip(b, hc, srv.URL, packet)
		}
	})
	app := NewApp(Options{})
	app.Endpoint("/infer", identity)
	srv := httptest.NewServer(app)
	defer srv.Close()
	for _, mode := range []string{"tenso-predict", "tenso-stream"} {
		b.Run(mode, func(b *testing.B) {
			c, err := NewClient(srv.URL, ClientOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			call := func() {
				var err error
				if mode == "tenso-predict" {
					_, err = c.Predict(context.Background(), "/infer", in, false)
				} else {
					_, err = c.StreamPredict(context.Background(), "/infer", in)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			call()
			b.SetBytes(int64(len(packet)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				call()
			}
		})
	}
}

// benchInterleaved alternates one raw net/http round trip and one
// Client.Predict round trip of the same bytes in every iteration, so that
// load changes on a shared machine hit both alike, and reports each one's
// time per call and their ratio (tenso/raw; below 1 is faster).
func benchInterleaved(b *testing.B, elems int) {
	in := testutil.F32([]int{elems})
	packet := mustEncode(b, in, tenso.Options{})
	raw := httptest.NewServer(http.HandlerFunc(rawEcho))
	defer raw.Close()
	hc := rawClient(b)
	app := NewApp(Options{})
	app.Endpoint("/infer", identity)
	srv := httptest.NewServer(app)
	defer srv.Close()
	c, err := NewClient(srv.URL, ClientOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	predict := func() {
		if _, err := c.Predict(context.Background(), "/infer", in, false); err != nil {
			b.Fatal(err)
		}
	}
	rawRoundTrip(b, hc, raw.URL, packet)
	predict()
	var tRaw, tTenso time.Duration
	b.SetBytes(2 * int64(len(packet)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		rawRoundTrip(b, hc, raw.URL, packet)
		t1 := time.Now()
		predict()
		tTenso += time.Since(t1)
		tRaw += t1.Sub(t0)
	}
	b.ReportMetric(float64(tRaw.Nanoseconds())/float64(b.N), "raw-ns/call")
	b.ReportMetric(float64(tTenso.Nanoseconds())/float64(b.N), "tenso-ns/call")
	b.ReportMetric(float64(tTenso)/float64(tRaw), "tenso/raw")
}

// BenchmarkInterleaved1KiB and BenchmarkInterleaved64MiB: the goals' ratios
// (≤ 1.25 for 1 KiB round trips, throughput ≥ 0.8× raw, i.e. a time ratio
// ≤ 1.25, for 64 MiB), measured call by call side by side.
func BenchmarkInterleaved1KiB(b *testing.B)  { benchInterleaved(b, 256) }
func BenchmarkInterleaved64MiB(b *testing.B) { benchInterleaved(b, 16<<20) }

// BenchmarkRoundTrip1KiB: a 1 KiB float32 tensor (256 elements) through
// Client.Predict and an App, beside raw net/http with the same bytes.
func BenchmarkRoundTrip1KiB(b *testing.B) { benchRoundTrip(b, 256) }

// BenchmarkThroughput64MiB: a 64 MiB float32 tensor each way.
func BenchmarkThroughput64MiB(b *testing.B) { benchRoundTrip(b, 16<<20) }
