package host

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/wasm/internal/layout"
	"github.com/tetratelabs/wazero/api"
)

// The layout words and their codec are in wasm/internal/layout, shared with
// the module. Here: how refs map to the caller's packet and the module's
// memory.

var errBadLayout = errors.New("tenso: wasm module returned a malformed layout")

// maxReadDepth bounds the nesting of a decoded value's description: the
// decoder's 64 container levels, a ragged or sparse value's inner nodes
// below the deepest, and a margin.
const maxReadDepth = 70

// readLayout builds the value the module described in words: src 0 ranges
// are views into the caller's packet, src 1 ranges are copied out of the
// module's memory.
func readLayout(words, packet []byte, mem api.Memory) (tenso.Value, error) {
	r := layout.Reader{Words: words, MaxDepth: maxReadDepth, Ref: func(src, off, n uint32) ([]byte, error) {
		switch src {
		case layout.SrcInput:
			if uint64(off)+uint64(n) <= uint64(len(packet)) {
				return packet[off : off+n : off+n], nil
			}
		case layout.SrcWasm:
			if b, ok := readMemory(mem, off, n); ok {
				return b, nil
			}
		}
		return nil, errBadLayout
	}}
	v, err := r.Value()
	if err != nil {
		if errors.Is(err, errBadLayout) {
			return nil, err
		}
		return nil, fmt.Errorf("%w (%v)", errBadLayout, err)
	}
	return v, nil
}

// layoutBuilder writes a value description whose refs (src 0) are offsets
// into the same region, after the words.
type layoutBuilder struct {
	w     layout.Writer
	blobs []blob
}

type blob struct {
	at int // word index of the ref
	b  []byte
}

func (b *layoutBuilder) value(v tenso.Value, depth int) error {
	b.w.Ref = func(p []byte) (uint32, uint32) {
		b.blobs = append(b.blobs, blob{len(b.w.Words), p})
		return layout.SrcInput, 0 // the offset is set by region
	}
	return b.w.Value(v, depth)
}

// region lays out the words, then each blob at an 8-aligned offset.
func (b *layoutBuilder) region() []byte {
	words := b.w.Words
	size := 4 * len(words)
	for _, bl := range b.blobs {
		size = (size + 7) &^ 7
		words[bl.at+1] = uint32(size)
		size += len(bl.b)
	}
	out := make([]byte, size)
	for i, w := range words {
		binary.LittleEndian.PutUint32(out[4*i:], w)
	}
	for _, bl := range b.blobs {
		copy(out[words[bl.at+1]:], bl.b)
	}
	return out
}
