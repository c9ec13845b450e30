//go:build wasip1

// Command scale is an example Tenso plugin: it multiplies a float32 tensor
// by a factor (2 by default; a bundle {"x": tensor, "factor": float32[1]}
// gives its own). Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o scale.wasm ./wasm/examples/scale
//
// and run it with package wasm/host.
package main

import (
	"encoding/binary"
	"errors"
	"math"
	"unsafe"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/wasm/plugin"
)

func main() {}

//go:wasmexport scale
func scale(ptr unsafe.Pointer, n uint32) uint64 {
	return plugin.Handle(ptr, n, func(v tenso.Value) (tenso.Value, error) {
		factor := float32(2)
		if b, ok := v.(*tenso.Bundle); ok {
			f, ok := b.Get("factor").(*tenso.Tensor)
			if !ok || f.DType != tenso.Float32 || len(f.Data) != 4 {
				return nil, errors.New("scale: bundle needs a float32[1] \"factor\"")
			}
			factor = math.Float32frombits(binary.LittleEndian.Uint32(f.Data))
			v = b.Get("x")
		}
		t, ok := v.(*tenso.Tensor)
		if !ok || t.DType != tenso.Float32 {
			return nil, errors.New("scale: input must be a float32 tensor")
		}
		out := &tenso.Tensor{DType: tenso.Float32, Shape: t.Shape, Data: make([]byte, len(t.Data))}
		for i := 0; i+4 <= len(t.Data); i += 4 {
			x := math.Float32frombits(binary.LittleEndian.Uint32(t.Data[i:]))
			binary.LittleEndian.PutUint32(out.Data[i:], math.Float32bits(x*factor))
		}
		return out, nil
	})
}
