package host

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// embedded is the Tenso module as `make wasm` builds it, committed with
// the package so that `go get` users have it (make check-wasm-embed
// rebuilds it and fails when the committed file differs).
//
//go:embed embedded/tenso.wasm
var embedded []byte

// Embedded returns the module this package embeds (the bytes of
// js/tenso.wasm of the same commit). The slice is shared: do not modify it.
func Embedded() []byte { return embedded }

// sharedCache is the process-wide in-memory compilation cache: the default
// when the on-disk one is off or unavailable (cache.go).
var sharedCache = wazero.NewCompilationCache()

// Config configures a Runtime. The zero value uses the embedded module, the
// process-wide compilation cache (on disk under os.UserCacheDir()/tenso/wazero,
// so a fresh process reuses compiled code; see CacheEnv and CacheDir) and
// wazero's memory limit.
type Config struct {
	// Module is a tenso.wasm to use instead of the embedded one (nil:
	// Embedded()).
	Module []byte
	// Cache replaces the default compilation cache.
	Cache wazero.CompilationCache
	// NoDiskCache keeps the default cache in memory only (as CacheEnv=off
	// does): each process compiles the module once. Ignored with Cache.
	NoDiskCache bool
	// MemoryLimitPages caps each instance's memory in 64 KiB pages (0: 65536,
	// i.e. 4 GiB).
	MemoryLimitPages uint32
}

// Runtime holds a wazero runtime with WASI and the compiled Tenso module.
type Runtime struct {
	rt     wazero.Runtime
	module wazero.CompiledModule
}

// New creates a runtime and compiles the Tenso module (a cache hit after the
// first time in the process).
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	bin := cfg.Module
	if bin == nil {
		bin = embedded
	}
	cache := cfg.Cache
	if cache == nil {
		cache = processCache(cfg.NoDiskCache)
	}
	rc := wazero.NewRuntimeConfig().WithCompilationCache(cache).WithCloseOnContextDone(true)
	if cfg.MemoryLimitPages > 0 {
		rc = rc.WithMemoryLimitPages(cfg.MemoryLimitPages)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("tenso: instantiating WASI: %w", err)
	}
	m, err := rt.CompileModule(ctx, bin)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("tenso: compiling the wasm module: %w", err)
	}
	return &Runtime{rt: rt, module: m}, nil
}

// Close releases the runtime and every instance made from it.
func (r *Runtime) Close(ctx context.Context) error { return r.rt.Close(ctx) }

// instantiate starts an anonymous instance of m as a WASI reactor whose
// stderr goes to stderr.
func (r *Runtime) instantiate(ctx context.Context, m wazero.CompiledModule, stderr *stderrBuf) (api.Module, error) {
	cfg := wazero.NewModuleConfig().WithName("").WithStartFunctions("_initialize").WithStderr(stderr)
	return r.rt.InstantiateModule(ctx, m, cfg)
}

// stderrMax bounds what an instance's stderr keeps per call: a Go panic's
// message comes first, its goroutine trace after it.
const stderrMax = 4096

// stderrBuf keeps the first stderrMax bytes an instance wrote to its stderr
// since the last reset (one per instance, used under its mutex). A Go
// module prints a panic there, then aborts: wazero's error says only "wasm
// error: unreachable" (inside an export) or "module closed with
// exit_code(2)".
type stderrBuf struct{ b []byte }

func (s *stderrBuf) Write(p []byte) (int, error) {
	if n := stderrMax - len(s.b); n > 0 {
		s.b = append(s.b, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

func (s *stderrBuf) reset() { s.b = s.b[:0] }

// wrap puts the first paragraph of what the instance printed since the
// last reset (for a Go panic, "panic: <message>" without its goroutine
// trace) before err, a failure of the instance; err is unchanged when the
// instance printed nothing.
func (s *stderrBuf) wrap(err error) error {
	msg := string(s.b)
	if i := strings.Index(msg, "\n\n"); i >= 0 {
		msg = msg[:i]
	}
	if msg = strings.TrimSpace(msg); msg == "" {
		return err
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// Default timeouts.
const (
	DefaultPluginTimeout = 5 * time.Second
)

// lockedInstance is one wasm instance used under a mutex; a failed call
// closes it and the next call makes a new one. stderr is the instance's
// (reset at the start of each call).
type lockedInstance struct {
	mu     sync.Mutex
	mod    api.Module
	stderr stderrBuf
}

func (l *lockedInstance) close(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mod == nil {
		return nil
	}
	err := l.mod.Close(ctx)
	l.mod = nil
	return err
}

func readMem(m api.Module, ptr, n uint32) ([]byte, bool) {
	b, ok := m.Memory().Read(ptr, n)
	if !ok {
		return nil, false
	}
	return append([]byte(nil), b...), true
}

func readMemory(m api.Memory, ptr, n uint32) ([]byte, bool) {
	b, ok := m.Read(ptr, n)
	if !ok {
		return nil, false
	}
	return append([]byte(nil), b...), true
}
