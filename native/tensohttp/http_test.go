package tensohttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

func TestShapeString(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  string
	}{{[]int{2, 3}, "(2, 3)"}, {[]int{5}, "(5,)"}, {[]int{}, "()"}, {nil, "()"}, {[]int{1, 224, 224, 3}, "(1, 224, 224, 3)"}} {
		if got := ShapeString(c.shape); got != c.want {
			t.Errorf("ShapeString(%v) = %q, want %q", c.shape, got, c.want)
		}
		back, ok := ParseShape(c.want)
		if !ok || len(back) != len(c.shape) || (len(back) > 0 && !reflect.DeepEqual(back, c.shape)) {
			t.Errorf("ParseShape(%q) = %v, %v", c.want, back, ok)
		}
	}
	for _, bad := range []string{"", "(", "(1, 2,)", "(a,)", "(-1,)", "2, 3", "(,)"} {
		if _, ok := ParseShape(bad); ok {
			t.Errorf("ParseShape(%q) accepted", bad)
		}
	}
}

func TestPredictRoundTrip(t *testing.T) {
	testutil.CheckGoroutines(t)
	c := newClient(t, doubleApp(t), ClientOptions{})
	for _, compress := range []bool{false, true} {
		in := testutil.F32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
		out, err := c.Predict(context.Background(), "/infer", in, compress)
		if err != nil {
			t.Fatal(err)
		}
		ot := out.(*tenso.Tensor)
		if !reflect.DeepEqual(ot.Shape, []int{2, 3}) || !reflect.DeepEqual(testutil.F32s(ot), []float32{2, 4, 6, 8, 10, 12}) {
			t.Fatalf("compress=%v: got %v %v", compress, ot.Shape, testutil.F32s(ot))
		}
		if !tenso.IsAligned(ot.Data, 64) {
			t.Errorf("response tensor not 64-byte aligned")
		}
	}
	// Large tensors take the vectored request path; a caller's own
	// http.Client takes net/http's generic one.
	own := newClient(t, c.base.String(), ClientOptions{HTTPClient: &http.Client{}})
	for _, cl := range []*Client{c, own} {
		for _, compress := range []bool{false, true} {
			big := testutil.F32([]int{300, 1000})
			out, err := cl.Predict(context.Background(), "/infer", big, compress)
			if err != nil {
				t.Fatal(err)
			}
			got := testutil.F32s(out.(*tenso.Tensor))
			if len(got) != 300000 || got[299999] != 2*299999 || got[12345] != 2*12345 {
				t.Fatalf("big tensor: %d elements", len(got))
			}
		}
	}
	out, err := c.StreamPredict(context.Background(), "/infer", testutil.F32([]int{5}, 1, 1, 1, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if got := testutil.F32s(out.(*tenso.Tensor)); !reflect.DeepEqual(got, []float32{2, 2, 2, 2, 2}) {
		t.Fatalf("StreamPredict: %v", got)
	}
}

func TestResponseHeaders(t *testing.T) {
	testutil.CheckGoroutines(t)
	a := NewApp(Options{})
	a.Endpoint("/infer", double)
	a.Endpoint("/scalar", func(context.Context, tenso.Value) (tenso.Value, error) { return testutil.F32(nil, 7), nil },
		Filename("out.tenso"), Integrity(true))
	a.Endpoint("/bundle", func(_ context.Context, in tenso.Value) (tenso.Value, error) {
		return (&tenso.Bundle{}).Add("x", in), nil
	})
	base := startApp(t, a)
	post := func(path string, v tenso.Value) *http.Response {
		resp, err := http.Post(base+path, ContentType, bytes.NewReader(mustEncode(t, v, tenso.Options{})))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := post("/infer", testutil.F32([]int{2, 3}))
	want := map[string]string{"Content-Type": ContentType, "X-Tenso-Version": "4", "X-Tenso-Shape": "(2, 3)", "X-Tenso-Dtype": "float32"}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("/infer %s = %q, want %q", k, got, v)
		}
	}
	body, _ := io.ReadAll(resp.Body)
	if fmt.Sprint(len(body)) != resp.Header.Get("Content-Length") {
		t.Errorf("Content-Length %s, body %d", resp.Header.Get("Content-Length"), len(body))
	}
	resp = post("/infer", testutil.F32([]int{5}))
	if got := resp.Header.Get(HeaderShape); got != "(5,)" {
		t.Errorf("1-D shape header %q", got)
	}
	resp = post("/scalar", testutil.F32([]int{1}))
	if got := resp.Header.Get(HeaderShape); got != "()" {
		t.Errorf("0-d shape header %q", got)
	}
	if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="out.tenso"` {
		t.Errorf("Content-Disposition %q", got)
	}
	body, _ = io.ReadAll(resp.Body)
	info, err := tenso.Inspect(body)
	if err != nil || !info.Integrity {
		t.Errorf("integrity endpoint: info %+v, %v", info, err)
	}
	resp = post("/bundle", testutil.F32([]int{2}))
	if resp.Header.Get(HeaderShape) != "" || resp.Header.Get(HeaderDType) != "" || resp.Header.Get(HeaderVersion) != "4" {
		t.Errorf("bundle headers: %v", resp.Header)
	}
}

func TestHealth(t *testing.T) {
	testutil.CheckGoroutines(t)
	a := NewApp(Options{})
	a.Endpoint("/infer", double)
	a.Endpoint("/echo", identity, Method("put"))
	base := startApp(t, a)
	resp, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != `{"status":"ok","endpoints":["/infer","/echo"]}` {
		t.Fatalf("health: %d %s", resp.StatusCode, body)
	}
	h, err := newClient(t, base, ClientOptions{}).Health(context.Background())
	if err != nil || h.Status != "ok" || len(h.Endpoints) != 2 {
		t.Fatalf("Client.Health: %+v %v", h, err)
	}
	// The method option is honoured.
	req, _ := http.NewRequest(http.MethodPut, base+"/echo", bytes.NewReader(mustEncode(t, testutil.F32([]int{1}), tenso.Options{})))
	req.Header.Set("Content-Type", ContentType)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 200 {
		t.Fatalf("PUT /echo: %d", resp2.StatusCode)
	}
}

// TestBadRequests: every refusal has the reference's status and a
// FastAPI-style {"detail": …} body, and the server keeps serving.
func TestBadRequests(t *testing.T) {
	testutil.CheckGoroutines(t)
	a := NewApp(Options{MaxBodyBytes: 1 << 16, ErrorLog: quietLog()})
	a.Endpoint("/infer", double)
	a.Endpoint("/fail", func(context.Context, tenso.Value) (tenso.Value, error) { return nil, errors.New("secret internals") })
	a.Endpoint("/teapot", func(context.Context, tenso.Value) (tenso.Value, error) { return nil, Error(418, "short and stout") })
	a.Endpoint("/status0", func(context.Context, tenso.Value) (tenso.Value, error) { return nil, Error(0, "zero") })
	a.Endpoint("/nil", func(context.Context, tenso.Value) (tenso.Value, error) { return nil, nil })
	a.Endpoint("/invalid", func(context.Context, tenso.Value) (tenso.Value, error) {
		return &tenso.Tensor{DType: tenso.Float32, Shape: []int{3}, Data: make([]byte, 5)}, nil
	})
	base := startApp(t, a)
	good := mustEncode(t, testutil.F32([]int{4}), tenso.Options{})
	corrupt := append([]byte(nil), good...)
	corrupt[0] = 'X'
	truncated := good[:len(good)-3]
	big := mustEncode(t, testutil.F32([]int{1 << 15}), tenso.Options{})

	cases := []struct {
		name, method, path, ctype string
		body                      io.Reader
		status                    int
		detail                    string
	}{
		{"wrong content type", "POST", "/infer", "application/json", bytes.NewReader(good), 400, DetailContentType},
		{"no content type", "POST", "/infer", "", bytes.NewReader(good), 400, DetailContentType},
		{"bad magic", "POST", "/infer", ContentType, bytes.NewReader(corrupt), 422, DetailBadPacket + "tenso:"},
		{"truncated packet", "POST", "/infer", ContentType, bytes.NewReader(truncated), 422, DetailBadPacket + "tenso:"},
		{"empty body", "POST", "/infer", ContentType, bytes.NewReader(nil), 422, DetailBadPacket},
		{"garbage", "POST", "/infer", ContentType, strings.NewReader("hello world, not a tensor"), 422, DetailBadPacket},
		{"too large", "POST", "/infer", ContentType, bytes.NewReader(big), 413, "Request body too large"},
		{"too large chunked", "POST", "/infer", ContentType, io.MultiReader(bytes.NewReader(big)), 413, "Request body too large"},
		{"not found", "POST", "/nope", ContentType, bytes.NewReader(good), 404, DetailNotFound},
		{"wrong method", "GET", "/infer", ContentType, nil, 405, DetailMethod},
		{"handler error", "POST", "/fail", ContentType, bytes.NewReader(good), 500, DetailInternal},
		{"handler status", "POST", "/teapot", ContentType, bytes.NewReader(good), 418, "short and stout"},
		{"bad status", "POST", "/status0", ContentType, bytes.NewReader(good), 500, DetailInternal},
		{"nil result", "POST", "/nil", ContentType, bytes.NewReader(good), 500, DetailInternal},
		{"invalid result", "POST", "/invalid", ContentType, bytes.NewReader(good), 500, DetailInternal},
		{"wrong dtype", "POST", "/infer", ContentType, bytes.NewReader(mustEncode(t, tenso.NewStrings("a"), tenso.Options{})), 422, "want a float32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, base+c.path, c.body)
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var js struct{ Detail string }
			body, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(body, &js); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if resp.StatusCode != c.status || !strings.HasPrefix(js.Detail, c.detail) {
				t.Fatalf("got %d %q, want %d %q…", resp.StatusCode, js.Detail, c.status, c.detail)
			}
			if contains(js.Detail, "secret") {
				t.Fatalf("internal error text leaked: %q", js.Detail)
			}
		})
	}
	// The Go client turns them into *StatusError with the server's detail.
	c := newClient(t, base, ClientOptions{})
	_, err := c.Predict(context.Background(), "/teapot", testutil.F32([]int{1}), false)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 418 || se.Detail != "short and stout" {
		t.Fatalf("Predict error %v", err)
	}
	_, err = c.Predict(context.Background(), "/infer", tenso.NewStrings("x"), false)
	if !errors.As(err, &se) || se.StatusCode != 422 || !contains(err.Error(), "want a float32") {
		t.Fatalf("Predict error %v", err)
	}
	// Still serving.
	if _, err := c.Predict(context.Background(), "/infer", testutil.F32([]int{3}), false); err != nil {
		t.Fatal(err)
	}
}

func TestReadRequest(t *testing.T) {
	good := mustEncode(t, testutil.F32([]int{2}, 1, 2), tenso.Options{})
	req := httptest.NewRequest("POST", "/", bytes.NewReader(good))
	req.Header.Set("Content-Type", "Application/Octet-Stream; charset=binary")
	v, err := ReadRequest(req, RequestOptions{})
	if err != nil || !reflect.DeepEqual(testutil.F32s(v.(*tenso.Tensor)), []float32{1, 2}) {
		t.Fatalf("ReadRequest: %v %v", v, err)
	}
	req = httptest.NewRequest("POST", "/", bytes.NewReader(good))
	req.Header.Set("Content-Type", ContentType)
	_, err = ReadRequest(req, RequestOptions{MaxBytes: 10})
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 413 {
		t.Fatalf("limit: %v", err)
	}
	// A body shorter than its Content-Length.
	req = httptest.NewRequest("POST", "/", bytes.NewReader(good[:20]))
	req.ContentLength = int64(len(good))
	req.Header.Set("Content-Type", ContentType)
	_, err = ReadRequest(req, RequestOptions{})
	if !errors.As(err, &he) || he.Status != 400 {
		t.Fatalf("short body: %v", err)
	}
}

// TestSlowloris: clients that trickle headers or bodies are cut off by the
// server's timeouts, while another client is served meanwhile.
func TestSlowloris(t *testing.T) {
	testutil.CheckGoroutines(t)
	a := NewApp(Options{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, ErrorLog: quietLog()})
	a.Endpoint("/infer", double)
	base := startApp(t, a)
	addr := strings.TrimPrefix(base, "http://")
	good := mustEncode(t, testutil.F32([]int{64}), tenso.Options{})

	// Slow body: headers complete, then half the body and silence.
	slowBody, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slowBody.Close()
	fmt.Fprintf(slowBody, "POST /infer HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ContentType, len(good))
	slowBody.Write(good[:len(good)/2])

	// Slow headers: a request line and nothing more.
	slowHead, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slowHead.Close()
	fmt.Fprintf(slowHead, "POST /infer HTTP/1.1\r\nHost: x\r\n")

	// Meanwhile another client is served.
	c := newClient(t, base, ClientOptions{})
	for i := 0; i < 5; i++ {
		if _, err := c.Predict(context.Background(), "/infer", testutil.F32([]int{8}), false); err != nil {
			t.Fatal(err)
		}
	}

	start := time.Now()
	slowBody.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := io.ReadAll(slowBody)
	if !strings.HasPrefix(string(resp), "HTTP/1.1 408") {
		t.Errorf("slow body: got %q, %v", resp, err)
	}
	slowHead.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err = io.ReadAll(slowHead)
	if err != nil || (len(resp) > 0 && !strings.HasPrefix(string(resp), "HTTP/1.1 408")) {
		t.Errorf("slow headers: got %q, %v (want the connection closed)", resp, err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("slow clients were cut off after %v", d)
	}
}

// TestTruncatedResponse: servers that end a response early give a clear
// error wrapping io.ErrUnexpectedEOF, in Predict and StreamPredict.
func TestTruncatedResponse(t *testing.T) {
	testutil.CheckGoroutines(t)
	packet := mustEncode(t, testutil.F32([]int{1024}), tenso.Options{})
	for _, mode := range []string{"short content-length", "close mid-body", "chunked cut"} {
		t.Run(mode, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { // a raw server: read the request, answer half a body, close
				defer wg.Done()
				for {
					conn, err := ln.Accept()
					if err != nil {
						return
					}
					req, err := http.ReadRequest(bufioReader(conn))
					if err == nil {
						io.Copy(io.Discard, req.Body)
						switch mode {
						case "chunked cut":
							fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", ContentType, len(packet))
							conn.Write(packet[:len(packet)/2])
						default:
							fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ContentType, len(packet))
							conn.Write(packet[:len(packet)/2])
						}
					}
					conn.Close()
				}
			}()
			defer func() { ln.Close(); wg.Wait() }()
			c := newClient(t, "http://"+ln.Addr().String(), ClientOptions{})
			_, err = c.Predict(context.Background(), "/infer", testutil.F32([]int{4}), false)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("Predict: %v, want io.ErrUnexpectedEOF", err)
			}
			_, err = c.StreamPredict(context.Background(), "/infer", testutil.F32([]int{4}))
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("StreamPredict: %v, want io.ErrUnexpectedEOF", err)
			}
		})
	}
}

func TestResponseLimits(t *testing.T) {
	testutil.CheckGoroutines(t)
	a := NewApp(Options{})
	a.Endpoint("/infer", identity)
	c := newClient(t, startApp(t, a), ClientOptions{MaxResponseBytes: 1000})
	_, err := c.Predict(context.Background(), "/infer", testutil.F32([]int{1000}), false)
	if !errors.Is(err, tenso.ErrTooLarge) {
		t.Errorf("Predict over MaxResponseBytes: %v", err)
	}
	_, err = c.StreamPredict(context.Background(), "/infer", testutil.F32([]int{1000}))
	if !errors.Is(err, tenso.ErrTooLarge) {
		t.Errorf("StreamPredict over MaxResponseBytes: %v", err)
	}
	if _, err := c.Predict(context.Background(), "/infer", testutil.F32([]int{10}), false); err != nil {
		t.Fatal(err)
	}
}

// TestStreamPredictEach reads several packets answered back to back.
func TestStreamPredictEach(t *testing.T) {
	testutil.CheckGoroutines(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := ReadRequest(r, RequestOptions{})
		if err != nil {
			WriteError(w, 422, err.Error())
			return
		}
		w.Header().Set("Content-Type", ContentType)
		wr := tenso.NewWriter(w)
		for i := 0; i < 10; i++ {
			if _, err := wr.Write(in, tenso.Options{Integrity: i%2 == 0}); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, ClientOptions{})
	n := 0
	err := c.StreamPredictEach(context.Background(), "/seq", testutil.F32([]int{3}, 1, 2, 3), func(v tenso.Value) error {
		if got := testutil.F32s(v.(*tenso.Tensor)); !reflect.DeepEqual(got, []float32{1, 2, 3}) {
			return fmt.Errorf("packet %d: %v", n, got)
		}
		n++
		return nil
	})
	if err != nil || n != 10 {
		t.Fatalf("%d packets, %v", n, err)
	}
	if _, err := c.StreamPredict(context.Background(), "/seq", testutil.F32([]int{1})); err == nil {
		t.Fatalf("StreamPredict accepted 10 packets")
	}
}

func TestClientHeadersAndReuse(t *testing.T) {
	testutil.CheckGoroutines(t)
	a := NewApp(Options{})
	a.Endpoint("/infer", double)
	var conns atomic.Int32
	var sawAuth atomic.Bool
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer t0k" && r.Header.Get("Content-Type") == ContentType {
			sawAuth.Store(true)
		}
		a.ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := newClient(t, srv.URL+"/", ClientOptions{Header: http.Header{"Authorization": {"Bearer t0k"}}, Integrity: true})
	for i := 0; i < 20; i++ {
		if _, err := c.Predict(context.Background(), "infer", testutil.F32([]int{16}), i%2 == 1); err != nil {
			t.Fatal(err)
		}
		if i == 10 { // an error answer leaves the connection reusable
			if _, err := c.Predict(context.Background(), "/infer", tenso.NewStrings("x"), false); err == nil {
				t.Fatal("want a 422")
			}
		}
	}
	if !sawAuth.Load() {
		t.Error("extra header not sent")
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 21 sequential calls, want 1", n)
	}
}

// TestConcurrencyLimit: requests over MaxConcurrent are answered 503 at
// once; the server recovers when the slot frees.
func TestConcurrencyLimit(t *testing.T) {
	testutil.CheckGoroutines(t)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	a := NewApp(Options{MaxConcurrent: 1})
	a.Endpoint("/block", func(ctx context.Context, in tenso.Value) (tenso.Value, error) {
		entered <- struct{}{}
		<-release
		return in, nil
	})
	c := newClient(t, startApp(t, a), ClientOptions{})
	errc := make(chan error, 1)
	go func() {
		_, err := c.Predict(context.Background(), "/block", testutil.F32([]int{1}), false)
		errc <- err
	}()
	<-entered
	_, err := c.Predict(context.Background(), "/block", testutil.F32([]int{1}), false)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 {
		t.Errorf("second request: %v, want 503", err)
	}
	close(release)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	go func() { <-entered }()
	if _, err := c.Predict(context.Background(), "/block", testutil.F32([]int{1}), false); err != nil {
		t.Fatal(err)
	}
}

// TestGracefulShutdown: a request in flight when the context is cancelled
// completes; Serve then returns nil and new connections are refused.
func TestGracefulShutdown(t *testing.T) {
	testutil.CheckGoroutines(t)
	entered := make(chan struct{})
	a := NewApp(Options{})
	a.Endpoint("/slow", func(ctx context.Context, in tenso.Value) (tenso.Value, error) {
		close(entered)
		time.Sleep(200 * time.Millisecond)
		return in, nil
	})
	ln := testutil.Loopback(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	c := newClient(t, "http://"+ln.Addr().String(), ClientOptions{})
	res := make(chan error, 1)
	go func() {
		_, err := c.Predict(context.Background(), "/slow", testutil.F32([]int{2}), false)
		res <- err
	}()
	<-entered
	cancel()
	if err := <-res; err != nil {
		t.Errorf("in-flight request: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := c.Predict(context.Background(), "/slow", testutil.F32([]int{2}), false); err == nil {
		t.Error("served after shutdown")
	}
}

// TestChunkedRequest: a request body without Content-Length is read.
func TestChunkedRequest(t *testing.T) {
	testutil.CheckGoroutines(t)
	base := doubleApp(t)
	packet := mustEncode(t, testutil.F32([]int{50000}), tenso.Options{})
	req, _ := http.NewRequest("POST", base+"/infer", io.MultiReader(bytes.NewReader(packet)))
	req.Header.Set("Content-Type", ContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	v, err := tenso.Decode(body)
	if resp.StatusCode != 200 || err != nil || testutil.F32s(v.(*tenso.Tensor))[49999] != 2*49999 {
		t.Fatalf("chunked: %d %v", resp.StatusCode, err)
	}
}

// TestStreamEndpoint: an App endpoint answering a sequence of values, read
// back to back by the client; a failure mid-stream reaches the client as a
// truncated stream.
func TestStreamEndpoint(t *testing.T) {
	testutil.CheckGoroutines(t)
	a := NewApp(Options{ErrorLog: quietLog()})
	a.StreamEndpoint("/seq", func(ctx context.Context, in tenso.Value, send func(tenso.Value) error) error {
		n := len(in.(*tenso.Tensor).Data) / 4
		for i := 0; i < n; i++ {
			if err := send(testutil.F32([]int{2}, float32(i), float32(-i))); err != nil {
				return err
			}
		}
		if n == 3 {
			return errors.New("model failed mid-stream")
		}
		return nil
	}, Integrity(true), Compress(true))
	c := newClient(t, startApp(t, a), ClientOptions{})
	var got [][]float32
	err := c.StreamPredictEach(context.Background(), "/seq", testutil.F32([]int{50}), func(v tenso.Value) error {
		got = append(got, testutil.F32s(v.(*tenso.Tensor)))
		return nil
	})
	if err != nil || len(got) != 50 || !reflect.DeepEqual(got[49], []float32{49, -49}) {
		t.Fatalf("%d values, %v", len(got), err)
	}
	got = nil
	err = c.StreamPredictEach(context.Background(), "/seq", testutil.F32([]int{3}), func(v tenso.Value) error {
		got = append(got, testutil.F32s(v.(*tenso.Tensor)))
		return nil
	})
	if err == nil || len(got) != 3 {
		t.Fatalf("failure mid-stream: %d values, %v", len(got), err)
	}
	// Zero values: an error status.
	_, err = c.Predict(context.Background(), "/seq", testutil.F32([]int{0}), false)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 500 {
		t.Fatalf("empty stream: %v", err)
	}
}

// TestStreamPredictStalledServer: a context deadline interrupts a
// StreamPredict whose server stalls mid-packet, and nothing leaks.
func TestStreamPredictStalledServer(t *testing.T) {
	testutil.CheckGoroutines(t)
	packet := mustEncode(t, testutil.F32([]int{4096}), tenso.Options{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", ContentType)
		w.Write(packet[:len(packet)/2])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, srv.URL, ClientOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.StreamPredict(ctx, "/x", testutil.F32([]int{1}))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stalled server: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("interrupted after %v", d)
	}
}

// TestConcurrentClients: many goroutines share one Client and one App.
func TestConcurrentClients(t *testing.T) {
	testutil.CheckGoroutines(t)
	c := newClient(t, doubleApp(t), ClientOptions{})
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				n := 1 + (g*31+i)%5000
				out, err := c.Predict(context.Background(), "/infer", testutil.F32([]int{n}, float32(g)), i%3 == 0)
				if err == nil {
					if got := testutil.F32s(out.(*tenso.Tensor)); len(got) != n || got[0] != 2*float32(g) {
						err = fmt.Errorf("goroutine %d call %d: wrong answer", g, i)
					}
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}
