// Package sysio holds the repository's one copy of each low-level I/O
// helper: vectored writes, 64-byte aligned buffers and the host byte
// order. It imports only the standard library, so every package of the
// repository may use it, the wire-format layer (core) included.
package sysio

import (
	"io"
	"unsafe"
)

// Align is the alignment of the buffers packets are read into: the
// format's default body alignment, so decoded bodies are aligned for
// every element type and zero-copy typed views apply.
const Align = 64

// AlignedBytes returns a zeroed slice of length n and capacity c (c ≥ n;
// a smaller c means n) whose first byte is Align-aligned.
func AlignedBytes(n, c int) []byte {
	c = max(c, n)
	b := make([]byte, c+Align-1)
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(b))) & (Align - 1))
	return b[off : off+n : off+c]
}

// AlignedCopy returns p unchanged when it starts Align-aligned (or is
// empty), and otherwise an aligned copy.
func AlignedCopy(p []byte) []byte {
	if IsAligned(p, Align) {
		return p
	}
	b := AlignedBytes(len(p), len(p))
	copy(b, p)
	return b
}

// IsAligned reports whether b's first byte lies at an address that is a
// multiple of alignment. Empty input and alignment 1 are aligned; an
// alignment that is not a positive power of two is not.
func IsAligned(b []byte, alignment int) bool {
	if alignment <= 0 || alignment&(alignment-1) != 0 {
		return false
	}
	if len(b) == 0 || alignment == 1 {
		return true
	}
	return uintptr(unsafe.Pointer(unsafe.SliceData(b)))&uintptr(alignment-1) == 0
}

// WriteBuffers writes bufs in order with as few system calls as w allows:
// writev(2) for an *os.File on Linux (in batches of IOV_MAX, retrying
// partial writes) and for a net.Conn (net.Buffers, except on wasm), a
// Write per buffer otherwise. bufs itself is not modified. A writer that
// reports a short write without an error gets io.ErrShortWrite.
func WriteBuffers(w io.Writer, bufs [][]byte) (int64, error) {
	if n, ok, err := writevFile(w, bufs); ok {
		return n, err
	}
	if n, ok, err := writevConn(w, bufs); ok {
		return n, err
	}
	var n int64
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		m, err := w.Write(b)
		n += int64(m)
		if err == nil && m < len(b) {
			err = io.ErrShortWrite // a writer that breaks the io.Writer contract
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
