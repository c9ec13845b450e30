//go:build cuda && cgo

package gpu

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	tenso "github.com/tenso-go/tenso"
)

func TestCUDARoundTrip(t *testing.T) {
	if n, err := DeviceCount(); err != nil || n == 0 {
		t.Skip("no CUDA device:", err)
	}
	for _, tc := range []struct {
		t *tenso.Tensor
		o tenso.Options
	}{
		{tensorOf(tenso.Float32, 1000, 1000), tenso.Options{}},
		{tensorOf(tenso.Int64, 3, 3), tenso.Options{Integrity: true}},
		{tensorOf(tenso.Uint8, 0), tenso.Options{}},
		{tensorOf(tenso.Float16, 777, 33), tenso.Options{Alignment: 16, Integrity: true}},
	} {
		pkt, _ := tenso.Encode(tc.t, tc.o)
		dt, err := ReadToDeviceWith(bytes.NewReader(pkt), 0, Options{ChunkSize: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		host, err := dt.ToHost()
		if err != nil || !bytes.Equal(host.Data, tc.t.Data) || host.DType != tc.t.DType {
			t.Fatal("ReadToDevice/ToHost", err)
		}
		var out bytes.Buffer
		if _, err := WriteFromDevice(&out, dt, WriteOptions{Alignment: tc.o.Alignment, Integrity: tc.o.Integrity, ChunkSize: 64 << 10}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), pkt) {
			t.Fatal("WriteFromDevice differs from Encode")
		}
		// DirectTransfer from a file, at an offset.
		p := filepath.Join(t.TempDir(), "x")
		os.WriteFile(p, append([]byte("0123456"), pkt...), 0o644)
		f, _ := os.Open(p)
		x, err := NewDirectTransfer(0, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("GDSAvailable=%v UsesGDS=%v", GDSAvailable(), x.UsesGDS())
		dt2, err := x.ReadFile(f, 7)
		if err != nil {
			t.Fatal(err)
		}
		h2, _ := dt2.ToHost()
		if !bytes.Equal(h2.Data, tc.t.Data) {
			t.Fatal("DirectTransfer data")
		}
		f.Close()
		x.Close()
		dt.Free()
		dt2.Free()
		if err := dt.Free(); err != nil {
			t.Fatal("double Free", err)
		}
	}
	// A bad footer frees and fails.
	pkt, _ := tenso.Encode(tensorOf(tenso.Float32, 100), tenso.Options{Integrity: true})
	pkt[len(pkt)-1] ^= 1
	if _, err := ReadToDevice(bytes.NewReader(pkt), 0); !errors.Is(err, tenso.ErrChecksum) {
		t.Fatal(err)
	}
	up, err := Upload(tensorOf(tenso.Int32, 5, 5), 0)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := up.ToHost(); !bytes.Equal(h.Data, tensorOf(tenso.Int32, 5, 5).Data) {
		t.Fatal("Upload")
	}
	up.Free()
	if _, err := ReadToDevice(bytes.NewReader(pkt), 99); err == nil {
		t.Fatal("device 99 accepted")
	}
}

// Host→device throughput for a 256 MiB packet: ReadToDevice from memory
// (pinned double buffering, overlapping) against one cuMemcpyHtoD of the
// same bytes from pinned memory.
func BenchmarkHostToDevice256MiB(b *testing.B) {
	if n, err := DeviceCount(); err != nil || n == 0 {
		b.Skip("no CUDA device:", err)
	}
	const n = 256 << 20
	in := tensorOf(tenso.Uint8, n)
	pkt, _ := tenso.Encode(in, tenso.Options{})
	b.Run("ReadToDevice", func(b *testing.B) {
		b.SetBytes(n)
		for b.Loop() {
			dt, err := ReadToDevice(bytes.NewReader(pkt), 0)
			if err != nil {
				b.Fatal(err)
			}
			dt.Free()
		}
	})
	b.Run("ReadToDevice-preallocated-reader", func(b *testing.B) {
		b.SetBytes(n)
		for b.Loop() {
			dt, err := ReadToDeviceWith(bytes.NewReader(pkt), 0, Options{ChunkSize: 32 << 20})
			if err != nil {
				b.Fatal(err)
			}
			dt.Free()
		}
	})
	b.Run("cuMemcpyHtoD-pinned-baseline", func(b *testing.B) {
		buf, free, err := pinnedBuffer(0, n)
		if err != nil {
			b.Fatal(err)
		}
		defer free()
		copy(buf, in.Data)
		dt, err := Upload(tensorOf(tenso.Uint8, 1), 0)
		if err != nil {
			b.Fatal(err)
		}
		dt.Free()
		dst, err := Upload(in, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer dst.Free()
		b.SetBytes(n)
		for b.Loop() {
			if err := memcpyHtoD(dst, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
