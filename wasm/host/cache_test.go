package host

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/golden"
)

// cacheChildEnv marks a child process of TestConcurrentDiskCache.
const cacheChildEnv = "TENSO_HOST_CACHE_CHILD"

// TestCacheChild is the child process: the default Config (embedded module,
// default cache), one decode compared with native Go, and the cache
// directory it used on stdout.
func TestCacheChild(t *testing.T) {
	if os.Getenv(cacheChildEnv) == "" {
		t.Skip("run by TestConcurrentDiskCache")
	}
	ctx := context.Background()
	c := defaultCodec(t)
	p := golden.Read(t, "dense_f32.tenso")
	want, err := tenso.Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decode(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if describe(got) != describe(want) {
		t.Fatalf("module decodes %s, native %s", describe(got), describe(want))
	}
	fmt.Printf("cache-dir=%s\n", CacheDir())
}

// defaultCodec is what a user gets with Config{}: the embedded module and
// the default cache; closed when the test ends.
func defaultCodec(t *testing.T) *Codec {
	t.Helper()
	ctx := context.Background()
	r, err := New(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(ctx) })
	c, err := r.NewCodec(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) })
	return c
}

// TestConcurrentDiskCache starts several processes at once on an empty
// cache directory: each decodes, and the directory then holds the compiled
// module (a later process reads it instead of compiling).
func TestConcurrentDiskCache(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the embedded module in several processes: skipped in -short mode")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cache")
	run := func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, exe, "-test.run=^TestCacheChild$", "-test.v")
		cmd.Env = append(os.Environ(), cacheChildEnv+"=1", CacheEnv+"="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("child: %v\n%s", err, out)
		}
		return string(out), nil
	}
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	outs := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); outs[i], errs[i] = run() }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(outs[i], "cache-dir="+dir+"\n") {
			t.Fatalf("child %d did not use the on-disk cache %s:\n%s", i, dir, outs[i])
		}
	}
	var entries []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			entries = append(entries, p)
		}
		return nil
	})
	if len(entries) == 0 {
		t.Fatalf("no compiled module under %s after %d processes", dir, n)
	}
	for _, e := range entries {
		if strings.HasSuffix(e, ".tmp") {
			t.Fatalf("temporary file left in the cache: %s", e)
		}
	}
	// One more process after the others: it reads the entries they wrote.
	if _, err := run(); err != nil {
		t.Fatal(err)
	}
}

// TestCacheOff: CacheEnv=off keeps the default cache in memory.
func TestCacheOff(t *testing.T) {
	t.Setenv(CacheEnv, "off")
	if d := diskCacheDir(); d != "" {
		t.Fatalf("%s=off: disk cache dir %q", CacheEnv, d)
	}
	if processCache(true) != sharedCache {
		t.Fatal("NoDiskCache did not give the in-memory cache")
	}
}
