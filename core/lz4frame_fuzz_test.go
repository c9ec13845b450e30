package core

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// FuzzDecodeLZ4Frames feeds arbitrary bytes and output sizes to the frame
// decoder: it must never panic, never write past len(dst), report only
// *FormatErrors wrapping ErrCorrupt or ErrUnsupported at an offset inside
// the input, and agree with lz4FrameLen and with a re-encoding.
func FuzzDecodeLZ4Frames(f *testing.F) {
	for _, g := range lz4GoldenFrames(f) {
		if len(g.frame) < 4096 {
			f.Add(g.frame[:g.bodyLen], uint32(g.nbytes))
		}
	}
	small := []byte("a fuzz seed, a fuzz seed, a fuzz seed, with some more text")
	f.Add(appendLZ4Frame(nil, small), uint32(len(small)))
	f.Add(appendLZ4Frame(nil, nil), uint32(0))
	f.Add(appendLZ4Frame(nil, lz4RandomBytes(100, 1)), uint32(100))
	f.Add(pierrecFrame(f, small, lz4.ChecksumOption(true), lz4.BlockChecksumOption(true),
		lz4.SizeOption(uint64(len(small)))), uint32(len(small)))
	f.Add(pierrecFrame(f, small, lz4.BlockSizeOption(lz4.Block4Mb)), uint32(len(small)))
	prev := lz4RandomBytes(300, 2)
	want := append(append([]byte(nil), prev...), prev[1:20]...)
	want = append(want, "abcde"...)
	f.Add(newLZ4Hand(0x54, 0x40, 0).block(prev, true).
		block([]byte{0x0F, 0x2B, 0x01, 0x00, 0x50, 'a', 'b', 'c', 'd', 'e'}, false).end(want), uint32(len(want)))
	skip := []byte{0x5A, 0x2A, 0x4D, 0x18, 2, 0, 0, 0, 9, 9}
	f.Add(append(append(skip, appendLZ4Frame(nil, small)...), 0, 0, 0), uint32(len(small)))

	const base = 1 << 20
	const guard = 32
	f.Fuzz(func(t *testing.T, src []byte, size uint32) {
		n := int(size % (1 << 22))
		buf := make([]byte, n+guard)
		for i := n; i < len(buf); i++ {
			buf[i] = 0xA5
		}
		dst := buf[:n:n]
		err := decodeLZ4Frames(dst, src, base)
		for i := n; i < len(buf); i++ {
			if buf[i] != 0xA5 {
				t.Fatalf("byte %d past len(dst) = %d written", i, n)
			}
		}
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("not a *FormatError: %v", err)
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unexpected sentinel: %v", err)
			}
			if fe.Offset < base || fe.Offset > base+int64(len(src)) {
				t.Fatalf("offset %d outside [%d, %d]: %v", fe.Offset, base, base+len(src), err)
			}
			if fe.Field == "" || fe.Msg == "" {
				t.Fatalf("empty field or message: %#v", fe)
			}
		} else {
			// A successful decode re-encodes and decodes to the same bytes.
			again := make([]byte, n)
			if err := decodeLZ4Frames(again, appendLZ4Frame(nil, dst), 0); err != nil || !bytes.Equal(again, dst) {
				t.Fatalf("re-encoding: %v", err)
			}
			// If the input starts with an LZ4 frame, lz4FrameLen frames it.
			if len(src) >= 4 && getU32(src) == lz4FrameMagic {
				l, err := lz4FrameLen(src, base)
				if err != nil || l > len(src) {
					t.Fatalf("lz4FrameLen = %d, %v after a successful decode", l, err)
				}
			}
		}
		// lz4FrameLen never reads past the input and never panics.
		if l, err := lz4FrameLen(src, base); err == nil && (l < lz4MinFrameHeaderLen+4 || l > len(src)) {
			t.Fatalf("lz4FrameLen = %d for %d bytes", l, len(src))
		}
	})
}
