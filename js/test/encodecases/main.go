// Command encodecases prints, as JSON, what native Go's Encode and
// EncodedLen give for a grid of dense tensors (every dense dtype, empty,
// scalar and 32-dimensional shapes) under every encode option (alignments
// 1 to 4096, integrity, compression), and the errors Encode gives for bad
// dtypes, shapes, body lengths and alignments, so the Node tests can require
// the very same packets, lengths and messages from encode, encodeInto and
// encodedLength. Usage: go run ./js/test/encodecases
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	tenso "github.com/tenso-go/tenso"
)

type options struct {
	Integrity bool `json:"integrity"`
	Compress  bool `json:"compress"`
	Alignment int  `json:"alignment"`
}

type result struct {
	DType   int     `json:"dtype"` // the code: js/index.js names it
	Shape   []int   `json:"shape"`
	Data    string  `json:"data"` // hex of the body bytes
	Options options `json:"options"`
	Packet  string  `json:"packet"` // hex; "" when Encode fails
	Len     int64   `json:"len"`    // EncodedLen; -1 when it fails
	Err     string  `json:"err"`    // Encode's error
	LenErr  string  `json:"len_err"`
}

func body(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)*31 + seed
	}
	return b
}

func run(dt tenso.DType, shape []int, data []byte, o options) result {
	t := &tenso.Tensor{DType: dt, Shape: shape, Data: data}
	co := tenso.Options{Integrity: o.Integrity, Compress: o.Compress, Alignment: o.Alignment}
	r := result{DType: int(dt), Shape: shape, Data: hex.EncodeToString(data), Options: o, Len: -1}
	if r.Shape == nil {
		r.Shape = []int{}
	}
	if p, err := tenso.Encode(t, co); err != nil {
		r.Err = err.Error()
	} else {
		r.Packet = hex.EncodeToString(p)
	}
	if n, err := tenso.EncodedLen(t, co); err != nil {
		r.LenErr = err.Error()
	} else {
		r.Len = n
	}
	return r
}

func main() {
	var out []result
	shapes := [][]int{{}, {0}, {3}, {2, 3}, {3, 0, 2}, {1, 5, 1}}
	many := make([]int, 32)
	for i := range many {
		many[i] = 1
	}
	many[7] = 2
	shapes = append(shapes, many)
	var opts []options
	for _, a := range []int{0, 1, 2, 8, 16, 64, 128, 4096} {
		for _, integrity := range []bool{false, true} {
			opts = append(opts, options{Integrity: integrity, Alignment: a})
		}
	}
	opts = append(opts, options{Compress: true}, options{Compress: true, Integrity: true, Alignment: 16})
	for dt := tenso.DType(1); dt <= 15; dt++ {
		for si, s := range shapes {
			n := dt.ItemSize()
			for _, d := range s {
				n *= d
			}
			for _, o := range opts {
				out = append(out, run(dt, s, body(n, byte(dt)+byte(si)), o))
			}
		}
	}
	// A larger body: a multi-block LZ4 frame and a long hash input.
	out = append(out, run(tenso.Float32, []int{64, 1024}, body(4*64*1024, 1), options{}),
		run(tenso.Float32, []int{64, 1024}, body(4*64*1024, 1), options{Integrity: true}),
		run(tenso.Float32, []int{64, 1024}, body(4*64*1024, 1), options{Compress: true, Integrity: true}))

	// Bad inputs: Encode's first failing check, in its order.
	bad := []struct {
		dt    tenso.DType
		shape []int
		data  int
		o     options
	}{
		{16, []int{2}, 2, options{}},                // quantized dtype
		{20, []int{2}, 2, options{Alignment: 3}},    // string dtype, before the alignment
		{21, []int{1}, 1, options{Integrity: true}}, // bytes dtype
		{tenso.Float32, []int{-1, 2}, 8, options{}}, // negative dim
		{tenso.Float32, []int{2, -3}, 8, options{Alignment: 3}},
		{tenso.Float32, []int{1 << 33}, 4, options{}},          // dim over 32 bits
		{tenso.Float32, []int{1 << 20, 1 << 20}, 4, options{}}, // too many elements
		{tenso.Float32, make([]int, 33), 0, options{}},         // too many dims
		{tenso.Float32, []int{3}, 8, options{}},                // body too short
		{tenso.Float32, []int{3}, 16, options{Integrity: true}},
		{tenso.Float32, []int{3}, 8, options{Alignment: 3}},   // body before alignment
		{tenso.Float32, []int{3}, 12, options{Alignment: 3}},  // alignment
		{tenso.Float32, []int{3}, 12, options{Alignment: 96}}, // alignment
		{tenso.Int8, []int{2}, 2, options{Alignment: 1 << 32}},
		{tenso.Uint8, []int{2}, 3, options{Compress: true}},
	}
	for _, b := range bad {
		out = append(out, run(b.dt, b.shape, body(b.data, 0), b.o))
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
