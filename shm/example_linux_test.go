//go:build linux

package shm_test

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/shm"
)

func ExampleCreateFrom() {
	x, _ := tenso.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	seg, err := shm.CreateFrom("", x, tenso.Options{}) // "psm_…", like Python
	if err != nil {
		panic(err)
	}
	defer seg.Unlink()
	defer seg.Close()

	// Another process: shm.Open(name), or in Python
	// TensoShm(name).get() / SharedMemory(name).
	r, _ := shm.Open(seg.Name())
	defer r.Close()
	v, _ := r.Get() // zero-copy view, valid until r.Close
	t := v.(*tenso.Tensor)
	f, _ := tenso.As[float32](t)
	fmt.Println(t.Shape, f)
	// Output: [2 3] [1 2 3 4 5 6]
}

func ExampleCache() {
	c, err := shm.CreateCache("", "16MB", shm.CacheOptions{})
	if err != nil {
		panic(err)
	}
	defer c.Unlink()
	defer c.Close()

	w, _ := tenso.FromSlice([]float32{0.5, -1, 2}, 3)
	_ = c.Put("weights", w, shm.PutOptions{TTL: time.Hour})

	// Any process attached with shm.OpenCache(c.Name(), …), or a Python
	// TensoCache(name=…, create=False), reads it.
	view, _ := c.Get("weights") // zero-copy
	f, _ := tenso.As[float32](view.Value.(*tenso.Tensor))
	fmt.Println(f, view.Valid())

	_ = c.Update("weights", must(tenso.FromSlice([]float32{1, 1, 1}, 3)), tenso.Options{})
	fmt.Println(view.Valid()) // the pool changed since the view was taken

	st, _ := c.Stats()
	fmt.Println(st.Entries, st.Hits, st.Misses)
	// Output:
	// [0.5 -1 2] true
	// false
	// 1 1 0
}

// The full life cycle of a named pool: open it or create it, close it,
// unlink it. Run twice in a row, or in two processes at once, it behaves
// the same and leaves nothing in /dev/shm.
func ExampleOpenOrCreateCache() {
	c, err := shm.OpenOrCreateCache("tenso_example_models", "16MB", shm.CacheOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Unlink() // then remove /dev/shm/tenso_example_models (omit it to keep the pool for later runs)
	defer c.Close()  // first unmap this handle (Close never unlinks)

	w, _ := tenso.FromSlice([]float32{0.5, -1, 2}, 3)
	if err := c.Put("w", w, shm.PutOptions{TTL: time.Hour}); err != nil {
		fmt.Println(err)
		return
	}

	// Another process (or a Python TensoCache(name=…, create=False))
	// attaches to the same pool.
	r, err := shm.OpenOrCreateCache("tenso_example_models", "16MB", shm.CacheOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	v, err := r.GetCopy("w") // a stable copy; Get for a zero-copy view
	if err != nil {
		fmt.Println(err)
		return
	}
	f, _ := tenso.As[float32](v.(*tenso.Tensor))
	fmt.Println(c.Created(), r.Created(), f)
	// Output: true false [0.5 -1 2]
}

// The examples that name their segments run twice in a row with the same
// output, and leave /dev/shm as they found it.
func TestExamplesTwice(t *testing.T) {
	before := shmEntries(t)
	for _, ex := range []struct {
		name string
		run  func()
	}{
		{"OpenOrCreateCache", ExampleOpenOrCreateCache},
		{"CreateFrom", ExampleCreateFrom},
		{"Cache", ExampleCache},
	} {
		first, second := capture(t, ex.run), capture(t, ex.run)
		if first != second {
			t.Errorf("Example%s: second run printed %q, first %q", ex.name, second, first)
		}
		if strings.Contains(first, "exists") {
			t.Errorf("Example%s: %s", ex.name, first)
		}
	}
	for name := range shmEntries(t) {
		if !before[name] && (strings.HasPrefix(name, "tenso_example") || strings.HasPrefix(name, "psm_")) {
			t.Errorf("/dev/shm/%s left behind", name)
			_ = shm.Unlink(name)
		}
	}
}

func shmEntries(t *testing.T) map[string]bool {
	t.Helper()
	es, err := os.ReadDir("/dev/shm")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, e := range es {
		m[e.Name()] = true
	}
	return m
}

// capture runs f and returns what it printed on stdout.
func capture(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	defer func() { os.Stdout = stdout }()
	f()
	w.Close()
	return <-done
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
