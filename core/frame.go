package core

import "fmt"

// Inspect describes the packet at the start of p from its header alone
// (FORMAT.md §17): it needs the bytes up to the body offset, applies the
// same limits as Decode, and reads v3 and v4, containers included.
func Inspect(p []byte) (Info, error) { return InspectWith(p, Limits{}) }

// InspectWith is Inspect under the limits l.
func InspectWith(p []byte, l Limits) (Info, error) {
	l = l.norm()
	h, err := parseHeader(p, 0)
	if err != nil {
		return Info{}, err
	}
	in := Info{
		Version: h.version, Flags: h.flags, Kind: h.kind, DType: h.dtype,
		Aligned:    h.flags&(FlagAligned|FlagCustAlign) != 0,
		Integrity:  h.flags&FlagIntegrity != 0,
		Compressed: h.flags&FlagCompression != 0,
		Shape:      []int{},
	}
	switch h.kind {
	case KindBundle:
		in.Count = h.ndim
		return in, nil
	case KindIPCRef:
		if _, _, err := (&decoder{lim: &l}).ipcRef(p, h, 0, false); err != nil {
			return Info{}, err
		}
		return in, nil
	case KindSparseCOO, KindSparseCSR, KindSparseCSC:
		if h.ndim != 2 {
			return Info{}, ferr(ErrCorrupt, h.ndimOff(), "ndim", "sparse matrix with ndim %d, want 2", h.ndim)
		}
		in.Shape, in.Elements, err = readShape(p, h.size, h.ndim, 0, h.ndimOff(), &l)
		if err != nil {
			return Info{}, err
		}
		return in, nil
	}
	var pr prelude
	err = parsePrelude(&pr, p, &h, 0, &l)
	if err != nil {
		return Info{}, err
	}
	if pr.body > len(p) {
		return Info{}, ferr(ErrCorrupt, int64(len(p)), "padding", "truncated: the body starts at %d, the packet has %d bytes", pr.body, len(p))
	}
	in.Shape, in.Elements = pr.shape, pr.elems
	in.Alignment, in.HeaderLen, in.BodyOffset = int(pr.align), pr.hlen, pr.body
	switch h.kind {
	case KindString, KindRaggedFrame:
		in.Count = int(pr.elems)
	default:
		in.DataSize = pr.bodyLen()
	}
	return in, nil
}

// PacketLen returns the exact length of the packet at the start of p,
// computed from the packet's own framing (FORMAT.md §16.1) and never from
// len(p): for a top-level compressed dense packet it walks the LZ4 frame
// that starts at the body offset. This delimits a packet inside a larger
// buffer such as a shared-memory segment (FORMAT.md §18).
func PacketLen(p []byte, l Limits) (int, error) {
	l = l.norm()
	s := source{buf: p}
	n, err := s.frame(&l, true)
	return int(n), err
}

// source supplies packet bytes to the framing walker: a fixed buffer, or
// a stream that reads more on demand.
type source struct {
	buf  []byte
	fill func(n int64) error // nil for a fixed buffer
}

func (s *source) need(n int64, field string) error {
	if n <= int64(len(s.buf)) {
		return nil
	}
	if s.fill == nil {
		return ferr(ErrCorrupt, int64(len(s.buf)), field, "truncated: the packet needs %d bytes, %d present", n, len(s.buf))
	}
	return s.fill(n)
}

func (s *source) u32(at int64) int64 { return int64(getU32(s.buf[at:])) }

// frame computes the length of the packet starting at s.buf[0], pulling
// bytes as it needs them. Container values are framed by their length
// prefixes (and validated later by the decoder). A top-level compressed
// dense packet is delimited by walking its LZ4 frame when compressedOK,
// and is ErrUnframed otherwise.
func (s *source) frame(l *Limits, compressedOK bool) (int64, error) {
	if err := s.need(headerV3, "header"); err != nil {
		return 0, err
	}
	if s.buf[4] == 4 {
		if err := s.need(headerV4, "header"); err != nil {
			return 0, err
		}
	}
	h, err := parseHeader(s.buf, 0)
	if err != nil {
		return 0, err
	}
	at := int64(h.size)
	switch h.kind {
	case KindIPCRef:
		return ipcPacketLen, s.need(ipcPacketLen, "ipc reference")
	case KindBundle:
		for i := 0; i < h.ndim; i++ {
			for j, what := range [2]string{"key", "value"} {
				if err := s.need(at+4, "bundle entry length"); err != nil {
					return 0, err
				}
				n := s.u32(at)
				if n > l.MaxBytes {
					return 0, ferr(ErrTooLarge, at, fmt.Sprintf("bundle entry %d %s length", i, what), "length %d exceeds the limit of %d bytes", n, l.MaxBytes)
				}
				at += 4 + n
				if j == 0 {
					if err := s.need(at, "bundle key"); err != nil {
						return 0, err
					}
				}
			}
			if err := s.need(at, "bundle value"); err != nil {
				return 0, err
			}
		}
		return at, nil
	case KindSparseCOO, KindSparseCSR, KindSparseCSC:
		if h.ndim != 2 {
			return 0, ferr(ErrCorrupt, h.ndimOff(), "ndim", "sparse matrix with ndim %d, want 2", h.ndim)
		}
		if err := s.need(at+8, "shape"); err != nil {
			return 0, err
		}
		if _, _, err := readShape(s.buf, int(at), 2, 0, h.ndimOff(), l); err != nil {
			return 0, err
		}
		at += 8
		for i := 0; i < 3; i++ {
			if err := s.need(at+4, "sparse component length"); err != nil {
				return 0, err
			}
			n := s.u32(at)
			if n > l.MaxBytes {
				return 0, ferr(ErrTooLarge, at, "sparse component length", "length %d exceeds the limit of %d bytes", n, l.MaxBytes)
			}
			at += 4 + n
			if err := s.need(at, "sparse component"); err != nil {
				return 0, err
			}
		}
		return at, nil
	}
	// Tensor-like packets: pull the prelude in stages, each bounded by
	// fields already checked.
	if h.ndim > l.MaxDims {
		return 0, ferr(ErrTooLarge, h.ndimOff(), "ndim", "ndim %d exceeds the limit of %d", h.ndim, l.MaxDims)
	}
	at += 4 * int64(h.ndim)
	if err := s.need(at, "shape"); err != nil {
		return 0, err
	}
	if h.kind == KindQuantized {
		if err := s.need(at+10, "quantization metadata"); err != nil {
			return 0, err
		}
		ns := s.u32(at + 6)
		at += 10
		if ns <= l.MaxElements+1 { // otherwise parsePrelude reports the bad count
			at += 8 * ns
			if err := s.need(at, "scales"); err != nil {
				return 0, err
			}
		}
	}
	if h.flags&FlagCustAlign != 0 {
		if err := s.need(at+1, "alignment exponent"); err != nil {
			return 0, err
		}
	}
	var pr prelude
	err = parsePrelude(&pr, s.buf, &h, 0, l)
	if err != nil {
		return 0, err
	}
	B := int64(pr.body)
	footer := int64(0)
	if pr.flags&FlagIntegrity != 0 {
		footer = footerLen
	}
	switch h.kind {
	case KindString, KindRaggedFrame:
		offEnd := B + 8*(pr.elems+1)
		if err := s.need(offEnd, "offsets"); err != nil {
			return 0, err
		}
		last := getU64(s.buf[offEnd-8:])
		if last > uint64(l.MaxBytes) {
			return 0, ferr(ErrTooLarge, offEnd-8, "offsets", "payload length %d exceeds the limit of %d bytes", last, l.MaxBytes)
		}
		n := offEnd + int64(last) + footer
		return n, s.need(n, "payload")
	case KindDense:
		if pr.flags&FlagCompression != 0 {
			if !compressedOK {
				return 0, ferr(ErrUnframed, 5, "flags", "%s", ErrUnframed.Error()[len("tenso: "):])
			}
			if err := s.need(B, "padding"); err != nil {
				return 0, err
			}
			fl, err := LZ4FrameLen(s.buf[B:], B)
			if err != nil {
				return 0, err
			}
			n := B + int64(fl) + footer
			return n, s.need(n, "integrity footer")
		}
	}
	n := B + pr.bodyLen() + footer
	return n, s.need(n, "body")
}
