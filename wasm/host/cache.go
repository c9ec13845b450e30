package host

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/tetratelabs/wazero"
)

// CacheEnv names the environment variable that controls the default
// compilation cache: "off" keeps compiled code in memory only (the
// process compiles the module itself), any other non-empty value is the
// directory to use instead of os.UserCacheDir()/tenso/wazero.
const CacheEnv = "TENSO_WAZERO_CACHE"

// defaultCache is the process-wide compilation cache a Runtime uses when
// Config.Cache is nil: on disk under os.UserCacheDir()/tenso/wazero unless
// Config.NoDiskCache or CacheEnv=off says otherwise, in memory when the
// directory cannot be made. wazero keeps one subdirectory per wazero
// version, GOARCH and GOOS, and names each entry by the module's SHA-256,
// so another module or another wazero never reads a stale entry; an entry
// is written to a temporary file and renamed into place, so processes that
// start at once on an empty directory each compile or read a whole entry.
var defaultCache struct {
	once  sync.Once
	cache wazero.CompilationCache
	dir   string // "" when the cache is in memory only
}

func diskCacheDir() string {
	switch v := os.Getenv(CacheEnv); v {
	case "off":
		return ""
	case "":
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		return filepath.Join(base, "tenso", "wazero")
	default:
		return v
	}
}

// processCache returns the default cache (noDisk: the in-memory one).
func processCache(noDisk bool) wazero.CompilationCache {
	if noDisk {
		return sharedCache
	}
	defaultCache.once.Do(func() {
		defaultCache.cache = sharedCache
		dir := diskCacheDir()
		if dir == "" || os.MkdirAll(dir, 0o755) != nil {
			return
		}
		c, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return
		}
		defaultCache.cache, defaultCache.dir = c, dir
	})
	return defaultCache.cache
}

// CacheDir reports the directory of the default on-disk compilation cache,
// or "" when the default cache is in memory only (CacheEnv=off, or no
// usable cache directory). It settles the default if no Runtime has yet.
func CacheDir() string {
	processCache(false)
	return defaultCache.dir
}
