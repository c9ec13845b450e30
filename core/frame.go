package core

import (
	"fmt"
	"math"
)

// Inspect describes the packet at the start of p from its header alone
// (FORMAT.md §17): it needs the bytes up to the body offset, applies the
// same limits as Decode, and reads v3 and v4, containers included.
func Inspect(p []byte) (Info, error) { return InspectWith(p, Limits{}) }

// InspectWith is Inspect under the limits l.
func InspectWith(p []byte, l Limits) (Info, error) {
	var in Info
	if err := InspectInto(&in, p, l); err != nil {
		return Info{}, err
	}
	return in, nil
}

// InspectInto is InspectWith writing into *in, whose Shape storage it
// reuses: with a shape of at most cap(in.Shape) dimensions it allocates
// nothing, for loops that inspect many packets. On error *in is
// unspecified.
func InspectInto(in *Info, p []byte, l Limits) error {
	l.norm()
	return inspect(in, p, 0, &l)
}

// inspect describes the packet at p[0:] (base: its offset in the
// top-level packet, for error offsets) into *in.
func inspect(in *Info, p []byte, base int64, l *Limits) error {
	shape := in.Shape[:0]
	if shape == nil {
		shape = []int{}
	}
	var h header
	if err := parseHeader(&h, p, base); err != nil {
		return err
	}
	*in = Info{
		Version: h.version, Flags: h.flags, Kind: h.kind, DType: h.dtype,
		Aligned:    h.flags&(FlagAligned|FlagCustAlign) != 0,
		Integrity:  h.flags&FlagIntegrity != 0,
		Compressed: h.flags&FlagCompression != 0,
		Shape:      shape,
	}
	switch h.kind {
	case KindBundle:
		in.Count = h.ndim
		return nil
	case KindIPCRef:
		_, _, err := (&decoder{lim: l}).ipcRef(p, h, base, false)
		return err
	case KindSparseCOO, KindSparseCSR, KindSparseCSC:
		if h.ndim != 2 {
			return ferr(ErrCorrupt, base+h.ndimOff(), "ndim", "sparse matrix with ndim %d, want 2", h.ndim)
		}
		var err error
		in.Shape, in.Elements, err = readShape(shape, p, h.size, h.ndim, base, base+h.ndimOff(), l)
		return err
	}
	var pr prelude
	if err := parsePrelude(&pr, p, &h, base, l, shape); err != nil {
		return err
	}
	if pr.body > len(p) {
		return ferr(ErrCorrupt, base+int64(len(p)), "padding", "truncated: the body starts at %d, the packet has %d bytes", pr.body, len(p))
	}
	in.Shape, in.Elements = pr.shape, pr.elems
	in.Alignment, in.HeaderLen, in.BodyOffset = int(pr.align), pr.hlen, pr.body
	switch h.kind {
	case KindString, KindRaggedFrame:
		in.Count = int(pr.elems)
	default:
		in.DataSize = pr.bodyLen()
	}
	return nil
}

// InspectTree is InspectWith that also describes what a container holds:
// for a bundle every entry, for a sparse matrix its three components, each
// as a Part with its own Info (version, alignment, integrity, compression,
// shape…) and, for nested containers, its own Parts. It reads headers and
// length prefixes only, so the whole container must be present, but no
// body is read, verified or decompressed: Decode validates values.
func InspectTree(p []byte, l Limits) (Info, error) {
	l.norm()
	var in Info
	if err := inspectTree(&in, p, 0, 0, &l); err != nil {
		return Info{}, err
	}
	return in, nil
}

func inspectTree(in *Info, p []byte, base int64, depth int, l *Limits) error {
	if err := inspect(in, p, base, l); err != nil {
		return err
	}
	return walkParts(p, base, depth, l, func(_ int, key string, at, n int) error {
		pt := Part{Key: key, Offset: int(base) + at, Len: n}
		if err := inspectTree(&pt.Info, p[at:at+n:at+n], base+int64(at), depth+1, l); err != nil {
			return err
		}
		in.Parts = append(in.Parts, pt)
		return nil
	})
}

// walkParts calls fn for each value of the container packet at p[0:]
// (nothing for other kinds), checking its depth first. The packet's
// header has been validated by inspect.
func walkParts(p []byte, base int64, depth int, l *Limits, fn func(i int, key string, at, n int) error) error {
	var h header
	err := parseHeader(&h, p, base)
	if err != nil || (h.kind != KindBundle && h.kind != KindSparseCOO && h.kind != KindSparseCSR && h.kind != KindSparseCSC) {
		return err
	}
	if err := containerDepth(&h, base, depth, l); err != nil {
		return err
	}
	_, err = eachPart(p, base, &h, l, fn)
	return err
}

// eachPart calls fn with the key, offset and length of every value of the
// bundle or sparse packet at p[0:] (header h, already parsed; for a sparse
// packet its shape too), in wire order, after checking each length prefix
// against the bytes present and the limits, each bundle key's UTF-8 and
// each bundle value's minimum length. It stops at fn's first error. It
// returns the offset after the last value; other kinds have no parts.
// Depth is checked by the caller (containerDepth).
func eachPart(p []byte, base int64, h *header, l *Limits, fn func(i int, key string, at, n int) error) (int, error) {
	d := decoder{lim: l}
	at := h.size
	switch h.kind {
	case KindBundle:
		for i := 0; i < h.ndim; i++ {
			kl, err := d.lenPrefix(p, at, base, "key length", i)
			if err != nil {
				return 0, err
			}
			at += 4
			key := p[at : at+kl]
			if !validUTF8(key) {
				return 0, ferr(ErrCorrupt, base+int64(at), "bundle entry "+itoa(i)+" key", "key is not valid UTF-8")
			}
			at += kl
			vl, err := d.lenPrefix(p, at, base, "value length", i)
			if err != nil {
				return 0, err
			}
			at += 4
			if vl < headerV3 {
				return 0, ferr(ErrCorrupt, base+int64(at-4), "bundle entry "+itoa(i)+" value length", "value length %d is shorter than a header", vl)
			}
			if err := fn(i, string(key), at, vl); err != nil {
				return 0, err
			}
			at += vl
		}
	case KindSparseCOO, KindSparseCSR, KindSparseCSC:
		at += 4 * h.ndim
		for i, name := range sparseNames(h.kind) {
			n, err := d.lenPrefix(p, at, base, "sparse "+name+" length", -1)
			if err != nil {
				return 0, err
			}
			at += 4
			if err := fn(i, name, at, n); err != nil {
				return 0, err
			}
			at += n
		}
	}
	return at, nil
}

// containerDepth refuses a container (bundle or sparse matrix) at depth
// when its values would be nested deeper than the limit.
func containerDepth(h *header, base int64, depth int, l *Limits) error {
	if depth+1 > l.MaxDepth {
		what := "bundle"
		if h.kind != KindBundle {
			what = "sparse"
		}
		return ferr(ErrTooLarge, base, what, "nesting deeper than %d levels", l.MaxDepth)
	}
	return nil
}

// satAdd adds two non-negative sizes, saturating at the largest int64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// sparseNames are the component names of a sparse kind, in wire order.
func sparseNames(k Kind) [3]string {
	if k == KindSparseCOO {
		return [3]string{"data", "row", "col"}
	}
	return [3]string{"data", "indices", "indptr"}
}

// DecompressedSize returns how many bytes Decode of p would allocate for
// decompressed bodies: the decoded size of every compressed dense body,
// top-level or nested, summed (0 when p has none). It reads headers and
// length prefixes only, so a server can reserve memory before decoding
// (Decode itself refuses more than Limits.MaxDecodedBytes). Errors are
// those of the headers read; a packet it accepts may still fail Decode.
func DecompressedSize(p []byte, l Limits) (int64, error) {
	l.norm()
	var sum int64
	if err := decompressedSize(p, 0, 0, &l, &sum); err != nil {
		return 0, err
	}
	return sum, nil
}

func decompressedSize(p []byte, base int64, depth int, l *Limits, sum *int64) error {
	var sb [DefaultMaxDims]int
	in := Info{Shape: sb[:0]}
	if err := inspect(&in, p, base, l); err != nil {
		return err
	}
	if in.Kind == KindDense && in.Compressed {
		*sum = satAdd(*sum, in.DataSize)
		return nil
	}
	return walkParts(p, base, depth, l, func(_ int, _ string, at, n int) error {
		return decompressedSize(p[at:at+n:at+n], base+int64(at), depth+1, l, sum)
	})
}

// PacketLen returns the exact length of the packet at the start of p,
// computed from the packet's own framing (FORMAT.md §16.1) and never from
// len(p): for a top-level compressed dense packet it walks the LZ4 frame
// that starts at the body offset. This delimits a packet inside a larger
// buffer such as a shared-memory segment (FORMAT.md §18).
func PacketLen(p []byte, l Limits) (int, error) {
	l.norm()
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
	h, err := s.header()
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
		var sb [2]int
		if _, _, err := readShape(sb[:0], s.buf, int(at), 2, 0, h.ndimOff(), l); err != nil {
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
	var pr prelude
	var sb [DefaultMaxDims]int
	if err := s.prelude(&h, &pr, l, sb[:0]); err != nil {
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
			fl, err := lz4FrameLen(s.buf[B:], B)
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

// header pulls and parses the fixed header.
func (s *source) header() (header, error) {
	if err := s.need(headerV3, "header"); err != nil {
		return header{}, err
	}
	if s.buf[4] == 4 {
		if err := s.need(headerV4, "header"); err != nil {
			return header{}, err
		}
	}
	var h header
	err := parseHeader(&h, s.buf, 0)
	return h, err
}

// prelude pulls and parses the prelude of a tensor-like packet (header h)
// up to its body offset, in stages, each bounded by fields already
// checked; the padding itself is not pulled.
func (s *source) prelude(h *header, pr *prelude, l *Limits, shape []int) error {
	if h.ndim > l.MaxDims {
		return ferr(ErrTooLarge, h.ndimOff(), "ndim", "ndim %d exceeds the limit of %d", h.ndim, l.MaxDims)
	}
	at := int64(h.size) + 4*int64(h.ndim)
	if err := s.need(at, "shape"); err != nil {
		return err
	}
	if h.kind == KindQuantized {
		if err := s.need(at+10, "quantization metadata"); err != nil {
			return err
		}
		ns := s.u32(at + 6)
		at += 10
		if ns <= l.MaxElements+1 { // otherwise parsePrelude reports the bad count
			at += 8 * ns
			if err := s.need(at, "scales"); err != nil {
				return err
			}
		}
	}
	if h.flags&FlagCustAlign != 0 {
		if err := s.need(at+1, "alignment exponent"); err != nil {
			return err
		}
	}
	return parsePrelude(pr, s.buf, h, 0, l, shape)
}
