// Command floor is the start-up and size floor of the wasm module: an empty
// wasip1 reactor with one //go:wasmexport function, built as the Tenso
// module is (-buildmode=c-shared, -ldflags="-s -w", the same wasm-opt).
package main

//go:wasmexport floor_nop
func nop() int32 { return 0 }

func main() {}
