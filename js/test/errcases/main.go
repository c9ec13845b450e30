// Command errcases prints, as JSON, what the native Go decoder says about
// mutated golden packets (the same mutations js/test/errors.test.js makes),
// and what PacketLen and DecodePrefix say about each followed by a few more
// bytes, so the Node tests can require the very same lengths and error
// messages from the wasm module. Usage: go run ./js/test/errcases DIR
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tenso-go/tenso"
)

type result struct {
	File string `json:"file"`
	Op   string `json:"op"` // "trunc" (keep N bytes) or "flip" (byte N ^= 0xA5)
	N    int    `json:"n"`
	Err  string `json:"err"` // "" when the packet decodes
	// PacketLen and DecodePrefix of the mutated packet followed by Trailer
	// (as the start of a buffer of back-to-back packets): the length, or
	// -1 and the error.
	PLen      int    `json:"plen"`
	PLenErr   string `json:"plen_err"`
	PrefixLen int    `json:"prefix_len"`
	PrefixErr string `json:"prefix_err"`
}

// Trailer is what follows each mutated packet for PacketLen and
// DecodePrefix (js/test/errors.test.js appends the same bytes).
var trailer = []byte{0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a}

func framed(r result, p []byte) result {
	buf := append(append([]byte(nil), p...), trailer...)
	r.PLen, r.PrefixLen = -1, -1
	if n, err := tenso.PacketLen(buf, tenso.Limits{}); err != nil {
		r.PLenErr = err.Error()
	} else {
		r.PLen = n
	}
	if _, n, err := tenso.DecodePrefix(buf, tenso.Limits{}); err != nil {
		r.PrefixErr = err.Error()
	} else {
		r.PrefixLen = n
	}
	return r
}

// Mutations returns the positions both sides use: every length for small
// packets, about 97 spread lengths for large ones; a flip every 7 bytes in
// the first 300.
func mutations(size int) (trunc, flip []int) {
	step := 1
	if size > 512 {
		step = size / 97
	}
	for n := 0; n < size; n += step {
		trunc = append(trunc, n)
	}
	for i := 0; i < size && i < 300; i += 7 {
		flip = append(flip, i)
	}
	return
}

func main() {
	dir := os.Args[1]
	names, _ := filepath.Glob(filepath.Join(dir, "*.tenso"))
	sort.Strings(names)
	var out []result
	errText := func(p []byte) string {
		if _, err := tenso.Decode(p); err != nil {
			return err.Error()
		}
		return ""
	}
	for _, path := range names {
		pkt, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		name := strings.TrimPrefix(filepath.Base(path), "")
		trunc, flip := mutations(len(pkt))
		for _, n := range trunc {
			out = append(out, framed(result{File: name, Op: "trunc", N: n, Err: errText(pkt[:n])}, pkt[:n]))
		}
		for _, i := range flip {
			q := append([]byte(nil), pkt...)
			q[i] ^= 0xA5
			out = append(out, framed(result{File: name, Op: "flip", N: i, Err: errText(q)}, q))
		}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
