package convert

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"slices"
	"strings"
	"testing"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/golden"
)

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	return b
}

func npyFile(t *testing.T, dt tenso.DType, shape []int, data []byte) []byte {
	t.Helper()
	h, err := NpyHeaderBytes(dt, shape)
	if err != nil {
		t.Fatal(err)
	}
	return append(h, data...)
}

func TestNpyHeaderAsNumPyWritesIt(t *testing.T) {
	// np.save of np.zeros((2, 3), np.float32) and of np.zeros(5, np.uint8).
	cases := []struct {
		dt    tenso.DType
		shape []int
		dict  string
	}{
		{tenso.Float32, []int{2, 3}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"},
		{tenso.Uint8, []int{5}, "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }"},
		{tenso.Float64, []int{}, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }"},
	}
	for _, c := range cases {
		h, err := NpyHeaderBytes(c.dt, c.shape)
		if err != nil {
			t.Fatal(err)
		}
		want := "\x93NUMPY\x01\x00\x76\x00" + c.dict + strings.Repeat(" ", 128-10-len(c.dict)-1) + "\n"
		if string(h) != want {
			t.Fatalf("header\n%q\nwant\n%q", h, want)
		}
	}
}

func TestNpyRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for dt := tenso.Float32; dt <= tenso.Complex128; dt++ {
		for _, sh := range [][]int{{}, {0}, {7}, {3, 4}, {2, 1, 5}} {
			for _, o := range []Options{{}, {Integrity: true}, {Alignment: 16}, {Alignment: 1 << 16}} {
				n := dt.ItemSize()
				for _, d := range sh {
					n *= d
				}
				data := randBytes(r, n)
				npy := npyFile(t, dt, sh, data)
				var ten bytes.Buffer
				if err := NpyToTenso(&ten, bytes.NewReader(npy), o); err != nil {
					t.Fatalf("%s %v: %v", dt, sh, err)
				}
				want, err := tenso.Encode(&tenso.Tensor{DType: dt, Shape: sh, Data: data}, tenso.Options{Alignment: o.Alignment, Integrity: o.Integrity})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(ten.Bytes(), want) {
					t.Fatalf("%s %v %+v: packet differs from tenso.Encode", dt, sh, o)
				}
				v, err := tenso.Decode(ten.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				tt := v.(*tenso.Tensor)
				if tt.DType != dt || fmt.Sprint(tt.Shape) != fmt.Sprint(sh) || !bytes.Equal(tt.Data, data) {
					t.Fatalf("%s %v: decoded %s %v", dt, sh, tt.DType, tt.Shape)
				}
				var back bytes.Buffer
				if err := TensoToNpy(&back, bytes.NewReader(ten.Bytes())); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(back.Bytes(), npy) {
					t.Fatalf("%s %v: npy round trip differs", dt, sh)
				}
			}
		}
	}
}

func TestNpyBigEndianAndVersions(t *testing.T) {
	// '>i4' [1, 2], format version 2.0 and 3.0 headers, Python 2 'L' dims.
	dict := "{'descr': '>i4', 'fortran_order': False, 'shape': (2L,), }"
	for _, ver := range []byte{1, 2, 3} {
		var f []byte
		f = append(f, "\x93NUMPY"...)
		f = append(f, ver, 0)
		hd := dict + "   \n"
		if ver == 1 {
			f = binary.LittleEndian.AppendUint16(f, uint16(len(hd)))
		} else {
			f = binary.LittleEndian.AppendUint32(f, uint32(len(hd)))
		}
		f = append(f, hd...)
		f = append(f, 0, 0, 0, 1, 0, 0, 0, 2)
		var ten bytes.Buffer
		if err := NpyToTenso(&ten, bytes.NewReader(f), Options{}); err != nil {
			t.Fatal(err)
		}
		v, err := tenso.Decode(ten.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if d := v.(*tenso.Tensor).Data; !bytes.Equal(d, []byte{1, 0, 0, 0, 2, 0, 0, 0}) {
			t.Fatalf("version %d: big-endian data not swapped: %v", ver, d)
		}
	}
}

func TestBadNpy(t *testing.T) {
	hdr := func(dict string) []byte {
		h := []byte("\x93NUMPY\x01\x00")
		h = binary.LittleEndian.AppendUint16(h, uint16(len(dict)))
		return append(h, dict...)
	}
	good := "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"
	cases := map[string]struct {
		file []byte
		want error
	}{
		"empty":           {nil, ErrNpy},
		"magic":           {[]byte("\x93NUMPZ\x01\x00\x00\x00"), ErrNpy},
		"version":         {[]byte("\x93NUMPY\x04\x00\x00\x00"), ErrNpy},
		"header past end": {[]byte("\x93NUMPY\x01\x00\xff\x00{"), ErrNpy},
		"huge v2 header":  {[]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"), ErrNpy},
		"no newline":      {hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), ErrNpy},
		"truncated data":  {append(hdr(good), 1, 2, 3), ErrNpy},
		"trailing data":   {append(hdr(good), make([]byte, 9)...), ErrNpy},
		"object dtype":    {hdr("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n"), ErrUnsupported},
		"no kind":         {hdr("{'descr': '<', 'fortran_order': False, 'shape': (2,), }\n"), ErrNpy},
		"string dtype":    {hdr("{'descr': '<U4', 'fortran_order': False, 'shape': (2,), }\n"), ErrUnsupported},
		"structured":      {hdr("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n"), ErrNpy},
		"fortran short":   {append(hdr("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n"), make([]byte, 23)...), ErrNpy},
		"fortran long":    {append(hdr("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n"), make([]byte, 25)...), ErrNpy},
		"negative dim":    {hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n"), ErrNpy},
		"not a tuple":     {hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }\n"), ErrNpy},
		"unknown key":     {hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n"), ErrNpy},
		"missing key":     {hdr("{'descr': '<f4', 'shape': (2,), }\n"), ErrNpy},
		"repeated key":    {hdr("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n"), ErrNpy},
		"too many elems":  {hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }\n"), ErrUnsupported},
		"overflow dims":   {hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n"), ErrNpy},
		"bad order":       {hdr("{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }\n"), ErrNpy},
		"junk after":      {hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x\n"), ErrNpy},
	}
	for name, c := range cases {
		err := NpyToTenso(io.Discard, bytes.NewReader(c.file), Options{})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

func FuzzNpyToTenso(f *testing.F) {
	f.Add(npyFile(&testing.T{}, tenso.Float32, []int{2, 2}, make([]byte, 16)))
	f.Add([]byte("\x93NUMPY\x01\x00\x10\x00{'shape': ()}  \n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		if err := NpyToTenso(&out, bytes.NewReader(b), Options{}); err == nil {
			if _, err := tenso.Decode(out.Bytes()); err != nil {
				t.Fatalf("accepted .npy produced an undecodable packet: %v", err)
			}
		}
	})
}

// stFile writes a safetensors file from (name, dtype, shape, data) in the
// given order, with an optional metadata object and JSON key order reversed.
type stEntry struct {
	name  string
	dtype string
	shape []int
	data  []byte
}

func stFile(entries []stEntry, meta string, reverseJSON bool) []byte {
	var parts []string
	var off int
	var data []byte
	for _, e := range entries {
		sh := "["
		for i, d := range e.shape {
			if i > 0 {
				sh += ","
			}
			sh += fmt.Sprint(d)
		}
		sh += "]"
		parts = append(parts, fmt.Sprintf("%q:{\"dtype\":%q,\"shape\":%s,\"data_offsets\":[%d,%d]}", e.name, e.dtype, sh, off, off+len(e.data)))
		off += len(e.data)
		data = append(data, e.data...)
	}
	if reverseJSON {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if meta != "" {
		parts = append([]string{`"__metadata__":` + meta}, parts...)
	}
	js := "{" + strings.Join(parts, ",") + "}"
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	out = append(out, js...)
	return append(out, data...)
}

// fortranNpy returns a .npy file holding data (C order, little-endian
// items of size item) in Fortran order, each unit of swap bytes reversed
// (big-endian) when swap > 1.
func fortranNpy(descr string, shape []int, item int, data []byte, swap int) []byte {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': True, 'shape': (", descr)
	for _, d := range shape {
		dict += fmt.Sprint(d, ", ")
	}
	dict += "), }\n"
	f := append(binary.LittleEndian.AppendUint16([]byte("\x93NUMPY\x01\x00"), uint16(len(dict))), dict...)
	body := make([]byte, len(data))
	n := len(data) / item
	idx := make([]int, len(shape))
	for c := 0; c < n; c++ { // c: row-major index, idx its multi-index
		fpos, mul := 0, 1
		for a := range shape {
			fpos += idx[a] * mul
			mul *= shape[a]
		}
		el := body[fpos*item : (fpos+1)*item]
		copy(el, data[c*item:(c+1)*item])
		for u := 0; swap > 1 && u < item; u += swap {
			slices.Reverse(el[u : u+swap])
		}
		for a := len(shape) - 1; a >= 0; a-- {
			if idx[a]++; idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return append(f, body...)
}

// TestNpyFortranOrder converts column-major arrays by reordering them, in
// one block and in many (a lowered block size, several passes over a
// seekable source), and refuses a stream larger than one block.
func TestNpyFortranOrder(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	cases := []struct {
		descr string
		dt    tenso.DType
		shape []int
		swap  int
	}{
		{"<f4", tenso.Float32, []int{2, 3}, 0},
		{">i2", tenso.Int16, []int{3, 1, 4}, 2},
		{"<f8", tenso.Float64, []int{2, 3, 4, 5}, 0},
		{"|u1", tenso.Uint8, []int{7, 13}, 0},
		{"<c16", tenso.Complex128, []int{5, 1, 2}, 0},
		{">c8", tenso.Complex64, []int{3, 2}, 4}, // two big-endian float32s
		{"<f4", tenso.Float32, []int{1, 6}, 0},   // one long dimension: already C order
		{"<f4", tenso.Float32, []int{4, 0, 3}, 0},
	}
	defer func(b int64) { fortranBlock = b }(fortranBlock)
	for _, block := range []int64{64 << 20, 48, 1} {
		fortranBlock = block
		for _, c := range cases {
			n := c.dt.ItemSize()
			for _, d := range c.shape {
				n *= d
			}
			data := randBytes(r, n)
			file := fortranNpy(c.descr, c.shape, c.dt.ItemSize(), data, c.swap)
			var out bytes.Buffer
			if err := NpyToTenso(&out, bytes.NewReader(file), Options{Integrity: true}); err != nil {
				t.Fatalf("block %d %s %v: %v", block, c.descr, c.shape, err)
			}
			want, _ := tenso.Encode(&tenso.Tensor{DType: c.dt, Shape: c.shape, Data: data}, tenso.Options{Integrity: true})
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("block %d %s %v: not the C-order packet", block, c.descr, c.shape)
			}
		}
	}
	fortranBlock = 48
	data := randBytes(r, 4*6*5)
	file := fortranNpy("<f4", []int{6, 5}, 4, data, 0)
	err := NpyToTenso(io.Discard, io.MultiReader(bytes.NewReader(file)), Options{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "seekable") {
		t.Fatalf("a %d-byte Fortran stream over a 48-byte block: %v, want ErrUnsupported naming a seekable input", len(data), err)
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	entries := []stEntry{
		{"embed.weight", "BF16", []int{4, 3}, randBytes(r, 24)},
		{"ln.bias", "F16", []int{3}, randBytes(r, 6)},
		{"empty", "F32", []int{0, 4}, nil},
		{"scalar", "I64", []int{}, randBytes(r, 8)},
		{"mask", "BOOL", []int{5}, []byte{0, 1, 1, 0, 1}},
		{"héllo/名前", "U8", []int{2, 2}, randBytes(r, 4)},
		{"c", "C64", []int{1}, randBytes(r, 8)},
		{"d", "F64", []int{2}, randBytes(r, 16)},
	}
	wantDT := map[string]tenso.DType{"BF16": tenso.BFloat16, "F16": tenso.Float16, "F32": tenso.Float32, "I64": tenso.Int64, "BOOL": tenso.Bool, "U8": tenso.Uint8, "C64": tenso.Complex64, "F64": tenso.Float64}
	for _, o := range []Options{{}, {Integrity: true}, {Alignment: 8}, {Alignment: 8192}} {
		f := stFile(entries, `{"format":"pt"}`, true)
		var ten bytes.Buffer
		res, err := SafetensorsToTenso(&ten, bytes.NewReader(f), int64(len(f)), o)
		if err != nil {
			t.Fatal(err)
		}
		if res.Tensors != len(entries) || res.MetadataDropped != 1 {
			t.Fatalf("result %+v", res)
		}
		v, err := tenso.Decode(ten.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		b := v.(*tenso.Bundle)
		if len(b.Entries) != len(entries) {
			t.Fatalf("%d entries", len(b.Entries))
		}
		if want, err := tenso.Encode(b, tenso.Options{Alignment: o.Alignment, Integrity: o.Integrity}); err != nil || !bytes.Equal(ten.Bytes(), want) {
			t.Fatalf("%+v: packet differs from tenso.Encode of the same bundle (%v)", o, err)
		}
		for i, e := range entries { // file order
			got := b.Entries[i]
			tt := got.Value.(*tenso.Tensor)
			if got.Key != e.name || tt.DType != wantDT[e.dtype] || fmt.Sprint(tt.Shape) != fmt.Sprint(e.shape) || !bytes.Equal(tt.Data, e.data) {
				t.Fatalf("entry %d: %q %s %v", i, got.Key, tt.DType, tt.Shape)
			}
		}
		// And back: the same tensors in the same order, metadata aside.
		var st bytes.Buffer
		if _, err := TensoToSafetensors(&st, bytes.NewReader(ten.Bytes())); err != nil {
			t.Fatal(err)
		}
		h, err := ReadSTHeader(bytes.NewReader(st.Bytes()), int64(st.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if (8+st.Len()-int(h.DataLen))%8 != 0 {
			t.Fatalf("header not padded to 8")
		}
		data := st.Bytes()[st.Len()-int(h.DataLen):]
		for i, e := range entries {
			g := h.Tensors[i]
			if g.Name != e.name || g.DType != wantDT[e.dtype] || fmt.Sprint(g.Shape) != fmt.Sprint(e.shape) || !bytes.Equal(data[g.Begin:g.End], e.data) {
				t.Fatalf("back: entry %d %+v", i, g)
			}
		}
	}
}

func TestTensoCompressedAndSingle(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	a := &tenso.Tensor{DType: tenso.Float32, Shape: []int{64, 64}, Data: bytes.Repeat(randBytes(r, 64), 256)}
	b := &tenso.Tensor{DType: tenso.Int16, Shape: []int{3}, Data: randBytes(r, 6)}
	bun := (&tenso.Bundle{}).Add("a", a).Add("b", b)
	for _, o := range []tenso.Options{{Compress: true}, {Compress: true, Integrity: true}, {Integrity: true, Alignment: 128}} {
		p, err := tenso.Encode(bun, o)
		if err != nil {
			t.Fatal(err)
		}
		var st bytes.Buffer
		if n, err := TensoToSafetensors(&st, bytes.NewReader(p)); err != nil || n != 2 {
			t.Fatalf("%+v: %d %v", o, n, err)
		}
		var back bytes.Buffer
		if _, err := SafetensorsToTenso(&back, bytes.NewReader(st.Bytes()), -1, Options{}); err != nil {
			t.Fatal(err)
		}
		want, _ := tenso.Encode(bun, tenso.Options{})
		if !bytes.Equal(back.Bytes(), want) {
			t.Fatalf("%+v: tenso → safetensors → tenso differs", o)
		}
		// A single dense packet to .npy and to safetensors.
		p, err = tenso.Encode(a, o)
		if err != nil {
			t.Fatal(err)
		}
		var npy bytes.Buffer
		if err := TensoToNpy(&npy, bytes.NewReader(p)); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if !bytes.Equal(npy.Bytes(), npyFile(t, a.DType, a.Shape, a.Data)) {
			t.Fatalf("%+v: npy differs", o)
		}
		st.Reset()
		if _, err := TensoToSafetensors(&st, bytes.NewReader(p)); err != nil {
			t.Fatal(err)
		}
		if h, err := ReadSTHeader(bytes.NewReader(st.Bytes()), int64(st.Len())); err != nil || h.Tensors[0].Name != DefaultTensorName {
			t.Fatalf("single: %v %+v", err, h)
		}
	}
}

func TestBadTenso(t *testing.T) {
	a := &tenso.Tensor{DType: tenso.Float32, Shape: []int{4}, Data: make([]byte, 16)}
	p, _ := tenso.Encode((&tenso.Bundle{}).Add("a", a), tenso.Options{Integrity: true})
	flipped := bytes.Clone(p)
	flipped[len(flipped)-9] ^= 1 // last body byte
	nested, _ := tenso.Encode((&tenso.Bundle{}).Add("n", (&tenso.Bundle{}).Add("a", a)), tenso.Options{})
	bf, _ := tenso.Encode(&tenso.Tensor{DType: tenso.BFloat16, Shape: []int{1}, Data: []byte{0, 0}}, tenso.Options{})
	strs, _ := tenso.Encode(tenso.NewStrings("x"), tenso.Options{})
	cases := map[string]struct {
		p    []byte
		npy  bool
		want error
	}{
		"checksum":      {flipped, false, tenso.ErrChecksum},
		"truncated":     {p[:len(p)-3], false, tenso.ErrCorrupt},
		"nested":        {nested, false, ErrUnsupported},
		"bundle to npy": {p, true, ErrUnsupported},
		"bf16 to npy":   {bf, true, ErrUnsupported},
		"strings":       {strs, true, ErrUnsupported},
		"garbage":       {[]byte("hello world, not tenso"), true, tenso.ErrCorrupt},
		"empty":         {nil, false, tenso.ErrCorrupt},
	}
	for name, c := range cases {
		var err error
		if c.npy {
			err = TensoToNpy(io.Discard, bytes.NewReader(c.p))
		} else {
			_, err = TensoToSafetensors(io.Discard, bytes.NewReader(c.p))
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	// A top-level value is "the packet", an entry is named by its key.
	_, err := TensoToSafetensors(io.Discard, bytes.NewReader(strs))
	if want := "the packet is a string value"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("top-level strings to safetensors: got %v, want %q", err, want)
	}
	_, err = TensoToSafetensors(io.Discard, bytes.NewReader(nested))
	if want := `bundle value "n" is a bundle value`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("nested bundle to safetensors: got %v, want %q", err, want)
	}
}

func TestBadSafetensors(t *testing.T) {
	good := stFile([]stEntry{{"a", "F32", []int{2}, make([]byte, 8)}}, "", false)
	withJSON := func(js string, data int) []byte {
		out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
		return append(append(out, js...), make([]byte, data)...)
	}
	many := make([]stEntry, 256)
	for i := range many {
		many[i] = stEntry{fmt.Sprint("t", i), "U8", []int{1}, []byte{1}}
	}
	cases := map[string]struct {
		file []byte
		want error
	}{
		"empty":           {nil, ErrSafetensors},
		"huge header":     {binary.LittleEndian.AppendUint64(nil, 1<<40), ErrSafetensors},
		"header past end": {withJSON("{}", 0)[:9], ErrSafetensors},
		"not json":        {withJSON("{nope", 0), ErrSafetensors},
		"array":           {withJSON("[]", 0), ErrSafetensors},
		"truncated data":  {good[:len(good)-1], ErrSafetensors},
		"trailing data":   {append(bytes.Clone(good), 0), ErrSafetensors},
		"f8":              {withJSON(`{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}`, 1), ErrUnsupported},
		"bad span":        {withJSON(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), ErrSafetensors},
		"reversed":        {withJSON(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}`, 4), ErrSafetensors},
		"gap":             {withJSON(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), ErrSafetensors},
		"overlap":         {withJSON(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, 3), ErrSafetensors},
		"duplicate":       {withJSON(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), ErrSafetensors},
		"negative dim":    {withJSON(`{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}`, 1), ErrSafetensors},
		"unknown field":   {withJSON(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}`, 1), ErrSafetensors},
		"missing field":   {withJSON(`{"a":{"dtype":"U8","shape":[1]}}`, 1), ErrSafetensors},
		"bad metadata":    {withJSON(`{"__metadata__":{"a":1}}`, 0), ErrSafetensors},
		"too many":        {stFile(many, "", false), ErrUnsupported},
		"huge shape":      {withJSON(`{"a":{"dtype":"U8","shape":[100000,100000],"data_offsets":[0,1]}}`, 1), ErrUnsupported},
	}
	for name, c := range cases {
		for _, size := range []int64{int64(len(c.file)), -1} {
			_, err := SafetensorsToTenso(io.Discard, bytes.NewReader(c.file), size, Options{})
			if !errors.Is(err, c.want) {
				t.Errorf("%s (size %d): got %v, want %v", name, size, err, c.want)
			}
		}
	}
}

func FuzzSafetensorsToTenso(f *testing.F) {
	f.Add(stFile([]stEntry{{"a", "F32", []int{2}, make([]byte, 8)}, {"b", "BF16", []int{1}, []byte{1, 2}}}, `{"k":"v"}`, true))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		if _, err := SafetensorsToTenso(&out, bytes.NewReader(b), int64(len(b)), Options{}); err == nil {
			if _, err := tenso.Decode(out.Bytes()); err != nil {
				t.Fatalf("accepted file produced an undecodable packet: %v", err)
			}
		}
	})
}

// patternReader yields n bytes of a .npy file without holding them.
type patternReader struct {
	head []byte
	n    int64
	pat  []byte
}

func (p *patternReader) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		k := copy(b, p.head)
		p.head = p.head[k:]
		return k, nil
	}
	if p.n == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n {
		b = b[:p.n]
	}
	k := 0
	for k < len(b) {
		k += copy(b[k:], p.pat)
	}
	p.n -= int64(k)
	return k, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

// TestBoundedMemory converts a 96 MiB array that never exists in memory.
func TestBoundedMemory(t *testing.T) {
	const rows, cols = 6144, 4096 // float32: 96 MiB
	h, _ := NpyHeaderBytes(tenso.Float32, []int{rows, cols})
	src := &patternReader{head: h, n: rows * cols * 4, pat: randBytes(rand.New(rand.NewSource(5)), 4096)}
	var out countWriter
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := NpyToTenso(&out, src, Options{Integrity: true}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if out.n != 64+rows*cols*4+8 {
		t.Fatalf("wrote %d bytes", out.n)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Fatalf("allocated %d bytes converting a 96 MiB array", alloc)
	}
}

// Every golden packet either converts to safetensors and back to the
// tensors Decode gives (a single dense packet as DefaultTensorName), or is
// refused with an error; none is misread.
func TestGoldenToSafetensors(t *testing.T) {
	converted := 0
	for _, f := range golden.Files(t) {
		name := f["file"].(string)
		p := golden.Read(t, name)
		want, err := tenso.Decode(p)
		if err != nil {
			continue
		}
		var st bytes.Buffer
		n, err := TensoToSafetensors(&st, bytes.NewReader(p))
		if err != nil {
			continue // not all of it is dense, or a dtype safetensors lacks
		}
		var back bytes.Buffer
		if _, err := SafetensorsToTenso(&back, bytes.NewReader(st.Bytes()), int64(st.Len()), Options{}); err != nil {
			t.Fatalf("%s: back: %v", name, err)
		}
		// Back, it is the packet's bundle (a single tensor in one of its
		// own) as the encoder writes it with the default options.
		if tt, ok := want.(*tenso.Tensor); ok {
			want = (&tenso.Bundle{}).Add(DefaultTensorName, tt)
		}
		wantP, err := tenso.Encode(want, tenso.Options{})
		if err != nil {
			t.Fatal(name, err)
		}
		if in, _ := tenso.Inspect(wantP); !bytes.Equal(back.Bytes(), wantP) || n != in.Count {
			t.Fatalf("%s: tenso → safetensors (%d tensors) → tenso differs from the packet", name, n)
		}
		converted++
	}
	if converted < 20 {
		t.Fatalf("only %d golden packets converted", converted)
	}
}

// TensoToSafetensors and TensoToNpy never panic or misread: whatever they
// accept reads back as a valid file of the other format.
func FuzzTensoToSafetensors(f *testing.F) {
	for _, g := range golden.Files(f) {
		f.Add(golden.Read(f, g["file"].(string)))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		var st bytes.Buffer
		if _, err := TensoToSafetensors(&st, bytes.NewReader(p)); err == nil {
			if _, err := ReadSTHeader(bytes.NewReader(st.Bytes()), int64(st.Len())); err != nil {
				t.Fatalf("accepted packet produced a bad safetensors file: %v", err)
			}
		}
		var npy bytes.Buffer
		if err := TensoToNpy(&npy, bytes.NewReader(p)); err == nil {
			if err := NpyToTenso(io.Discard, bytes.NewReader(npy.Bytes()), Options{}); err != nil {
				t.Fatalf("accepted packet produced a bad .npy file: %v", err)
			}
		}
	})
}
