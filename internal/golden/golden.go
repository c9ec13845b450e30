// Package golden gives the tests of every package the golden corpus: the
// packets in testdata/ written by the reference implementation, and
// testdata/manifest.json describing the content of each (FORMAT.md §21).
//
// It imports only the standard library, so that the tests of core itself
// can use it. Only _test.go files import it.
package golden

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is the absolute path of the corpus (testdata/ at the repository root).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}

// Read returns the bytes of the corpus file name, failing the test if it
// cannot be read.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Manifest decodes manifest.json into v (numbers as json.Number where v
// holds them as any), failing the test if it cannot.
func Manifest(t testing.TB, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(Dir(), "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
}

// Files returns the manifest's entries (one per packet, in its order),
// checking that the manifest's count matches them and is not zero.
func Files(t testing.TB) []map[string]any {
	t.Helper()
	var m struct {
		Count int              `json:"count"`
		Files []map[string]any `json:"files"`
	}
	Manifest(t, &m)
	if m.Count != len(m.Files) || m.Count == 0 {
		t.Fatalf("manifest count %d, files %d", m.Count, len(m.Files))
	}
	return m.Files
}
