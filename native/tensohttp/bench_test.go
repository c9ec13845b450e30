package tensohttp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/tenso-go/tenso"
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
	in := f32([]int{elems})
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

// BenchmarkRoundTrip1KiB: a 1 KiB float32 tensor (256 elements) through
// Client.Predict and an App, beside raw net/http with the same bytes.
func BenchmarkRoundTrip1KiB(b *testing.B) { benchRoundTrip(b, 256) }

// BenchmarkThroughput64MiB: a 64 MiB float32 tensor each way.
func BenchmarkThroughput64MiB(b *testing.B) { benchRoundTrip(b, 16<<20) }
