//go:build wasip1

// Package plugin is the plugin side of the Tenso plugin ABI (see package
// wasm/host): a Go program built with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o p.wasm .
//
// imports it (which exports tenso_plugin_alloc and tenso_plugin_error) and
// exports one handler per operation:
//
//	//go:wasmexport scale
//	func scale(ptr, n uint32) uint64 {
//		return plugin.Handle(ptr, n, func(v tenso.Value) (tenso.Value, error) { … })
//	}
//
// Handle decodes the input packet (views into the plugin's memory, valid
// during the call), runs the function, encodes the result and returns its
// location to the host. Raw gives the packet bytes instead, for plugins that
// do their own decoding. Calls are single-threaded; the output stays valid
// until the next call.
package plugin

import (
	"unsafe"

	"github.com/tenso-go/tenso"
)

var (
	input  []byte
	output []byte
	errMsg []byte
)

//go:wasmexport tenso_plugin_alloc
func alloc(n uint32) unsafe.Pointer {
	if uint32(cap(input)) < n || input == nil {
		input = make([]byte, max(n, 64))
	}
	input = input[:n]
	return unsafe.Pointer(unsafe.SliceData(input[:cap(input)]))
}

//go:wasmexport tenso_plugin_error
func lastError() uint64 { return pack(errMsg) }

func pack(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))<<32 | uint64(len(b))
}

// Input returns the n-byte input packet at ptr, which the host wrote into
// the buffer tenso_plugin_alloc returned.
func Input(ptr unsafe.Pointer, n uint32) []byte {
	if n == 0 || ptr == nil {
		return nil
	}
	return unsafe.Slice((*byte)(ptr), n)
}

// Output hands packet to the host: the handler returns this value.
func Output(packet []byte) uint64 {
	output = packet
	errMsg = nil
	if len(packet) == 0 {
		return Fail(errEmpty)
	}
	return pack(output)
}

type pluginError string

func (e pluginError) Error() string { return string(e) }

const errEmpty = pluginError("tenso plugin: empty output packet")

// Fail records err for the host and returns the handler's error result (0).
func Fail(err error) uint64 {
	output = nil
	errMsg = []byte(err.Error())
	return 0
}

// Raw runs f on the raw input packet and returns its output packet.
func Raw(ptr unsafe.Pointer, n uint32, f func(packet []byte) ([]byte, error)) uint64 {
	out, err := f(Input(ptr, n))
	if err != nil {
		return Fail(err)
	}
	return Output(out)
}

// Handle decodes the input packet, runs f, and encodes its result with the
// default options (64-byte alignment, no footer, no compression).
func Handle(ptr unsafe.Pointer, n uint32, f func(tenso.Value) (tenso.Value, error)) uint64 {
	return HandleWith(ptr, n, tenso.Options{}, f)
}

// HandleWith is Handle with the encoding options o for the result.
func HandleWith(ptr unsafe.Pointer, n uint32, o tenso.Options, f func(tenso.Value) (tenso.Value, error)) uint64 {
	return Raw(ptr, n, func(p []byte) ([]byte, error) {
		v, err := tenso.Decode(p)
		if err != nil {
			return nil, err
		}
		out, err := f(v)
		if err != nil {
			return nil, err
		}
		return tenso.Encode(out, o)
	})
}
