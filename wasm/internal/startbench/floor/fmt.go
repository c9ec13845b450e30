//go:build floor_fmt

package main

import "fmt"

// floor_fmt makes the floor link fmt, as one formatted error message does
// (make wasm-size prints the floor's size with it).
//
//go:wasmexport floor_fmt
func withFmt(n int32) int32 { return int32(len(fmt.Sprintf("%d %s %v", n, "x", []int{int(n)}))) }
