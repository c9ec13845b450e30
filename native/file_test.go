package native

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

func TestDumpLoadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.tenso")
	in := testutil.Bytes(10000)
	n, err := DumpFile(path, in, DumpOptions{Encode: tenso.Options{Integrity: true}, Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := tenso.Encode(in, tenso.Options{Integrity: true})
	got, _ := os.ReadFile(path)
	if n != int64(len(want)) || !bytes.Equal(got, want) {
		t.Fatal("file differs from Encode")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v", st.Mode())
	}
	f, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v := f.Value().(*tenso.Tensor)
	if !f.Mapped() || !bytes.Equal(v.Data, in.Data) || !testutil.Within(v.Data, f.Packet()) || !testutil.Within(f.Packet(), f.mapped) {
		t.Fatal("LoadFile: wrong data or not a view into the mapping")
	}
	if !tenso.IsAligned(v.Data, 64) {
		t.Fatal("mapped body not 64-byte aligned")
	}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	// Replacing the file (rename) leaves the old mapping intact.
	if _, err := DumpFile(path, testutil.Bytes(3), DumpOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v.Data, in.Data) {
		t.Fatal("old mapping changed by DumpFile")
	}
	g, err := LoadFileWith(path, LoadOptions{NoMmap: true})
	if err != nil || g.Mapped() || len(g.Value().(*tenso.Tensor).Data) != 12 || !tenso.IsAligned(g.Value().(*tenso.Tensor).Data, 64) {
		t.Fatal("read fallback", err)
	}
	g.Close()
	if err := f.Close(); err != nil || f.Close() != nil {
		t.Fatal(err)
	}
	if err := f.Check(); !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
	// In place, with a mode.
	p2 := filepath.Join(t.TempDir(), "y.tenso")
	if _, err := DumpFile(p2, in, DumpOptions{InPlace: true, Perm: 0o600}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p2); st.Mode().Perm() != 0o600 {
		t.Fatal(st.Mode())
	}
}

// Every golden packet (written by the reference) loads through the
// mapping, and every byte-exact one is written back byte for byte.
func TestGoldenFiles(t *testing.T) {
	dir := "../testdata"
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Skip("no golden corpus:", err)
	}
	var m struct {
		Files []struct {
			File      string
			ByteExact bool `json:"byte_exact"`
			Options   struct {
				CheckIntegrity bool `json:"check_integrity"`
				Compress       bool
				Alignment      int
			}
		}
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, e := range m.Files {
		path := filepath.Join(dir, e.File)
		f, err := LoadFile(path)
		if err != nil {
			t.Errorf("%s: %v", e.File, err)
			continue
		}
		pkt, _ := os.ReadFile(path)
		if !bytes.Equal(f.Packet(), pkt) {
			t.Errorf("%s: packet length %d, file %d", e.File, len(f.Packet()), len(pkt))
		}
		if e.ByteExact {
			o := tenso.Options{Alignment: e.Options.Alignment, Integrity: e.Options.CheckIntegrity, Compress: e.Options.Compress}
			p := filepath.Join(out, e.File)
			if _, err := DumpFile(p, f.Value(), DumpOptions{Encode: o}); err != nil {
				t.Errorf("%s: dump: %v", e.File, err)
			} else if got, _ := os.ReadFile(p); !bytes.Equal(got, pkt) {
				t.Errorf("%s: DumpFile output differs from the reference's file", e.File)
			}
		}
		f.Close()
	}
}

func TestLoadCompressedAndTrailing(t *testing.T) {
	dir := t.TempDir()
	in := &tenso.Tensor{DType: tenso.Int32, Shape: []int{4096}, Data: bytes.Repeat([]byte{1, 0, 0, 0}, 4096)}
	o := tenso.Options{Compress: true, Integrity: true}
	p := filepath.Join(dir, "c.tenso")
	if _, err := DumpFile(p, in, DumpOptions{Encode: o}); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFile(p)
	if err != nil || !bytes.Equal(f.Value().(*tenso.Tensor).Data, in.Data) {
		t.Fatal(err)
	}
	f.Close()
	// Trailing bytes after an uncompressed packet are ignored (as the
	// reference does); the packet is delimited by its framing.
	pkt, _ := tenso.Encode(testutil.Bytes(5), tenso.Options{})
	os.WriteFile(p, append(pkt, "trailing junk"...), 0o644)
	f, err = LoadFile(p)
	if err != nil || len(f.Packet()) != len(pkt) {
		t.Fatal(err)
	}
	f.Close()
}

func TestLoadBadFiles(t *testing.T) {
	dir := t.TempDir()
	pkt, _ := tenso.Encode(testutil.Bytes(1000), tenso.Options{})
	for name, tc := range map[string]struct {
		data []byte
		want error
	}{
		"empty":     {nil, tenso.ErrCorrupt},
		"short":     {pkt[:5], tenso.ErrCorrupt},
		"magic":     {append([]byte("XXXX"), pkt[4:]...), tenso.ErrCorrupt},
		"truncated": {pkt[:len(pkt)-1], tenso.ErrCorrupt},
		"version":   {append(append([]byte("TNSO"), 7), pkt[5:]...), tenso.ErrUnsupported},
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, tc.data, 0o644)
		for _, o := range []LoadOptions{{}, {NoMmap: true}} {
			if f, err := LoadFileWith(p, o); !errors.Is(err, tc.want) {
				t.Errorf("%s %+v: %v, want %v", name, o, err, tc.want)
				if f != nil {
					f.Close()
				}
			}
		}
	}
	if _, err := LoadFile(dir); err == nil {
		t.Error("directory loaded")
	}
	if _, err := LoadFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Error(err)
	}
}

// A file truncated by someone else after it was mapped: Check reports it,
// Do turns the SIGBUS into ErrFault; the process survives.
func TestLoadTruncatedAfterMapping(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.tenso")
	in := testutil.Bytes(1 << 16) // 256 KiB body: many pages
	if _, err := DumpFile(p, in, DumpOptions{}); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Truncate(p, 100); err != nil {
		t.Fatal(err)
	}
	if err := f.Check(); !errors.Is(err, ErrTruncated) {
		t.Fatalf("Check: %v", err)
	}
	sum := 0
	err = f.Do(func(v tenso.Value) error {
		for _, b := range v.(*tenso.Tensor).Data {
			sum += int(b)
		}
		return nil
	})
	if !errors.Is(err, ErrFault) || !errors.Is(err, tenso.ErrCorrupt) {
		t.Fatalf("Do: %v", err)
	}
	// Loading it now fails cleanly.
	if _, err := LoadFile(p); !errors.Is(err, tenso.ErrCorrupt) {
		t.Fatal(err)
	}
}
