//go:build linux || darwin || openbsd

package native

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

const maxIovecs = 1024 // IOV_MAX on Linux and the BSDs

// writevFile writes bufs to f with writev(2). ok is false when f offers no
// raw descriptor (the caller then falls back to Write).
func writevFile(f *os.File, bufs [][]byte) (n int64, ok bool, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	// Work on a private list: a short write trims its first buffer.
	pending := make([][]byte, 0, len(bufs))
	for _, b := range bufs {
		if len(b) > 0 {
			pending = append(pending, b)
		}
	}
	for len(pending) > 0 {
		batch := pending[:min(len(pending), maxIovecs)]
		var wrote int
		var werr error
		if err := rc.Write(func(fd uintptr) bool {
			for {
				wrote, werr = unix.Writev(int(fd), batch)
				if werr != unix.EINTR {
					break
				}
			}
			return werr != unix.EAGAIN
		}); err != nil {
			return n, true, err
		}
		if werr != nil {
			return n, true, &os.PathError{Op: "writev", Path: f.Name(), Err: werr}
		}
		if wrote <= 0 {
			return n, true, io.ErrShortWrite
		}
		n += int64(wrote)
		for wrote > 0 {
			if wrote >= len(pending[0]) {
				wrote -= len(pending[0])
				pending = pending[1:]
				continue
			}
			pending[0] = pending[0][wrote:]
			wrote = 0
		}
	}
	return n, true, nil
}
