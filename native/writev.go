package native

import (
	"io"
	"net"
	"os"
)

// WriteBuffers writes the concatenation of bufs to w and returns the number
// of bytes written. On an *os.File it uses writev(2) (in batches of at most
// 1024 buffers, retrying short writes), on a net.Conn net.Buffers (writev
// on TCP and Unix sockets), and otherwise one Write per buffer. bufs itself
// is not modified.
func WriteBuffers(w io.Writer, bufs [][]byte) (int64, error) {
	switch w := w.(type) {
	case *os.File:
		if n, ok, err := writevFile(w, bufs); ok {
			return n, err
		}
	case net.Conn:
		nb := make(net.Buffers, 0, len(bufs))
		for _, b := range bufs {
			if len(b) > 0 {
				nb = append(nb, b)
			}
		}
		return nb.WriteTo(w)
	}
	var n int64
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		m, err := w.Write(b)
		n += int64(m)
		if err != nil {
			return n, err
		}
		if m != len(b) {
			return n, io.ErrShortWrite
		}
	}
	return n, nil
}
