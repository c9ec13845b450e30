//go:build linux

package sysio

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

const iovMax = 1024

// writevFile writes bufs to an *os.File with writev(2). ok is false when w
// is not a file (the caller falls back).
func writevFile(w io.Writer, bufs [][]byte) (n int64, ok bool, err error) {
	f, isFile := w.(*os.File)
	if !isFile {
		return 0, false, nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	iov := make([]syscall.Iovec, 0, min(len(bufs), iovMax))
	for len(bufs) > 0 {
		iov = iov[:0]
		for _, b := range bufs {
			if len(iov) == iovMax {
				break
			}
			if len(b) == 0 {
				continue
			}
			v := syscall.Iovec{Base: &b[0]}
			v.SetLen(len(b))
			iov = append(iov, v)
		}
		if len(iov) == 0 {
			return n, true, nil
		}
		var wrote uintptr
		var errno syscall.Errno
		werr := rc.Write(func(fd uintptr) bool {
			wrote, _, errno = syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
			return errno != syscall.EAGAIN
		})
		if werr != nil {
			return n, true, werr
		}
		if errno != 0 {
			if errno == syscall.EINTR {
				continue
			}
			return n, true, &os.PathError{Op: "writev", Path: f.Name(), Err: errno}
		}
		n += int64(wrote)
		// Drop what was written.
		left := int64(wrote)
		for len(bufs) > 0 && left >= int64(len(bufs[0])) {
			left -= int64(len(bufs[0]))
			bufs = bufs[1:]
		}
		if len(bufs) > 0 && left > 0 {
			rest := make([][]byte, len(bufs))
			copy(rest, bufs)
			rest[0] = rest[0][left:]
			bufs = rest
		}
		if wrote == 0 {
			return n, true, io.ErrShortWrite
		}
	}
	return n, true, nil
}
