package convert

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"unicode/utf8"

	tenso "github.com/tenso-go/tenso"
)

// STTensor is one tensor entry of a safetensors header.
type STTensor struct {
	Name  string
	DType tenso.DType
	Shape []int
	Begin int64 // data_offsets, relative to the data section
	End   int64
}

// STHeader is a parsed safetensors header. Tensors are in file (data
// offset) order.
type STHeader struct {
	Tensors  []STTensor
	Metadata map[string]string
	DataLen  int64 // bytes of the data section
}

var stDTypes = map[string]tenso.DType{
	"BOOL": tenso.Bool, "U8": tenso.Uint8, "I8": tenso.Int8,
	"U16": tenso.Uint16, "I16": tenso.Int16, "F16": tenso.Float16, "BF16": tenso.BFloat16,
	"U32": tenso.Uint32, "I32": tenso.Int32, "F32": tenso.Float32,
	"U64": tenso.Uint64, "I64": tenso.Int64, "F64": tenso.Float64,
	"C64": tenso.Complex64,
}

func stName(dt tenso.DType) (string, bool) {
	for k, v := range stDTypes {
		if v == dt {
			return k, true
		}
	}
	return "", false
}

// ReadSTHeader reads and validates a safetensors header, leaving r at the
// first data byte. size is the file size, or -1 when unknown (then the
// data length is checked when the data is copied).
func ReadSTHeader(r io.Reader, size int64) (STHeader, error) {
	bad := func(format string, args ...any) (STHeader, error) {
		return STHeader{}, fmt.Errorf("%w: %s", ErrSafetensors, fmt.Sprintf(format, args...))
	}
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return bad("too short for the 8-byte header length")
	}
	n := binary.LittleEndian.Uint64(pre[:])
	if n > maxSTHeader {
		return bad("header length %d exceeds %d bytes", n, maxSTHeader)
	}
	if size >= 0 && n > uint64(size-8) {
		return bad("header length %d runs past the end of the %d-byte file", n, size)
	}
	hb := make([]byte, n)
	if _, err := io.ReadFull(r, hb); err != nil {
		return bad("header declares %d bytes, the file ends first", n)
	}
	if !utf8.Valid(hb) {
		return bad("header is not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(hb))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return bad("header is not a JSON object")
	}
	h := STHeader{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("header JSON: %v", err)
		}
		name := tok.(string)
		if seen[name] {
			return bad("header repeats the key %q", name)
		}
		seen[name] = true
		if name == "__metadata__" {
			if err := dec.Decode(&h.Metadata); err != nil {
				return bad("__metadata__ is not an object of strings: %v", err)
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return bad("header JSON: %v", err)
		}
		var e struct {
			DType       *string   `json:"dtype"`
			Shape       *[]uint64 `json:"shape"`
			DataOffsets *[]uint64 `json:"data_offsets"`
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return bad("tensor %q: %v", name, err)
		}
		if e.DType == nil || e.Shape == nil || e.DataOffsets == nil {
			return bad("tensor %q lacks dtype, shape or data_offsets", name)
		}
		dt, ok := stDTypes[*e.DType]
		if !ok {
			return STHeader{}, fmt.Errorf("%w: tensor %q has dtype %q, which Tenso does not have", ErrUnsupported, name, *e.DType)
		}
		if len(*e.DataOffsets) != 2 {
			return bad("tensor %q: data_offsets needs two numbers", name)
		}
		shape := make([]int, len(*e.Shape))
		for i, v := range *e.Shape {
			if v > math.MaxUint32 {
				return STHeader{}, fmt.Errorf("%w: tensor %q: dimension %d does not fit 32 bits", ErrUnsupported, name, v)
			}
			shape[i] = int(v)
		}
		elems, err := shapeElements(dt, shape)
		if err != nil {
			return STHeader{}, fmt.Errorf("tensor %q: %w", name, err)
		}
		b, en := (*e.DataOffsets)[0], (*e.DataOffsets)[1]
		if b > en || en > math.MaxInt64 {
			return bad("tensor %q: data_offsets [%d, %d] are out of order", name, b, en)
		}
		if want := uint64(elems) * uint64(dt.ItemSize()); en-b != want {
			return bad("tensor %q: data_offsets span %d bytes, %s%v needs %d", name, en-b, *e.DType, shape, want)
		}
		h.Tensors = append(h.Tensors, STTensor{Name: name, DType: dt, Shape: shape, Begin: int64(b), End: int64(en)})
	}
	if _, err := dec.Token(); err != nil {
		return bad("header JSON: %v", err)
	}
	if rest := bytes.TrimRight(hb[dec.InputOffset():], " "); len(rest) != 0 {
		return bad("bytes after the header JSON")
	}
	sort.SliceStable(h.Tensors, func(i, j int) bool {
		a, b := h.Tensors[i], h.Tensors[j]
		return a.Begin < b.Begin || (a.Begin == b.Begin && a.End < b.End)
	})
	var at int64
	for _, t := range h.Tensors {
		if t.Begin != at {
			if t.Begin < at {
				return bad("tensor %q overlaps the tensor before it", t.Name)
			}
			return bad("a gap of %d bytes before tensor %q", t.Begin-at, t.Name)
		}
		at = t.End
	}
	h.DataLen = at
	if size >= 0 && size-8-int64(n) != at {
		return bad("the tensors cover %d data bytes, the file has %d", at, size-8-int64(n))
	}
	return h, nil
}

// STResult tells what a safetensors conversion kept and dropped.
type STResult struct {
	Tensors         int
	MetadataDropped int // __metadata__ entries (a Tenso bundle has no place for them)
}

// SafetensorsToTenso converts a safetensors stream into one Tenso bundle
// whose entries are the tensors in file order. size is the input size, or
// -1 when unknown.
func SafetensorsToTenso(dst io.Writer, src io.Reader, size int64, o Options) (STResult, error) {
	h, err := ReadSTHeader(src, size)
	if err != nil {
		return STResult{}, err
	}
	if len(h.Tensors) > maxEntries {
		return STResult{}, fmt.Errorf("%w: %d tensors; a Tenso bundle holds at most %d", ErrUnsupported, len(h.Tensors), maxEntries)
	}
	co, err := o.coreOptions()
	if err != nil {
		return STResult{}, err
	}
	bw := bufio.NewWriterSize(dst, 64<<10)
	bundle, err := tenso.NewBundleWriter(bw, len(h.Tensors))
	if err != nil {
		return STResult{}, err
	}
	var c copier
	for _, t := range h.Tensors {
		dw, err := bundle.Dense(t.Name, t.DType, t.Shape, co)
		if err != nil {
			return STResult{}, fmt.Errorf("%w: tensor %q: %w", ErrUnsupported, t.Name, err)
		}
		err = c.copyN(dw, src, t.End-t.Begin, 0, func(got int64) error {
			return fmt.Errorf("%w: the file ends %d bytes into tensor %q (%d bytes)", ErrSafetensors, got, t.Name, t.End-t.Begin)
		})
		if err == nil {
			err = dw.Close()
		}
		if err != nil {
			return STResult{}, err
		}
	}
	if err := bundle.Close(); err != nil {
		return STResult{}, err
	}
	if err := expectEOF(src, ErrSafetensors, "the last tensor"); err != nil {
		return STResult{}, err
	}
	return STResult{Tensors: len(h.Tensors), MetadataDropped: len(h.Metadata)}, bw.Flush()
}

// DefaultTensorName names the single tensor when a dense Tenso packet (not
// a bundle) becomes a safetensors file.
const DefaultTensorName = "tensor"

// TensoToSafetensors converts a Tenso file holding a bundle of dense
// tensors (or one dense tensor, named DefaultTensorName) into a
// safetensors file. A bundle is walked twice: once for the headers, once
// for the bodies.
func TensoToSafetensors(dst io.Writer, src io.ReadSeeker) (int, error) {
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	br := bufio.NewReaderSize(src, peekSize)
	top, err := topInfo(br)
	if err != nil {
		return 0, err
	}
	var vals []denseValue
	if top.Kind != tenso.KindBundle {
		v, err := denseOf(top, denseValue{key: DefaultTensorName})
		if err != nil {
			return 0, err
		}
		vals = append(vals, v)
	} else {
		seen := map[string]bool{}
		err := eachEntry(src, func(_ *tenso.Reader, v denseValue) error {
			if seen[v.key] {
				return fmt.Errorf("%w: bundle repeats the key %q; safetensors names are unique", ErrUnsupported, v.key)
			}
			seen[v.key] = true
			vals = append(vals, v)
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	// Header JSON in bundle order, padded with spaces to a multiple of 8.
	var js bytes.Buffer
	js.WriteByte('{')
	var off int64
	for i, v := range vals {
		name, ok := stName(v.dtype)
		if !ok {
			return 0, fmt.Errorf("%w: value %q has dtype %s, which safetensors does not have", ErrUnsupported, v.key, v.dtype)
		}
		if i > 0 {
			js.WriteByte(',')
		}
		k, _ := json.Marshal(v.key)
		sh, _ := json.Marshal(v.shape)
		fmt.Fprintf(&js, `%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, k, name, sh, off, off+v.size)
		off += v.size
	}
	js.WriteByte('}')
	for js.Len()%8 != 0 {
		js.WriteByte(' ')
	}
	bw := bufio.NewWriterSize(dst, 64<<10)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(js.Len()))
	_, _ = bw.Write(n[:])
	_, _ = bw.Write(js.Bytes())
	var c copier
	if top.Kind != tenso.KindBundle {
		if err := c.writeTop(bw, br, vals[0], top.Compressed); err != nil {
			return 0, err
		}
	} else {
		i := 0
		err := eachEntry(src, func(r *tenso.Reader, v denseValue) error {
			if v.key != vals[i].key || v.size != vals[i].size {
				return fmt.Errorf("%w: the file changed while it was converted", tenso.ErrCorrupt)
			}
			i++
			return c.writeBody(bw, r, v)
		})
		if err != nil {
			return 0, err
		}
	}
	return len(vals), bw.Flush()
}
