//go:build !cuda || !cgo

package gpu

import (
	"bytes"
	"errors"
	"os"
	"testing"

	tenso "github.com/tenso-go/tenso"
)

// Without CUDA every entry point says so.
func TestNoCUDA(t *testing.T) {
	pkt, _ := tenso.Encode(tensorOf(tenso.Float32, 4), tenso.Options{})
	dt := &DeviceTensor{DType: tenso.Float32, Shape: []int{4}, NBytes: 16}
	_, e1 := ReadToDevice(bytes.NewReader(pkt), 0)
	_, e2 := ReadToDeviceWith(bytes.NewReader(pkt), 0, Options{})
	_, e3 := Upload(tensorOf(tenso.Float32, 4), 0)
	_, e4 := WriteFromDevice(&bytes.Buffer{}, dt, WriteOptions{})
	_, e5 := dt.ToHost()
	e6 := dt.Free()
	_, e7 := DeviceCount()
	_, e8 := NewDirectTransfer(0, Options{})
	_, e9 := (&DirectTransfer{}).ReadFile(os.Stdin, 0)
	for i, err := range []error{e1, e2, e3, e4, e5, e6, e7, e8, e9, (&DirectTransfer{}).Close()} {
		if !errors.Is(err, ErrNoCUDA) {
			t.Errorf("entry point %d: %v", i+1, err)
		}
	}
	if GDSAvailable() || (&DirectTransfer{}).UsesGDS() {
		t.Error("GDS reported without CUDA")
	}
}
