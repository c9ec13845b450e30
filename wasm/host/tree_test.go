package host

import (
	"context"
	"testing"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/golden"
	"github.com/tetratelabs/wazero/api"
)

// TestReadTreeMalformed: every truncation and corruption of a real
// tenso_inspect_tree result is refused, never a panic.
func TestReadTreeMalformed(t *testing.T) {
	ctx := context.Background()
	c := newCodec(t)
	var words []byte
	for _, f := range golden.Files(t) {
		p := golden.Read(t, f["file"].(string))
		if in, err := tenso.InspectTree(p, tenso.Limits{}); err != nil || len(in.Parts) < 2 {
			continue
		}
		err := c.call(ctx, func(m api.Module) error {
			if _, err := c.callOn(ctx, m, "tenso_inspect_tree", p); err != nil {
				return err
			}
			w, _ := c.result(m)
			words = append([]byte(nil), w...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if len(words) == 0 {
		t.Fatal("no container with two parts in the corpus")
	}
	if _, end, err := readTree(words, 0, 0); err != nil || end != len(words)/4 {
		t.Fatalf("the whole result: %d, %v", end, err)
	}
	for n := 0; n < len(words)/4; n++ {
		if _, end, err := readTree(words[:4*n], 0, 0); err == nil && end == len(words)/4 {
			t.Fatalf("%d of %d words read as the whole tree", n, len(words)/4)
		}
	}
	for i := 0; i < len(words); i += 4 {
		w := append([]byte(nil), words...)
		w[i+3] = 0xff // a huge count, length or ndim
		readTree(w, 0, 0)
	}
}
