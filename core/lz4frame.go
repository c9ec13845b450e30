package core

// The standard LZ4 frame format (FORMAT.md §6), built directly on the block
// API of github.com/pierrec/lz4/v4. pierrec's own frame Reader and Writer are
// streaming, buffer every block and copy it again; here a whole body is in
// memory on both sides, so blocks are compressed straight into the caller's
// buffer and decompressed straight into the exactly-sized output buffer,
// using the preceding output as the dictionary for linked blocks.

import (
	"math/bits"
	"slices"
	"strconv"
	"sync"

	"github.com/pierrec/lz4/v4"
)

const (
	lz4FrameMagic     = 0x184D2204 // bytes 04 22 4D 18
	lz4SkippableMagic = 0x184D2A50 // low nibble free: 0x184D2A50..0x184D2A5F
	lz4SkippableMask  = 0xFFFFFFF0

	// FLG bits.
	lz4FlagVersionMask    = 0xC0
	lz4FlagVersion1       = 0x40
	lz4FlagIndependent    = 0x20
	lz4FlagBlockChecksum  = 0x10
	lz4FlagContentSize    = 0x08
	lz4FlagContentSum     = 0x04
	lz4FlagReserved       = 0x02
	lz4FlagDictID         = 0x01
	lz4BDReservedMask     = 0x8F
	lz4BlockUncompressed  = 1 << 31
	lz4BlockSizeMask      = 1<<31 - 1
	lz4LinkedWindow       = 64 << 10 // how far back a linked block may reach
	lz4WriteBlockSize     = 64 << 10 // blocks written by appendLZ4Frame
	lz4WriteFLG           = lz4FlagVersion1 | lz4FlagIndependent | lz4FlagContentSize
	lz4WriteBD            = 4 << 4 // 64 KiB
	lz4WriteHeaderLen     = 4 + 2 + 8 + 1
	lz4EndMarkLen         = 4
	lz4MinFrameHeaderLen  = 4 + 2 + 1
	lz4SkippableHeaderLen = 8
)

// lz4CompressorPool holds *lz4.Compressor values (each carries a 128 KiB hash
// table and is not safe for concurrent use).
var lz4CompressorPool = sync.Pool{New: func() any { return new(lz4.Compressor) }}

// lz4FrameBound is the largest frame appendLZ4Frame can produce for n input
// bytes: the 15-byte header, a 4-byte size word per 64 KiB block, the data
// (a block that does not shrink is stored as is) and the 4-byte end mark.
// n must not be negative.
func lz4FrameBound(n int) int {
	blocks := n / lz4WriteBlockSize
	if n%lz4WriteBlockSize != 0 {
		blocks++
	}
	return lz4WriteHeaderLen + n + 4*blocks + lz4EndMarkLen
}

// appendLZ4Frame appends one standard LZ4 frame holding src to dst: FLG 0x68
// (version 01, independent blocks, content size present, no checksums), BD
// 0x40 (64 KiB blocks), the 8-byte content size, the header checksum byte,
// the blocks (a block that does not shrink is stored raw with bit 31 of its
// size word set) and the end mark. It allocates only when dst has less than
// lz4FrameBound(len(src)) bytes of spare capacity. It is safe for concurrent
// use.
func appendLZ4Frame(dst, src []byte) []byte {
	bound := lz4FrameBound(len(src))
	dst = slices.Grow(dst, bound)
	start := len(dst)
	buf := dst[start : start+bound]

	putU32(buf[0:], lz4FrameMagic)
	buf[4] = lz4WriteFLG
	buf[5] = lz4WriteBD
	putU64(buf[6:], uint64(len(src)))
	buf[14] = lz4HeaderChecksum(buf[4:14])
	p := lz4WriteHeaderLen

	if len(src) > 0 {
		c := lz4CompressorPool.Get().(*lz4.Compressor)
		for off := 0; off < len(src); off += lz4WriteBlockSize {
			chunk := src[off:min(off+lz4WriteBlockSize, len(src))]
			// Offer the compressor one byte less than the chunk: it gives up
			// (n == 0 or an error) as soon as the block would not shrink, and
			// then the chunk is stored raw.
			n := 0
			if len(chunk) > 1 {
				n, _ = c.CompressBlock(chunk, buf[p+4:p+4+len(chunk)-1])
			}
			if n > 0 && n < len(chunk) {
				putU32(buf[p:], uint32(n))
				p += 4 + n
			} else {
				putU32(buf[p:], uint32(len(chunk))|lz4BlockUncompressed)
				p += 4 + copy(buf[p+4:], chunk)
			}
		}
		lz4CompressorPool.Put(c)
	}
	putU32(buf[p:], 0) // end mark
	p += lz4EndMarkLen
	return dst[:start+p]
}

// lz4Header is a parsed LZ4 frame header.
type lz4Header struct {
	flg         byte
	blockMax    int
	contentSize uint64 // valid when flg&lz4FlagContentSize != 0
	end         int    // offset of the first block size word
}

// parseLZ4Header validates the frame header that starts at src[pos] (the
// magic has already been checked) and returns it.
func parseLZ4Header(src []byte, pos int, base int64) (lz4Header, error) {
	var h lz4Header
	p := pos + 4
	if len(src)-p < 2 {
		return h, ferr(ErrCorrupt, base+int64(p), "lz4 frame descriptor",
			"truncated: the LZ4 frame descriptor needs at least 3 bytes, %d remain", len(src)-p)
	}
	flg, bd := src[p], src[p+1]
	if flg&lz4FlagVersionMask != lz4FlagVersion1 {
		return h, ferr(ErrCorrupt, base+int64(p), "lz4 frame FLG",
			"LZ4 frame version %d, want 1 (FLG 0x%02x)", flg>>6, flg)
	}
	if flg&lz4FlagReserved != 0 {
		return h, ferr(ErrCorrupt, base+int64(p), "lz4 frame FLG",
			"LZ4 frame FLG 0x%02x has the reserved bit 1 set", flg)
	}
	if flg&lz4FlagDictID != 0 {
		return h, ferr(ErrUnsupported, base+int64(p), "lz4 frame FLG",
			"LZ4 frame needs a dictionary (FLG 0x%02x has the dictionary ID bit set); dictionaries are not supported", flg)
	}
	if bd&lz4BDReservedMask != 0 {
		return h, ferr(ErrCorrupt, base+int64(p+1), "lz4 frame BD",
			"LZ4 frame BD 0x%02x has reserved bits set", bd)
	}
	code := int(bd>>4) & 7
	if code < 4 {
		return h, ferr(ErrCorrupt, base+int64(p+1), "lz4 frame BD",
			"LZ4 frame BD 0x%02x: block maximum size code %d is undefined (want 4..7)", bd, code)
	}
	descLen := 2
	if flg&lz4FlagContentSize != 0 {
		descLen += 8
	}
	if len(src)-p < descLen+1 {
		return h, ferr(ErrCorrupt, base+int64(p), "lz4 frame descriptor",
			"truncated: the LZ4 frame descriptor needs %d bytes, %d remain", descLen+1, len(src)-p)
	}
	if got, want := src[p+descLen], lz4HeaderChecksum(src[p:p+descLen]); got != want {
		return h, ferr(ErrCorrupt, base+int64(p+descLen), "lz4 frame header checksum",
			"LZ4 frame header checksum 0x%02x, computed 0x%02x", got, want)
	}
	if flg&lz4FlagContentSize != 0 {
		h.contentSize = getU64(src[p+2:])
	}
	h.flg = flg
	h.blockMax = 1 << (8 + 2*code)
	h.end = p + descLen + 1
	return h, nil
}

// lz4BlockField names a field of block i, e.g. "lz4 block 3 size". It is only
// called on error paths.
func lz4BlockField(i int, what string) string {
	return "lz4 block " + strconv.Itoa(i) + " " + what
}

// decodeLZ4Frames decompresses the LZ4 data in src into dst, which must come
// out exactly full. src holds one or more LZ4 frames, possibly mixed with
// skippable frames, optionally followed by zero bytes; at least one LZ4 frame
// is required. Linked and independent blocks, every block maximum size,
// content sizes, block checksums and content checksums (verified) are
// accepted; a frame needing a dictionary is ErrUnsupported. Output never
// goes past len(dst): decoding stops with ErrCorrupt as soon as it would,
// and less output is ErrCorrupt too. A declared content size is checked but
// never used to allocate; decodeLZ4Frames does not allocate at all unless it
// returns an error. base is the offset of src within the top-level packet;
// every error is a *FormatError whose Offset is base plus the position of the
// bad field in src. On error the contents of dst are unspecified.
func decodeLZ4Frames(dst, src []byte, base int64) error {
	out, pos, frames := 0, 0, 0
	for pos < len(src) {
		if src[pos] == 0 {
			// No magic starts with a zero byte: this is the zero tail that
			// python-lz4 tolerates. Nothing else may follow.
			for i := pos; i < len(src); i++ {
				if src[i] != 0 {
					return ferr(ErrCorrupt, base+int64(i), "lz4 trailing bytes",
						"non-zero byte 0x%02x after the last LZ4 frame (only zero bytes may follow it)", src[i])
				}
			}
			break
		}
		if len(src)-pos < 4 {
			return ferr(ErrCorrupt, base+int64(pos), "lz4 frame magic",
				"%d stray bytes after the last LZ4 frame (truncated frame magic?)", len(src)-pos)
		}
		magic := getU32(src[pos:])
		switch {
		case magic == lz4FrameMagic:
			var err error
			out, pos, err = decodeLZ4Frame(dst, out, src, pos, base)
			if err != nil {
				return err
			}
			frames++
		case magic&lz4SkippableMask == lz4SkippableMagic:
			if len(src)-pos < lz4SkippableHeaderLen {
				return ferr(ErrCorrupt, base+int64(pos+4), "lz4 skippable frame size",
					"truncated: skippable LZ4 frame without its size word")
			}
			n := getU32(src[pos+4:])
			if uint64(n) > uint64(len(src)-pos-lz4SkippableHeaderLen) {
				return ferr(ErrCorrupt, base+int64(pos+4), "lz4 skippable frame size",
					"skippable LZ4 frame of %d bytes, but only %d bytes remain", n, len(src)-pos-lz4SkippableHeaderLen)
			}
			pos += lz4SkippableHeaderLen + int(n)
		default:
			return ferr(ErrCorrupt, base+int64(pos), "lz4 frame magic",
				"bad LZ4 frame magic 0x%08x (want 0x%08x, or a skippable frame 0x184d2a50..0x184d2a5f)", magic, uint32(lz4FrameMagic))
		}
	}
	if frames == 0 {
		return ferr(ErrCorrupt, base, "lz4 frame magic", "no LZ4 frame in the compressed body")
	}
	if out != len(dst) {
		return ferr(ErrCorrupt, base+int64(len(src)), "lz4 content",
			"LZ4 data decompresses to %d bytes, want %d", out, len(dst))
	}
	return nil
}

// decodeLZ4Frame decodes the LZ4 frame at src[pos] into dst[out:] and returns
// the new output and input positions.
func decodeLZ4Frame(dst []byte, out int, src []byte, pos int, base int64) (int, int, error) {
	h, err := parseLZ4Header(src, pos, base)
	if err != nil {
		return out, pos, err
	}
	hasSize := h.flg&lz4FlagContentSize != 0
	if hasSize && h.contentSize > uint64(len(dst)-out) {
		return out, pos, ferr(ErrCorrupt, base+int64(pos+6), "lz4 frame content size",
			"LZ4 frame declares %d content bytes, but only %d of the expected %d bytes remain",
			h.contentSize, len(dst)-out, len(dst))
	}
	independent := h.flg&lz4FlagIndependent != 0
	blockSum := h.flg&lz4FlagBlockChecksum != 0
	frameStart := out
	p := h.end
	for i := 0; ; i++ {
		if len(src)-p < 4 {
			return out, pos, ferr(ErrCorrupt, base+int64(p), lz4BlockField(i, "size"),
				"truncated: LZ4 block size word or end mark missing")
		}
		word := getU32(src[p:])
		if word == 0 {
			p += 4
			break
		}
		n := int(word & lz4BlockSizeMask)
		if n > h.blockMax {
			return out, pos, ferr(ErrCorrupt, base+int64(p), lz4BlockField(i, "size"),
				"LZ4 block of %d bytes exceeds the frame's block maximum of %d", n, h.blockMax)
		}
		p += 4
		if n > len(src)-p {
			return out, pos, ferr(ErrCorrupt, base+int64(p), lz4BlockField(i, "data"),
				"truncated: LZ4 block of %d bytes, %d remain", n, len(src)-p)
		}
		data := src[p : p+n]
		p += n
		if blockSum {
			if len(src)-p < 4 {
				return out, pos, ferr(ErrCorrupt, base+int64(p), lz4BlockField(i, "checksum"),
					"truncated: LZ4 block checksum missing")
			}
			if got, want := getU32(src[p:]), xxh32(data, 0); got != want {
				return out, pos, ferr(ErrCorrupt, base+int64(p), lz4BlockField(i, "checksum"),
					"LZ4 block checksum 0x%08x, computed 0x%08x", got, want)
			}
			p += 4
		}
		if word&lz4BlockUncompressed != 0 {
			if n > len(dst)-out {
				return out, pos, ferr(ErrCorrupt, base+int64(p-n), lz4BlockField(i, "data"),
					"LZ4 output would exceed the expected %d bytes", len(dst))
			}
			out += copy(dst[out:], data)
			continue
		}
		// A block decodes to at most blockMax bytes and never past len(dst).
		lim := len(dst)
		if lim-out > h.blockMax {
			lim = out + h.blockMax
		}
		var k int
		var derr error
		if independent || out == frameStart {
			k, derr = lz4.UncompressBlock(data, dst[out:lim])
		} else {
			// Linked blocks: the frame's output up to 64 KiB back is the
			// dictionary. It lies right before dst[out:], so no copy.
			d := max(out-lz4LinkedWindow, frameStart)
			k, derr = lz4.UncompressBlockWithDict(data, dst[out:lim], dst[d:out])
		}
		if derr != nil {
			if lim-out < h.blockMax {
				return out, pos, ferr(ErrCorrupt, base+int64(p-n), lz4BlockField(i, "data"),
					"LZ4 block data is corrupt or decompresses past the expected %d bytes (%d remained)", len(dst), lim-out)
			}
			return out, pos, ferr(ErrCorrupt, base+int64(p-n), lz4BlockField(i, "data"),
				"LZ4 block data is corrupt or decompresses to more than the block maximum of %d bytes", h.blockMax)
		}
		out += k
	}
	if hasSize && uint64(out-frameStart) != h.contentSize {
		return out, pos, ferr(ErrCorrupt, base+int64(pos+6), "lz4 frame content size",
			"LZ4 frame decompresses to %d bytes, its header declares %d", out-frameStart, h.contentSize)
	}
	if h.flg&lz4FlagContentSum != 0 {
		if len(src)-p < 4 {
			return out, pos, ferr(ErrCorrupt, base+int64(p), "lz4 content checksum",
				"truncated: LZ4 content checksum missing")
		}
		if got, want := getU32(src[p:]), xxh32(dst[frameStart:out], 0); got != want {
			return out, pos, ferr(ErrCorrupt, base+int64(p), "lz4 content checksum",
				"LZ4 content checksum 0x%08x, computed 0x%08x", got, want)
		}
		p += 4
	}
	return out, p, nil
}

// lz4FrameLen returns the length of the single LZ4 frame that starts at b[0]
// — header, blocks (with their checksums, if any), end mark and content
// checksum, if any — without decompressing anything and without reading past
// len(b). Header fields and block sizes are validated as by decodeLZ4Frames;
// checksums are not verified. It does not allocate unless it returns an
// error. base is the offset of b within the top-level packet, for errors.
func lz4FrameLen(b []byte, base int64) (int, error) {
	if len(b) < 4 {
		return 0, ferr(ErrCorrupt, base, "lz4 frame magic",
			"truncated: the LZ4 frame magic needs 4 bytes, %d present", len(b))
	}
	if magic := getU32(b); magic != lz4FrameMagic {
		return 0, ferr(ErrCorrupt, base, "lz4 frame magic",
			"bad LZ4 frame magic 0x%08x, want 0x%08x", magic, uint32(lz4FrameMagic))
	}
	h, err := parseLZ4Header(b, 0, base)
	if err != nil {
		return 0, err
	}
	extra := 0
	if h.flg&lz4FlagBlockChecksum != 0 {
		extra = 4
	}
	p := h.end
	for i := 0; ; i++ {
		if len(b)-p < 4 {
			return 0, ferr(ErrCorrupt, base+int64(p), lz4BlockField(i, "size"),
				"truncated: LZ4 block size word or end mark missing")
		}
		word := getU32(b[p:])
		p += 4
		if word == 0 {
			break
		}
		n := int(word & lz4BlockSizeMask)
		if n > h.blockMax {
			return 0, ferr(ErrCorrupt, base+int64(p-4), lz4BlockField(i, "size"),
				"LZ4 block of %d bytes exceeds the frame's block maximum of %d", n, h.blockMax)
		}
		if n+extra > len(b)-p {
			return 0, ferr(ErrCorrupt, base+int64(p), lz4BlockField(i, "data"),
				"truncated: LZ4 block of %d bytes, %d remain", n+extra, len(b)-p)
		}
		p += n + extra
	}
	if h.flg&lz4FlagContentSum != 0 {
		if len(b)-p < 4 {
			return 0, ferr(ErrCorrupt, base+int64(p), "lz4 content checksum",
				"truncated: LZ4 content checksum missing")
		}
		p += 4
	}
	return p, nil
}

// lz4HeaderChecksum is the frame descriptor checksum: the second byte of the
// XXH32 (seed 0) of the descriptor from FLG up to, excluding, the checksum.
func lz4HeaderChecksum(desc []byte) byte { return byte(xxh32(desc, 0) >> 8) }

// XXH32 (xxHash 32-bit), used by the LZ4 frame format for the header,
// block and content checksums.
const (
	xxh32Prime1 uint32 = 2654435761
	xxh32Prime2 uint32 = 2246822519
	xxh32Prime3 uint32 = 3266489917
	xxh32Prime4 uint32 = 668265263
	xxh32Prime5 uint32 = 374761393
)

func xxh32Round(acc, lane uint32) uint32 {
	return bits.RotateLeft32(acc+lane*xxh32Prime2, 13) * xxh32Prime1
}

// xxh32 returns the XXH32 hash of b with the given seed.
func xxh32(b []byte, seed uint32) uint32 {
	n := uint32(len(b)) // the length enters the hash modulo 2^32
	var h uint32
	if len(b) >= 16 {
		v1 := seed + xxh32Prime1 + xxh32Prime2
		v2 := seed + xxh32Prime2
		v3 := seed
		v4 := seed - xxh32Prime1
		for len(b) >= 16 {
			v1 = xxh32Round(v1, getU32(b[0:4]))
			v2 = xxh32Round(v2, getU32(b[4:8]))
			v3 = xxh32Round(v3, getU32(b[8:12]))
			v4 = xxh32Round(v4, getU32(b[12:16]))
			b = b[16:]
		}
		h = bits.RotateLeft32(v1, 1) + bits.RotateLeft32(v2, 7) +
			bits.RotateLeft32(v3, 12) + bits.RotateLeft32(v4, 18)
	} else {
		h = seed + xxh32Prime5
	}
	h += n
	for ; len(b) >= 4; b = b[4:] {
		h += getU32(b) * xxh32Prime3
		h = bits.RotateLeft32(h, 17) * xxh32Prime4
	}
	for _, c := range b {
		h += uint32(c) * xxh32Prime5
		h = bits.RotateLeft32(h, 11) * xxh32Prime1
	}
	h ^= h >> 15
	h *= xxh32Prime2
	h ^= h >> 13
	h *= xxh32Prime3
	h ^= h >> 16
	return h
}
