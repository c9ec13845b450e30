package convert

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/pytuple"
)

// NpyHeader is the parsed header of a .npy file (format versions 1.0, 2.0
// and 3.0).
type NpyHeader struct {
	DType   tenso.DType
	Shape   []int
	Swap    int   // >1: big-endian data, byte-swap units of this size
	DataLen int64 // bytes of array data after the header
	// Fortran: the data is in column-major order (fortran_order True with
	// two or more dimensions larger than 1); NpyToTenso reorders it.
	Fortran bool
}

var npyMagic = []byte("\x93NUMPY")

// ReadNpyHeader reads and validates a .npy header, leaving r at the first
// data byte.
func ReadNpyHeader(r io.Reader) (NpyHeader, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return NpyHeader{}, fmt.Errorf("%w: too short for the magic and version", ErrNpy)
	}
	if string(pre[:6]) != string(npyMagic) {
		return NpyHeader{}, fmt.Errorf("%w: bad magic %q", ErrNpy, pre[:6])
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return NpyHeader{}, fmt.Errorf("%w: truncated header length", ErrNpy)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return NpyHeader{}, fmt.Errorf("%w: truncated header length", ErrNpy)
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > maxNpyHeader {
			return NpyHeader{}, fmt.Errorf("%w: header of %d bytes exceeds %d", ErrNpy, n, maxNpyHeader)
		}
		hlen = int(n)
	default:
		return NpyHeader{}, fmt.Errorf("%w: unsupported format version %d.%d", ErrNpy, pre[6], pre[7])
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return NpyHeader{}, fmt.Errorf("%w: header declares %d bytes, the file ends first", ErrNpy, hlen)
	}
	return parseNpyDict(string(hb))
}

// parseNpyDict parses the header dict literal, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
func parseNpyDict(s string) (NpyHeader, error) {
	bad := func(format string, args ...any) (NpyHeader, error) {
		return NpyHeader{}, fmt.Errorf("%w: header %s", ErrNpy, fmt.Sprintf(format, args...))
	}
	if !strings.HasSuffix(s, "\n") {
		return bad("does not end in a newline")
	}
	p := &lit{s: s}
	p.ws()
	if !p.eat('{') {
		return bad("is not a dict")
	}
	var (
		descr, fortran, shape bool
		descrS                string
		fortranV              bool
		dims                  []int
	)
	for {
		p.ws()
		if p.eat('}') {
			break
		}
		key, ok := p.str()
		if !ok {
			return bad("has a malformed key at byte %d", p.i)
		}
		p.ws()
		if !p.eat(':') {
			return bad("has no ':' after key %q", key)
		}
		p.ws()
		switch key {
		case "descr":
			if descr {
				return bad("repeats 'descr'")
			}
			descr = true
			if descrS, ok = p.str(); !ok {
				return bad("'descr' is not a string (structured dtypes are not supported)")
			}
		case "fortran_order":
			if fortran {
				return bad("repeats 'fortran_order'")
			}
			fortran = true
			switch {
			case p.word("True"):
				fortranV = true
			case p.word("False"):
			default:
				return bad("'fortran_order' is not True or False")
			}
		case "shape":
			if shape {
				return bad("repeats 'shape'")
			}
			shape = true
			if dims, ok = p.tuple(); !ok {
				return bad("'shape' is not a tuple of non-negative integers")
			}
		default:
			return bad("has an unknown key %q", key)
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if p.eat('}') {
			break
		}
		return bad("has a malformed entry at byte %d", p.i)
	}
	if strings.TrimRight(s[p.i:], " \n") != "" {
		return bad("has bytes after the dict")
	}
	if !descr || !fortran || !shape {
		return bad("lacks one of 'descr', 'fortran_order', 'shape'")
	}
	dt, swap, err := parseDescr(descrS)
	if err != nil {
		return NpyHeader{}, err
	}
	n, err := shapeElements(dt, dims)
	if err != nil {
		return NpyHeader{}, err
	}
	h := NpyHeader{DType: dt, Shape: dims, Swap: swap, DataLen: n * int64(dt.ItemSize())}
	if fortranV {
		// Column-major and row-major orders differ only when two or
		// more dimensions are longer than 1.
		long := 0
		for _, d := range dims {
			if d > 1 {
				long++
			}
		}
		h.Fortran = long > 1 && n > 0
	}
	return h, nil
}

var npyKinds = map[string]tenso.DType{
	"f2": tenso.Float16, "f4": tenso.Float32, "f8": tenso.Float64,
	"i1": tenso.Int8, "i2": tenso.Int16, "i4": tenso.Int32, "i8": tenso.Int64,
	"u1": tenso.Uint8, "u2": tenso.Uint16, "u4": tenso.Uint32, "u8": tenso.Uint64,
	"b1": tenso.Bool, "c8": tenso.Complex64, "c16": tenso.Complex128,
}

func parseDescr(d string) (tenso.DType, int, error) {
	if len(d) < 2 || !strings.ContainsRune("<>|=", rune(d[0])) {
		return 0, 0, fmt.Errorf("%w: header 'descr' %q is not a dtype", ErrNpy, d)
	}
	if d[1] == 'O' {
		return 0, 0, fmt.Errorf("%w: NumPy object arrays (dtype %q) hold Python objects; only numeric and bool dtypes convert", ErrUnsupported, d)
	}
	dt, ok := npyKinds[d[1:]]
	if !ok || len(d) < 3 {
		return 0, 0, fmt.Errorf("%w: NumPy dtype %q has no Tenso equivalent", ErrUnsupported, d)
	}
	size := dt.ItemSize()
	unit := size
	if dt == tenso.Complex64 || dt == tenso.Complex128 {
		unit = size / 2
	}
	switch d[0] {
	case '<':
		return dt, 0, nil
	case '=':
		if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
			return dt, 0, nil
		}
		return dt, unit, nil
	case '>':
		if unit == 1 {
			return dt, 0, nil
		}
		return dt, unit, nil
	case '|':
		if size != 1 {
			return 0, 0, fmt.Errorf("%w: 'descr' %q: byte order '|' on a multi-byte type", ErrNpy, d)
		}
		return dt, 0, nil
	}
	return 0, 0, fmt.Errorf("%w: 'descr' %q has an unknown byte order", ErrNpy, d)
}

// lit is a cursor over the header's Python literal.
type lit struct {
	s string
	i int
}

func (p *lit) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *lit) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *lit) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a quoted string without escapes.
func (p *lit) str() (string, bool) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", false
	}
	p.i += end + 2
	return v, true
}

// tuple reads (), (n,) or (a, b, ...) of non-negative integers.
func (p *lit) tuple() ([]int, bool) {
	if !p.eat('(') {
		return nil, false
	}
	dims := []int{}
	for {
		p.ws()
		if p.eat(')') {
			return dims, true
		}
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i || j-p.i > 19 {
			return nil, false
		}
		v, err := strconv.ParseInt(p.s[p.i:j], 10, 64)
		if err != nil {
			return nil, false
		}
		p.i = j
		p.eat('L') // Python 2 long literal
		dims = append(dims, int(v))
		p.ws()
		if p.eat(',') {
			continue
		}
		p.ws()
		if p.eat(')') {
			if len(dims) == 1 {
				return nil, false // (n) is not a tuple
			}
			return dims, true
		}
		return nil, false
	}
}

// NpyToTenso converts a .npy stream into one dense Tenso packet. A
// Fortran-order array is reordered to C order holding at most
// 64 MiB of it: larger arrays need a src that is an io.Seeker
// (a file), read once per block.
func NpyToTenso(dst io.Writer, src io.Reader, o Options) error {
	h, err := ReadNpyHeader(src)
	if err != nil {
		return err
	}
	co, err := o.coreOptions()
	if err != nil {
		return err
	}
	dw, err := tenso.NewDenseWriter(dst, h.DType, h.Shape, co)
	if err != nil {
		return err
	}
	truncated := func(got int64) error {
		return fmt.Errorf("%w: the header declares %d data bytes, the file has %d", ErrNpy, h.DataLen, got)
	}
	var c copier
	if h.Fortran {
		err = c.fortranToC(dw, src, h, truncated)
	} else {
		err = c.copyN(dw, src, h.DataLen, h.Swap, truncated)
	}
	if err == nil {
		err = dw.Close()
	}
	if err != nil {
		return err
	}
	return expectEOF(src, ErrNpy, "the array data")
}

var npyDescr = map[tenso.DType]string{
	tenso.Float16: "<f2", tenso.Float32: "<f4", tenso.Float64: "<f8",
	tenso.Int8: "|i1", tenso.Int16: "<i2", tenso.Int32: "<i4", tenso.Int64: "<i8",
	tenso.Uint8: "|u1", tenso.Uint16: "<u2", tenso.Uint32: "<u4", tenso.Uint64: "<u8",
	tenso.Bool: "|b1", tenso.Complex64: "<c8", tenso.Complex128: "<c16",
}

// NpyHeaderBytes returns the .npy header (version 1.0, or 2.0 when the
// dict does not fit 64 KiB) for a C-order little-endian array, padded as
// NumPy pads it so that the data starts at a multiple of 64.
func NpyHeaderBytes(dt tenso.DType, shape []int) ([]byte, error) {
	d, ok := npyDescr[dt]
	if !ok {
		if dt == tenso.BFloat16 {
			return nil, fmt.Errorf("%w: NumPy has no bfloat16 dtype; convert to .safetensors instead", ErrUnsupported)
		}
		return nil, fmt.Errorf("%w: dtype %s has no .npy equivalent", ErrUnsupported, dt)
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", d, pytuple.Format(shape))
	pre := 10
	if len(dict)+1+pre+63 > 0xffff {
		pre = 12
	}
	total := (pre + len(dict) + 1 + 63) / 64 * 64
	out := make([]byte, 0, total)
	out = append(out, npyMagic...)
	hl := total - pre
	if pre == 10 {
		out = append(out, 1, 0)
		out = binary.LittleEndian.AppendUint16(out, uint16(hl))
	} else {
		out = append(out, 2, 0)
		out = binary.LittleEndian.AppendUint32(out, uint32(hl))
	}
	out = append(out, dict...)
	for len(out) < total-1 {
		out = append(out, ' ')
	}
	return append(out, '\n'), nil
}

// TensoToNpy converts a Tenso stream holding one dense packet into a .npy
// file. Uncompressed bodies are streamed; a compressed one is decoded in
// memory. Integrity footers are verified.
func TensoToNpy(dst io.Writer, src io.Reader) error {
	br := bufio.NewReaderSize(src, peekSize)
	in, err := topInfo(br)
	if err != nil {
		return err
	}
	v, err := denseOf(in, denseValue{})
	if err != nil {
		return err
	}
	nh, err := NpyHeaderBytes(v.dtype, v.shape)
	if err != nil {
		return err
	}
	if _, err := dst.Write(nh); err != nil {
		return err
	}
	var c copier
	return c.writeTop(dst, br, v, in.Compressed)
}

// fortranBlock is the most a Fortran-order conversion holds of the array
// (64 MiB; tests lower it): larger arrays are reordered block by block, one
// pass over the source (which must then be an io.Seeker) per block.
var fortranBlock int64 = 64 << 20

// fortranToC reads the column-major array data of h from src and writes it
// to dst in row-major order, fortranBlock bytes of output at a time. Each
// block is a range of row-major element indices: a pass over the source
// scatters the elements that fall in it, found with an odometer over the
// column-major index (axis 0 fastest) that keeps their row-major index.
func (c *copier) fortranToC(dst io.Writer, src io.Reader, h NpyHeader, truncated func(int64) error) error {
	item := int64(h.DType.ItemSize())
	total := h.DataLen / item
	blockElems := max(fortranBlock/item, 1)
	seeker, _ := src.(io.Seeker)
	var start int64
	if total > blockElems {
		if seeker == nil {
			return fmt.Errorf("%w: a Fortran-order array of %d bytes is reordered in blocks of %d bytes, which needs a seekable input (a file), not a stream", ErrUnsupported, h.DataLen, fortranBlock)
		}
		var err error
		if start, err = seeker.Seek(0, io.SeekCurrent); err != nil {
			return err
		}
	}
	rank := len(h.Shape)
	stride := make([]int64, rank) // row-major strides, in elements
	acc := int64(1)
	for k := rank - 1; k >= 0; k-- {
		stride[k] = acc
		acc *= int64(h.Shape[k])
	}
	block := make([]byte, min(total, blockElems)*item)
	buf := c.buffer()
	idx := make([]int, rank)
	for lo := int64(0); lo < total; lo += blockElems {
		hi := min(lo+blockElems, total)
		if lo > 0 {
			if _, err := seeker.Seek(start, io.SeekStart); err != nil {
				return err
			}
		}
		clear(idx)
		pos := int64(0) // row-major index of the next source element
		for read := int64(0); read < h.DataLen; {
			k := min(int64(len(buf))/item*item, h.DataLen-read)
			m, err := io.ReadFull(src, buf[:k])
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return truncated(read + int64(m))
				}
				return err
			}
			read += k
			for e := int64(0); e < k; e += item {
				if pos >= lo && pos < hi {
					copy(block[(pos-lo)*item:(pos-lo+1)*item], buf[e:e+item])
				}
				for a := 0; a < rank; a++ { // next column-major index
					idx[a]++
					pos += stride[a]
					if idx[a] < h.Shape[a] {
						break
					}
					pos -= int64(idx[a]) * stride[a]
					idx[a] = 0
				}
			}
		}
		out := block[:(hi-lo)*item]
		if h.Swap > 1 {
			swapUnits(out, h.Swap)
		}
		if _, err := dst.Write(out); err != nil {
			return err
		}
	}
	return nil
}
