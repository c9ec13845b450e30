package convert

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tenso-go/tenso/core"
)

// NpyHeader is the parsed header of a .npy file (format versions 1.0, 2.0
// and 3.0).
type NpyHeader struct {
	DType   core.DType
	Shape   []int
	Swap    int   // >1: big-endian data, byte-swap units of this size
	DataLen int64 // bytes of array data after the header
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
	if fortranV && len(dims) > 1 {
		return NpyHeader{}, fmt.Errorf("%w: Fortran-order arrays; save with numpy.ascontiguousarray first", ErrUnsupported)
	}
	dt, swap, err := parseDescr(descrS)
	if err != nil {
		return NpyHeader{}, err
	}
	n, err := shapeElements(dt, dims)
	if err != nil {
		return NpyHeader{}, err
	}
	return NpyHeader{DType: dt, Shape: dims, Swap: swap, DataLen: n * int64(dt.ItemSize())}, nil
}

var npyKinds = map[string]core.DType{
	"f2": core.Float16, "f4": core.Float32, "f8": core.Float64,
	"i1": core.Int8, "i2": core.Int16, "i4": core.Int32, "i8": core.Int64,
	"u1": core.Uint8, "u2": core.Uint16, "u4": core.Uint32, "u8": core.Uint64,
	"b1": core.Bool, "c8": core.Complex64, "c16": core.Complex128,
}

func parseDescr(d string) (core.DType, int, error) {
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
	if dt == core.Complex64 || dt == core.Complex128 {
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

// NpyToTenso converts a .npy stream into one dense Tenso packet.
func NpyToTenso(dst io.Writer, src io.Reader, o Options) error {
	h, err := ReadNpyHeader(src)
	if err != nil {
		return err
	}
	co, err := o.coreOptions()
	if err != nil {
		return err
	}
	dw, err := core.NewDenseWriter(dst, h.DType, h.Shape, co)
	if err != nil {
		return err
	}
	var c copier
	err = c.copyN(dw, src, h.DataLen, h.Swap, nil, func(got int64) error {
		return fmt.Errorf("%w: the header declares %d data bytes, the file has %d", ErrNpy, h.DataLen, got)
	})
	if err == nil {
		err = dw.Close()
	}
	if err != nil {
		return err
	}
	return expectEOF(src, ErrNpy, "the array data")
}

var npyDescr = map[core.DType]string{
	core.Float16: "<f2", core.Float32: "<f4", core.Float64: "<f8",
	core.Int8: "|i1", core.Int16: "<i2", core.Int32: "<i4", core.Int64: "<i8",
	core.Uint8: "|u1", core.Uint16: "<u2", core.Uint32: "<u4", core.Uint64: "<u8",
	core.Bool: "|b1", core.Complex64: "<c8", core.Complex128: "<c16",
}

// NpyHeaderBytes returns the .npy header (version 1.0, or 2.0 when the
// dict does not fit 64 KiB) for a C-order little-endian array, padded as
// NumPy pads it so that the data starts at a multiple of 64.
func NpyHeaderBytes(dt core.DType, shape []int) ([]byte, error) {
	d, ok := npyDescr[dt]
	if !ok {
		if dt == core.BFloat16 {
			return nil, fmt.Errorf("%w: NumPy has no bfloat16 dtype; convert to .safetensors instead", ErrUnsupported)
		}
		return nil, fmt.Errorf("%w: dtype %s has no .npy equivalent", ErrUnsupported, dt)
	}
	var sh strings.Builder
	sh.WriteByte('(')
	for i, v := range shape {
		if i > 0 {
			sh.WriteString(", ")
		}
		sh.WriteString(strconv.Itoa(v))
	}
	if len(shape) == 1 {
		sh.WriteByte(',')
	}
	sh.WriteByte(')')
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", d, sh.String())
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
	v, err := inspectDense(br, 0, "")
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
	if !v.compressed {
		if _, err := br.Discard(int(v.body)); err != nil {
			return fmt.Errorf("%w: truncated before the body", core.ErrCorrupt)
		}
	}
	if err := c.writeBody(dst, br, v); err != nil {
		return err
	}
	return nil
}
