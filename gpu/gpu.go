package gpu

import (
	"errors"

	tenso "github.com/tenso-go/tenso"
)

// ErrNoCUDA is returned by every entry point of a build without CUDA
// support (built without the cuda tag or without cgo).
var ErrNoCUDA = errors.New("tenso/gpu: built without CUDA support (build with -tags cuda and cgo)")

// DeviceTensor is a dense tensor in CUDA device memory: C-order,
// little-endian element bytes, NBytes = prod(Shape) × DType.ItemSize().
type DeviceTensor struct {
	DType  tenso.DType
	Shape  []int
	NBytes int64
	Device int // CUDA device ordinal

	ptr uint64 // CUdeviceptr
}

// Ptr returns the device address (a CUdeviceptr), 0 after Free.
func (t *DeviceTensor) Ptr() uintptr { return uintptr(t.ptr) }

// Options configure transfers. The zero value uses 8 MiB staging chunks
// and the default decoding limits.
type Options struct {
	// ChunkSize is the size of each of the two pinned staging buffers
	// (default 8 MiB, at least 64 KiB).
	ChunkSize int
	// Limits bound the packets read (FORMAT.md §15).
	Limits tenso.Limits
}

func (o Options) chunk() int {
	switch {
	case o.ChunkSize <= 0:
		return 8 << 20
	case o.ChunkSize < 64<<10:
		return 64 << 10
	}
	return o.ChunkSize
}

// WriteOptions configure WriteFromDevice. The zero value writes a 64-byte
// aligned packet without an integrity footer.
type WriteOptions struct {
	// Body alignment, as tenso.Options.Alignment (0 = 64). ReadToDevice
	// refuses alignments over 2^20 unless Options.Limits.MaxAlignment
	// allows them (the padding is read into host memory).
	Alignment int
	Integrity bool // add the XXH3-64 footer (hashed on the host while staging)
	ChunkSize int  // staging buffer size (default 8 MiB)
}
