package core

// Part is one value of a container packet: a bundle entry (Key is the
// entry's key) or a sparse component (Key is "data", "row", "col",
// "indices" or "indptr"). Packet is a view of the value's own packet and
// Offset its position in the container.
type Part struct {
	Key    string
	Offset int
	Packet []byte
}

// Split returns the values of the bundle or sparse packet at the start of
// p as views, in wire order, without decoding them; it returns nil for
// other kinds. Lengths are bounds-checked; the values themselves are
// validated only by Decode. Tools use it to describe each sub-packet's own
// header (version, alignment, flags), which decoded values do not keep.
func Split(p []byte) ([]Part, error) {
	h, err := parseHeader(p, 0)
	if err != nil {
		return nil, err
	}
	d := decoder{lim: &Limits{}}
	l := d.lim.norm()
	d.lim = &l
	at := h.size
	switch h.kind {
	case KindBundle:
		parts := make([]Part, 0, h.ndim)
		for i := 0; i < h.ndim; i++ {
			kl, err := d.lenPrefix(p, at, 0, "key length", i)
			if err != nil {
				return nil, err
			}
			key := string(p[at+4 : at+4+kl])
			at += 4 + kl
			vl, err := d.lenPrefix(p, at, 0, "value length", i)
			if err != nil {
				return nil, err
			}
			at += 4
			parts = append(parts, Part{Key: key, Offset: at, Packet: p[at : at+vl : at+vl]})
			at += vl
		}
		return parts, nil
	case KindSparseCOO, KindSparseCSR, KindSparseCSC:
		names := [3]string{"data", "indices", "indptr"}
		if h.kind == KindSparseCOO {
			names = [3]string{"data", "row", "col"}
		}
		at += 4 * h.ndim
		if at > len(p) {
			return nil, ferr(ErrCorrupt, int64(len(p)), "shape", "truncated sparse shape")
		}
		parts := make([]Part, 0, 3)
		for _, name := range names {
			n, err := d.lenPrefix(p, at, 0, "sparse "+name+" length", -1)
			if err != nil {
				return nil, err
			}
			at += 4
			parts = append(parts, Part{Key: name, Offset: at, Packet: p[at : at+n : at+n]})
			at += n
		}
		return parts, nil
	}
	return nil, nil
}
