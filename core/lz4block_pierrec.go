//go:build !wasm && !tensolz4

package core

import "github.com/pierrec/lz4/v4"

// uncompressLZ4Block decodes one LZ4 block into dst with pierrec's decoder
// (assembly on amd64, arm and arm64); dict is the preceding output of a
// linked frame, or nil.
func uncompressLZ4Block(src, dst, dict []byte) (int, error) {
	return lz4.UncompressBlockWithDict(src, dst, dict)
}
