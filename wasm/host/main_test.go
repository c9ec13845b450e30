package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/tenso-go/tenso"
)

// The tests build the module and the plugins from source (GOOS=wasip1) into
// a temporary directory, so that they test the tree as it is and pass on a
// fresh clone where `make wasm` has not run.

var built struct {
	dir    string
	module []byte
	err    error
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func buildWasm(out, pkg string, flags ...string) error {
	cmd := exec.Command("go", append(append([]string{"build", "-buildmode=c-shared", "-o", out}, flags...), pkg)...)
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tenso-host-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	built.dir = dir
	// The default on-disk compilation cache goes to a directory of this run
	// (a child process of TestConcurrentDiskCache gets its parent's), never
	// to the user's cache directory.
	if os.Getenv(cacheChildEnv) == "" {
		os.Setenv(CacheEnv, filepath.Join(dir, "wazero-cache"))
		built.err = buildWasm(filepath.Join(dir, "tenso.wasm"), "./wasm/module")
	} else {
		built.err = fmt.Errorf("a cache child process builds no module")
	}
	if built.err == nil {
		built.module, built.err = os.ReadFile(filepath.Join(dir, "tenso.wasm"))
	}
	code := m.Run()
	if shared.r != nil {
		shared.r.Close(context.Background())
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func module(t testing.TB) []byte {
	t.Helper()
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.module
}

// plugin builds ./wasm/<rel> once and returns its bytes.
func pluginBytes(t testing.TB, rel string) []byte {
	t.Helper()
	out := filepath.Join(built.dir, strings.ReplaceAll(rel, "/", "_")+".wasm")
	if _, err := os.Stat(out); err != nil {
		if err := buildWasm(out, "./"+rel); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The tests share one Runtime: compiled code lives as long as its runtime,
// so each module and plugin compiles once per test binary (compiling under
// -race is slow).
var shared struct {
	once sync.Once
	r    *Runtime
	err  error
}

func newRuntime(t testing.TB) *Runtime {
	t.Helper()
	shared.once.Do(func() {
		if built.err != nil {
			shared.err = built.err
			return
		}
		shared.r, shared.err = New(context.Background(), Config{Module: built.module})
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.r
}

func newCodec(t testing.TB) *Codec {
	t.Helper()
	c, err := newRuntime(t).NewCodec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// describe is a canonical text form of a value (byte contents hashed), to
// compare values decoded by different decoders.
func describe(v tenso.Value) string {
	var sb strings.Builder
	var walk func(v tenso.Value)
	walk = func(v tenso.Value) {
		switch v := v.(type) {
		case *tenso.Tensor:
			fmt.Fprintf(&sb, "dense(%s %v %s)", v.DType, v.Shape, sha(v.Data))
		case *tenso.Quantized:
			fmt.Fprintf(&sb, "quant(%s %v %s %d %d %v %v %s)", v.DType, v.Shape, v.Scheme, v.Axis, v.GroupSize, v.Scales, v.ZeroPoints, sha(v.Data))
		case *tenso.Strings:
			fmt.Fprintf(&sb, "strings(%s %s %s)", v.DType, sha(v.Offsets), sha(v.Payload))
		case *tenso.Ragged:
			fmt.Fprintf(&sb, "ragged(%v %d ", v.Framed, v.FrameDType)
			walk(v.Splits)
			walk(v.Flat)
			sb.WriteString(")")
		case *tenso.Bundle:
			sb.WriteString("bundle(")
			for _, e := range v.Entries {
				fmt.Fprintf(&sb, "%q:", e.Key)
				walk(e.Value)
				sb.WriteString(",")
			}
			sb.WriteString(")")
		case *tenso.Sparse:
			fmt.Fprintf(&sb, "sparse(%s %v ", v.Format, v.Shape)
			for _, c := range []*tenso.Tensor{v.Data, v.Row, v.Col, v.Indices, v.Indptr} {
				if c != nil {
					walk(c)
				}
			}
			sb.WriteString(")")
		case *tenso.IPCRef:
			fmt.Fprintf(&sb, "ipc(%x %d %d %x)", v.Handle, v.Offset, v.NBytes, v.DeviceUUID)
		default:
			fmt.Fprintf(&sb, "%T", v)
		}
	}
	walk(v)
	return sb.String()
}
