package shm

import (
	tenso "github.com/tenso-go/tenso"
)

func quantize(t *tenso.Tensor, q Quantization) (*tenso.Quantized, error) {
	return tenso.Quantize(t, q.DType, q.Scheme, q.Axis, q.GroupSize)
}
