//go:build wasip1

package main

import (
	"unsafe"

	tenso "github.com/tenso-go/tenso"
	"github.com/zeebo/xxh3"
)

// The dense encode path of hosts: the module writes the header (Go's one
// dense header writer, tenso.AppendDenseHeader) and hashes bodies; the host
// copies the body straight from its own buffer into the packet, so a dense
// body never travels through the module's memory unless it is hashed.

var (
	headerOut   []byte
	headerShape []int
)

// tenso_dense_header writes the header of an uncompressed dense packet of
// the given dtype and shape (ndim signed 64-bit little-endian dims at dims)
// with the options of tenso_encode (flags: integrity; compression is
// refused), the alignment an integer as a float64 (so that any alignment a
// host passes gets Encode's verdict and message, not a 32-bit wrap). The result is the body size in bytes (u64 LE) followed by
// the header bytes — everything Encode writes before the body. It returns
// rcError for a dtype or shape Encode refuses (with Encode's error: these
// are its first checks), and rcNeedFull when only the options are refused:
// Encode checks the body length first, so the host takes tenso_encode's
// path to get Encode's error.
//
//go:wasmexport tenso_dense_header
func tensoDenseHeader(dtype, ndim uint32, dims unsafe.Pointer, flags uint32, alignment float64) int32 {
	headerShape = headerShape[:0]
	if ndim > 0 {
		for _, d := range unsafe.Slice((*int64)(dims), ndim) {
			headerShape = append(headerShape, int(d))
		}
	}
	dt := tenso.DType(dtype)
	var err error
	if headerOut, err = tenso.AppendDenseHeader(headerOut[:0], dt, headerShape, tenso.Options{}); err != nil {
		return setError(err)
	}
	o := tenso.Options{Alignment: int(alignment), Integrity: flags&encIntegrity != 0, Compress: flags&encCompress != 0}
	size := uint64(dt.ItemSize())
	for _, d := range headerShape {
		size *= uint64(d)
	}
	out := append(headerOut[:0], byte(size), byte(size>>8), byte(size>>16), byte(size>>24),
		byte(size>>32), byte(size>>40), byte(size>>48), byte(size>>56))
	if out, err = tenso.AppendDenseHeader(out, dt, headerShape, o); err != nil {
		setError(err)
		return rcNeedFull
	}
	headerOut = out
	if cap(headerOut) > 64<<10 {
		defer func() { headerOut = nil }() // a header padded to a huge alignment is not kept
	}
	return setResult(out, out)
}

// tenso_xxh3 writes the XXH3-64 of the n bytes at p (the integrity footer
// of FORMAT.md) as 8 little-endian bytes at dst.
//
//go:wasmexport tenso_xxh3
func tensoXXH3(p unsafe.Pointer, n uint32, dst unsafe.Pointer) {
	h := xxh3.Hash(mem(p, n))
	out := unsafe.Slice((*byte)(dst), 8)
	for i := range out {
		out[i] = byte(h >> (8 * i))
	}
}

// tenso_encoded_len is tenso.EncodedLen of the value described at [p, p+n)
// (as for tenso_encode) with tenso_encode's options: the exact packet
// length, or -1 with the error in the state block.
//
//go:wasmexport tenso_encoded_len
func tensoEncodedLen(p unsafe.Pointer, n, flags, alignment uint32) float64 {
	r := newReader(mem(p, n))
	v, err := r.Value()
	if err != nil {
		setError(err)
		return -1
	}
	o := tenso.Options{Alignment: int(alignment), Integrity: flags&encIntegrity != 0, Compress: flags&encCompress != 0}
	l, err := tenso.EncodedLen(v, o)
	if err != nil {
		setError(err)
		return -1
	}
	setWords(nil)
	return float64(l)
}
