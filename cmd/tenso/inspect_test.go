package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tenso-go/tenso"
)

func loadManifest(t *testing.T) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m struct {
		Files []map[string]any `json:"files"`
	}
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m.Files
}

func asMap(t *testing.T, o obj) map[string]any {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func same(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func sameFloats(a, b any) bool {
	as, bs := a.([]any), b.([]any)
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		x, err1 := as[i].(json.Number).Float64()
		y, err2 := bs[i].(json.Number).Float64()
		if err1 != nil || err2 != nil || float32(x) != float32(y) {
			return false
		}
	}
	return true
}

func hasFlag(layout map[string]any, name string) bool {
	for _, f := range layout["flag_names"].([]any) {
		if f == name {
			return true
		}
	}
	return false
}

// compare checks one JSON description against the manifest's expected
// content (want) and independent layout parse (layout).
func compare(t *testing.T, where string, got, want, layout map[string]any) {
	t.Helper()
	errorf := func(format string, args ...any) { t.Errorf(where+": "+format, args...) }
	if layout != nil && !same(got["version"], layout["version"]) {
		errorf("version %v, want %v", got["version"], layout["version"])
	}
	switch want["kind"] {
	case "dense":
		if got["kind"] != "dense" || got["dtype"] != want["dtype"] || !same(got["shape"], want["shape"]) || got["sha256"] != want["sha256_le_c_order"] {
			errorf("dense mismatch: got %v %v %v", got["dtype"], got["shape"], got["sha256"])
		}
		if layout != nil {
			if !same(got["alignment"], layout["alignment"]) || got["integrity"] != hasFlag(layout, "INTEGRITY") || got["compressed"] != hasFlag(layout, "COMPRESSION") {
				errorf("alignment/flags: got %v %v %v", got["alignment"], got["integrity"], got["compressed"])
			}
		}
	case "quantized":
		if got["kind"] != "quantized" || got["dtype"] != want["dtype"] || !same(got["shape"], want["shape"]) ||
			got["scheme"] != want["scheme"] || !same(got["axis"], want["axis"]) || !same(got["group_size"], want["group_size"]) ||
			got["sha256"] != want["packed_data_sha256"] || got["dequantized_sha256"] != want["dequantized_f32_sha256_le_c_order"] ||
			!sameFloats(got["scales"], want["scales"]) || !sameFloats(got["zero_points"], want["zero_points"]) {
			errorf("quantized mismatch: %v", got)
		}
	case "string":
		if got["kind"] != "string" || !same(got["count"], want["count"]) || !same(got["strings"], want["strings"]) {
			errorf("string mismatch: %v", got)
		}
	case "ragged":
		if got["kind"] != "ragged" || !same(got["splits"], want["row_splits"]) {
			errorf("ragged mismatch: %v", got)
		}
		compare(t, where+" flat", got["flat"].(map[string]any), want["flat"].(map[string]any), nil)
	case "bundle":
		entries := want["entries"].([]any)
		ge, _ := got["entries"].([]any)
		if got["kind"] != "bundle" || len(ge) != len(entries) {
			errorf("bundle mismatch: %v", got)
			return
		}
		var le []any
		if layout != nil {
			le, _ = layout["entries"].([]any)
		}
		for i, e := range entries {
			em, gm := e.(map[string]any), ge[i].(map[string]any)
			if gm["key"] != em["key"] {
				errorf("key %d %q, want %q", i, gm["key"], em["key"])
			}
			var sub map[string]any
			if le != nil {
				sub = le[i].(map[string]any)["value_layout"].(map[string]any)
			}
			compare(t, where+"/"+em["key"].(string), gm["value"].(map[string]any), em, sub)
		}
	case "sparse_coo", "sparse_csr", "sparse_csc":
		if got["kind"] != "sparse" || "sparse_"+got["format"].(string) != want["kind"] || !same(got["shape"], want["shape"]) {
			errorf("sparse mismatch: %v", got)
		}
		for i, c := range want["components"].([]any) {
			cm := c.(map[string]any)
			var sub map[string]any
			if layout != nil {
				sub = layout["components"].([]any)[i].(map[string]any)["layout"].(map[string]any)
			}
			compare(t, where+" "+cm["name"].(string), got[cm["name"].(string)].(map[string]any), cm, sub)
		}
	default:
		errorf("unknown manifest kind %v", want["kind"])
	}
}

func TestInspectJSONMatchesManifest(t *testing.T) {
	files := loadManifest(t)
	for _, f := range files {
		name := f["file"].(string)
		p, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		v, err := tenso.Decode(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		o, err := describeJSON(p, v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		compare(t, name, asMap(t, o), f, f["layout"].(map[string]any))
	}
}

// The binary: inspect --json prints one line per packet, a bad packet
// exits 1 with one "tenso:" line on stderr and no panic trace.
func TestCLIExitCodes(t *testing.T) {
	bin := cliBinary(t)
	good := filepath.Join("..", "..", "testdata", "dense_f32.tenso")
	// Two packets back to back.
	p, _ := os.ReadFile(good)
	two := filepath.Join(t.TempDir(), "two.tenso")
	os.WriteFile(two, append(append([]byte{}, p...), p...), 0o600)
	out, err := exec.Command(bin, "inspect", "--json", two).Output()
	if err != nil || strings.Count(string(out), "\n") != 2 || !strings.HasPrefix(string(out), `{"kind":"dense","version":4,"dtype":"float32","shape":[3,4]`) {
		t.Fatalf("inspect --json: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "verify", good).Output(); err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("verify good: %v %s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.tenso")
	corrupt := append([]byte{}, mustRead(t, filepath.Join("..", "..", "testdata", "dense_f64_integrity.tenso"))...)
	corrupt[len(corrupt)-20] ^= 1
	os.WriteFile(bad, corrupt, 0o600)
	for _, args := range [][]string{{"verify", bad}, {"inspect", bad}, {"inspect", "--json", bad}, {"verify", filepath.Join(t.TempDir(), "missing")}} {
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 1 {
			t.Errorf("%v: exit %v, want 1", args, err)
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "tenso: ") || strings.Contains(stderr.String(), "goroutine") {
			t.Errorf("%v: stderr %q", args, stderr.String())
		}
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
