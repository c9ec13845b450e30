package host

import (
	"context"
	"encoding/binary"
	"errors"
	"math"

	"github.com/tenso-go/tenso"
	"github.com/tetratelabs/wazero/api"
)

// PacketLen is tenso.PacketLen (default Limits) in the wasm module: the
// length of the packet at the start of p, which may be followed by more
// bytes (back-to-back packets), or the native error (with 0: unlike
// tenso.PacketLen, the length a truncated packet needs is not returned).
func (c *Codec) PacketLen(ctx context.Context, p []byte) (int, error) {
	var n int
	err := c.call(ctx, func(m api.Module) error {
		res, err := c.callOn(ctx, m, "tenso_packet_len", p, uint64(len(p)))
		if err != nil {
			return err
		}
		n, err = c.packetLen(m, res, len(p))
		return err
	})
	return n, err
}

// packetLen reads the result of tenso_packet_len or tenso_decode_prefix (a
// length, or -1 with the error in the state block) for an input of total
// bytes.
func (c *Codec) packetLen(m api.Module, res uint64, total int) (int, error) {
	switch r := api.DecodeF64(res); {
	case r == -1:
		return 0, c.moduleError(m)
	case !(r >= 0 && r <= float64(total)) || r != math.Trunc(r):
		return 0, errors.New("tenso: wasm module returned an out-of-range packet length")
	default:
		return int(r), nil
	}
}

// DecodePrefix is tenso.DecodePrefix (default Limits) in the wasm module:
// the value of the packet at the start of p, which may be followed by more
// bytes (back-to-back packets), and the packet's length, or the native
// error. The value is what Decode gives for those bytes: uncompressed
// bodies are views into p.
func (c *Codec) DecodePrefix(ctx context.Context, p []byte) (tenso.Value, int, error) {
	var v tenso.Value
	var n int
	err := c.call(ctx, func(m api.Module) error {
		res, err := c.callOn(ctx, m, "tenso_decode_prefix", p)
		if err != nil {
			return err
		}
		if n, err = c.packetLen(m, res, len(p)); err != nil {
			return err
		}
		lay, ok := c.result(m)
		if !ok {
			return errOutOfRangeLayout
		}
		v, err = readLayout(lay, p[:n:n], m.Memory())
		c.releaseAfter(ctx, len(p))
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return v, n, nil
}

// InspectTree is tenso.InspectTree (default Limits) in the wasm module:
// Inspect, plus every bundle entry and sparse component (Info.Parts,
// recursively), from headers and length prefixes of the whole packet.
func (c *Codec) InspectTree(ctx context.Context, p []byte) (tenso.Info, error) {
	var info tenso.Info
	err := c.call(ctx, func(m api.Module) error {
		res, err := c.callOn(ctx, m, "tenso_inspect_tree", p)
		if err != nil {
			return err
		}
		w, err := c.output(m, res, errBadResult)
		if err != nil {
			return err
		}
		var end int
		info, end, err = readTree(w, 0, 0)
		if err == nil && end != len(w)/4 {
			err = errBadResult
		}
		return err
	})
	if err != nil {
		return tenso.Info{}, err
	}
	return info, nil
}

// What the module returned when it is not what this package expects.
var (
	errBadResult        = errors.New("tenso: wasm module returned a malformed result")
	errOutOfRangeLayout = errors.New("tenso: wasm module returned an out-of-range layout")
	errOutOfRangePacket = errors.New("tenso: wasm module returned an out-of-range packet")
)

// infoWords is the number of words of an Info before its shape.
const infoWords = 16

// readInfo reads the Info the module wrote at word i of w (its
// appendInfoWords: version, flags, kind, dtype, count, aligned, alignment,
// integrity, compressed, header_len, body_offset, elements, data_size,
// ndim, shape) and returns it with the index of the word after it.
func readInfo(w []byte, i int) (tenso.Info, int, error) {
	nw := len(w) / 4
	if i+infoWords > nw {
		return tenso.Info{}, 0, errBadResult
	}
	u := func(k int) uint32 { return binary.LittleEndian.Uint32(w[4*(i+k):]) }
	info := tenso.Info{
		Version: int(u(0)), Flags: uint16(u(1)), Kind: tenso.Kind(u(2)), DType: tenso.DType(u(3)),
		Count: int(u(4)), Aligned: u(5) == 1, Alignment: int(u(6)), Integrity: u(7) == 1,
		Compressed: u(8) == 1, HeaderLen: int(u(9)), BodyOffset: int(u(10)),
		Elements: int64(uint64(u(11)) | uint64(u(12))<<32), DataSize: int64(uint64(u(13)) | uint64(u(14))<<32),
	}
	nd := int(u(15))
	if nd > tenso.DefaultMaxDims || i+infoWords+nd > nw {
		return tenso.Info{}, 0, errBadResult
	}
	info.Shape = make([]int, nd)
	for k := range info.Shape {
		info.Shape[k] = int(u(infoWords + k))
	}
	return info, i + infoWords + nd, nil
}

// readTree reads the words of tenso_inspect_tree at word i of w: an Info,
// the number of its parts, and for each part its offset, length, key
// length, key bytes (padded to whole words) and its own tree.
func readTree(w []byte, i, depth int) (tenso.Info, int, error) {
	if depth > maxReadDepth {
		return tenso.Info{}, 0, errBadResult
	}
	info, i, err := readInfo(w, i)
	if err != nil {
		return tenso.Info{}, 0, err
	}
	nw := len(w) / 4
	u := func(k int) uint32 { return binary.LittleEndian.Uint32(w[4*k:]) }
	if i >= nw {
		return tenso.Info{}, 0, errBadResult
	}
	n := int(u(i))
	i++
	if n > (nw-i)/(3+infoWords) {
		return tenso.Info{}, 0, errBadResult
	}
	for k := 0; k < n; k++ {
		if i+3 > nw {
			return tenso.Info{}, 0, errBadResult
		}
		pt := tenso.Part{Offset: int(u(i)), Len: int(u(i + 1))}
		kl := int(u(i + 2))
		i += 3
		if kl > 4*(nw-i) {
			return tenso.Info{}, 0, errBadResult
		}
		pt.Key = string(w[4*i : 4*i+kl])
		i += (kl + 3) / 4
		if pt.Info, i, err = readTree(w, i, depth+1); err != nil {
			return tenso.Info{}, 0, err
		}
		info.Parts = append(info.Parts, pt)
	}
	return info, i, nil
}
