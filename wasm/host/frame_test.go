package host

import (
	"context"
	"testing"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/golden"
)

// TestPacketLenMatchesNative: every golden packet, each truncation of it
// and the whole corpus back to back give the module the same length or the
// same error message as native Go (on error the module gives no length:
// native's needed length of a truncated packet is not passed on).
func TestPacketLenMatchesNative(t *testing.T) {
	ctx := context.Background()
	c := newCodec(t)
	var all []byte
	n := 0
	for _, f := range golden.Files(t) {
		name, _ := f["file"].(string)
		p := golden.Read(t, name)
		for _, cut := range []int{len(p), len(p) - 1, len(p) / 2, 7, 0} {
			if cut < 0 {
				continue
			}
			b := p[:cut]
			want, werr := tenso.PacketLen(b, tenso.Limits{})
			got, gerr := c.PacketLen(ctx, b)
			if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) || (werr == nil && got != want) {
				t.Fatalf("%s[:%d]: native (%d, %v), module (%d, %v)", name, cut, want, werr, got, gerr)
			}
			n++
		}
		if _, err := tenso.PacketLen(p, tenso.Limits{}); err == nil {
			all = append(all, p...)
		}
	}
	for off := 0; off < len(all); {
		want, werr := tenso.PacketLen(all[off:], tenso.Limits{})
		got, gerr := c.PacketLen(ctx, all[off:])
		if werr != nil || gerr != nil || got != want {
			t.Fatalf("back to back at %d: native (%d, %v), module (%d, %v)", off, want, werr, got, gerr)
		}
		off += got
	}
	t.Logf("%d cases alike; %d bytes of back-to-back packets walked", n, len(all))
}
