package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenso-go/tenso/bench"
)

// TestNodeChart renders both charts from a small synthetic run and checks
// that RESULTS.md links the Node.js one.
func TestNodeChart(t *testing.T) {
	cases := [][2]string{{"a", "case a"}, {"b", "case b"}}
	var goRes, jsRes []bench.Result
	for _, c := range cases {
		for _, op := range []string{"encode", "decode"} {
			goRes = append(goRes, bench.Result{Case: c[0], Codec: "tenso", Op: op, NsPerOp: 100})
			jsRes = append(jsRes, bench.Result{Case: c[0], Codec: "tenso", Op: op, NsPerOp: 1000},
				bench.Result{Case: c[0], Codec: "msgpackr", Op: op, NsPerOp: 5000})
		}
	}
	run := &goRun{Cases: cases, Results: goRes}
	js := &jsRun{Node: "Node.js vX", Results: jsRes}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		res  []bench.Result
	}{{"go.png", goRes}, {"node.png", jsRes}} {
		path := filepath.Join(dir, tc.name)
		if err := chart("test", cases, tc.res, path); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if h := img.Bounds().Dy(); h != 300*len(cases) {
			t.Errorf("%s: height %d, want %d", tc.name, h, 300*len(cases))
		}
	}
	md := markdown(run, js, "results-node.png")
	if !strings.Contains(md, "](results-node.png)") {
		t.Error("RESULTS.md does not link the Node.js chart")
	}
	if strings.Contains(markdown(run, nil, "results-node.png"), "results-node.png") {
		t.Error("RESULTS.md links the Node.js chart without Node.js results")
	}
}
