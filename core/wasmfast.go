package core

import (
	"math/bits"

	"github.com/zeebo/xxh3"
)

// DenseFrame describes a top-level dense packet the way Decode (default
// Limits) would decode it, without allocating: what ParseDenseFrame fills
// in. The WebAssembly module uses it for its allocation-free decode path
// (Go's garbage collector is expensive under wasm); anything it does not
// accept is left to Decode, which gives the value or the exact error.
type DenseFrame struct {
	DType      DType
	NDim       int
	Dims       [DefaultMaxDims]uint32
	BodyOffset int64 // where the body (or the compressed frame) starts
	DataSize   int64 // decoded body length in bytes
	Integrity  bool
	Compressed bool
}

// ParseDenseFrame parses the header of a top-level dense packet whose first
// bytes are p and whose full length is total (total ≥ len(p)). It reports
// true only when Decode, under the default Limits, accepts that header and,
// for an uncompressed body, when the body (and its footer) fit in total
// bytes. Any other packet (another kind, any error) gives false: nothing
// is reported, call Decode for the value or the error. Integrity footers
// and compressed bodies are checked by FinishDense.
func ParseDenseFrame(f *DenseFrame, p []byte, total int64) bool {
	if int64(len(p)) > total {
		return false
	}
	h, err := parseHeader(p, 0)
	if err != nil || h.kind != KindDense || !h.dtype.IsDense() {
		return false
	}
	at := h.size
	if h.ndim > DefaultMaxDims || len(p)-at < 4*h.ndim {
		return false
	}
	// The element count as readShape computes it (wrapping product, with
	// any overflow refused).
	n, overflow := uint64(1), false
	for i := 0; i < h.ndim; i++ {
		d := getU32(p[at+4*i:])
		f.Dims[i] = d
		hi, lo := bits.Mul64(n, uint64(d))
		overflow = overflow || hi != 0
		n = lo
	}
	if overflow || n > DefaultMaxElements {
		return false
	}
	at += 4 * h.ndim
	align := int64(1)
	switch {
	case h.flags&FlagCustAlign != 0:
		if at >= len(p) {
			return false
		}
		e := p[at]
		if e >= 32 || int64(1)<<e > DefaultMaxAlignment {
			return false
		}
		align, at = int64(1)<<e, at+1
	case h.flags&FlagAligned != 0:
		align = 64
	}
	f.DType, f.NDim = h.dtype, h.ndim
	f.BodyOffset = alignUp(int64(at), align)
	f.DataSize = int64(n) * int64(h.dtype.ItemSize())
	f.Integrity = h.flags&FlagIntegrity != 0
	f.Compressed = h.flags&FlagCompression != 0
	if f.Compressed {
		stop := total
		if f.Integrity {
			stop -= footerLen
		}
		return f.BodyOffset <= stop && f.DataSize/lz4MaxRatio <= stop-f.BodyOffset
	}
	end := f.BodyOffset + f.DataSize
	if f.Integrity {
		end += footerLen
	}
	return end <= total
}

// FinishDense completes the decode of the whole packet p that
// ParseDenseFrame(f, p, len(p)) accepted: it verifies the integrity footer
// and decompresses a compressed body into dst, which must hold exactly
// f.DataSize bytes (uncompressed bodies ignore dst: they are
// p[f.BodyOffset:][:f.DataSize]). It reports whether Decode would succeed
// with the same value; on false, call Decode for the error.
func FinishDense(f *DenseFrame, p, dst []byte) bool {
	B := f.BodyOffset
	if f.Compressed {
		stop := int64(len(p))
		if f.Integrity {
			stop -= footerLen
		}
		frame := p[B:stop]
		if f.Integrity && getU64(p[stop:]) != xxh3.Hash(frame) {
			return false
		}
		return int64(len(dst)) == f.DataSize && DecodeLZ4Frames(dst, frame, B) == nil
	}
	if f.Integrity {
		L := f.DataSize
		return getU64(p[B+L:]) == xxh3.Hash(p[B:B+L])
	}
	return true
}
