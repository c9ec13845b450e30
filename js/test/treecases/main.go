// Command treecases prints, as JSON, native Go's InspectTree of every golden
// packet (each container's entries with their own version, alignment,
// integrity, compression…), and its error for truncations and flipped
// bytes of the container packets, so js/test/inspect.test.js can require
// the same description and messages from inspectTree.
// Usage: go run ./js/test/treecases DIR
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/tenso-go/tenso"
)

type info struct {
	Version    int    `json:"version"`
	Flags      uint16 `json:"flags"`
	Kind       string `json:"kind"`
	DType      int    `json:"dtype"` // the code: the test names it
	Shape      []int  `json:"shape"`
	Count      int    `json:"count"`
	Elements   int64  `json:"elements"`
	Aligned    bool   `json:"aligned"`
	Alignment  int    `json:"alignment"`
	Integrity  bool   `json:"integrity"`
	Compressed bool   `json:"compressed"`
	HeaderLen  int    `json:"headerLen"`
	BodyOffset int    `json:"bodyOffset"`
	DataSize   int64  `json:"dataSize"`
	Parts      []part `json:"parts"`
}

type part struct {
	Key    string `json:"key"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
	Info   info   `json:"info"`
}

type result struct {
	File string `json:"file"`
	Op   string `json:"op"` // "whole", "trunc" (keep N bytes), "flip" (byte N ^= 0xA5)
	N    int    `json:"n"`
	Tree *info  `json:"tree"`
	Err  string `json:"err"`
}

func conv(in tenso.Info) info {
	o := info{
		Version: in.Version, Flags: in.Flags, Kind: in.Kind.String(), DType: int(in.DType), Shape: in.Shape,
		Count: in.Count, Elements: in.Elements, Aligned: in.Aligned, Alignment: in.Alignment,
		Integrity: in.Integrity, Compressed: in.Compressed, HeaderLen: in.HeaderLen,
		BodyOffset: in.BodyOffset, DataSize: in.DataSize, Parts: []part{},
	}
	if o.Shape == nil {
		o.Shape = []int{}
	}
	for _, p := range in.Parts {
		o.Parts = append(o.Parts, part{Key: p.Key, Offset: p.Offset, Length: p.Len, Info: conv(p.Info)})
	}
	return o
}

func run(file, op string, n int, p []byte) result {
	r := result{File: file, Op: op, N: n}
	in, err := tenso.InspectTree(p, tenso.Limits{})
	if err != nil {
		r.Err = err.Error()
		return r
	}
	t := conv(in)
	r.Tree = &t
	return r
}

func main() {
	names, _ := filepath.Glob(filepath.Join(os.Args[1], "*.tenso"))
	sort.Strings(names)
	var out []result
	for _, path := range names {
		pkt, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		name := filepath.Base(path)
		whole := run(name, "whole", len(pkt), pkt)
		out = append(out, whole)
		if whole.Tree == nil || len(whole.Tree.Parts) == 0 {
			continue
		}
		step := 1 + len(pkt)/200
		for n := 0; n < len(pkt); n += step {
			out = append(out, run(name, "trunc", n, pkt[:n]))
		}
		for i := 0; i < len(pkt) && i < 400; i += 5 {
			q := append([]byte(nil), pkt...)
			q[i] ^= 0xA5
			out = append(out, run(name, "flip", i, q))
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
