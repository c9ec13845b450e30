//go:build wasip1

// Command loop is a test plugin whose handler never returns.
package main

import (
	"unsafe"

	_ "github.com/tenso-go/tenso/wasm/plugin"
)

func main() {}

var sink uint64

//go:wasmexport run
func run(ptr unsafe.Pointer, n uint32) uint64 {
	for i := uint64(0); ; i++ {
		sink += i
	}
}
