//go:build !wasm

package sysio

import (
	"io"
	"net"
)

// writevConn writes bufs to a net.Conn with one writev where the
// connection supports it (net.Buffers). ok is false for other writers.
func writevConn(w io.Writer, bufs [][]byte) (int64, bool, error) {
	if _, ok := w.(net.Conn); !ok {
		return 0, false, nil
	}
	// net.Buffers.WriteTo consumes (nils out) the slice it is given: hand
	// it a copy so that bufs stays the caller's.
	nb := make(net.Buffers, len(bufs))
	copy(nb, bufs)
	n, err := nb.WriteTo(w)
	return n, true, err
}
