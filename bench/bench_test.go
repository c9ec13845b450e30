package bench

import (
	"bytes"
	"testing"
)

// TestCodecsRoundTrip checks that every format hands back the case's exact
// bytes, so the benchmarks compare equal work.
func TestCodecsRoundTrip(t *testing.T) {
	for _, c := range Cases(true) {
		for _, k := range Codecs() {
			if k.Encode == nil {
				continue
			}
			enc, err := k.Encode(&c)()
			if err != nil {
				t.Fatalf("%s/%s encode: %v", c.Name, k.Name, err)
			}
			enc = bytes.Clone(enc)
			dec := k.Decode
			if dec == nil {
				dec = tensoDecode // append / writev produce Tenso packets
			}
			seen := 0
			err = dec(&c)(enc, func(i int, data []byte) {
				seen++
				if !bytes.Equal(data, c.Tensors[i].Data) {
					t.Errorf("%s/%s: tensor %d differs", c.Name, k.Name, i)
				}
			})
			if err != nil {
				t.Fatalf("%s/%s decode: %v", c.Name, k.Name, err)
			}
			if seen != len(c.Tensors) {
				t.Fatalf("%s/%s: %d tensors decoded, want %d", c.Name, k.Name, seen, len(c.Tensors))
			}
		}
	}
}
