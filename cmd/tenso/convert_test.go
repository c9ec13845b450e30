package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/convert"
)

func runConv(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	code := convertMain(args, &stderr)
	return code, stderr.String()
}

func writeNpy(t *testing.T, path string, dt tenso.DType, shape []int, data []byte) []byte {
	t.Helper()
	h, err := convert.NpyHeaderBytes(dt, shape)
	if err != nil {
		t.Fatal(err)
	}
	f := append(h, data...)
	if err := os.WriteFile(path, f, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestConvertNpyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 6*5*4)
	rand.New(rand.NewSource(1)).Read(data)
	npy := writeNpy(t, filepath.Join(dir, "a.npy"), tenso.Float32, []int{6, 5}, data)
	if code, errs := runConv(t, "--integrity", filepath.Join(dir, "a.npy")); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	p, err := os.ReadFile(filepath.Join(dir, "a.tenso"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := tenso.Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	tt := v.(*tenso.Tensor)
	if tt.DType != tenso.Float32 || fmt.Sprint(tt.Shape) != "[6 5]" || !bytes.Equal(tt.Data, data) {
		t.Fatalf("decoded %s %v", tt.DType, tt.Shape)
	}
	if info, _ := tenso.Inspect(p); !info.Integrity {
		t.Fatal("--integrity not applied")
	}
	if code, errs := runConv(t, filepath.Join(dir, "a.tenso"), filepath.Join(dir, "b.npy")); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	back, _ := os.ReadFile(filepath.Join(dir, "b.npy"))
	if !bytes.Equal(back, npy) {
		t.Fatal(".npy → .tenso → .npy differs")
	}
}

func TestConvertSafetensorsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	// Written by hand: JSON keys out of file order, metadata, bf16 and f16.
	js := `{"__metadata__":{"format":"pt"},"b.bias":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"a.weight":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]}}`
	f := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	f = append(f, js...)
	f = append(f, 0x80, 0x3f, 0xc0, 0xbf, 0x80, 0x3e, 0x70, 0x40, 0x00, 0x3c, 0x00, 0xc0)
	in := filepath.Join(dir, "m.safetensors")
	os.WriteFile(in, f, 0o644)
	code, errs := runConv(t, in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "2 tensors") || !strings.Contains(errs, "__metadata__") {
		t.Fatalf("stderr %q", errs)
	}
	p, _ := os.ReadFile(filepath.Join(dir, "m.tenso"))
	v, err := tenso.Decode(p)
	if err != nil {
		t.Fatal(err)
	}
	b := v.(*tenso.Bundle)
	if len(b.Entries) != 2 || b.Entries[0].Key != "a.weight" || b.Entries[1].Key != "b.bias" {
		t.Fatalf("entries %+v", b.Entries)
	}
	a := b.Entries[0].Value.(*tenso.Tensor)
	if a.DType != tenso.BFloat16 || fmt.Sprint(a.Shape) != "[2 2]" || !bytes.Equal(a.Data, f[len(f)-12:len(f)-4]) {
		t.Fatalf("a.weight %s %v", a.DType, a.Shape)
	}
	if bb := b.Entries[1].Value.(*tenso.Tensor); bb.DType != tenso.Float16 {
		t.Fatalf("b.bias %s", bb.DType)
	}
	out := filepath.Join(dir, "back.safetensors")
	if code, errs := runConv(t, filepath.Join(dir, "m.tenso"), out); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	g, _ := os.ReadFile(out)
	h, err := convert.ReadSTHeader(bytes.NewReader(g), int64(len(g)))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Tensors) != 2 || h.Tensors[0].Name != "a.weight" || !bytes.Equal(g[len(g)-12:], f[len(f)-12:]) {
		t.Fatalf("back: %+v", h)
	}
}

func TestConvertErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.npy")
	os.WriteFile(bad, []byte("\x93NUMPY\x01\x00\x08\x00{'x': 1\n"), 0o644)
	code, errs := runConv(t, bad)
	if code != 1 || !strings.HasPrefix(errs, "tenso: ") || !strings.Contains(errs, "bad .npy file") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.tenso")); !os.IsNotExist(err) {
		t.Fatal("a failed conversion left its output")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if code, _ := runConv(t, filepath.Join(dir, "missing.npy")); code != 1 {
		t.Fatalf("missing input: exit %d", code)
	}
	if code, errs := runConv(t, bad, filepath.Join(dir, "x.csv")); code != 2 || !strings.Contains(errs, "cannot convert") {
		t.Fatalf("bad pair: exit %d %q", code, errs)
	}
	if code, _ := runConv(t); code != 2 {
		t.Fatalf("no args: exit %d", code)
	}
	if code, _ := runConv(t, filepath.Join(dir, "x.tenso")); code != 2 {
		t.Fatalf("tenso input without output: exit %d", code)
	}
}

func TestConvertProgress(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "big.npy")
	writeNpy(t, in, tenso.Uint8, []int{5 << 20}, make([]byte, 5<<20))
	code, errs := runConv(t, "--progress", in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "100%") || !strings.Contains(errs, "big.npy [") {
		t.Fatalf("no progress bar: %q", errs)
	}
	if code, errs := runConv(t, "-q", "--progress", in, filepath.Join(dir, "q.tenso")); code != 0 || errs != "" {
		t.Fatalf("-q: exit %d %q", code, errs)
	}
}
