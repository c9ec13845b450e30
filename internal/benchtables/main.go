// Command benchtables runs the codec, kernel, serving and wazero benchmarks, keeps
// their raw output in bench/snapshots/, and writes the README's tables
// from it (and the Node table from bench/snapshots/js.txt, which make
// bench-js writes), between the markers
//
//	<!-- codec-table:begin … -->   <!-- codec-table:end -->
//	<!-- kernel-table:begin … -->  <!-- kernel-table:end -->
//	<!-- serving-table:begin … --> <!-- serving-table:end -->
//	<!-- wazero-table:begin … -->  <!-- wazero-table:end -->
//	<!-- js-table:begin … -->      <!-- js-table:end -->
//
// Every figure in those tables is computed from the snapshot files (the
// fastest of the runs of each benchmark, as make bench takes: on a shared
// machine interference only ever slows a run; or the spread of a ratio
// over the runs), and a test checks that the README
// holds exactly what the committed snapshots give, so the tables cannot
// drift from their raw output. Run it from the repository root:
//
//	go run ./internal/benchtables          # benchmark, then write
//	go run ./internal/benchtables -render  # write from the snapshots only
//	go run ./internal/benchtables -only serving  # benchmark one suite
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/cpuid/v2"
)

// A suite is one `go test -bench` run and the README table made from it.
type suite struct {
	name   string   // marker name and snapshot file (bench/snapshots/NAME.txt)
	args   []string // go test arguments after -run ^$ -count N; nil: the snapshot is make bench-js's
	render func(r results) (string, error)
}

var suites = []suite{
	{"codec", []string{"-bench", ".", "-benchmem", "./core"}, codecTable},
	{"kernel", []string{"-bench", "Kernel", "."}, kernelTable},
	{"serving", []string{"-bench", "Interleaved|Segment64MiB|Cache(Put|Get)4MiB|LoadFile", "-benchmem",
		"./native/tensohttp", "./native/tensogrpc", "./shm", "./native"}, servingTable},
	{"wazero", []string{"-bench", "Instantiate|PluginRoundTrip1KiB|CodecDecode", "-benchmem", "./wasm/host"}, wazeroTable},
	{"js", nil, jsTable},
}

func main() {
	renderOnly := flag.Bool("render", false, "write the README from the committed snapshots, without benchmarking")
	head := flag.Bool("header", false, "print a snapshot's header line (date, Go, CPU, load) and exit")
	only := flag.String("only", "", "benchmark this suite only (codec, kernel, serving or wazero); every table is still written")
	count := flag.Int("count", 3, "runs of each benchmark (the tables use the fastest)")
	readme := flag.String("readme", "README.md", "the README to rewrite")
	flag.Parse()
	if *head {
		fmt.Println(header())
		return
	}
	if err := run(*renderOnly, *only, *count, *readme); err != nil {
		fmt.Fprintln(os.Stderr, "benchtables:", err)
		os.Exit(1)
	}
}

func run(renderOnly bool, only string, count int, readme string) error {
	if only != "" && !slices.ContainsFunc(suites, func(s suite) bool { return s.name == only }) {
		return fmt.Errorf("-only %q: no such suite", only)
	}
	if !renderOnly {
		for _, s := range suites {
			if only != "" && s.name != only {
				continue
			}
			if s.args == nil {
				fmt.Fprintf(os.Stderr, "benchtables: %s: written by make bench-js, not benchmarked here\n", s.name)
				continue
			}
			if err := snapshot(s, count); err != nil {
				return err
			}
		}
	}
	doc, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	out, err := renderAll(doc, os.ReadFile)
	if err != nil {
		return err
	}
	return os.WriteFile(readme, out, 0o644)
}

func snapshotPath(name string) string { return "bench/snapshots/" + name + ".txt" }

// header is a snapshot's first line: when, with what, on which CPU and
// under what load (make bench-js and the start-up benchmarks print it with
// -header too).
func header() string {
	load := strings.Fields(readOr("/proc/loadavg"))
	c := cpuid.CPU
	simd := "no AVX-512"
	if c.Supports(cpuid.AVX512F, cpuid.AVX512BW) {
		simd = "AVX-512"
	}
	if !c.Supports(cpuid.AVX2) {
		simd += ", no AVX2"
	}
	return fmt.Sprintf("# %s, %s, GOMAXPROCS %d, %s (family %d, model %d; %s), load average %s",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.Version(), runtime.GOMAXPROCS(0),
		strings.TrimSpace(c.BrandName), c.Family, c.Model, simd, strings.Join(load[:min(3, len(load))], " "))
}

func readOr(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// snapshot runs s and writes its raw output after header().
func snapshot(s suite, count int) error {
	var out bytes.Buffer
	out.WriteString(header())
	fmt.Fprintf(&out, "\n# go test -run '^$' -count %d %s\n", count, strings.Join(s.args, " "))
	cmd := exec.Command("go", append([]string{"test", "-run", "^$", "-count", strconv.Itoa(count)}, s.args...)...)
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	fmt.Fprintf(os.Stderr, "benchtables: %s: %s\n", s.name, strings.Join(cmd.Args, " "))
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return os.WriteFile(snapshotPath(s.name), out.Bytes(), 0o644)
}

// renderAll replaces every suite's table in doc by the one its snapshot
// (read with read) gives.
func renderAll(doc []byte, read func(string) ([]byte, error)) ([]byte, error) {
	for _, s := range suites {
		raw, err := read(snapshotPath(s.name))
		if err != nil {
			return nil, err
		}
		parser := parse
		if s.args == nil {
			parser = parseJS
		}
		r, err := parser(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", snapshotPath(s.name), err)
		}
		table, err := s.render(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		head := fmt.Sprintf("Measured %s; raw output in [%s](%s).\n\n", r.when, snapshotPath(s.name), snapshotPath(s.name))
		if doc, err = replace(doc, s.name+"-table", head+table); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// replace puts body between the begin and end markers of name.
func replace(doc []byte, name, body string) ([]byte, error) {
	begin := []byte("<!-- " + name + ":begin")
	end := []byte("<!-- " + name + ":end -->")
	i := bytes.Index(doc, begin)
	if i < 0 {
		return nil, fmt.Errorf("README: no %s marker", begin)
	}
	i += bytes.IndexByte(doc[i:], '\n') + 1
	j := bytes.Index(doc[i:], end)
	if j < 0 {
		return nil, fmt.Errorf("README: no %s marker", end)
	}
	return slices.Concat(doc[:i], []byte(body), doc[i+j:]), nil
}

// ---- benchmark output ----

// bench is the fastest of a benchmark's runs (the run with the least
// ns/op, and its other figures).
type bench struct {
	ns, mbps, bytes, allocs float64
}

type results struct {
	when  string                          // the snapshot's header line
	b     map[string]bench                // the fastest run of each benchmark
	runs  map[string][]map[string]float64 // every run: unit → value
	ratio map[string]map[string]float64   // js: row → baseline → median per-round ratio
}

// parseJS reads make bench-js output: its header lines (the snapshot's,
// then "# node vX") and the JSON line of each row's median time and the
// interleaved rows' ratios.
func parseJS(r io.Reader) (results, error) {
	res := results{b: map[string]bench{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	found := false
	for sc.Scan() {
		line := sc.Text()
		if node, ok := strings.CutPrefix(line, "# node "); ok && res.when != "" {
			res.when += ", node " + node // the second header line (make bench-js)
		} else if strings.HasPrefix(line, "# ") && res.when == "" {
			res.when = strings.TrimPrefix(line, "# ")
		}
		js, ok := strings.CutPrefix(line, "JSON: ")
		if !ok {
			continue
		}
		var v struct {
			NS    map[string]float64            `json:"ns"`
			Ratio map[string]map[string]float64 `json:"ratio"`
		}
		if err := json.Unmarshal([]byte(js), &v); err != nil {
			return results{}, fmt.Errorf("JSON line: %w", err)
		}
		for k, ns := range v.NS {
			res.b[k] = bench{ns: ns}
		}
		res.ratio = v.Ratio
		found = true
	}
	if err := sc.Err(); err != nil {
		return results{}, err
	}
	if !found || res.when == "" {
		return results{}, fmt.Errorf("no JSON line or no header line")
	}
	return res, nil
}

// rel is the ratio the bench recorded for row against baseline.
func (r results) rel(row, baseline string) (float64, error) {
	v, ok := r.ratio[row][baseline]
	if !ok {
		return 0, fmt.Errorf("no ratio of %s to %s in the snapshot", row, baseline)
	}
	return v, nil
}

// spread is the least and the greatest value of a metric over every run
// of the named benchmarks.
func (r results) spread(unit string, names ...string) (lo, hi float64, err error) {
	n := 0
	for _, name := range names {
		rs, ok := r.runs[name]
		if !ok {
			return 0, 0, fmt.Errorf("no benchmark %s in the snapshot", name)
		}
		for _, m := range rs {
			v, ok := m[unit]
			if !ok {
				return 0, 0, fmt.Errorf("benchmark %s reports no %s", name, unit)
			}
			if n == 0 || v < lo {
				lo = v
			}
			if n == 0 || v > hi {
				hi = v
			}
			n++
		}
	}
	return lo, hi, nil
}

// get returns the named benchmark (its name without the -GOMAXPROCS
// suffix).
func (r results) get(name string) (bench, error) {
	b, ok := r.b[name]
	if !ok {
		return bench{}, fmt.Errorf("no benchmark %s in the snapshot", name)
	}
	return b, nil
}

// parse reads `go test -bench` output: for each benchmark, the figures of
// its fastest run.
func parse(r io.Reader) (results, error) {
	runs := map[string][]map[string]float64{}
	res := results{b: map[string]bench{}, runs: runs}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# ") && res.when == "" {
			res.when = strings.TrimPrefix(line, "# ")
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if k := strings.LastIndexByte(name, '-'); k > 0 {
			if _, err := strconv.Atoi(name[k+1:]); err == nil {
				name = name[:k]
			}
		}
		m := map[string]float64{}
		for k := 2; k+1 < len(f); k += 2 {
			v, err := strconv.ParseFloat(f[k], 64)
			if err != nil {
				return results{}, fmt.Errorf("%q: %w", line, err)
			}
			m[f[k+1]] = v
		}
		runs[name] = append(runs[name], m)
	}
	if err := sc.Err(); err != nil {
		return results{}, err
	}
	if len(runs) == 0 || res.when == "" {
		return results{}, fmt.Errorf("no benchmark results or no header line")
	}
	for name, rs := range runs {
		best := slices.MinFunc(rs, func(a, b map[string]float64) int { return cmp.Compare(a["ns/op"], b["ns/op"]) })
		res.b[name] = bench{ns: best["ns/op"], mbps: best["MB/s"], bytes: best["B/op"], allocs: best["allocs/op"]}
	}
	return res, nil
}

// ---- tables ----

// A reader reads a snapshot's figures for a table, keeping the first
// error (a benchmark or ratio the snapshot lacks) for the table to return.
type reader struct {
	r   results
	err error
}

func (g *reader) keep(err error) {
	if g.err == nil {
		g.err = err
	}
}

// get is the fastest run of the named benchmark.
func (g *reader) get(name string) bench {
	x, err := g.r.get(name)
	g.keep(err)
	return x
}

func (g *reader) ns(name string) float64 { return g.get(name).ns }

// ratio is a's time over b's, as the tables print it.
func (g *reader) ratio(a, b string) string { return fmt.Sprintf("%.2f×", g.ns(a)/g.ns(b)) }

// spread is results.spread.
func (g *reader) spread(unit string, names ...string) (lo, hi float64) {
	lo, hi, err := g.r.spread(unit, names...)
	g.keep(err)
	return lo, hi
}

// rel is the ratio the bench recorded for row against baseline, printed.
func (g *reader) rel(row, baseline string) string {
	v, err := g.r.rel(row, baseline)
	g.keep(err)
	return fmt.Sprintf("%.2f×", v)
}

// done returns the table of rows, or the first error.
func (g *reader) done(rows [][]string, align string) (string, error) {
	if g.err != nil {
		return "", g.err
	}
	return table(rows, align), nil
}

// dur prints nanoseconds at a readable scale.
func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.1f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	case ns >= 100:
		return fmt.Sprintf("%.0f ns", ns)
	}
	return fmt.Sprintf("%.1f ns", ns)
}

// table writes rows of cells (the first is the header) as Markdown; a
// cell of the error kind fails the table.
func table(rows [][]string, align string) string {
	var b strings.Builder
	for i, row := range rows {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		if i == 0 {
			b.WriteString(align + "\n")
		}
	}
	return b.String()
}

func codecTable(r results) (string, error) {
	g := &reader{r: r}
	b := g.get
	d1k, d64 := b("Decode/dense_1KiB"), b("Decode/dense_64MiB")
	w, we := b("Writer/64MiB"), b("Writer/Encode+Write")
	rows := [][]string{
		{"benchmark", "result", "baseline (same run)"},
		{"`Decode`, 64 MiB float32 vs 1 KiB", fmt.Sprintf("%s vs %s (%.2f×: O(1)), %.0f allocations", dur(d64.ns), dur(d1k.ns), d64.ns/d1k.ns, d64.allocs), "—"},
		{"`Encode` 64 MiB into a fresh buffer", g.ratio("Encode/64MiB", "Encode/make+copy"), "`make` + `copy`"},
		{"`Append` 64 MiB into a reused buffer", g.ratio("Append/64MiB", "Append/64MiB/copy"), "`copy`"},
		{"`Append` 64 MiB with integrity", g.ratio("EncodeIntegrity/64MiB", "EncodeIntegrity/copy+xxh3.Hash"), "`copy` + `xxh3.Hash`"},
		{"`Append` 1 KiB", dur(b("Append/1KiB").ns), "`copy` " + dur(b("Append/1KiB/copy").ns)},
		{"`Writer` 64 MiB", fmt.Sprintf("%s, %.0f B in %.0f allocations: no body copy", dur(w.ns), w.bytes, w.allocs), fmt.Sprintf("`Encode` + `Write`: %s, %.0f MiB", dur(we.ns), we.bytes/(1<<20))},
		{"`Reader` 64 MiB, `ReuseBuffer(true)`", g.ratio("Reader/64MiB/reuse", "Reader/io.ReadFull"), "`io.ReadFull` into a preallocated buffer"},
		{"`Reader` 64 MiB, a fresh buffer per packet", g.ratio("Reader/64MiB", "Reader/make+io.ReadFull") + " (" + g.ratio("Reader/64MiB", "Reader/io.ReadFull") + " the preallocated baseline)", "`make` + `io.ReadFull`"},
		{"LZ4 frame compress, 64 MiB", g.ratio("LZ4/normal_f32/compress/frame", "LZ4/normal_f32/compress/block") + " (float32 noise), " + g.ratio("LZ4/pattern/compress/frame", "LZ4/pattern/compress/block") + " (compressible)", "pierrec `CompressBlock` loop"},
		{"LZ4 frame decompress, 64 MiB", g.ratio("LZ4/normal_f32/decompress/frame", "LZ4/normal_f32/decompress/block") + ", " + g.ratio("LZ4/pattern/decompress/frame", "LZ4/pattern/decompress/block"), "pierrec `UncompressBlock` loop"},
	}
	return g.done(rows, "|---|---|---|")
}

// kernels are the kernel table's rows: benchmark and label.
var kernels = [][2]string{
	{"F16ToF32", "float16 → float32"},
	{"F32ToF16", "float32 → float16"},
	{"BF16ToF32", "bfloat16 → float32"},
	{"F32ToBF16", "float32 → bfloat16"},
	{"DequantInt8", "dequantize int8"},
	{"DequantUint8PerChannel", "dequantize uint8 per channel"},
	{"DequantInt4", "dequantize int4"},
	{"DequantInt4Group128", "dequantize int4, groups of 128"},
	{"MinMax", "min/max scan (input bytes)"},
	{"QuantInt8", "quantize int8"},
	{"QuantInt8Group128", "quantize int8, groups of 128"},
	{"PackInt4", "pack int4"},
	{"UnpackInt4", "unpack int4"},
}

func kernelTable(r results) (string, error) {
	rows := [][]string{{"kernel", "copy", "go", "avx2", "avx512", "avx512 / go", "avx512 / copy"}}
	for _, k := range kernels {
		var v [4]bench
		for i, impl := range []string{"copy", "go", "avx2", "avx512"} {
			x, err := r.get("Kernel" + k[0] + "/" + impl)
			if err != nil {
				return "", err
			}
			v[i] = x
		}
		gb := func(x bench) string { return fmt.Sprintf("%.1f", x.mbps/1000) }
		rows = append(rows, []string{k[1], gb(v[0]), gb(v[1]), gb(v[2]), gb(v[3]),
			fmt.Sprintf("%.0f×", v[3].mbps/v[1].mbps), fmt.Sprintf("%.2f", v[3].mbps/v[0].mbps)})
	}
	return table(rows, "|---|---:|---:|---:|---:|---:|---:|"), nil
}

// span prints lo–hi with a unit suffix, or one figure when they round to
// the same.
func span(lo, hi float64, format string) string {
	a, b := fmt.Sprintf(format, lo), fmt.Sprintf(format, hi)
	if a == b {
		return a
	}
	return a + "–" + b
}

func servingTable(r results) (string, error) {
	g := &reader{r: r}
	h1lo, h1hi := g.spread("tenso/raw", "Interleaved1KiB")
	// The 64 MiB row is a throughput: raw's time over tenso's.
	h64lo, h64hi := g.spread("tenso/raw", "Interleaved64MiB")
	glo, ghi := g.spread("tenso/protobuf", "PredictInterleaved/1KiB", "PredictInterleaved/4096KiB", "PredictInterleaved/65536KiB")
	p50, _ := g.spread("p50-ns", "CacheGet4MiB/Get") // the least median of the runs
	rows := [][]string{
		{"benchmark", "result", "baseline (same run)"},
		{"HTTP 1 KiB round trip, `Client.Predict` + app", span(h1lo, h1hi, "%.2f") + "× the time", "raw `net/http` octet-stream round trip"},
		{"HTTP 64 MiB round trip", span(1/h64hi, 1/h64lo, "%.2f") + "× the throughput", "raw `net/http` transfer"},
		{"gRPC `Predict`, `tenso` codec, 1 KiB to 64 MiB", span(glo, ghi, "%.2f") + "× the time", "the protobuf message"},
		{"cache `Get` of 4 MiB put by another process", dur(p50) + " median, zero-copy", "`copy`: " + dur(g.ns("CacheGet4MiB/copy-baseline"))},
		{"cache `Put` 4 MiB", g.ratio("CachePut4MiB/Put", "CachePut4MiB/copy-baseline"), "`copy`"},
		{"segment `Put` / `Get` 64 MiB", g.ratio("Segment64MiB/Put", "Segment64MiB/copy-baseline") + " / " + dur(g.ns("Segment64MiB/Get")) + " (O(1))", "`copy`: " + dur(g.ns("Segment64MiB/copy-baseline"))},
		{"`LoadFile` 1 MiB / 256 MiB", dur(g.ns("LoadFile/LoadFile-1MiB")) + " / " + dur(g.ns("LoadFile/LoadFile-256MiB")) + " (O(1))", "`os.ReadFile` 256 MiB: " + dur(g.ns("LoadFile/ReadFile-baseline-256MiB"))},
	}
	return g.done(rows, "|---|---|---|")
}

func jsTable(r results) (string, error) {
	g := &reader{r: r}
	ns, rel := g.ns, g.rel
	x := func(v float64) string { return fmt.Sprintf("%.2f×", v) }
	gbps := func(bytes, ns float64) string { return fmt.Sprintf("%.2f GB/s", bytes/ns) }
	const (
		alt   = "decode float32 1 KiB, new header each time (alternating rounds)"
		memo  = "decode float32 1 KiB, header seen before (alternating rounds)"
		k1    = "float32 1 KiB"
		k27   = "uint8 96×96×3 (27 KiB)"
		m26   = "uint8 720×1280×3 (2.6 MiB)"
		big   = 64 << 20
		frame = 720 * 1280 * 3
	)
	rows := [][]string{
		{"benchmark", "result", "baseline (same run)"},
		{"Node `decode` 1 KiB, new header / header seen before", fmt.Sprintf("%s / %s (%s / %s)", dur(ns(alt)), dur(ns(memo)), rel(alt, "msgpackr"), rel(memo, "msgpackr")),
			"msgpackr `unpack` of the same 1 KiB, " + dur(ns("baseline msgpackr unpack 1 KiB uint8 bin (alternating rounds)"))},
		{"Node `decode` 64 MiB vs 1 KiB, new header / seen before", fmt.Sprintf("%s / %s (O(1))",
			x(ns("decode float32 64 MiB, new header each time")/ns("decode float32 1 KiB, new header each time")),
			x(ns("decode float32 64 MiB, header seen before (memo)")/ns("decode float32 1 KiB, header seen before (memo)"))), "—"},
		{"Node `decode` 1 KiB vs npyjs, new header / seen before", fmt.Sprintf("%s / %s",
			x(ns("decode float32 1 KiB, new header each time")/ns("baseline npyjs parse 1 KiB")),
			x(ns("decode float32 1 KiB, header seen before (memo)")/ns("baseline npyjs parse 1 KiB"))), "npyjs `parse`, " + dur(ns("baseline npyjs parse 1 KiB"))},
		{"Node `encode` " + k1, fmt.Sprintf("%s (%s)", rel("encode "+k1, "msgpackr"), dur(ns("encode "+k1))), "msgpackr `pack({shape, data})`, " + dur(ns("baseline msgpackr pack({shape, data}) "+k1))},
		{"Node `encode` uint8 27 KiB / 2.6 MiB", rel("encode "+k27, "slice") + " / " + rel("encode "+m26, "slice"), "a fresh `.slice()` of the bytes"},
		{"Node `encodeInto` uint8 2.6 MiB / 27 KiB / float32 1 KiB", fmt.Sprintf("%s / %s / %s (%s)",
			rel("encodeInto "+m26+", reused buffer", "set"), rel("encodeInto "+k27+", reused buffer", "set"), rel("encodeInto "+k1+", reused buffer", "set"), dur(ns("encodeInto "+k1+", reused buffer"))),
			fmt.Sprintf("`.set()` of the body into a reused buffer (%s at 1 KiB)", dur(ns("baseline .set() into a reused buffer "+k1)))},
		{"Node `encode` 2.6 MiB with integrity / compressed", fmt.Sprintf("%s, %s / %s, %s",
			gbps(frame, ns("encode "+m26+", integrity")), rel("encode "+m26+", integrity", "slice"),
			gbps(frame, ns("encode "+m26+", compress")), rel("encode "+m26+", compress", "slice")), "a fresh `.slice()` of the bytes"},
		{"XXH3 verification of 64 MiB through the module", fmt.Sprintf("%s, %s the throughput",
			gbps(big, ns("XXH3 verify 64 MiB through the module (decode)")), x(ns("baseline xxhash-wasm h64Raw")/ns("XXH3 verify 64 MiB through the module (decode)"))), "npm `xxhash-wasm` h64"},
		{"LZ4 through the module, 64 MiB", fmt.Sprintf("compress %s, decompress %s the throughput",
			x(ns("baseline lz4js compress")/ns("LZ4 compress through the module (encode)")), x(ns("baseline lz4js decompress")/ns("LZ4 decompress through the module (decode)"))), "npm `lz4js`"},
	}
	return g.done(rows, "|---|---|---|")
}

func wazeroTable(r results) (string, error) {
	g := &reader{r: r}
	b := g.ns
	first, cached := b("Instantiate/first"), b("Instantiate/cached")
	rows := [][]string{
		{"benchmark", "result", "baseline (same run)"},
		{"wazero: a second `Runtime` of the same module (compilation cache)", fmt.Sprintf("1/%.0f of the first (%s vs %s)", first/cached, dur(cached), dur(first)), "the first instantiation, which compiles"},
		{"wazero: plugin round trip, 1 KiB", dur(b("PluginRoundTrip1KiB/wazero")), "the same work natively, " + dur(b("PluginRoundTrip1KiB/native"))},
	}
	for _, c := range [][2]string{{"1KiB", "1 KiB"}, {"4MiB-integrity", "4 MiB with integrity"}, {"16MiB-lz4", "16 MiB, LZ4"}} {
		w, n := b("CodecDecode/"+c[0]+"/wazero"), b("CodecDecode/"+c[0]+"/native")
		rows = append(rows, []string{"wazero: `Codec.Decode` " + c[1], fmt.Sprintf("%s, %.1f× native", dur(w), w/n), "native `Decode`, " + dur(n)})
	}
	return g.done(rows, "|---|---|---|")
}
