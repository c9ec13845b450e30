//go:build wasip1

package main

import (
	"unsafe"

	"github.com/tenso-go/tenso/wasm/internal/layout"
)

// The layout words and their codec are in wasm/internal/layout, shared with
// the wazero host. Here: how refs map to the module's memory.

// kept holds the byte ranges a result's src-1 refs point to that nothing
// else keeps reachable (copies the writer made), until the next result.
var kept [][]byte

// newWriter returns a layout writer for a result about the input packet
// [base, base+n): ranges inside it become src 0 offsets, others src 1
// addresses in the module's memory.
func newWriter(words []uint32, base, n uintptr) layout.Writer {
	clear(kept)
	kept = kept[:0]
	return layout.Writer{Words: words, Ref: func(b []byte) (uint32, uint32) {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		if p >= base && p-base+uintptr(len(b)) <= n {
			return layout.SrcInput, uint32(p - base)
		}
		kept = append(kept, b)
		return layout.SrcWasm, uint32(p)
	}}
}

// newReader reads the value described at the start of buf, whose src 0
// refs are offsets into buf.
func newReader(buf []byte) layout.Reader {
	return layout.Reader{Words: buf, Ref: func(src, off, n uint32) ([]byte, error) {
		if src != layout.SrcInput || uint64(off)+uint64(n) > uint64(len(buf)) {
			return nil, layout.ErrMalformed
		}
		return buf[off : off+n : off+n], nil
	}}
}

// wordBytes views words as their little-endian bytes (wasm is little-endian).
func wordBytes(w []uint32) []byte {
	if len(w) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), 4*len(w))
}
