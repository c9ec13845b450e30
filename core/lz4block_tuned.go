//go:build wasm || tensolz4

package core

import "errors"

// On wasm the frame decoder uses decodeLZ4Block (lz4block.go), which
// accepts what pierrec's block decoder accepts with the same output,
// several times faster there. The tensolz4 tag selects it on other
// platforms too, to run the whole core suite on it:
//
//	go test -tags tensolz4 ./core
func uncompressLZ4Block(src, dst, dict []byte) (int, error) {
	if n := decodeLZ4Block(dst, src, dict); n >= 0 {
		return n, nil
	}
	return 0, errLZ4Block
}

var errLZ4Block = errors.New("lz4: invalid block")
