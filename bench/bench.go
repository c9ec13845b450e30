// Package bench compares Tenso with the formats users would pick instead,
// on identical tensors in one run: Apache Arrow IPC, safetensors, NumPy
// .npy (npyio), MessagePack, encoding/gob, protobuf, and a plain copy.
//
// It is its own module so that the peers stay out of the library's go.mod.
// cmd/report runs every benchmark and writes RESULTS.md and results.png.
package bench

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/tenso-go/tenso"
)

// Tensor is one named tensor of a case.
type Tensor struct {
	Name  string
	DType tenso.DType // Float32 or Uint8 in every case
	Shape []int
	Data  []byte // C-order little-endian
}

// Case is one workload: a single tensor, or a bundle of many.
type Case struct {
	Name    string // short id
	Label   string // for tables and the chart
	Tensors []Tensor
	Bundle  bool
}

// Bytes is the total tensor payload of the case.
func (c *Case) Bytes() int64 {
	var n int64
	for _, t := range c.Tensors {
		n += int64(len(t.Data))
	}
	return n
}

func f32Tensor(r *rand.Rand, name string, shape ...int) Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	b := make([]byte, 4*n)
	for i := 0; i < n; i++ {
		v := math.Float32bits(float32(r.NormFloat64() * 0.02))
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	return Tensor{Name: name, DType: tenso.Float32, Shape: shape, Data: b}
}

// image makes a smooth gradient with noise, so LZ4 finds a little to do.
func image(r *rand.Rand, name string, h, w, c int) Tensor {
	b := make([]byte, h*w*c)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for k := 0; k < c; k++ {
				v := (x*255/w+y*255/h)/2 + k*40 + r.Intn(16)
				b[(y*w+x)*c+k] = byte(v)
			}
		}
	}
	return Tensor{Name: name, DType: tenso.Uint8, Shape: []int{h, w, c}, Data: b}
}

// Cases returns the workloads, mirroring the reference's published tables.
// With small set, the large cases shrink (for tests).
func Cases(small bool) []Case {
	r := rand.New(rand.NewSource(42))
	llm := 4096
	if small {
		llm = 64
	}
	bundle := make([]Tensor, 100)
	for i := range bundle {
		if i%2 == 0 {
			bundle[i] = f32Tensor(r, fmt.Sprintf("layer.%02d.weight", i/2), 16, 16)
		} else {
			t := image(r, fmt.Sprintf("layer.%02d.mask", i/2), 32, 32, 1)
			t.Shape = []int{32, 32}
			bundle[i] = t
		}
	}
	h, w := 720, 1280
	if small {
		h, w = 72, 128
	}
	frame, layer := "720p RGB frame", "LLM layer"
	if small {
		frame, layer = "720p RGB frame, shrunk", "LLM layer, shrunk"
	}
	cs := []Case{
		{Name: "sensor", Label: "256 float32 (sensor window", Tensors: []Tensor{f32Tensor(r, "x", 256)}},
		{Name: "tinyml", Label: "96×96×3 uint8 (TinyML input", Tensors: []Tensor{image(r, "x", 96, 96, 3)}},
		{Name: "frame720p", Label: fmt.Sprintf("%d×%d×3 uint8 (%s", h, w, frame), Tensors: []Tensor{image(r, "x", h, w, 3)}},
		{Name: "llm64mib", Label: fmt.Sprintf("%d×%d float32 (%s", llm, llm, layer), Tensors: []Tensor{f32Tensor(r, "x", llm, llm)}},
		{Name: "bundle100", Label: "bundle of 100 tensors, 16×16 float32 / 32×32 uint8 (", Tensors: bundle, Bundle: true},
	}
	for i := range cs {
		sep := ", "
		if cs[i].Bundle {
			sep = ""
		}
		cs[i].Label += sep + sizeString(cs[i].Bytes()) + ")"
	}
	return cs
}

func sizeString(n int64) string {
	switch {
	case n < 1<<20:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// Visit receives each decoded tensor's element bytes (a view or a copy,
// as the format gives them).
type Visit func(i int, data []byte)

// Codec is one format under test. Prepare builds per-case state outside
// the timed loop (reused buffers, writers) and returns the timed
// operations.
type Codec struct {
	Name   string
	Note   string // how the format is used, for RESULTS.md
	Encode func(c *Case) func() ([]byte, error)
	Decode func(c *Case) func(p []byte, visit Visit) error
}
