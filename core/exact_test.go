package core

import (
	"errors"
	"testing"
)

// Every golden packet decodes exactly as Decode does alone, and with any
// byte after it (a zero, the packet again) is refused at its end.
func TestDecodeExact(t *testing.T) {
	for _, g := range goldenFiles(t) {
		want, err := Decode(g.data)
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		got, err := DecodeExact(g.data, Limits{})
		if err != nil {
			t.Fatalf("%s: DecodeExact: %v", g.name, err)
		}
		if got.Kind() != want.Kind() {
			t.Errorf("%s: kind %v, want %v", g.name, got.Kind(), want.Kind())
		}
		for _, tail := range [][]byte{{0}, g.data} {
			p := append(append([]byte(nil), g.data...), tail...)
			_, err := DecodeExact(p, Limits{})
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) || fe.Offset != int64(len(g.data)) {
				t.Errorf("%s + %d bytes: %v, want ErrCorrupt at %d", g.name, len(tail), err, len(g.data))
			}
		}
	}
}
