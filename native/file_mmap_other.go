//go:build !unix

package native

import (
	"errors"
	"os"
)

var errNoMmap = errors.New("file cannot be mapped")

func mmapFile(f *os.File, size int64) ([]byte, error) { return nil, errNoMmap }

func munmap(b []byte) error { return nil }
