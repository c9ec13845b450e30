//go:build !cuda || !cgo

package gpu

import (
	"io"
	"os"

	tenso "github.com/tenso-go/tenso"
)

// ReadToDevice returns ErrNoCUDA in a build without CUDA.
func ReadToDevice(r io.Reader, device int) (*DeviceTensor, error) { return nil, ErrNoCUDA }

// ReadToDeviceWith returns ErrNoCUDA in a build without CUDA.
func ReadToDeviceWith(r io.Reader, device int, o Options) (*DeviceTensor, error) {
	return nil, ErrNoCUDA
}

// Upload returns ErrNoCUDA in a build without CUDA.
func Upload(t *tenso.Tensor, device int) (*DeviceTensor, error) { return nil, ErrNoCUDA }

// WriteFromDevice returns ErrNoCUDA in a build without CUDA.
func WriteFromDevice(w io.Writer, t *DeviceTensor, o WriteOptions) (int64, error) {
	return 0, ErrNoCUDA
}

// ToHost returns ErrNoCUDA in a build without CUDA.
func (t *DeviceTensor) ToHost() (*tenso.Tensor, error) { return nil, ErrNoCUDA }

// Free returns ErrNoCUDA in a build without CUDA.
func (t *DeviceTensor) Free() error { return ErrNoCUDA }

// DeviceCount returns ErrNoCUDA in a build without CUDA.
func DeviceCount() (int, error) { return 0, ErrNoCUDA }

// GDSAvailable reports false in a build without CUDA.
func GDSAvailable() bool { return false }

// DirectTransfer reads packets from files into device memory; in a build
// without CUDA every method returns ErrNoCUDA.
type DirectTransfer struct{}

// NewDirectTransfer returns ErrNoCUDA in a build without CUDA.
func NewDirectTransfer(device int, o Options) (*DirectTransfer, error) { return nil, ErrNoCUDA }

// ReadFile returns ErrNoCUDA in a build without CUDA.
func (d *DirectTransfer) ReadFile(f *os.File, offset int64) (*DeviceTensor, error) {
	return nil, ErrNoCUDA
}

// UsesGDS reports false in a build without CUDA.
func (d *DirectTransfer) UsesGDS() bool { return false }

// Close returns ErrNoCUDA in a build without CUDA.
func (d *DirectTransfer) Close() error { return ErrNoCUDA }
