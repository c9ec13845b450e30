// Command wasmsize breaks a Go wasm module down by package: the
// size of each section, and the code bytes of each package's functions,
// read from the module's name section (so the module must be built without
// -ldflags=-s; `make wasm-size` builds one with -ldflags=-w). With -why and
// the output of the linker's -dumpdep, it also prints for each named symbol
// the first chain of references that makes the linker keep it.
//
//	wasmsize [-top N] [-why dumpdep.txt -sym fmt.Errorf,os.init] module.wasm
package main

import (
	"bufio"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

func main() {
	top := flag.Int("top", 40, "packages to list")
	why := flag.String("why", "", "file with the linker's -dumpdep output")
	syms := flag.String("sym", "fmt.Errorf,fmt.Sprintf,reflect.Value.Method,os.init,time.init,context.init", "comma-separated symbols for -why")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: wasmsize [-top N] [-why dumpdep.txt -sym a,b] module.wasm")
		os.Exit(2)
	}
	b, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fatal(err)
	}
	m, err := parse(b)
	if err != nil {
		fatal(err)
	}
	fmt.Printf("%s: %d bytes\n", flag.Arg(0), len(b))
	for _, s := range m.sections {
		fmt.Printf("  section %-18s %9d B\n", s.name, s.size)
	}
	pk := m.byPackage()
	total := 0
	for _, p := range pk {
		total += p.bytes
	}
	fmt.Printf("code bytes by package (%d functions, %d B):\n", len(m.bodies), total)
	for i, p := range pk {
		if i == *top {
			break
		}
		fmt.Printf("  %9d B %5d funcs  %s\n", p.bytes, p.funcs, p.name)
	}
	if *why != "" {
		if err := printWhy(*why, strings.Split(*syms, ",")); err != nil {
			fatal(err)
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "wasmsize:", err)
	os.Exit(1)
}

type section struct {
	name string
	size int
}

type module struct {
	sections []section
	imports  int            // imported functions: they come first in the function index space
	bodies   []int          // size of each code-section body, in function order
	names    map[int]string // function index → name (name section, subsection 1)
}

var sectionNames = map[byte]string{0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
	6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount"}

var errTruncated = errors.New("truncated module")

type reader struct {
	b   []byte
	pos int
}

func (r *reader) u32() (int, error) {
	v, shift := 0, 0
	for {
		if r.pos >= len(r.b) || shift > 28 {
			return 0, errTruncated
		}
		c := r.b[r.pos]
		r.pos++
		v |= int(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			return v, nil
		}
	}
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.pos {
		return nil, errTruncated
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s, nil
}

// vec reads a length-prefixed byte string (a name, a section, a subsection).
func (r *reader) vec() ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	return r.bytes(n)
}

func parse(b []byte) (*module, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return nil, errors.New("not a wasm module")
	}
	m := &module{names: map[int]string{}}
	r := &reader{b: b, pos: 8}
	for r.pos < len(b) {
		id := b[r.pos]
		r.pos++
		n, err := r.u32()
		if err != nil {
			return nil, err
		}
		body, err := r.bytes(n)
		if err != nil {
			return nil, err
		}
		name := sectionNames[id]
		if name == "" {
			name = fmt.Sprintf("id%d", id)
		}
		sr := &reader{b: body}
		switch id {
		case 0:
			cn, err := sr.vec()
			if err != nil {
				return nil, err
			}
			name = "custom:" + string(cn)
			if string(cn) == "name" {
				if err := m.nameSection(sr); err != nil {
					return nil, err
				}
			}
		case 2:
			if err := m.importSection(sr); err != nil {
				return nil, err
			}
		case 10:
			c, err := sr.u32()
			if err != nil {
				return nil, err
			}
			for range c {
				start := sr.pos
				l, err := sr.u32()
				if err != nil {
					return nil, err
				}
				if _, err := sr.bytes(l); err != nil {
					return nil, err
				}
				m.bodies = append(m.bodies, sr.pos-start)
			}
		}
		m.sections = append(m.sections, section{name, n})
	}
	return m, nil
}

func (m *module) importSection(r *reader) error {
	c, err := r.u32()
	if err != nil {
		return err
	}
	for range c {
		for range 2 { // module and field names
			if _, err := r.vec(); err != nil {
				return err
			}
		}
		kind, err := r.bytes(1)
		if err != nil {
			return err
		}
		if kind[0] != 0 {
			return fmt.Errorf("import kind %d not handled (Go modules import functions only)", kind[0])
		}
		if _, err := r.u32(); err != nil {
			return err
		}
		m.imports++
	}
	return nil
}

func (m *module) nameSection(r *reader) error {
	for r.pos < len(r.b) {
		sub, err := r.bytes(1)
		if err != nil {
			return err
		}
		body, err := r.vec()
		if err != nil {
			return err
		}
		if sub[0] != 1 {
			continue
		}
		sr := &reader{b: body}
		c, err := sr.u32()
		if err != nil {
			return err
		}
		for range c {
			idx, err := sr.u32()
			if err != nil {
				return err
			}
			nb, err := sr.vec()
			if err != nil {
				return err
			}
			m.names[idx] = string(nb)
		}
	}
	return nil
}

type pkgSize struct {
	name         string
	bytes, funcs int
}

// byPackage sums the code bytes per package, largest first.
func (m *module) byPackage() []pkgSize {
	sum := map[string]*pkgSize{}
	for i, n := range m.bodies {
		p := packageOf(m.names[m.imports+i])
		s := sum[p]
		if s == nil {
			s = &pkgSize{name: p}
			sum[p] = s
		}
		s.bytes += n
		s.funcs++
	}
	var out []pkgSize
	for _, s := range sum {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b pkgSize) int {
		return cmp.Or(cmp.Compare(b.bytes, a.bytes), strings.Compare(a.name, b.name))
	})
	return out
}

// packageOf returns the package of a function name as Go's wasm linker
// writes it: the import path with '/' and '.' of its last element spelled
// '_' ("github.com_tenso_go_tenso_core.decodeLZ4Frame",
// "internal_runtime_maps.newarray"), then '.', then the function.
func packageOf(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		p := name[:i]
		if strings.HasPrefix(name, "github.com_") || strings.HasPrefix(name, "golang.org_") {
			// The host's dot is kept: the package ends at the next dot.
			if j := strings.IndexByte(name[i+1:], '.'); j > 0 {
				p = name[:i+1+j]
			} else {
				p = name
			}
		}
		return p
	}
	return name // runtime entry points and exports: gcWriteBarrier, tenso_decode
}

// printWhy prints, for each symbol, the chain by which the linker first
// reached it.
func printWhy(path string, syms []string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	chains, err := whyChains(f, syms)
	if err != nil {
		return err
	}
	for _, s := range syms {
		if c := chains[s]; c != nil {
			fmt.Println(strings.Join(c, "\n  <- "))
		} else {
			fmt.Printf("%s: not linked\n", s)
		}
	}
	return nil
}

// whyChains reads -dumpdep output (edges "from -> to", listed in the order
// the linker marks symbols, so the first edge to a symbol is how it was
// reached) and returns, for each linked symbol, the chain back to a root.
func whyChains(r io.Reader, syms []string) (map[string][]string, error) {
	parent := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		from, to, ok := strings.Cut(sc.Text(), " -> ")
		if !ok {
			continue
		}
		to, _, _ = strings.Cut(to, " <")
		if _, seen := parent[to]; !seen {
			parent[to] = from
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, s := range syms {
		if _, ok := parent[s]; !ok {
			continue
		}
		chain := []string{s}
		for x := s; len(chain) < 64; {
			p, ok := parent[x]
			if !ok || p == "_" {
				break
			}
			chain = append(chain, p)
			x = p
		}
		out[s] = chain
	}
	return out, nil
}
