package tensohttp

import (
	"math/bits"
	"sync"

	"github.com/tenso-go/tenso/internal/sysio"
)

// Request bodies are read into 64-byte aligned buffers so that decoded
// tensor views are aligned for their element type. Buffers of the App are
// recycled per size class, so a server reading tensors of a
// steady size allocates nothing per request once warm.

const (
	minClassShift = 12 // 4 KiB
	maxClassShift = 30 // 1 GiB; larger bodies are not pooled
)

// pooledBuf is a recyclable aligned buffer.
type pooledBuf struct {
	b     []byte // full capacity
	class int    // index in classPoolsFine; 0: not pooled
}

// Size classes: four per power of two (c·2^(k-2) for c = 4..7, and 2^(k+1)),
// so a buffer is at most 25% larger than asked for.
const classesPerShift = 4

var classPoolsFine [(maxClassShift + 1) * classesPerShift]sync.Pool

// classOf returns the class index and size for n (n > 4 KiB).
func classOf(n int) (int, int) {
	shift := bits.Len(uint(n-1)) - 1 // 2^shift < n <= 2^(shift+1)
	step := 1 << (shift - 2)
	q := (n - 1 - 1<<shift) / step // 0..3
	return shift*classesPerShift + q, 1<<shift + (q+1)*step
}

// getBuf returns a buffer of at least n bytes.
func getBuf(n int) *pooledBuf {
	if n <= 1<<minClassShift {
		n = 1 << minClassShift
	}
	if n > 1<<maxClassShift {
		return &pooledBuf{b: sysio.AlignedBytes(n, n)}
	}
	class, size := classOf(n)
	if p, _ := classPoolsFine[class].Get().(*pooledBuf); p != nil {
		return p
	}
	return &pooledBuf{b: sysio.AlignedBytes(size, size), class: class}
}

// putBuf recycles p; p must not be used afterwards.
func putBuf(p *pooledBuf) {
	if p == nil || p.class == 0 {
		return
	}
	classPoolsFine[p.class].Put(p)
}
