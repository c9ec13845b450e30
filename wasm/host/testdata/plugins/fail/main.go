//go:build wasip1

// Command fail is a test plugin whose handler reports an error.
package main

import (
	"errors"
	"unsafe"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/wasm/plugin"
)

func main() {}

//go:wasmexport run
func run(ptr unsafe.Pointer, n uint32) uint64 {
	return plugin.Handle(ptr, n, func(tenso.Value) (tenso.Value, error) {
		return nil, errors.New("refusing on purpose")
	})
}
