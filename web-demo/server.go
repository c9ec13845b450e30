package webdemo

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

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
}

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
	b, err := fs.ReadFile(s.opts.JS, name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if strings.HasSuffix(name, ".wasm") {
		w.Header().Set("Content-Type", "application/wasm")
	} else {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
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
