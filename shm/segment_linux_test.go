//go:build linux

package shm

import (
	"bytes"
	"errors"
	"os"
	"testing"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

func TestSegmentPutGet(t *testing.T) {
	name := testName(t)
	s, err := Create(name, 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if st, err := os.Stat(shmDir + name); err != nil || st.Mode().Perm() != 0o600 || st.Size() != 1<<16 {
		t.Fatalf("segment file: %v %v", st, err)
	}
	in := testutil.Bytes(1000)
	n, err := s.Put(in, tenso.Options{Integrity: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := tenso.Encode(in, tenso.Options{Integrity: true})
	if n != len(want) || !bytes.Equal(s.Bytes()[:n], want) {
		t.Fatalf("segment bytes differ from Encode (%d vs %d)", n, len(want))
	}
	// Another handle (as another process would) reads it zero-copy.
	r, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	v, err := r.Get()
	if err != nil {
		t.Fatal(err)
	}
	got := v.(*tenso.Tensor)
	if !bytes.Equal(got.Data, in.Data) || !testutil.Within(got.Data, r.Bytes()) {
		t.Fatal("Get: wrong data or not a view into the segment")
	}
	if !tenso.IsAligned(got.Data, 64) {
		t.Error("body not 64-byte aligned in shared memory")
	}
	cp, err := r.GetCopy()
	if err != nil || testutil.Within(cp.(*tenso.Tensor).Data, r.Bytes()) || !bytes.Equal(cp.(*tenso.Tensor).Data, in.Data) {
		t.Fatal("GetCopy must copy", err)
	}
	// A smaller packet leaves the tail alone and still reads back.
	if _, err := s.Put(testutil.Bytes(3), tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	if v, err := r.Get(); err != nil || len(v.(*tenso.Tensor).Data) != 12 {
		t.Fatal(v, err)
	}
	// Too large: nothing written.
	if _, err := s.Put(testutil.Bytes(1<<15), tenso.Options{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized put: %v", err)
	}
	if err := s.Close(); err != nil || s.Close() != nil {
		t.Fatal("close:", err)
	}
	if _, err := s.Get(); !errors.Is(err, ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
}

func TestSegmentCompressed(t *testing.T) {
	in := &tenso.Tensor{DType: tenso.Float64, Shape: []int{64, 16}, Data: make([]byte, 8*64*16)}
	for i := range in.Data {
		in.Data[i] = byte(i % 13)
	}
	o := tenso.Options{Compress: true, Integrity: true}
	pkt, err := tenso.Encode(in, o)
	if err != nil {
		t.Fatal(err)
	}
	// CreateFrom sizes the segment to exactly the packet, so even a reader
	// that takes the whole segment as the packet (Python) is right.
	name := testName(t)
	s, err := CreateFrom(name, in, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Size() != len(pkt) {
		t.Fatalf("CreateFrom size %d, packet %d", s.Size(), len(pkt))
	}
	if v, err := tenso.Decode(s.Bytes()); err != nil || !bytes.Equal(v.(*tenso.Tensor).Data, in.Data) {
		t.Fatal("whole-segment decode:", err)
	}
	if v, err := s.Get(); err != nil || !bytes.Equal(v.(*tenso.Tensor).Data, in.Data) {
		t.Fatal("Get:", err)
	}
	// Put of a compressed dense packet into a segment of another size is
	// refused (a Python reader would mis-frame it)...
	big, err := Create(testName(t), int64(len(pkt))+4096)
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	if _, err := big.Put(in, o); !errors.Is(err, tenso.ErrUnframed) {
		t.Fatalf("compressed put into oversized segment: %v", err)
	}
	// ...but compressed values inside a bundle are framed and fine.
	b := (&tenso.Bundle{}).Add("x", in)
	if _, err := big.Put(b, o); err != nil {
		t.Fatal(err)
	}
	if v, err := big.Get(); err != nil || !bytes.Equal(v.(*tenso.Bundle).Get("x").(*tenso.Tensor).Data, in.Data) {
		t.Fatal(err)
	}
	// A compressed packet the reference wrote into an oversized segment
	// (the reference's implicit-length bug, with garbage in the slack)
	// reads correctly: the length comes from the LZ4 frame.
	copy(big.Bytes(), pkt)
	for i := len(pkt); i < big.Size(); i++ {
		big.Bytes()[i] = 0xA5
	}
	if v, err := big.Get(); err != nil || !bytes.Equal(v.(*tenso.Tensor).Data, in.Data) {
		t.Fatal("oversized compressed segment:", err)
	}
}

func TestSegmentBadContents(t *testing.T) {
	good, _ := tenso.Encode(testutil.Bytes(100), tenso.Options{})
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"too small", []byte("TNS"), tenso.ErrCorrupt},
		{"wrong magic", append([]byte("XXXX"), good[4:]...), tenso.ErrCorrupt},
		{"wrong version", append(append([]byte("TNSO"), 9), good[5:]...), tenso.ErrUnsupported},
		{"truncated", good[:len(good)-10], tenso.ErrCorrupt},
		{"zeros", make([]byte, 4096), tenso.ErrCorrupt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := testName(t)
			if err := os.WriteFile(shmDir+name, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Get(); !errors.Is(err, tc.want) {
				t.Fatalf("Get: %v, want %v", err, tc.want)
			}
			if _, err := s.GetCopy(); !errors.Is(err, tc.want) {
				t.Fatalf("GetCopy: %v, want %v", err, tc.want)
			}
		})
	}
	// An empty segment cannot be mapped: a clear error at Open.
	name := testName(t)
	os.WriteFile(shmDir+name, nil, 0o600)
	if _, err := Open(name); !errors.Is(err, tenso.ErrCorrupt) {
		t.Fatalf("empty segment: %v", err)
	}
	if _, err := Open("no/such"); !errors.Is(err, ErrBadName) {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := Open(testName(t)); err == nil {
		t.Fatal("missing segment opened")
	}
	if _, err := Create(name, 10); err == nil {
		t.Fatal("Create of an existing name must fail (O_EXCL)")
	}
}

// A segment shrunk by another process after we mapped it: Get bounds the
// packet by the current size and reports ErrCorrupt; no SIGBUS.
func TestSegmentTruncatedAfterMapping(t *testing.T) {
	name := testName(t)
	s, err := CreateFrom(name, testutil.Bytes(4096), tenso.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.Truncate(shmDir+name, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(); !errors.Is(err, tenso.ErrCorrupt) {
		t.Fatalf("Get after truncation: %v", err)
	}
	if _, err := s.GetCopy(); !errors.Is(err, tenso.ErrCorrupt) {
		t.Fatalf("GetCopy after truncation: %v", err)
	}
	// Put writes past the new end: the fault is caught.
	if _, err := s.Put(testutil.Bytes(4000), tenso.Options{}); !errors.Is(err, ErrFault) {
		t.Fatalf("Put after truncation: %v", err)
	}
}

func TestNewName(t *testing.T) {
	n := NewName()
	if len(n) != 12 || n[:4] != "psm_" {
		t.Fatalf("NewName %q", n)
	}
	s, err := Create("", 64)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Unlink()
	defer s.Close()
	if len(s.Name()) != 12 || s.Name()[:4] != "psm_" {
		t.Fatalf("generated name %q", s.Name())
	}
}
