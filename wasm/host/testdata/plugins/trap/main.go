//go:build wasip1

// Command trap is a test plugin whose handler panics (a wasm trap/exit).
package main

import "unsafe"

func main() {}

//go:wasmexport run
func run(ptr unsafe.Pointer, n uint32) uint64 {
	var m map[string]int
	m["x"] = 1 // nil map write: panic
	return 0
}

//go:wasmexport tenso_plugin_alloc
func alloc(n uint32) unsafe.Pointer { b := make([]byte, n+1); keep = b; return unsafe.Pointer(&b[0]) }

//go:wasmexport tenso_plugin_error
func lastError() uint64 { return 0 }

var keep []byte
