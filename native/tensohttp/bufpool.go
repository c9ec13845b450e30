package tensohttp

import (
	"math/bits"
	"sync"
	"unsafe"
)

// Request bodies are read into 64-byte aligned buffers so that decoded
// tensor views are aligned for their element type. Buffers of the App are
// recycled per power-of-two size class, so a server reading tensors of a
// steady size allocates nothing per request once warm.

const (
	minClassShift = 12 // 4 KiB
	maxClassShift = 30 // 1 GiB; larger bodies are not pooled
)

var classPools [maxClassShift + 1]sync.Pool

// alignedBytes returns a zeroed slice of length n and capacity c (c >= n)
// whose first byte is 64-byte aligned.
func alignedBytes(n, c int) []byte {
	b := make([]byte, c+63)
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(b))) & 63)
	return b[off : off+n : off+c]
}

// pooledBuf is a recyclable aligned buffer.
type pooledBuf struct {
	b     []byte // full capacity
	class int    // 0: not pooled
}

// getBuf returns a buffer of at least n bytes.
func getBuf(n int) *pooledBuf {
	if n <= 0 {
		n = 1
	}
	shift := bits.Len(uint(n - 1))
	if shift < minClassShift {
		shift = minClassShift
	}
	if shift > maxClassShift {
		return &pooledBuf{b: alignedBytes(n, n)}
	}
	if p, _ := classPools[shift].Get().(*pooledBuf); p != nil {
		return p
	}
	c := 1 << shift
	return &pooledBuf{b: alignedBytes(c, c), class: shift}
}

// putBuf recycles p; p must not be used afterwards.
func putBuf(p *pooledBuf) {
	if p == nil || p.class == 0 {
		return
	}
	classPools[p.class].Put(p)
}
