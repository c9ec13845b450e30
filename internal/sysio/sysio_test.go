package sysio

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestLittleEndianMatchesHost(t *testing.T) {
	if got := binary.NativeEndian.Uint16([]byte{1, 0}) == 1; got != LittleEndian {
		t.Fatalf("LittleEndian = %v, the host says %v", LittleEndian, got)
	}
}

func TestAligned(t *testing.T) {
	for n := 0; n < 200; n += 7 {
		b := AlignedBytes(n, n+5)
		if len(b) != n || cap(b) != n+5 || !IsAligned(b[:cap(b)], Align) {
			t.Fatalf("AlignedBytes(%d, %d): len %d cap %d", n, n+5, len(b), cap(b))
		}
		for _, x := range b {
			if x != 0 {
				t.Fatal("not zeroed")
			}
		}
	}
	if b := AlignedBytes(10, 3); len(b) != 10 || cap(b) != 10 {
		t.Fatalf("capacity below length: len %d cap %d", len(b), cap(b))
	}
	src := make([]byte, 100)
	for i := range src {
		src[i] = byte(i)
	}
	for off := 0; off < 3; off++ {
		c := AlignedCopy(src[off:])
		if !IsAligned(c, Align) || !bytes.Equal(c, src[off:]) {
			t.Fatalf("AlignedCopy at offset %d", off)
		}
	}
	a := AlignedBytes(8, 8)
	if c := AlignedCopy(a); &c[0] != &a[0] {
		t.Fatal("AlignedCopy copied an aligned slice")
	}
}

// The Linux file path takes writev (ok) and handles more buffers than one
// writev accepts.
func TestWritevFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "w"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var many [][]byte
	var want []byte
	for i := 0; i < 3000; i++ {
		b := []byte{byte(i), byte(i >> 8), 0xee}
		if i%7 == 0 {
			b = nil
		}
		many = append(many, b)
		want = append(want, b...)
	}
	n, ok, err := writevFile(f, many)
	if runtime.GOOS == "linux" && (!ok || err != nil || n != int64(len(want))) {
		t.Fatalf("writevFile: n=%d ok=%v err=%v", n, ok, err)
	}
	if !ok {
		if _, err := WriteBuffers(f, many); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("file holds %d bytes, want %d (%v)", len(got), len(want), err)
	}
}

func segs(t testing.TB, n int) ([][]byte, []byte) {
	var bufs [][]byte
	var all []byte
	for i := 0; i < n; i++ {
		b := bytes.Repeat([]byte{byte(i)}, i%7) // some empty
		bufs = append(bufs, b)
		all = append(all, b...)
	}
	return bufs, all
}

func TestWriteBuffers(t *testing.T) {
	bufs, all := segs(t, 3000) // more than IOV_MAX
	orig := append([][]byte(nil), bufs...)
	// File.
	p := filepath.Join(t.TempDir(), "w")
	f, _ := os.Create(p)
	n, err := WriteBuffers(f, bufs)
	f.Close()
	got, _ := os.ReadFile(p)
	if err != nil || n != int64(len(all)) || !bytes.Equal(got, all) {
		t.Fatal("file", err)
	}
	// A pipe with a slow reader: short writes and EAGAIN.
	big := [][]byte{bytes.Repeat([]byte("a"), 3<<20), {}, bytes.Repeat([]byte("b"), 1<<20+3)}
	r, w, _ := os.Pipe()
	res := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); res <- b }()
	n, err = WriteBuffers(w, big)
	w.Close()
	if b := <-res; err != nil || n != 4<<20+3 || !bytes.Equal(b, bytes.Join(big, nil)) {
		t.Fatal("pipe", err, n)
	}
	// TCP on loopback (net.Buffers → writev).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		res <- b
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	n, err = WriteBuffers(c, bufs)
	c.Close()
	if b := <-res; err != nil || n != int64(len(all)) || !bytes.Equal(b, all) {
		t.Fatal("tcp", err)
	}
	// Any writer.
	var bb bytes.Buffer
	if n, err := WriteBuffers(&bb, bufs); err != nil || n != int64(len(all)) || !bytes.Equal(bb.Bytes(), all) {
		t.Fatal("buffer", err)
	}
	for i := range bufs {
		if len(bufs[i]) != len(orig[i]) {
			t.Fatal("bufs modified")
		}
	}
	if _, err := WriteBuffers(f, bufs); err == nil {
		t.Fatal("write to closed file succeeded")
	}
	runtime.KeepAlive(orig)
}
