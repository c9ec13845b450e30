//go:build unix

package native

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

var errNoMmap = errors.New("file cannot be mapped")

// mmapFile maps size bytes of f read-only and shared. File systems that
// cannot map give errNoMmap (the caller reads the file instead).
func mmapFile(f *os.File, size int64) ([]byte, error) {
	if int64(int(size)) != size {
		return nil, errNoMmap
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err == unix.ENODEV || err == unix.EACCES || err == unix.EINVAL || err == unix.EPERM {
		return nil, errNoMmap
	}
	return b, err
}

func munmap(b []byte) error { return unix.Munmap(b) }
