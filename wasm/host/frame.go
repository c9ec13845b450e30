package host

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// PacketLen is tenso.PacketLen (default Limits) in the wasm module: the
// length of the packet at the start of p, which may be followed by more
// bytes (back-to-back packets), or the native error (with 0: unlike
// tenso.PacketLen, the length a truncated packet needs is not returned).
func (c *Codec) PacketLen(ctx context.Context, p []byte) (int, error) {
	var n int
	err := c.call(ctx, func(m api.Module) error {
		fn := m.ExportedFunction("tenso_packet_len")
		if fn == nil {
			return fmt.Errorf("tenso: the wasm module does not export tenso_packet_len")
		}
		ptr, err := c.put(ctx, m, p)
		if err != nil {
			return err
		}
		res, err := fn.Call(ctx, uint64(ptr), uint64(len(p)), uint64(len(p)))
		if err != nil {
			return err
		}
		switch r := api.DecodeF64(res[0]); {
		case r == -1:
			return c.moduleError(m)
		case r < 0 || r > float64(len(p)):
			return errors.New("tenso: wasm module returned an out-of-range packet length")
		default:
			n = int(r)
		}
		return nil
	})
	return n, err
}
