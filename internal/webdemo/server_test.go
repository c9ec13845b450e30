package webdemo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tenso-go/tenso"
)

func get(t *testing.T, srv *httptest.Server, path string) ([]byte, http.Header) {
	t.Helper()
	r, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, r.StatusCode, b)
	}
	return b, r.Header
}

func TestServer(t *testing.T) {
	js := fstest.MapFS{"index.js": {Data: []byte("//")}, "wasi.js": {Data: []byte("//")}, "tenso.wasm": {Data: []byte("\x00asm")}}
	opts := Options{JS: js, GoldenDir: filepath.Join("..", "..", "testdata")}
	if err := Check(opts); err != nil {
		t.Fatal(err)
	}
	if err := Check(Options{JS: fstest.MapFS{}}); err != ErrNoWasm {
		t.Fatalf("Check without tenso.wasm: %v", err)
	}
	srv := httptest.NewServer(Handler(opts))
	defer srv.Close()

	if b, _ := get(t, srv, "/"); len(b) < 500 {
		t.Fatal("index too short")
	}
	for _, p := range []string{"/static/app.js", "/static/describe.js", "/static/style.css"} {
		get(t, srv, p)
	}
	if _, h := get(t, srv, "/js/tenso.wasm"); h.Get("Content-Type") != "application/wasm" {
		t.Fatalf("wasm content type %q", h.Get("Content-Type"))
	}
	var items []struct {
		Name, URL, JSONURL string
		Bytes, JSONBytes   int
		Expect             map[string]any
	}
	b, _ := get(t, srv, "/api/demo")
	if err := json.Unmarshal(b, &items); err != nil || len(items) != 4 {
		t.Fatalf("demo list: %v %d", err, len(items))
	}
	for _, it := range items {
		pkt, _ := get(t, srv, "/tensors/"+it.Name+".tenso")
		v, err := tenso.Decode(pkt)
		if err != nil {
			t.Fatalf("%s: %v", it.Name, err)
		}
		want, _ := json.Marshal(Describe(v))
		got, _ := json.Marshal(it.Expect)
		if string(want) != string(got) || len(pkt) != it.Bytes {
			t.Fatalf("%s: %s vs %s", it.Name, got, want)
		}
		j, _ := get(t, srv, "/tensors/"+it.Name+".json")
		if !json.Valid(j) || len(j) != it.JSONBytes {
			t.Fatalf("%s: bad JSON", it.Name)
		}
	}
	var golden []map[string]any
	b, _ = get(t, srv, "/api/golden")
	json.Unmarshal(b, &golden)
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "*.tenso"))
	if len(golden) != len(files) || len(files) != 93 {
		t.Fatalf("%d golden entries, %d files", len(golden), len(files))
	}
	pkt, _ := get(t, srv, "/golden/dense_f32.tenso")
	want, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "dense_f32.tenso"))
	if string(pkt) != string(want) {
		t.Fatal("golden bytes differ")
	}
	for _, p := range []string{"/js/other.js", "/tensors/nope.tenso", "/golden/nope.tenso", "/golden/..%2fmanifest.json"} {
		r, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 404 {
			t.Errorf("%s: %d", p, r.StatusCode)
		}
	}
}

func TestDescribeKinds(t *testing.T) {
	// Describe covers every kind, including ones the corpus lacks.
	v := &tenso.IPCRef{Offset: 1 << 40, NBytes: 7}
	d := Describe(v)
	if d["kind"] != "ipc_ref" || d["offset"] != "1099511627776" {
		t.Fatal(d)
	}
	if Describe(nil)["kind"] != "unknown" {
		t.Fatal("nil")
	}
}

// The module and the vendored client carry a type, a strong ETag and
// Cache-Control: no-cache; a request with the ETag gets 304 and no body.
func TestAssetCaching(t *testing.T) {
	js := fstest.MapFS{"index.js": {Data: []byte("//")}, "tenso.wasm": {Data: []byte("\x00asm\x01\x00\x00\x00")}}
	srv := httptest.NewServer(Handler(Options{JS: js, Vendor: fstest.MapFS{"nats-core.js": {Data: []byte("export {}")}}}))
	defer srv.Close()
	for path, ctype := range map[string]string{"/js/tenso.wasm": "application/wasm", "/vendor/nats-core.js": "text/javascript; charset=utf-8"} {
		_, h := get(t, srv, path)
		etag := h.Get("ETag")
		if h.Get("Content-Type") != ctype || h.Get("Cache-Control") != "no-cache" || len(etag) != 34 {
			t.Fatalf("%s: headers %v", path, h)
		}
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("If-None-Match", etag)
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusNotModified || len(b) != 0 {
			t.Errorf("%s with its ETag: %d, %d bytes", path, r.StatusCode, len(b))
		}
		req.Header.Set("If-None-Match", `"0123"`)
		if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 200 {
			t.Errorf("%s with another ETag: %v %v", path, r.StatusCode, err)
		}
	}
	if r, _ := http.Get(srv.URL + "/vendor/other.js"); r.StatusCode != 404 {
		t.Errorf("/vendor/other.js: %d", r.StatusCode)
	}
}

// /api/live tells the page where the frames are, or why the panel is off.
func TestLiveConfig(t *testing.T) {
	js := fstest.MapFS{"index.js": {Data: []byte("//")}, "tenso.wasm": {Data: []byte("\x00asm")}}
	vendor := fstest.MapFS{"nats-core.js": {Data: []byte("export {}")}}
	expect := func(n int64) (map[string]any, bool) { return map[string]any{"frame": n}, n == 7 }
	live := Live{WebSocket: "ws://127.0.0.1:1", Subject: "s", Every: 250 * time.Millisecond, Expect: expect}
	for _, c := range []struct {
		opts Options
		want map[string]any
	}{
		{Options{JS: js, Live: Live{Note: "off for a reason"}}, map[string]any{"websocket": "", "subject": "", "every_ms": 0.0, "note": "off for a reason"}},
		{Options{JS: js, Live: live}, map[string]any{"websocket": "", "subject": "s", "every_ms": 250.0, "note": VendorMissing}},
		{Options{JS: js, Live: live, Vendor: vendor}, map[string]any{"websocket": "ws://127.0.0.1:1", "subject": "s", "every_ms": 250.0, "note": "", "client": "/vendor/nats-core.js"}},
	} {
		srv := httptest.NewServer(Handler(c.opts))
		b, _ := get(t, srv, "/api/live")
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("/api/live: %s (%v), want %v", b, err, c.want)
		}
		srv.Close()
	}
	srv := httptest.NewServer(Handler(Options{JS: js, Live: live, Vendor: vendor}))
	defer srv.Close()
	if b, _ := get(t, srv, "/api/live/expect/7"); string(b) != "{\"frame\":7}\n" {
		t.Errorf("expect/7: %s", b)
	}
	for _, p := range []string{"/api/live/expect/8", "/api/live/expect/x"} {
		if r, _ := http.Get(srv.URL + p); r.StatusCode != 404 {
			t.Errorf("%s: %d", p, r.StatusCode)
		}
	}
}
