package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const root = "../.."

// The README's benchmark tables are exactly what the committed
// snapshots give: a hand edit of a figure, or a snapshot rerun without
// `go run ./internal/benchtables -render`, fails here.
func TestREADMEMatchesSnapshots(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := renderAll(doc, func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(root, p)) })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, doc) {
		t.Fatal("README.md's benchmark tables differ from bench/snapshots: run go run ./internal/benchtables -render")
	}
}

func TestParseFastest(t *testing.T) {
	out := `# 2026-12-06 19:00 UTC, go1.26.0, GOMAXPROCS 2, load average 0.1 0.2 0.3
goos: linux
BenchmarkA/x-2   	 100	  30.0 ns/op	 10.0 MB/s	 8 B/op	 1 allocs/op
BenchmarkA/x-2   	 100	  10.0 ns/op	 30.0 MB/s	 8 B/op	 1 allocs/op
BenchmarkA/x-2   	 100	  20.0 ns/op	 20.0 MB/s	 8 B/op	 1 allocs/op
BenchmarkB-16    	 5	  7 ns/op
PASS
`
	r, err := parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if a := r.b["A/x"]; a.ns != 10 || a.mbps != 30 || a.bytes != 8 || a.allocs != 1 {
		t.Fatalf("A/x: %+v", a)
	}
	if b, err := r.get("B"); err != nil || b.ns != 7 {
		t.Fatalf("B: %+v %v", b, err)
	}
	if _, err := r.get("C"); err == nil {
		t.Fatal("a missing benchmark is an error")
	}
	if r.when != "2026-12-06 19:00 UTC, go1.26.0, GOMAXPROCS 2, load average 0.1 0.2 0.3" {
		t.Fatalf("header %q", r.when)
	}
	if _, err := parse(strings.NewReader("PASS\n")); err == nil {
		t.Fatal("output without results parsed")
	}
	// A table whose benchmark is missing from the snapshot is an error.
	if _, err := kernelTable(r); err == nil {
		t.Fatal("kernel table from a snapshot without kernels")
	}
}

func TestReplace(t *testing.T) {
	doc := []byte("a\n<!-- x-table:begin (note) -->\nold\n<!-- x-table:end -->\nb\n")
	got, err := replace(doc, "x-table", "new\n")
	if err != nil || string(got) != "a\n<!-- x-table:begin (note) -->\nnew\n<!-- x-table:end -->\nb\n" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := replace([]byte("no markers"), "x-table", ""); err == nil {
		t.Fatal("missing markers accepted")
	}
}

func TestSpread(t *testing.T) {
	out := `# header
BenchmarkI-2   	 10	  5 ns/op	 1.10 tenso/raw
BenchmarkI-2   	 10	  4 ns/op	 0.90 tenso/raw
BenchmarkJ-2   	 10	  4 ns/op	 1.30 tenso/raw
BenchmarkK-2   	 10	  4 ns/op
`
	r, err := parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi, err := r.spread("tenso/raw", "I", "J"); err != nil || lo != 0.90 || hi != 1.30 {
		t.Fatalf("spread: %v %v %v", lo, hi, err)
	}
	if _, _, err := r.spread("tenso/raw", "K"); err == nil {
		t.Fatal("a run without the metric is an error")
	}
	if _, _, err := r.spread("tenso/raw", "L"); err == nil {
		t.Fatal("a missing benchmark is an error")
	}
	if got := span(0.9, 1.3, "%.2f"); got != "0.90–1.30" {
		t.Fatal(got)
	}
	if got := span(1.001, 1.004, "%.2f"); got != "1.00" {
		t.Fatal(got)
	}
	if _, err := servingTable(r); err == nil {
		t.Fatal("serving table from a snapshot without its benchmarks")
	}
	if _, err := wazeroTable(r); err == nil {
		t.Fatal("wazero table from a snapshot without its benchmarks")
	}
}

func TestParseJS(t *testing.T) {
	out := "# 2026-12-07 02:00 UTC, node v20\nnode v20, full run\nencode x  1 µs\n\n" +
		`JSON: {"ns":{"encode x":1000,"baseline y":500},"ratio":{"encode x":{"slice":1.25}}}` + "\n"
	r, err := parseJS(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := r.get("baseline y"); err != nil || b.ns != 500 {
		t.Fatalf("ns: %+v %v", b, err)
	}
	if v, err := r.rel("encode x", "slice"); err != nil || v != 1.25 {
		t.Fatalf("ratio: %v %v", v, err)
	}
	if _, err := r.rel("encode x", "msgpackr"); err == nil {
		t.Fatal("a missing ratio is an error")
	}
	if r.when != "2026-12-07 02:00 UTC, node v20" {
		t.Fatalf("header %q", r.when)
	}
	if _, err := jsTable(r); err == nil {
		t.Fatal("js table from a snapshot without its rows")
	}
	for _, bad := range []string{"# h\nno json\n", "# h\nJSON: {\n", `JSON: {"ns":{}}` + "\n"} {
		if _, err := parseJS(strings.NewReader(bad)); err == nil {
			t.Fatalf("%q parsed", bad)
		}
	}
}
