// Command startbench times fresh processes to the first decode through the
// wazero host against the floor module compiled and instantiated the same
// way, in the same run (make bench-startup). It prints both and the ratio;
// it is a measurement, not a test.
//
//	startbench -floor floor.wasm [-n 5]   (from the repository root: it decodes testdata/dense_f32.tenso)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/tenso-go/tenso/wasm/host"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

func main() {
	floor := flag.String("floor", "", "the floor module (an empty wasip1 reactor)")
	n := flag.Int("n", 5, "fresh processes per measurement")
	child := flag.String("child", "", "internal: floor or tenso")
	flag.Parse()
	if *child != "" {
		if err := runChild(*child, *floor); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *floor == "" {
		fmt.Fprintln(os.Stderr, "startbench: -floor is required")
		os.Exit(2)
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmp, err := os.MkdirTemp("", "tenso-startbench")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(tmp)
	// cache: "off" (compile in the process) or a directory (on-disk cache,
	// warmed by one untimed process first).
	measure := func(mode, cache string) time.Duration {
		if cache != "off" {
			cache = filepath.Join(tmp, mode+"-cache")
			if err := spawn(exe, mode, *floor, cache); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		var ds []time.Duration
		for range *n {
			t0 := time.Now()
			if err := spawn(exe, mode, *floor, cache); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			ds = append(ds, time.Since(t0))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	fmt.Printf("wazero, fresh process (median of %d):\n", *n)
	for _, c := range []struct{ name, cache string }{
		{"default (on-disk cache, warm)", "dir"},
		{"no disk cache (TENSO_WAZERO_CACHE=off)", "off"},
	} {
		f := measure("floor", c.cache)
		t := measure("tenso", c.cache)
		fmt.Printf("  %-40s floor compile+instantiate+_initialize %8.1f ms  tenso host.New+NewCodec+Decode %8.1f ms  ratio %.2f\n",
			c.name, ms(f), ms(t), float64(t)/float64(f))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func spawn(exe, mode, floor, cache string) error {
	cmd := exec.Command(exe, "-child", mode, "-floor", floor)
	cmd.Env = append(os.Environ(), host.CacheEnv+"="+cache)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("startbench %s: %v\n%s", mode, err, out)
	}
	return nil
}

// runChild does the work a fresh process pays before its first result.
func runChild(mode, floor string) error {
	ctx := context.Background()
	switch mode {
	case "floor":
		bin, err := os.ReadFile(floor)
		if err != nil {
			return err
		}
		rc := wazero.NewRuntimeConfig()
		if d := os.Getenv(host.CacheEnv); d != "off" {
			c, err := wazero.NewCompilationCacheWithDir(d)
			if err != nil {
				return err
			}
			rc = rc.WithCompilationCache(c)
		}
		rt := wazero.NewRuntimeWithConfig(ctx, rc)
		defer rt.Close(ctx)
		if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
			return err
		}
		m, err := rt.CompileModule(ctx, bin)
		if err != nil {
			return err
		}
		_, err = rt.InstantiateModule(ctx, m, wazero.NewModuleConfig().WithName("").WithStartFunctions("_initialize"))
		return err
	case "tenso":
		packet, err := os.ReadFile(filepath.Join("testdata", "dense_f32.tenso"))
		if err != nil {
			return err
		}
		r, err := host.New(ctx, host.Config{})
		if err != nil {
			return err
		}
		defer r.Close(ctx)
		c, err := r.NewCodec(ctx)
		if err != nil {
			return err
		}
		_, err = c.Decode(ctx, packet)
		return err
	}
	return fmt.Errorf("unknown child mode %q", mode)
}
