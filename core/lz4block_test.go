package core

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// checkLZ4Block compares decodeLZ4Block with pierrec's decoder on one block:
// same verdict, same length, same output, and no byte written past
// len(dst) (the slice has spare capacity holding a canary).
func checkLZ4Block(t *testing.T, src, dict []byte, dstLen int) {
	t.Helper()
	want := make([]byte, dstLen)
	wn, werr := lz4.UncompressBlockWithDict(src, want, dict)
	backing := bytes.Repeat([]byte{0xA5}, dstLen+64)
	got := backing[:dstLen]
	gn := decodeLZ4Block(got, src, dict)
	if (werr == nil) != (gn >= 0) {
		t.Fatalf("src %d bytes, dict %d, dst %d: pierrec n=%d err=%v, ours %d", len(src), len(dict), dstLen, wn, werr, gn)
	}
	for i, b := range backing[dstLen:] {
		if b != 0xA5 {
			t.Fatalf("wrote past dst at %d", dstLen+i)
		}
	}
	if werr != nil {
		return
	}
	if gn != wn || !bytes.Equal(got[:gn], want[:wn]) {
		t.Fatalf("src %d bytes, dict %d, dst %d: pierrec %d bytes, ours %d, outputs differ", len(src), len(dict), dstLen, wn, gn)
	}
}

// lz4Inputs are compressible inputs of several shapes: runs (offset 1),
// short periods, float patterns, text-like and random bytes.
func lz4Inputs() [][]byte {
	r := rand.New(rand.NewSource(1))
	var ins [][]byte
	for _, n := range []int{0, 1, 5, 13, 17, 31, 64, 100, 1000, 70000, 300000} {
		zeros := make([]byte, n)
		period := make([]byte, n)
		floats := make([]byte, n)
		words := make([]byte, n)
		random := make([]byte, n)
		r.Read(random)
		for i := range period {
			period[i] = byte(i % (1 + n%7))
		}
		for i := 0; i+4 <= n; i += 4 {
			binary.LittleEndian.PutUint32(floats[i:], math.Float32bits(float32(math.Round(math.Sin(float64(i)/1200)*64)/4)))
		}
		for i := range words {
			words[i] = "the quick brown fox "[r.Intn(20)]
			if r.Intn(8) == 0 {
				words[i] = byte(r.Intn(256))
			}
		}
		ins = append(ins, zeros, period, floats, words, random)
	}
	return ins
}

func TestLZ4BlockMatchesPierrec(t *testing.T) {
	var c lz4.Compressor
	for _, in := range lz4Inputs() {
		for _, hc := range []bool{false, true} {
			buf := make([]byte, lz4.CompressBlockBound(len(in)))
			var n int
			var err error
			if hc {
				n, err = lz4.CompressBlockHC(in, buf, lz4.Level9, nil, nil)
			} else {
				n, err = c.CompressBlock(in, buf)
			}
			if err != nil {
				t.Fatal(err)
			}
			blk := buf[:n]
			if n == 0 {
				continue // incompressible
			}
			for _, d := range []int{len(in), len(in) + 20, len(in) - 1, len(in) - 16, 0} {
				if d >= 0 {
					checkLZ4Block(t, blk, nil, d)
				}
			}
			got := make([]byte, len(in))
			if k := decodeLZ4Block(got, blk, nil); k != len(in) || !bytes.Equal(got, in) {
				t.Fatalf("round trip of %d bytes: %d", len(in), k)
			}
			// Truncations and byte changes.
			for _, k := range []int{1, 2, 3, len(blk) / 2, len(blk) - 1} {
				if k > 0 && k < len(blk) {
					checkLZ4Block(t, blk[:k], nil, len(in))
				}
			}
			for i := 0; i < len(blk) && i < 64; i++ {
				m := bytes.Clone(blk)
				m[i] ^= 0x5A
				checkLZ4Block(t, m, nil, len(in))
			}
		}
	}
}

func TestLZ4BlockDict(t *testing.T) {
	// Linked blocks: compress the second half with the first as dictionary.
	for _, in := range lz4Inputs() {
		if len(in) < 64 {
			continue
		}
		half := len(in) / 2
		dict, rest := in[:half], in[half:]
		if len(dict) > 64<<10 {
			dict = dict[len(dict)-64<<10:]
		}
		buf := make([]byte, lz4.CompressBlockBound(len(rest)))
		n, err := lz4.CompressBlockHC(rest, buf, lz4.Level9, nil, nil)
		if err != nil || n == 0 {
			continue
		}
		for _, dl := range []int{len(dict), len(dict) / 2, 0} {
			checkLZ4Block(t, buf[:n], dict[len(dict)-dl:], len(rest))
		}
	}
	// Hand-written: a match reaching back 5 bytes into a 3-byte dictionary.
	checkLZ4Block(t, []byte{0x20, 'a', 'b', 5, 0, 0x10, 'z'}, []byte("xyz"), 32)
	checkLZ4Block(t, []byte{0x20, 'a', 'b', 5, 0, 0x10, 'z'}, []byte("wxyz"), 32)
	checkLZ4Block(t, []byte{0x0F, 1, 0, 0xFF, 0xFF, 3, 0x10, 'z'}, []byte("q"), 600)
}

func FuzzLZ4Block(f *testing.F) {
	var c lz4.Compressor
	for _, in := range lz4Inputs() {
		if len(in) > 2000 {
			continue
		}
		buf := make([]byte, lz4.CompressBlockBound(len(in)))
		if n, _ := c.CompressBlock(in, buf); n > 0 {
			f.Add(buf[:n], uint16(0), uint16(len(in)))
			f.Add(buf[:n], uint16(7), uint16(len(in)+3))
		}
	}
	f.Add([]byte{0x20, 'a', 'b', 5, 0, 0x10, 'z'}, uint16(3), uint16(40))
	f.Fuzz(func(t *testing.T, src []byte, dictLen, dstLen uint16) {
		dict := bytes.Repeat([]byte("0123456789abcdef"), int(dictLen)/16+1)[:dictLen]
		checkLZ4Block(t, src, dict, int(dstLen)%(1<<14))
	})
}
