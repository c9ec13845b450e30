//go:build linux

package shm_test

import (
	"fmt"
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

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
