package webdemo

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"

	"github.com/tenso-go/tenso"
)

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func typed(t *tenso.Tensor) map[string]any {
	return map[string]any{"dtype": t.DType.String(), "sha256": sum(t.Data)}
}

func f32hex(f []float32) string {
	b := make([]byte, 4*len(f))
	for i, x := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return hex.EncodeToString(b)
}

// Describe is the canonical description of a decoded value that the page
// (static/describe.js) computes too: dense {kind, dtype, shape, sha256};
// quantized adds scheme, axis, group_size, scales and zero_points (hex of the
// float32 bytes) and dequantized (SHA-256 of the float32 dequantization);
// string {kind, count, sha256 of offsets ‖ payload}; ragged {kind, splits
// {dtype, sha256}, flat}; bundle {kind, entries [{key, value}]}; sparse
// {kind, format, shape, data, row, col | indices, indptr} with {dtype,
// sha256} components; ipc_ref {kind, handle, offset, nbytes, device_uuid}.
func Describe(v tenso.Value) map[string]any {
	switch v := v.(type) {
	case *tenso.Tensor:
		return map[string]any{"kind": "dense", "dtype": v.DType.String(), "shape": shape(v.Shape), "sha256": sum(v.Data)}
	case *tenso.Quantized:
		d := map[string]any{"kind": "quantized", "dtype": v.DType.String(), "shape": shape(v.Shape),
			"scheme": v.Scheme.String(), "axis": v.Axis, "group_size": v.GroupSize,
			"scales": f32hex(v.Scales), "zero_points": f32hex(v.ZeroPoints), "sha256": sum(v.Data)}
		if t, err := tenso.Dequantize(v); err == nil {
			d["dequantized"] = sum(t.Data)
		}
		return d
	case *tenso.Strings:
		return map[string]any{"kind": "string", "count": v.Len(), "sha256": sum(append(append([]byte(nil), v.Offsets...), v.Payload...))}
	case *tenso.Ragged:
		d := map[string]any{"kind": "ragged", "splits": typed(v.Splits), "flat": Describe(v.Flat)}
		if v.Framed {
			d["framed"] = true
		}
		return d
	case *tenso.Bundle:
		entries := make([]any, len(v.Entries))
		for i, e := range v.Entries {
			entries[i] = map[string]any{"key": e.Key, "value": Describe(e.Value)}
		}
		return map[string]any{"kind": "bundle", "entries": entries}
	case *tenso.Sparse:
		d := map[string]any{"kind": "sparse", "format": v.Format.String(), "shape": shape(v.Shape), "data": typed(v.Data)}
		if v.Format == tenso.COO {
			d["row"], d["col"] = typed(v.Row), typed(v.Col)
		} else {
			d["indices"], d["indptr"] = typed(v.Indices), typed(v.Indptr)
		}
		return d
	case *tenso.IPCRef:
		return map[string]any{"kind": "ipc_ref", "handle": hex.EncodeToString(v.Handle[:]),
			"offset": strconv.FormatUint(v.Offset, 10), "nbytes": strconv.FormatUint(v.NBytes, 10),
			"device_uuid": hex.EncodeToString(v.DeviceUUID[:])}
	}
	return map[string]any{"kind": "unknown"}
}

func shape(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}
