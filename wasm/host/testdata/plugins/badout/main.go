//go:build wasip1

// Command badout is a test plugin returning bad output: "garbage" is not a
// Tenso packet, "outofrange" points past memory, "truncated" is a cut
// packet, "hugeerr" reports an error whose message is out of range.
package main

import (
	"unsafe"

	"github.com/tenso-go/tenso/wasm/plugin"
)

func main() {}

var keep []byte

//go:wasmexport garbage
func garbage(ptr unsafe.Pointer, n uint32) uint64 {
	return plugin.Output([]byte("this is not a tenso packet at all"))
}

//go:wasmexport outofrange
func outofrange(ptr unsafe.Pointer, n uint32) uint64 { return 0xfffff000<<32 | 0x100000 }

//go:wasmexport truncated
func truncated(ptr unsafe.Pointer, n uint32) uint64 {
	in := plugin.Input(ptr, n)
	keep = append([]byte(nil), in[:len(in)-3]...)
	return plugin.Output(keep)
}

//go:wasmexport wrongsig
func wrongsig(ptr unsafe.Pointer) uint32 { return 0 }

//go:wasmexport echo
func echo(ptr unsafe.Pointer, n uint32) uint64 {
	keep = append([]byte(nil), plugin.Input(ptr, n)...)
	return plugin.Output(keep)
}
