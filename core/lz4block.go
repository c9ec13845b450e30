package core

import "encoding/binary"

// decodeLZ4Block decodes the LZ4 block src into dst and returns the number
// of bytes written, or -1 for bad data. dict is the output that precedes
// dst (linked blocks), possibly empty. It accepts and rejects exactly what
// github.com/pierrec/lz4/v4's UncompressBlockWithDict does, with the same
// output: the frame decoder uses it on wasm (lz4block_wasm.go), where
// pierrec runs its portable decoder, whose 16-byte copies and doubling
// match copies each become a call to runtime.memmove (memory.copy): the
// Go compiler inlines small constant copies on amd64 but not on wasm.
// Here 16-byte copies and short overlapping matches are 8-byte loads and
// stores (one i64.load/i64.store each on wasm); other copies call copy,
// which beats a Go loop under wasm from about 16 bytes on. It is compiled everywhere so
// that its tests and fuzz target compare it with pierrec natively.
//
// It never writes outside dst[:len(dst)] and never panics. Like pierrec's,
// it may write bytes past the end of a match or a literal run that the
// following output overwrites; on error dst's contents are unspecified.
func decodeLZ4Block(dst, src, dict []byte) int {
	const bad = -1
	if len(src) == 0 {
		return 0 // as pierrec: an empty block is no output, not an error
	}
	nd, ns := uint(len(dst)), uint(len(src))
	var si, di uint
	for si < ns {
		tok := uint(src[si])
		si++

		// Literals.
		if lLen := tok >> 4; lLen > 0 {
			if lLen == 0xF {
				for {
					if si >= ns {
						return bad
					}
					x := uint(src[si])
					if lLen += x; int(lLen) < 0 {
						return bad
					}
					si++
					if x != 0xFF {
						break
					}
				}
			}
			if lLen <= 16 && si+16 < ns {
				// pierrec copies 16 bytes here whatever lLen is, and fails
				// when they do not fit in dst; so do we.
				if di+16 > nd {
					return bad
				}
				// 16 bytes as two 8-byte loads and stores, written out:
				// a call costs more than the copy under wasm.
				d, s := dst[di:di+16:di+16], src[si:si+16:si+16]
				a, b := binary.LittleEndian.Uint64(s), binary.LittleEndian.Uint64(s[8:])
				binary.LittleEndian.PutUint64(d, a)
				binary.LittleEndian.PutUint64(d[8:], b)
			} else {
				if lLen > nd-di || lLen > ns-si {
					return bad
				}
				copy(dst[di:di+lLen], src[si:si+lLen])
			}
			si += lLen
			di += lLen
		}

		// Match.
		mLen := tok & 0xF
		if si == ns && mLen == 0 {
			break
		} else if si >= ns {
			return bad
		}
		mLen += 4
		if ns-si < 2 {
			return bad
		}
		offset := uint(src[si]) | uint(src[si+1])<<8
		if offset == 0 {
			return bad
		}
		si += 2

		if mLen <= 16 {
			if mLen <= offset && offset < di && di+16 <= nd {
				// Non-overlapping for the mLen bytes that count; the 16
				// bytes are loaded before they are stored (memmove
				// semantics, as pierrec's copy).
				i := di - offset
				d, s := dst[di:di+16:di+16], dst[i:i+16:i+16]
				a, b := binary.LittleEndian.Uint64(s), binary.LittleEndian.Uint64(s[8:])
				binary.LittleEndian.PutUint64(d, a)
				binary.LittleEndian.PutUint64(d[8:], b)
				di += mLen
				continue
			}
		} else if mLen >= 15+4 {
			for {
				if si >= ns {
					return bad
				}
				x := uint(src[si])
				if mLen += x; int(mLen) < 0 {
					return bad
				}
				si++
				if x != 0xFF {
					break
				}
			}
		}
		if mLen > nd-di {
			return bad
		}
		if di < offset {
			// The match starts in the dictionary.
			back := offset - di
			if back > uint(len(dict)) {
				return bad
			}
			n := uint(copy(dst[di:di+mLen], dict[uint(len(dict))-back:]))
			di += n
			if mLen -= n; mLen == 0 {
				continue
			}
			// Now di == offset: the rest copies from dst[0:].
		}
		if offset >= mLen {
			copy(dst[di:di+mLen], dst[di-offset:di-offset+mLen])
		} else {
			matchCopy(dst, di, di-offset, mLen)
		}
		di += mLen
	}
	return int(di)
}

// matchCopy copies n bytes from dst[s:] to dst[d:] front to back as LZ4
// defines it (a source that overlaps the destination repeats its first
// d-s bytes). s < d and d+n <= len(dst).
func matchCopy(dst []byte, d, s, n uint) {
	if d-s >= n {
		// Not overlapping: one copy (memory.copy on wasm, cheaper than
		// a Go loop from about 16 bytes on).
		copy(dst[d:d+n], dst[s:s+n])
		return
	}
	if n > 64 {
		// dst[s:d] is a whole number of periods of the output; copying
		// it (without overlap) right after itself keeps that true, so the
		// copies double: about log2(n/(d-s)) of them.
		for n > 0 {
			c := min(d-s, n)
			copy(dst[d:d+c], dst[s:s+c])
			d, n = d+c, n-c
		}
		return
	}
	if off := d - s; off < 8 {
		// The output has period off, so also period eo, a multiple of
		// off of at least 8: after eo bytes one at a time, copy from eo
		// back in 8-byte steps.
		eo := off * ((8 + off - 1) / off)
		k := min(n, eo)
		b, a := dst[d:d+k], dst[s:s+k]
		for i := range b {
			b[i] = a[i]
		}
		if k == n {
			return
		}
		d, n = d+k, n-k
		s = d - eo
	}
	// Now d-s >= 8: each 8-byte load reads bytes already final.
	for n >= 8 {
		binary.LittleEndian.PutUint64(dst[d:d+8], binary.LittleEndian.Uint64(dst[s:s+8]))
		d, s, n = d+8, s+8, n-8
	}
	if n > 0 {
		b, a := dst[d:d+n], dst[s:s+n]
		for i := range b {
			b[i] = a[i]
		}
	}
}
