//go:build linux

package shm

import (
	"os"
	"os/exec"
	"sort"
	"testing"
	"time"

	tenso "github.com/tenso-go/tenso"
)

func bigTensor(n int) *tenso.Tensor {
	d := make([]byte, n)
	for i := range d {
		d[i] = byte(i)
	}
	return &tenso.Tensor{DType: tenso.Float32, Shape: []int{n / 4}, Data: d}
}

// Segment put/get of a 64 MiB tensor. Get is O(1) (header parse, no copy);
// put is one copy of the body into the segment. Baseline: copy of the same
// bytes.
func BenchmarkSegment64MiB(b *testing.B) {
	const n = 64 << 20
	t := bigTensor(n)
	s, err := Create(testName(b), n+4096)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Put(t, tenso.Options{}); err != nil {
		b.Fatal(err)
	}
	b.Run("Put", func(b *testing.B) {
		b.SetBytes(n)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Put(t, tenso.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Get", func(b *testing.B) {
		b.SetBytes(n)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Get(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("copy-baseline", func(b *testing.B) {
		dst := s.Bytes()[64:]
		b.SetBytes(n)
		for b.Loop() {
			copy(dst, t.Data)
		}
	})
}

// Cache Put of a 4 MiB tensor (rewritten in place) against a copy of the
// same bytes into the pool.
func BenchmarkCachePut4MiB(b *testing.B) {
	const n = 4 << 20
	c, err := CreateCacheBytes(testName(b), 64<<20, CacheOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	t := bigTensor(n)
	b.Run("Put", func(b *testing.B) {
		b.SetBytes(n)
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Put("t", t, PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("copy-baseline", func(b *testing.B) {
		dst := c.mem[c.dataStart+64:]
		b.SetBytes(n)
		for b.Loop() {
			copy(dst, t.Data)
		}
	})
}

// Cache Get of a 4 MiB tensor that another process put: zero-copy Get
// against GetCopy and a plain copy of the same bytes. p50-ns is the median
// latency of one Get.
func BenchmarkCacheGet4MiB(b *testing.B) {
	name := testName(b)
	c, err := CreateCacheBytes(name, 64<<20, CacheOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=put4mib", "TENSO_SHM_NAME="+name)
	cmd.Stderr = os.Stderr
	if out, err := cmd.Output(); err != nil {
		b.Fatal(string(out), err)
	}
	if info, err := c.Info("t"); err != nil || info.PacketSize != 4<<20+64 {
		b.Fatal("child did not put the tensor:", err)
	}
	lat := make([]time.Duration, 0, 1<<16)
	b.Run("Get", func(b *testing.B) {
		b.ReportAllocs()
		lat = lat[:0]
		for b.Loop() {
			t0 := time.Now()
			v, err := c.Get("t")
			d := time.Since(t0)
			if err != nil || len(v.Value.(*tenso.Tensor).Data) != 4<<20 {
				b.Fatal(err)
			}
			if len(lat) < cap(lat) {
				lat = append(lat, d)
			}
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	})
	b.Run("GetCopy", func(b *testing.B) {
		b.SetBytes(4 << 20)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.GetCopy("t"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("copy-baseline", func(b *testing.B) {
		v, _ := c.Get("t")
		src := v.Value.(*tenso.Tensor).Data
		dst := make([]byte, len(src))
		b.SetBytes(4 << 20)
		for b.Loop() {
			copy(dst, src)
		}
	})
	b.Run("make+copy-baseline", func(b *testing.B) {
		v, _ := c.Get("t")
		src := v.Value.(*tenso.Tensor).Data
		b.SetBytes(4 << 20)
		b.ReportAllocs()
		for b.Loop() {
			dst := make([]byte, len(src))
			copy(dst, src)
		}
	})
}
