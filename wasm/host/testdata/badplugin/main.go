//go:build wasip1

// Command badplugin is a test plugin that misbehaves in every way a host
// must survive: trap panics, loop never returns, garbage is not a Tenso
// packet, outofrange points past memory, truncated is a cut packet,
// wrongsig has the wrong signature, fail reports an error; echo behaves.
package main

import (
	"errors"
	"unsafe"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/wasm/plugin"
)

func main() {}

var (
	keep []byte
	sink uint64
)

//go:wasmexport trap
func trap(ptr unsafe.Pointer, n uint32) uint64 {
	var m map[string]int
	m["x"] = 1 // nil map write: panic
	return 0
}

//go:wasmexport loop
func loop(ptr unsafe.Pointer, n uint32) uint64 {
	for i := uint64(0); ; i++ {
		sink += i
	}
}

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

//go:wasmexport fail
func fail(ptr unsafe.Pointer, n uint32) uint64 {
	return plugin.Handle(ptr, n, func(tenso.Value) (tenso.Value, error) {
		return nil, errors.New("refusing on purpose")
	})
}
