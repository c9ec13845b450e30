package native_test

import (
	"fmt"
	"os"
	"path/filepath"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native"
)

func ExampleLoadFile() {
	dir, _ := os.MkdirTemp("", "tenso")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "x.tenso")

	x, _ := tenso.FromSlice([]int32{1, 2, 3, 4}, 2, 2)
	if _, err := native.DumpFile(path, x, native.DumpOptions{Sync: true}); err != nil {
		panic(err)
	}

	f, err := native.LoadFile(path) // mmap, zero-copy
	if err != nil {
		panic(err)
	}
	defer f.Close() // views die here
	t := f.Value().(*tenso.Tensor)
	v, _ := tenso.As[int32](t)
	fmt.Println(t.Shape, v, f.Mapped())
	// Output: [2 2] [1 2 3 4] true
}
