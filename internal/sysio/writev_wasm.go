//go:build wasm

package sysio

import "io"

// On wasm there is no writev, and linking package net would add a third
// of the module's size: buffers are written one at a time.
func writevConn(io.Writer, [][]byte) (int64, bool, error) { return 0, false, nil }
