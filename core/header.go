package core

import (
	"math"
	"math/bits"
)

// Wire constants (FORMAT.md §2, §3).
const (
	Version = 4 // the protocol version written

	headerV3 = 8
	headerV4 = 10

	FlagAligned     = 1
	FlagIntegrity   = 2
	FlagCompression = 4
	FlagSparseCOO   = 8
	FlagBundle      = 16
	FlagSparseCSR   = 32
	FlagSparseCSC   = 64
	FlagCustAlign   = 128
	FlagString      = 256
	FlagRagged      = 512
	FlagGPUIPCRef   = 1024

	kindFlags = FlagSparseCOO | FlagBundle | FlagSparseCSR | FlagSparseCSC |
		FlagString | FlagRagged | FlagGPUIPCRef

	ipcPacketLen = 106
	footerLen    = 8
)

var magic = [4]byte{'T', 'N', 'S', 'O'}

// Ragged bundle keys (FORMAT.md §13).
const (
	RaggedOffsetsKey = "__ragged_offsets__"
	RaggedFlatKey    = "__ragged_flat__"
	RaggedCountKey   = "__ragged_count__"
)

// header is a parsed fixed header.
type header struct {
	version int
	flags   uint16
	dtype   DType
	ndim    int // or bundle entry count
	resv    byte
	size    int // 8 or 10
	kind    Kind
}

// parseHeader reads the fixed header at p[0:] into *h (base is p's offset
// in the top-level packet) and classifies the packet by the rules of
// FORMAT.md §3. (Through a pointer: returning the struct cost a tenth of
// Inspect.)
func parseHeader(h *header, p []byte, base int64) error {
	*h = header{}
	if len(p) < headerV3 {
		return ferr(ErrCorrupt, base, "header", "truncated: %d bytes, a header needs at least 8", len(p))
	}
	if p[0] != magic[0] || p[1] != magic[1] || p[2] != magic[2] || p[3] != magic[3] {
		return ferr(ErrCorrupt, base, "magic", "bad magic %q, want \"TNSO\"", p[0:4])
	}
	h.version = int(p[4])
	switch h.version {
	case 4:
		if len(p) < headerV4 {
			return ferr(ErrCorrupt, base, "header", "truncated: %d bytes, a v4 header needs 10", len(p))
		}
		h.flags = getU16(p[5:])
		h.dtype = DType(p[7])
		h.ndim = int(p[8])
		h.resv = p[9]
		h.size = headerV4
	case 3:
		h.flags = uint16(p[5])
		h.dtype = DType(p[6])
		h.ndim = int(p[7])
		h.size = headerV3
	default:
		return ferr(ErrUnsupported, base+4, "version", "unsupported protocol version %d (this reader accepts 3 and 4)", h.version)
	}
	k := h.flags & kindFlags
	if bits.OnesCount16(k) > 1 {
		return ferr(ErrUnsupported, base+5, "flags", "flags 0x%04x set more than one packet kind", h.flags)
	}
	mod := h.flags & (FlagIntegrity | FlagCompression)
	switch k {
	case FlagBundle:
		h.kind = KindBundle
	case FlagSparseCOO:
		h.kind = KindSparseCOO
	case FlagSparseCSR:
		h.kind = KindSparseCSR
	case FlagSparseCSC:
		h.kind = KindSparseCSC
	case FlagString:
		h.kind = KindString
	case FlagRagged:
		h.kind = KindRaggedFrame
	case FlagGPUIPCRef:
		h.kind = KindIPCRef
	default:
		if h.dtype.IsQuantized() {
			h.kind = KindQuantized
		} else {
			h.kind = KindDense
		}
	}
	switch h.kind {
	case KindBundle, KindSparseCOO, KindSparseCSR, KindSparseCSC, KindIPCRef:
		if mod != 0 {
			return ferr(ErrUnsupported, base+5, "flags", "flags 0x%04x: %s packets carry no integrity or compression flag", h.flags, h.kind)
		}
	case KindQuantized, KindString, KindRaggedFrame:
		if mod&FlagCompression != 0 {
			return ferr(ErrUnsupported, base+5, "flags", "flags 0x%04x: %s packets cannot be compressed", h.flags, h.kind)
		}
	}
	return nil
}

// readShape reads ndim u32 dims at p[at:], applying the dim and element
// limits. It returns the shape, in dst's storage when its capacity allows
// (nil dst: a new slice), and the element count.
func readShape(dst []int, p []byte, at int, ndim int, base, ndimOff int64, l *Limits) ([]int, int64, error) {
	if ndim > l.MaxDims {
		return nil, 0, ferr(ErrTooLarge, ndimOff, "ndim", "ndim %d exceeds the limit of %d", ndim, l.MaxDims)
	}
	if len(p)-at < 4*ndim {
		return nil, 0, ferr(ErrCorrupt, base+int64(at), "shape", "truncated: %d dims need %d bytes, %d remain", ndim, 4*ndim, len(p)-at)
	}
	shape := dst[:0]
	if shape == nil || cap(shape) < ndim {
		shape = make([]int, ndim)
	}
	shape = shape[:ndim]
	n := uint64(1)
	overflow := false
	for i := range shape {
		d := getU32(p[at+4*i:])
		shape[i] = int(d)
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 {
			overflow = true
		}
		n = lo
	}
	if overflow || n > uint64(l.MaxElements) {
		return nil, 0, ferr(ErrTooLarge, base+int64(at), "shape", "shape %v has more than %d elements", shape, l.MaxElements)
	}
	return shape, int64(n), nil
}

// readAlign reads the alignment at p[at:] given the flags: the CUST_ALIGN
// exponent byte (consumed), 64 for ALIGNED, 1 otherwise. It returns the
// alignment and the position after the exponent byte.
func readAlign(p []byte, at int, flags uint16, base int64, l *Limits) (int64, int, error) {
	switch {
	case flags&FlagCustAlign != 0:
		if at >= len(p) {
			return 0, 0, ferr(ErrCorrupt, base+int64(at), "alignment exponent", "truncated: the CUST_ALIGN exponent byte is missing")
		}
		e := p[at]
		if e >= 32 || int64(1)<<e > l.MaxAlignment {
			return 0, 0, ferr(ErrTooLarge, base+int64(at), "alignment exponent", "alignment 2^%d exceeds the limit of %d", e, l.MaxAlignment)
		}
		return int64(1) << e, at + 1, nil
	case flags&FlagAligned != 0:
		return 64, at, nil
	}
	return 1, at, nil
}

func (h *header) dtypeOff() int64 {
	if h.version == 3 {
		return 6
	}
	return 7
}

func (h *header) ndimOff() int64 { return h.dtypeOff() + 1 }

func alignUp(x, a int64) int64 { return (x + a - 1) &^ (a - 1) }

// prelude is everything up to the body offset of a dense, quantized,
// string or RAGGED-framing packet.
type prelude struct {
	header
	shape     []int
	elems     int64
	align     int64
	hlen      int // H
	body      int // B
	metaStart int // quantized: scheme byte offset
	metaEnd   int // quantized: end of zero points
	scheme    Scheme
	axis      int
	groupSize int
	nscales   int
}

// parsePrelude parses a tensor-like packet (dense, quantized, string,
// ragged framing) up to its body offset into *pr, which must be zero (each
// caller declares a fresh one: zeroing it again cost a fifth of Inspect).
// The shape goes into shape's storage when its capacity allows (nil: a new
// slice).
func parsePrelude(pr *prelude, p []byte, h *header, base int64, l *Limits, shape []int) error {
	pr.header = *h
	var err error
	at := h.size
	switch h.kind {
	case KindDense:
		if !h.dtype.IsDense() {
			return ferr(ErrUnsupported, base+h.dtypeOff(), "dtype", "unsupported dtype code %d for a dense packet", uint8(h.dtype))
		}
	case KindString:
		if h.dtype != String && h.dtype != Bytes {
			return ferr(ErrCorrupt, base+h.dtypeOff(), "dtype", "string packet with dtype code %d (want 20 or 21)", uint8(h.dtype))
		}
		fallthrough
	case KindRaggedFrame:
		if h.ndim != 1 {
			return ferr(ErrCorrupt, base+h.ndimOff(), "ndim", "%s packet with ndim %d (want 1)", h.kind, h.ndim)
		}
	}
	pr.shape, pr.elems, err = readShape(shape, p, at, h.ndim, base, base+h.ndimOff(), l)
	if err != nil {
		return err
	}
	at += 4 * h.ndim
	if h.kind == KindQuantized {
		if at, err = pr.parseQuantMeta(p, at, base); err != nil {
			return err
		}
	}
	pr.align, at, err = readAlign(p, at, h.flags, base, l)
	if err != nil {
		return err
	}
	pr.hlen = at
	pr.body = int(alignUp(int64(at), pr.align))
	return nil
}

func (pr *prelude) parseQuantMeta(p []byte, at int, base int64) (int, error) {
	pr.metaStart = at
	if len(p)-at < 10 {
		return 0, ferr(ErrCorrupt, base+int64(at), "quantization metadata", "truncated: %d bytes remain, the metadata head needs 10", len(p)-at)
	}
	pr.scheme = Scheme(p[at])
	axis := int(p[at+1])
	gs := getU32(p[at+2:])
	ns := uint64(getU32(p[at+6:]))
	var want uint64
	switch pr.scheme {
	case PerTensor:
		want = 1
	case PerChannel:
		if axis >= len(pr.shape) {
			return 0, ferr(ErrCorrupt, base+int64(at+1), "axis", "per_channel axis %d out of range for ndim %d", axis, len(pr.shape))
		}
		pr.axis = axis
		want = uint64(pr.shape[axis])
	case PerGroup:
		if gs == 0 {
			return 0, ferr(ErrCorrupt, base+int64(at+2), "group_size", "per_group with group_size 0")
		}
		pr.groupSize = int(gs)
		want = (uint64(pr.elems) + uint64(gs) - 1) / uint64(gs)
	default:
		return 0, ferr(ErrCorrupt, base+int64(at), "scheme", "unknown quantization scheme %d", uint8(pr.scheme))
	}
	if ns != want {
		return 0, ferr(ErrCorrupt, base+int64(at+6), "num_scales", "num_scales %d, want %d for %s of shape %v", ns, want, pr.scheme, pr.shape)
	}
	at += 10
	if uint64(len(p)-at) < 8*ns {
		return 0, ferr(ErrCorrupt, base+int64(at), "scales", "truncated: %d scales and zero points need %d bytes, %d remain", ns, 8*ns, len(p)-at)
	}
	pr.nscales = int(ns)
	at += 8 * int(ns)
	pr.metaEnd = at
	return at, nil
}

// bodyLen is the exact on-wire body length of an uncompressed dense or
// quantized packet.
func (pr *prelude) bodyLen() int64 {
	if pr.kind == KindQuantized {
		return int64(pr.dtype.DataLen(int(pr.elems)))
	}
	return pr.elems * int64(pr.dtype.ItemSize())
}

func float32At(b []byte, i int) float32 { return math.Float32frombits(getU32(b[4*i:])) }
