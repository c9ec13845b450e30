//go:build wasip1 && tensotestpanic

package main

import "unsafe"

// tenso_test_panic panics with the n bytes at p as its message. It exists
// only in modules built with -tags tensotestpanic (wasm/host's tests, to
// check that a panic inside the module reaches the caller with its
// message); make wasm and the embedded module never have it.
//
//go:wasmexport tenso_test_panic
func tensoTestPanic(p unsafe.Pointer, n uint32) int32 {
	panic(string(mem(p, n)))
}
