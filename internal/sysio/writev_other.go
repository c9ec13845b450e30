//go:build !linux

package sysio

import "io"

func writevFile(io.Writer, [][]byte) (int64, bool, error) { return 0, false, nil }
