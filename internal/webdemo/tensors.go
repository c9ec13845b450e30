package webdemo

import (
	"encoding/json"
	"math"
	"math/cmplx"

	"github.com/tenso-go/tenso"
)

// demoTensor is one tensor the page shows: its packet, a JSON encoding of
// the same content, and what the page is told about it.
type demoTensor struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Caption string `json:"caption"`
	Packet  []byte `json:"-"`
	JSON    []byte `json:"-"`
	Value   tenso.Value
}

// rng is a small deterministic generator (the demo is the same every run).
type rng uint64

func (r *rng) float() float64 {
	*r ^= *r << 13
	*r ^= *r >> 7
	*r ^= *r << 17
	return float64(uint64(*r)>>11) / (1 << 53)
}

func (r *rng) normal() float64 {
	u, v := r.float()+1e-12, r.float()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*v)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func nest2[T any](flat []T, rows, cols int) [][]T {
	out := make([][]T, rows)
	for r := range out {
		out[r] = flat[r*cols : (r+1)*cols]
	}
	return out
}

// image renders a Mandelbrot detail with smooth colouring: uint8 H×W×3.
func image(h, w int) (*tenso.Tensor, []byte) {
	px := make([]uint8, h*w*3)
	center := complex(-0.743643887037151, 0.13182590420533)
	span := 0.0042
	const maxIter = 600
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := center + complex((float64(x)/float64(w)-0.5)*span, (float64(y)/float64(h)-0.5)*span*float64(h)/float64(w))
			z := complex(0, 0)
			i := 0
			for ; i < maxIter && real(z)*real(z)+imag(z)*imag(z) < 256; i++ {
				z = z*z + c
			}
			var r, g, b float64
			if i < maxIter {
				t := (float64(i) + 1 - math.Log2(math.Log(cmplx.Abs(z)))) / 64
				r = 0.5 + 0.5*math.Cos(2*math.Pi*(t+0.00))
				g = 0.5 + 0.5*math.Cos(2*math.Pi*(t+0.15))
				b = 0.5 + 0.5*math.Cos(2*math.Pi*(t+0.30))
				// Darker near the set, brighter filaments.
				k := math.Min(1, float64(i)/40)
				r, g, b = r*k, g*k, b*(0.35+0.65*k)
			}
			o := 3 * (y*w + x)
			px[o], px[o+1], px[o+2] = uint8(255*r), uint8(255*g), uint8(255*b)
		}
	}
	t := must(tenso.FromSlice(px, h, w, 3))
	rows := make([][][3]uint8, h)
	for y := range rows {
		rows[y] = make([][3]uint8, w)
		for x := range rows[y] {
			o := 3 * (y*w + x)
			rows[y][x] = [3]uint8{px[o], px[o+1], px[o+2]}
		}
	}
	return t, must(json.Marshal(rows))
}

// heatmap is a float32 field: Gaussian blobs over interference fringes.
func heatmap(h, w int) (*tenso.Tensor, []byte) {
	type blob struct{ x, y, s, a float64 }
	blobs := []blob{{0.22, 0.30, 0.10, 1.0}, {0.70, 0.62, 0.14, 0.85}, {0.48, 0.80, 0.07, -0.6}, {0.85, 0.20, 0.06, 0.7}, {0.35, 0.65, 0.05, 0.5}}
	f := make([]float32, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u, v := float64(x)/float64(w), float64(y)/float64(h)
			s := 0.12 * math.Sin(u*31) * math.Cos(v*23)
			for _, b := range blobs {
				dx, dy := u-b.x, (v-b.y)*float64(h)/float64(w)
				s += b.a * math.Exp(-(dx*dx+dy*dy)/(2*b.s*b.s))
			}
			f[y*w+x] = float32(s)
		}
	}
	return must(tenso.FromSlice(f, h, w)), must(json.Marshal(nest2(f, h, w)))
}

// weights is a float32 matrix of Gabor-like filters, quantized to qint8
// per output channel (rows).
func weights(rows, cols int) (*tenso.Quantized, []byte) {
	r := rng(0x9e3779b97f4a7c15)
	f := make([]float32, rows*cols)
	for i := 0; i < rows; i++ {
		freq := 0.08 + 0.5*float64(i%16)/16
		phase := float64(i) * 0.7
		amp := 0.2 + 1.8*float64((i*37)%rows)/float64(rows)
		sigma := 8 + 30*float64((i*11)%rows)/float64(rows)
		for j := 0; j < cols; j++ {
			d := float64(j) - float64(cols)/2
			f[i*cols+j] = float32(amp*math.Exp(-d*d/(2*sigma*sigma))*math.Sin(freq*float64(j)+phase) + 0.03*r.normal())
		}
	}
	q := must(tenso.Quantize(must(tenso.FromSlice(f, rows, cols)), tenso.QInt8, tenso.PerChannel, 0, 0))
	data := make([]int8, len(q.Data))
	for i, b := range q.Data {
		data[i] = int8(b)
	}
	j := must(json.Marshal(map[string]any{
		"dtype": "qint8", "scheme": "per_channel", "axis": 0, "shape": q.Shape,
		"scales": q.Scales, "zero_points": q.ZeroPoints, "data": nest2(data, rows, cols),
	}))
	return q, j
}

// checkpoint is a bundle a model server might send: float16 embeddings,
// a float32 bias, a bool mask, ragged token ids and an int64 step.
func checkpoint() (*tenso.Bundle, []byte) {
	const n, d = 40, 64
	emb := make([]float32, n*d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			emb[i*d+j] = float32(math.Sin(float64(i)*0.31+float64(j)*0.17) * math.Cos(float64(j)*0.05*float64(i%7+1)))
		}
	}
	bias := make([]float32, d)
	mask := make([]bool, d)
	for j := range bias {
		bias[j] = float32(0.5 * math.Tanh(float64(j-d/2)/9))
		mask[j] = j%3 != 0
	}
	rows := [][]int32{{101, 7592, 2088, 102}, {101, 2129, 102}, {101, 1037, 2146, 6251, 2007, 2062, 102}, {101, 102}, {101, 4937, 3899, 102}}
	var flat []int32
	splits := []uint64{0}
	for _, r := range rows {
		flat = append(flat, r...)
		splits = append(splits, uint64(len(flat)))
	}
	step := []int64{1_234_567}
	b := &tenso.Bundle{}
	b.Add("embeddings", must(tenso.ConvertTensor(must(tenso.FromSlice(emb, n, d)), tenso.Float16)))
	b.Add("bias", must(tenso.FromSlice(bias, d)))
	b.Add("mask", must(tenso.FromSlice(mask, d)))
	b.Add("tokens", &tenso.Ragged{Splits: must(tenso.FromSlice(splits, len(splits))), Flat: must(tenso.FromSlice(flat, len(flat)))})
	b.Add("step", must(tenso.FromSlice(step)))
	j := must(json.Marshal(map[string]any{
		"embeddings": nest2(emb, n, d), "bias": bias, "mask": mask, "tokens": rows, "step": step[0],
	}))
	return b, j
}

func buildDemo() []demoTensor {
	img, imgJSON := image(240, 360)
	heat, heatJSON := heatmap(180, 270)
	w, wJSON := weights(64, 128)
	ck, ckJSON := checkpoint()
	out := []demoTensor{
		{Name: "image", Title: "Image", Caption: "uint8 H×W×3, drawn straight from the decoded view", Value: img, JSON: imgJSON},
		{Name: "heatmap", Title: "Heatmap", Caption: "float32 field, colour-mapped on the fly", Value: heat, JSON: heatJSON},
		{Name: "weights", Title: "Quantized weights", Caption: "qint8 per-channel, dequantized in wasm", Value: w, JSON: wJSON},
		{Name: "checkpoint", Title: "Bundle", Caption: "float16 · float32 · bool · ragged · int64 in one packet", Value: ck, JSON: ckJSON},
	}
	for i := range out {
		out[i].Packet = must(tenso.Encode(out[i].Value, tenso.Options{}))
	}
	return out
}
