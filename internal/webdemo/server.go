package webdemo

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenso-go/tenso"
)

//go:embed static
var static embed.FS

// Options configure the demo server.
type Options struct {
	// JS is the js/ package directory (index.js, wasi.js, tenso.wasm).
	JS fs.FS
	// GoldenDir, when set, is served to the page too (every *.tenso file).
	GoldenDir string
	// Live configures the live panel; the page shows it as off when
	// Live.WebSocket is "".
	Live Live
	// Vendor holds the bundled browser NATS client, nats-core.js (built
	// from web-demo's node_modules by `make demo`), served at /vendor/.
	Vendor fs.FS
}

// Live is the live panel's configuration: the page connects to the NATS
// WebSocket listener, subscribes to Subject and decodes every message as
// a packet. This package only tells the page where to look; the server
// and the publisher are the caller's (cmd/tenso), so that NATS stays out
// of this module.
type Live struct {
	WebSocket string        // ws:// URL of the NATS WebSocket listener
	Subject   string        // subject the frames are published on
	Every     time.Duration // publishing period, shown on the page
	Note      string        // why the panel is off, when WebSocket is ""
	// Expect, if set, returns the description (Describe) of the frame
	// published with that number, for the page's and the e2e test's check.
	Expect func(frame int64) (map[string]any, bool)
}

// natsClient is the one file of Options.Vendor the page loads.
const natsClient = "nats-core.js"

type server struct {
	opts   Options
	once   sync.Once
	demo   []demoTensor
	golden map[string][]byte
	names  []string
}

// ErrNoWasm is returned by Check when the js directory has no tenso.wasm.
var ErrNoWasm = errors.New("tenso demo: js/tenso.wasm is missing: build it with `make wasm`")

// Check reports whether opts can serve a working page.
func Check(opts Options) error {
	if _, err := fs.Stat(opts.JS, "tenso.wasm"); err != nil {
		return ErrNoWasm
	}
	if _, err := fs.Stat(opts.JS, "index.js"); err != nil {
		return fmt.Errorf("tenso demo: no index.js in the js directory: %w", err)
	}
	return nil
}

// Handler returns the demo's HTTP handler.
func Handler(opts Options) http.Handler {
	s := &server{opts: opts}
	s.load()
	mux := http.NewServeMux()
	sub, _ := fs.Sub(static, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(sub)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, sub, "index.html")
	})
	mux.HandleFunc("GET /js/{file}", s.js)
	mux.HandleFunc("GET /api/demo", s.apiDemo)
	mux.HandleFunc("GET /api/golden", s.apiGolden)
	mux.HandleFunc("GET /tensors/{file}", s.tensor)
	mux.HandleFunc("GET /golden/{file}", s.goldenFile)
	mux.HandleFunc("GET /api/live", s.apiLive)
	mux.HandleFunc("GET /api/live/expect/{frame}", s.apiLiveExpect)
	mux.HandleFunc("GET /vendor/{file}", s.vendor)
	return mux
}

func (s *server) load() {
	s.once.Do(func() {
		s.demo = buildDemo()
		s.golden = map[string][]byte{}
		if s.opts.GoldenDir == "" {
			return
		}
		files, _ := filepath.Glob(filepath.Join(s.opts.GoldenDir, "*.tenso"))
		sort.Strings(files)
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil {
				s.golden[filepath.Base(f)] = b
				s.names = append(s.names, filepath.Base(f))
			}
		}
	})
}

func (s *server) js(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	switch name {
	case "index.js", "wasi.js", "tenso.wasm":
	default:
		http.NotFound(w, r)
		return
	}
	serveAsset(w, r, s.opts.JS, name)
}

// serveAsset serves file name of fsys as a browser can cache it: its type
// (application/wasm for the module, so that WebAssembly.instantiateStreaming
// compiles it as it arrives), a strong ETag of its content, and
// Cache-Control: no-cache: the browser keeps the response (and, for wasm,
// its compiled code) and revalidates it, getting 304 Not Modified until
// the file is rebuilt.
func serveAsset(w http.ResponseWriter, r *http.Request, fsys fs.FS, name string) {
	if fsys == nil {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	var mod time.Time
	if fi, err := fs.Stat(fsys, name); err == nil {
		mod = fi.ModTime()
	}
	if strings.HasSuffix(name, ".wasm") {
		w.Header().Set("Content-Type", "application/wasm")
	} else {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	sum := sha256.Sum256(b)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, mod, bytes.NewReader(b))
}

func (s *server) vendor(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("file") != natsClient {
		http.NotFound(w, r)
		return
	}
	serveAsset(w, r, s.opts.Vendor, natsClient)
}

// VendorMissing is the note of a live panel without its NATS client.
const VendorMissing = "the browser NATS client is not built: run `make demo` (npm ci and the esbuild bundle in web-demo/)"

func (s *server) apiLive(w http.ResponseWriter, r *http.Request) {
	l := s.opts.Live
	out := map[string]any{"websocket": l.WebSocket, "subject": l.Subject, "every_ms": l.Every.Milliseconds(), "note": l.Note}
	if l.WebSocket != "" {
		if !hasFile(s.opts.Vendor, natsClient) {
			out["websocket"], out["note"] = "", VendorMissing
		} else {
			out["client"] = "/vendor/" + natsClient
		}
	}
	writeJSON(w, out)
}

func hasFile(fsys fs.FS, name string) bool {
	if fsys == nil {
		return false
	}
	_, err := fs.Stat(fsys, name)
	return err == nil
}

func (s *server) apiLiveExpect(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.PathValue("frame"), 10, 64)
	if err != nil || s.opts.Live.Expect == nil {
		http.NotFound(w, r)
		return
	}
	d, ok := s.opts.Live.Expect(n)
	if !ok {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, d)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

func (s *server) apiDemo(w http.ResponseWriter, r *http.Request) {
	s.load()
	type item struct {
		Name      string         `json:"name"`
		Title     string         `json:"title"`
		Caption   string         `json:"caption"`
		URL       string         `json:"url"`
		JSONURL   string         `json:"jsonUrl"`
		Bytes     int            `json:"bytes"`
		JSONBytes int            `json:"jsonBytes"`
		Expect    map[string]any `json:"expect"`
	}
	out := make([]item, len(s.demo))
	for i, d := range s.demo {
		v, err := tenso.Decode(d.Packet)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out[i] = item{d.Name, d.Title, d.Caption, "/tensors/" + d.Name + ".tenso", "/tensors/" + d.Name + ".json",
			len(d.Packet), len(d.JSON), Describe(v)}
	}
	writeJSON(w, out)
}

func (s *server) apiGolden(w http.ResponseWriter, r *http.Request) {
	s.load()
	type item struct {
		File   string         `json:"file"`
		URL    string         `json:"url"`
		Bytes  int            `json:"bytes"`
		Expect map[string]any `json:"expect,omitempty"`
		Error  string         `json:"error,omitempty"`
	}
	out := []item{}
	for _, n := range s.names {
		it := item{File: n, URL: "/golden/" + n, Bytes: len(s.golden[n])}
		if v, err := tenso.Decode(s.golden[n]); err != nil {
			it.Error = err.Error()
		} else {
			it.Expect = Describe(v)
		}
		out = append(out, it)
	}
	writeJSON(w, out)
}

func (s *server) tensor(w http.ResponseWriter, r *http.Request) {
	s.load()
	file := r.PathValue("file")
	ext := path.Ext(file)
	name := strings.TrimSuffix(file, ext)
	for _, d := range s.demo {
		if d.Name != name {
			continue
		}
		switch ext {
		case ".tenso":
			w.Header().Set("Content-Type", "application/x-tenso")
			w.Write(d.Packet)
			return
		case ".json":
			w.Header().Set("Content-Type", "application/json")
			w.Write(d.JSON)
			return
		}
	}
	http.NotFound(w, r)
}

func (s *server) goldenFile(w http.ResponseWriter, r *http.Request) {
	s.load()
	b, ok := s.golden[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/x-tenso")
	w.Write(b)
}
