package tenso_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/tenso-go/tenso"
)

func Example() {
	t, _ := tenso.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	packet, _ := tenso.Encode(t, tenso.Options{Integrity: true})

	v, err := tenso.Decode(packet) // zero-copy: views into packet
	if err != nil {
		panic(err)
	}
	d := v.(*tenso.Tensor)
	xs, _ := tenso.As[float32](d)
	fmt.Println(len(packet), d.DType, d.Shape, xs)
	// Output: 96 float32 [2 3] [1 2 3 4 5 6]
}

func ExampleBundle() {
	ids, _ := tenso.FromSlice([]int64{7, 8, 9})
	mask, _ := tenso.FromSlice([]bool{true, false, true})
	b := new(tenso.Bundle).Add("ids", ids).Add("mask", mask)
	packet, _ := tenso.Encode(b, tenso.Options{Compress: true})

	v, _ := tenso.Decode(packet)
	for _, e := range v.(*tenso.Bundle).Entries {
		fmt.Println(e.Key, e.Value.(*tenso.Tensor).DType)
	}
	// Output:
	// ids int64
	// mask bool
}

func ExampleNewReader() {
	var stream bytes.Buffer
	w := tenso.NewWriter(&stream) // header and body written as separate buffers
	for i := 0; i < 3; i++ {
		t, _ := tenso.FromSlice([]int32{int32(i), int32(i * i)})
		w.Write(t, tenso.Options{})
	}
	r := tenso.NewReader(&stream)
	for {
		v, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		xs, _ := tenso.As[int32](v.(*tenso.Tensor))
		fmt.Println(xs)
	}
	// Output:
	// [0 0]
	// [1 1]
	// [2 4]
}

func ExampleInspect() {
	t, _ := tenso.FromSlice(make([]uint8, 12), 2, 2, 3)
	packet, _ := tenso.Encode(t, tenso.Options{Alignment: 16})
	info, _ := tenso.Inspect(packet)
	fmt.Println(info.Kind, info.DType, info.Shape, info.Alignment, info.BodyOffset, info.DataSize)
	// Output: dense uint8 [2 2 3] 16 32 12
}

func ExampleDecode_errors() {
	_, err := tenso.Decode([]byte("TNSO\x09rest"))
	fmt.Println(err)
	// Output: tenso: unsupported protocol version 9 (this reader accepts 3 and 4) (version at offset 4)
}
