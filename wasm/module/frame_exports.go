//go:build wasip1

package main

import (
	"unsafe"

	tenso "github.com/tenso-go/tenso"
)

// Delimiting back-to-back packets (tenso.PacketLen, tenso.DecodePrefix) and
// describing containers entry by entry (tenso.InspectTree) for hosts.

// tenso_packet_len is tenso.PacketLen of the packet at the start of the n
// bytes at p, of a buffer of total bytes: its exact length, -1 with the
// error in the state block, or -2 when n < total and the bytes given do not
// settle it (the host passes the whole buffer). With n < total only a
// packet whose header alone fixes its length (Info.PacketLen) is answered.
//
//go:wasmexport tenso_packet_len
func tensoPacketLen(p unsafe.Pointer, n, total uint32) float64 {
	in := mem(p, n)
	if n < total {
		info.Shape = shapeBuf[:0]
		if tenso.InspectInto(&info, in, tenso.Limits{}) != nil {
			return rcNeedFull
		}
		pl, ok := info.PacketLen()
		if !ok || pl > int64(total) {
			return rcNeedFull
		}
		setWords(nil)
		return float64(pl)
	}
	l, err := tenso.PacketLen(in, tenso.Limits{})
	if err != nil {
		setError(err)
		return rcError
	}
	setWords(nil)
	return float64(l)
}

// tenso_decode_prefix is tenso.DecodePrefix of the n bytes at p: it returns
// the length of the packet at their start (-1 with the error in the state
// block) and describes its value as tenso_decode does.
//
//go:wasmexport tenso_decode_prefix
func tensoDecodePrefix(p unsafe.Pointer, n uint32) float64 {
	v, used, err := tenso.DecodePrefix(mem(p, n), tenso.Limits{})
	if err != nil {
		setError(err)
		return rcError
	}
	w := newWriter(slowWords[:0], uintptr(p), uintptr(n))
	if err := w.Value(v, 0); err != nil {
		setError(err)
		return rcError
	}
	slowWords = w.Words
	live = v
	setWords(wordBytes(w.Words))
	return float64(used)
}

// tenso_inspect_tree is tenso.InspectTree of the n bytes at p, as words: the
// packet's Info as tenso_inspect writes it, then the number of parts and
// for each part its offset, length, key length, the key's bytes (padded to
// a multiple of 4) and its own Info and parts.
//
//go:wasmexport tenso_inspect_tree
func tensoInspectTree(p unsafe.Pointer, n uint32) int32 {
	info, err := tenso.InspectTree(mem(p, n), tenso.Limits{})
	if err != nil {
		return setError(err)
	}
	w := appendTree(nil, &info)
	return setResult(wordBytes(w), w)
}

func appendTree(w []uint32, in *tenso.Info) []uint32 {
	w = appendInfoWords(w, in)
	w = append(w, uint32(len(in.Parts)))
	for i := range in.Parts {
		pt := &in.Parts[i]
		w = append(w, uint32(pt.Offset), uint32(pt.Len), uint32(len(pt.Key)))
		for k := 0; k < len(pt.Key); k += 4 {
			var x uint32
			for j := 0; j < 4 && k+j < len(pt.Key); j++ {
				x |= uint32(pt.Key[k+j]) << (8 * j)
			}
			w = append(w, x)
		}
		w = appendTree(w, &pt.Info)
	}
	return w
}

// appendInfoWords appends the words tenso_inspect describes an Info with:
// version, flags, kind, dtype, count, aligned, alignment, integrity,
// compressed, header_len, body_offset, elements (lo, hi), data_size (lo,
// hi), ndim, shape...
func appendInfoWords(w []uint32, in *tenso.Info) []uint32 {
	w = append(w, uint32(in.Version), uint32(in.Flags), uint32(in.Kind), uint32(in.DType),
		uint32(in.Count), b2u(in.Aligned), uint32(in.Alignment), b2u(in.Integrity),
		b2u(in.Compressed), uint32(in.HeaderLen), uint32(in.BodyOffset),
		uint32(in.Elements), uint32(uint64(in.Elements)>>32), uint32(in.DataSize), uint32(uint64(in.DataSize)>>32),
		uint32(len(in.Shape)))
	for _, d := range in.Shape {
		w = append(w, uint32(d))
	}
	return w
}
