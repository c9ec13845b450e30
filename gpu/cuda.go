//go:build cuda && cgo

package gpu

/*
#cgo LDFLAGS: -lcuda
#include <cuda.h>

static CUresult tenso_host_alloc(void **p, size_t n) {
	return cuMemHostAlloc(p, n, CU_MEMHOSTALLOC_PORTABLE);
}
*/
import "C"

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"unsafe"

	tenso "github.com/tenso-go/tenso"
	"gorgonia.org/cu"
)

// device is one CUDA device with its retained primary context and a few
// cached pinned staging pairs.
type device struct {
	ord int
	dev cu.Device
	ctx cu.CUContext

	mu   sync.Mutex
	free []*pinned
}

var (
	devMu   sync.Mutex
	devices = map[int]*device{}
)

func getDevice(ord int) (*device, error) {
	devMu.Lock()
	defer devMu.Unlock()
	if d := devices[ord]; d != nil {
		return d, nil
	}
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("tenso/gpu: %w", err)
	}
	if ord < 0 || ord >= n {
		return nil, fmt.Errorf("%w: device %d of %d", tenso.ErrInvalid, ord, n)
	}
	dev, err := cu.GetDevice(ord)
	if err != nil {
		return nil, fmt.Errorf("tenso/gpu: device %d: %w", ord, err)
	}
	ctx, err := dev.RetainPrimaryCtx()
	if err != nil {
		return nil, fmt.Errorf("tenso/gpu: device %d primary context: %w", ord, err)
	}
	d := &device{ord: ord, dev: dev, ctx: ctx}
	devices[ord] = d
	return d, nil
}

// do runs f on a locked OS thread with the device's context current.
func (d *device) do(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		return fmt.Errorf("tenso/gpu: set context: %w", err)
	}
	return f()
}

// pinned is a pair of page-locked host buffers with a stream and one event
// per buffer; it implements stager for the device range starting at dst.
type pinned struct {
	size   int
	ptrs   [2]unsafe.Pointer
	bufs   [2][]byte
	stream cu.Stream
	events [2]cu.Event
	dst    cu.DevicePtr
}

// getPinned returns a staging pair of the given chunk size (call inside do).
func (d *device) getPinned(size int) (*pinned, error) {
	d.mu.Lock()
	for i, p := range d.free {
		if p.size == size {
			d.free = append(d.free[:i], d.free[i+1:]...)
			d.mu.Unlock()
			return p, nil
		}
	}
	d.mu.Unlock()
	p := &pinned{size: size}
	for i := range p.ptrs {
		if r := C.tenso_host_alloc(&p.ptrs[i], C.size_t(size)); r != C.CUDA_SUCCESS {
			p.release()
			return nil, fmt.Errorf("tenso/gpu: cuMemHostAlloc(%d): CUresult %d", size, int(r))
		}
		p.bufs[i] = unsafe.Slice((*byte)(p.ptrs[i]), size)
	}
	var err error
	if p.stream, err = cu.MakeStream(cu.NonBlocking); err != nil {
		p.release()
		return nil, fmt.Errorf("tenso/gpu: stream: %w", err)
	}
	for i := range p.events {
		if p.events[i], err = cu.MakeEvent(cu.DisableTiming); err != nil {
			p.release()
			return nil, fmt.Errorf("tenso/gpu: event: %w", err)
		}
	}
	return p, nil
}

// putPinned keeps up to two staging pairs for reuse (call inside do).
func (d *device) putPinned(p *pinned) {
	if p.stream.Synchronize() != nil {
		p.release()
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.free) >= 2 {
		p.release()
		return
	}
	d.free = append(d.free, p)
}

func (p *pinned) release() {
	for i := range p.events {
		if p.events[i] != (cu.Event{}) {
			cu.DestroyEvent(&p.events[i])
		}
	}
	if p.stream != (cu.Stream{}) {
		p.stream.Destroy()
	}
	for i := range p.ptrs {
		if p.ptrs[i] != nil {
			cu.MemFreeHost(p.ptrs[i])
			p.ptrs[i], p.bufs[i] = nil, nil
		}
	}
}

func (p *pinned) buf(i int) []byte { return p.bufs[i] }

func (p *pinned) toDevice(i int, off int64, n int) error {
	if err := cu.MemcpyHtoDAsync(p.dst+cu.DevicePtr(off), p.ptrs[i], int64(n), p.stream); err != nil {
		return fmt.Errorf("tenso/gpu: host→device copy: %w", err)
	}
	return p.events[i].Record(p.stream)
}

func (p *pinned) fromDevice(i int, off int64, n int) error {
	if err := cu.MemcpyDtoHAsync(p.ptrs[i], p.dst+cu.DevicePtr(off), int64(n), p.stream); err != nil {
		return fmt.Errorf("tenso/gpu: device→host copy: %w", err)
	}
	return p.events[i].Record(p.stream)
}

func (p *pinned) wait(i int) error { return p.events[i].Synchronize() }

func (d *device) alloc(n int64) (cu.DevicePtr, error) {
	if n == 0 {
		return 0, nil
	}
	ptr, err := cu.MemAlloc(n)
	if err != nil {
		return 0, fmt.Errorf("tenso/gpu: allocate %d bytes on device %d: %w", n, d.ord, err)
	}
	return ptr, nil
}

// DeviceCount returns the number of CUDA devices.
func DeviceCount() (int, error) { return cu.NumDevices() }

// ReadToDevice reads one uncompressed dense packet from r into memory of
// the given device, through pinned buffers with overlapping reads and
// copies. The integrity footer, if any, is verified before returning.
func ReadToDevice(r io.Reader, device int) (*DeviceTensor, error) {
	return ReadToDeviceWith(r, device, Options{})
}

// ReadToDeviceWith is ReadToDevice with options.
func ReadToDeviceWith(r io.Reader, device int, o Options) (*DeviceTensor, error) {
	info, body, err := readDenseHeader(r, o.Limits)
	if err != nil {
		return nil, err
	}
	d, err := getDevice(device)
	if err != nil {
		return nil, err
	}
	var t *DeviceTensor
	err = d.do(func() error {
		var err error
		t, err = d.stage(body, info, o)
		return err
	})
	return t, err
}

// stage allocates the tensor and streams its body from body
// (readDenseHeader's, which verifies the footer at its end).
func (d *device) stage(body io.Reader, info tenso.Info, o Options) (*DeviceTensor, error) {
	ptr, err := d.alloc(info.DataSize)
	if err != nil {
		return nil, err
	}
	free := func() {
		if ptr != 0 {
			cu.MemFree(ptr)
		}
	}
	if info.DataSize > 0 {
		p, err := d.getPinned(o.chunk())
		if err != nil {
			free()
			return nil, err
		}
		p.dst = ptr
		err = upload(body, info.DataSize, p)
		d.putPinned(p)
		if err != nil {
			free()
			return nil, err
		}
	}
	if err := finishBody(body); err != nil {
		free()
		return nil, err
	}
	return &DeviceTensor{DType: info.DType, Shape: info.Shape, NBytes: info.DataSize, Device: d.ord, ptr: uint64(ptr)}, nil
}

// Upload copies a host tensor into memory of the given device.
func Upload(t *tenso.Tensor, device int) (*DeviceTensor, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	n := int64(len(t.Data))
	d, err := getDevice(device)
	if err != nil {
		return nil, err
	}
	var out *DeviceTensor
	err = d.do(func() error {
		ptr, err := d.alloc(n)
		if err != nil {
			return err
		}
		if n > 0 {
			if err := cu.MemcpyHtoD(ptr, unsafe.Pointer(&t.Data[0]), n); err != nil {
				cu.MemFree(ptr)
				return fmt.Errorf("tenso/gpu: host→device copy: %w", err)
			}
		}
		out = &DeviceTensor{DType: t.DType, Shape: append([]int(nil), t.Shape...), NBytes: n, Device: device, ptr: uint64(ptr)}
		return nil
	})
	return out, err
}

// WriteFromDevice writes t as one dense packet (header, body staged
// through pinned buffers with overlapping copies and writes, optional
// footer) and returns the bytes written. The packet is written by the
// codec's DenseWriter, exactly as tenso.Encode would write it.
func WriteFromDevice(w io.Writer, t *DeviceTensor, o WriteOptions) (int64, error) {
	if t.NBytes > 0 && t.ptr == 0 {
		return 0, fmt.Errorf("%w: device tensor already freed", tenso.ErrInvalid)
	}
	d, err := getDevice(t.Device)
	if err != nil {
		return 0, err
	}
	cw := &countWriter{w: w}
	dw, err := denseWriter(cw, t.DType, t.Shape, t.NBytes, o)
	if err != nil {
		return cw.n, err
	}
	err = d.do(func() error {
		if t.NBytes == 0 {
			return nil
		}
		p, err := d.getPinned(Options{ChunkSize: o.ChunkSize}.chunk())
		if err != nil {
			return err
		}
		p.dst = cu.DevicePtr(t.ptr)
		_, err = download(dw, t.NBytes, p)
		d.putPinned(p)
		return err
	})
	if err == nil {
		err = dw.Close()
	}
	return cw.n, err
}

// ToHost copies the tensor back into a new host tensor.
func (t *DeviceTensor) ToHost() (*tenso.Tensor, error) {
	if t.NBytes > 0 && t.ptr == 0 {
		return nil, fmt.Errorf("%w: device tensor already freed", tenso.ErrInvalid)
	}
	out := &tenso.Tensor{DType: t.DType, Shape: append([]int(nil), t.Shape...), Data: make([]byte, t.NBytes)}
	if t.NBytes == 0 {
		return out, nil
	}
	d, err := getDevice(t.Device)
	if err != nil {
		return nil, err
	}
	err = d.do(func() error {
		if err := cu.MemcpyDtoH(unsafe.Pointer(&out.Data[0]), cu.DevicePtr(t.ptr), t.NBytes); err != nil {
			return fmt.Errorf("tenso/gpu: device→host copy: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Free releases the device memory. It is idempotent.
func (t *DeviceTensor) Free() error {
	if t.ptr == 0 {
		return nil
	}
	d, err := getDevice(t.Device)
	if err != nil {
		return err
	}
	ptr := cu.DevicePtr(t.ptr)
	t.ptr = 0
	return d.do(func() error { return cu.MemFree(ptr) })
}

// GDSAvailable reports whether GPUDirect Storage's libcufile is installed
// (checked by looking for the library file). DirectTransfer.UsesGDS tells
// whether its driver could actually be opened.
func GDSAvailable() bool { return cufileLibrary() != "" }

// DirectTransfer reads packets from files straight into device memory:
// with GPUDirect Storage when libcufile is installed and its driver opens,
// through pinned staging buffers otherwise. Packets with an integrity
// footer always go through staging, because the host must see the bytes to
// verify them.
type DirectTransfer struct {
	d   *device
	o   Options
	gds *cufile
}

// NewDirectTransfer prepares transfers to the given device.
func NewDirectTransfer(device int, o Options) (*DirectTransfer, error) {
	d, err := getDevice(device)
	if err != nil {
		return nil, err
	}
	x := &DirectTransfer{d: d, o: o}
	if lib := cufileLibrary(); lib != "" {
		d.do(func() error {
			x.gds, _ = openCufile(lib)
			return nil
		})
	}
	return x, nil
}

// UsesGDS reports whether reads go through GPUDirect Storage.
func (x *DirectTransfer) UsesGDS() bool { return x.gds != nil }

// ReadFile reads the dense packet that starts at offset in f into device
// memory.
func (x *DirectTransfer) ReadFile(f *os.File, offset int64) (*DeviceTensor, error) {
	sr := io.NewSectionReader(f, offset, 1<<62)
	info, body, err := readDenseHeader(sr, x.o.Limits)
	if err != nil {
		return nil, err
	}
	var t *DeviceTensor
	err = x.d.do(func() error {
		if x.gds != nil && !info.Integrity && info.DataSize > 0 {
			ptr, err := x.d.alloc(info.DataSize)
			if err != nil {
				return err
			}
			if x.gds.read(f, uint64(ptr), info.DataSize, offset+int64(info.BodyOffset)) == nil {
				t = &DeviceTensor{DType: info.DType, Shape: info.Shape, NBytes: info.DataSize, Device: x.d.ord, ptr: uint64(ptr)}
				return nil
			}
			cu.MemFree(ptr) // fall back to staging
		}
		var err error
		t, err = x.d.stage(body, info, x.o)
		return err
	})
	return t, err
}

// Close releases the GDS driver handle, if any.
func (x *DirectTransfer) Close() error {
	if x.gds != nil {
		x.gds.close()
		x.gds = nil
	}
	return nil
}

// pinnedBuffer allocates n bytes of page-locked host memory on device ord's
// context (used by the benchmarks' cudaMemcpy baseline).
func pinnedBuffer(ord int, n int) (buf []byte, free func(), err error) {
	d, err := getDevice(ord)
	if err != nil {
		return nil, nil, err
	}
	err = d.do(func() error {
		var p unsafe.Pointer
		if r := C.tenso_host_alloc(&p, C.size_t(n)); r != C.CUDA_SUCCESS {
			return fmt.Errorf("tenso/gpu: cuMemHostAlloc(%d): CUresult %d", n, int(r))
		}
		buf = unsafe.Slice((*byte)(p), n)
		free = func() { d.do(func() error { return cu.MemFreeHost(p) }) }
		return nil
	})
	return buf, free, err
}

// memcpyHtoD copies host bytes to t's device memory synchronously (the
// benchmarks' baseline).
func memcpyHtoD(t *DeviceTensor, src []byte) error {
	d, err := getDevice(t.Device)
	if err != nil {
		return err
	}
	return d.do(func() error {
		return cu.MemcpyHtoD(cu.DevicePtr(t.ptr), unsafe.Pointer(&src[0]), int64(len(src)))
	})
}
