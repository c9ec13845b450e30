// Command report runs the Go benchmarks of package bench and writes
// RESULTS.md and a chart (results.png), adding the Node.js results from
// js/results.json, and their own chart (results-node.png), when that file
// exists. Run it from the bench directory
// (`make bench` does); every figure in RESULTS.md comes from this run.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/tenso-go/tenso/bench"
)

// goRun is what the Go half measured, saved as JSON so the report can be
// re-rendered without measuring again (-from).
type goRun struct {
	Date      string         `json:"date"`
	CPU       string         `json:"cpu"`
	Cores     int            `json:"cores"`
	GoVersion string         `json:"go_version"`
	Platform  string         `json:"platform"`
	Benchtime string         `json:"benchtime"`
	LoadStart string         `json:"load_start"`
	LoadEnd   string         `json:"load_end"`
	Duration  string         `json:"duration"`
	Versions  [][2]string    `json:"versions"`
	Cases     [][2]string    `json:"cases"` // name, label
	Payload   map[string]int `json:"payload"`
	Notes     [][2]string    `json:"notes"` // codec, how it is used
	Results   []bench.Result `json:"results"`
}

// jsRun is bench/js/results.json, written by bench/js/bench.mjs.
type jsRun struct {
	Date     string            `json:"date"`
	Node     string            `json:"node"`
	CPU      string            `json:"cpu"`
	Versions map[string]string `json:"versions"`
	Notes    [][2]string       `json:"notes"`
	Skipped  []string          `json:"skipped"`
	Results  []bench.Result    `json:"results"`
}

func main() {
	testing.Init()
	benchtime := flag.String("benchtime", "300ms", "time per measurement (testing.Benchmark)")
	count := flag.Int("count", 3, "passes over the suite; each figure keeps its fastest pass")
	small := flag.Bool("small", false, "shrink the large cases (smoke test)")
	md := flag.String("md", "RESULTS.md", "markdown output")
	png := flag.String("png", "results.png", "chart output")
	nodePNG := flag.String("node-png", "results-node.png", "chart of the Node.js results (written when -js exists)")
	raw := flag.String("json", "results-go.json", "raw Go results (input with -from)")
	from := flag.Bool("from", false, "re-render from -json instead of measuring")
	jsPath := flag.String("js", "js/results.json", "Node.js results to include")
	readme := flag.String("readme", "", "README.md whose bench-summary section is rewritten (empty: none)")
	flag.Parse()
	if err := flag.Set("test.benchtime", *benchtime); err != nil {
		fatal(err)
	}

	var run goRun
	if *from {
		b, err := os.ReadFile(*raw)
		if err != nil {
			fatal(err)
		}
		if err := json.Unmarshal(b, &run); err != nil {
			fatal(err)
		}
	} else {
		run = measure(*benchtime, *count, *small)
		b, _ := json.MarshalIndent(run, "", " ")
		if err := os.WriteFile(*raw, b, 0o644); err != nil {
			fatal(err)
		}
	}
	var js *jsRun
	if b, err := os.ReadFile(*jsPath); err == nil {
		js = &jsRun{}
		if err := json.Unmarshal(b, js); err != nil {
			fatal(fmt.Errorf("%s: %w", *jsPath, err))
		}
	}
	nodeRef, err := filepath.Rel(filepath.Dir(*md), *nodePNG)
	if err != nil {
		nodeRef = *nodePNG
	}
	if err := os.WriteFile(*md, []byte(markdown(&run, js, filepath.ToSlash(nodeRef))), 0o644); err != nil {
		fatal(err)
	}
	if err := chart(fmt.Sprintf("Go, %s, %d cores, %s", run.CPU, run.Cores, run.Date), run.Cases, run.Results, *png); err != nil {
		fatal(err)
	}
	wrote := *md + " and " + *png
	if js != nil {
		if cases := nodeCases(&run, js); len(cases) > 0 {
			date := js.Date
			if t, err := time.Parse(time.RFC3339, js.Date); err == nil {
				date = t.UTC().Format("2006-01-02 15:04 MST") // as the Go chart's title
			}
			if err := chart(fmt.Sprintf("%s, %s, %s", js.Node, js.CPU, date), cases, js.Results, *nodePNG); err != nil {
				fatal(err)
			}
			wrote = *md + ", " + *png + " and " + *nodePNG
		}
	}
	if *readme != "" {
		if err := updateReadme(*readme, &run); err != nil {
			fatal(err)
		}
	}
	fmt.Fprintf(os.Stderr, "wrote %s\n", wrote)
}

// summary renders the decode and encode tables of time relative to Tenso;
// RESULTS.md and README.md (between its bench-summary markers) show it.
func summary(run *goRun) string {
	var w strings.Builder
	m := index(run.Results)
	names := codecOrder(run.Results)
	for _, op := range []string{"decode", "encode"} {
		fmt.Fprintf(&w, "**%s** (Tenso: `tenso.%s`)\n\n| format |", op, map[string]string{"decode": "Decode", "encode": "Encode"}[op])
		for _, c := range run.Cases {
			fmt.Fprintf(&w, " %s |", c[0])
		}
		fmt.Fprintf(&w, "\n|---|")
		for range run.Cases {
			fmt.Fprintf(&w, "---:|")
		}
		fmt.Fprintln(&w)
		for _, n := range names {
			if _, ok := m[key{run.Cases[0][0], n, op}]; !ok {
				continue
			}
			fmt.Fprintf(&w, "| %s |", n)
			for _, c := range run.Cases {
				fmt.Fprintf(&w, " %s |", fmtRatio(ratio(m, c[0], n, op, "tenso", op)))
			}
			fmt.Fprintln(&w)
		}
		fmt.Fprintln(&w)
	}

	return w.String()
}

// Markers around the generated part of README.md.
const (
	readmeBegin = "<!-- bench-summary:begin (written by make bench; do not edit) -->"
	readmeEnd   = "<!-- bench-summary:end -->"
)

// updateReadme replaces the text between the markers in path with the
// machine line and the summary tables of this run.
func updateReadme(path string, run *goRun) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, readmeBegin), strings.Index(s, readmeEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s: bench-summary markers not found", path)
	}
	body := fmt.Sprintf("\nMeasured by `make bench` on %s (%s, %d logical cores, %s), load average %s at the start; the same run wrote [bench/RESULTS.md](bench/RESULTS.md), which has every figure, allocation counts and library versions. Time relative to Tenso, lower is faster:\n\n%s",
		run.Date, run.CPU, run.Cores, run.GoVersion, run.LoadStart, summary(run))
	s = s[:i+len(readmeBegin)] + body + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "report:", err)
	os.Exit(1)
}

func measure(benchtime string, count int, small bool) goRun {
	run := goRun{
		Date:      time.Now().UTC().Format("2006-01-02 15:04 MST"),
		CPU:       cpuModel(),
		Cores:     runtime.NumCPU(),
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		Benchtime: fmt.Sprintf("%s; %d passes over the whole suite, each figure the fastest of its passes", benchtime, count),
		LoadStart: loadAvg(),
		Payload:   map[string]int{},
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch {
			case strings.HasPrefix(d.Path, "github.com/apache/arrow-go"),
				d.Path == "github.com/nlpodyssey/safetensors",
				d.Path == "codeberg.org/sbinet/npyio",
				d.Path == "github.com/vmihailenco/msgpack/v5",
				d.Path == "google.golang.org/protobuf",
				d.Path == "github.com/pierrec/lz4/v4",
				d.Path == "github.com/zeebo/xxh3":
				run.Versions = append(run.Versions, [2]string{d.Path, d.Version})
			}
		}
	}
	cases := bench.Cases(small)
	for _, c := range cases {
		run.Cases = append(run.Cases, [2]string{c.Name, c.Label})
		run.Payload[c.Name] = int(c.Bytes())
	}
	codecs := bench.Codecs()
	for _, k := range codecs {
		run.Notes = append(run.Notes, [2]string{k.Name, k.Note})
	}
	start := time.Now()
	res, err := bench.Run(cases, codecs, count, os.Stderr)
	if err != nil {
		fatal(err)
	}
	run.Results = res
	run.Duration = time.Since(start).Round(time.Second).String()
	run.LoadEnd = loadAvg()
	return run
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown (" + runtime.GOARCH + ")"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown (" + runtime.GOARCH + ")"
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

func fmtNs(ns float64) string {
	switch {
	case ns <= 0:
		return "—"
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
	return fmt.Sprintf("%.2f s", ns/1e9)
}

func fmtRatio(r float64) string {
	switch {
	case r <= 0 || math.IsNaN(r) || math.IsInf(r, 0):
		return "—"
	case r < 0.01:
		return fmt.Sprintf("1/%.0f", 1/r)
	case r < 10:
		return fmt.Sprintf("%.2f×", r)
	}
	return fmt.Sprintf("%.0f×", r)
}

func fmtBytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

type key struct{ c, k, op string }

func index(rs []bench.Result) map[key]bench.Result {
	m := map[key]bench.Result{}
	for _, r := range rs {
		m[key{r.Case, r.Codec, r.Op}] = r
	}
	return m
}

func codecOrder(rs []bench.Result) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.Codec] {
			seen[r.Codec] = true
			names = append(names, r.Codec)
		}
	}
	return names
}

func ratio(m map[key]bench.Result, c, k, op, base, baseOp string) float64 {
	r, ok := m[key{c, k, op}]
	b, ok2 := m[key{c, base, baseOp}]
	if !ok || !ok2 || b.NsPerOp <= 0 {
		return 0
	}
	return r.NsPerOp / b.NsPerOp
}

// nodeCases is the cases, in Go order, that the Node.js run measured; the
// Node.js chart has one panel for each.
func nodeCases(run *goRun, js *jsRun) [][2]string {
	var cases [][2]string
	for _, c := range run.Cases {
		if hasCase(js.Results, c[0]) {
			cases = append(cases, c)
		}
	}
	return cases
}

// markdown renders RESULTS.md; nodePNG is the Node.js chart's path relative
// to RESULTS.md.
func markdown(run *goRun, js *jsRun, nodePNG string) string {
	var w strings.Builder
	m := index(run.Results)
	names := codecOrder(run.Results)
	fmt.Fprintf(&w, "# Benchmark results\n\n")
	fmt.Fprintf(&w, "Written by `make bench` (`bench/cmd/report`, `bench/js/bench.mjs`); every figure below comes from that run. Do not edit by hand.\n\n")
	fmt.Fprintf(&w, "## Machine\n\n")
	fmt.Fprintf(&w, "| | |\n|---|---|\n")
	fmt.Fprintf(&w, "| date | %s |\n| CPU | %s |\n| logical cores | %d |\n| Go | %s %s |\n", run.Date, run.CPU, run.Cores, run.GoVersion, run.Platform)
	fmt.Fprintf(&w, "| time per measurement | %s (`testing.Benchmark`; at least one op) |\n", run.Benchtime)
	fmt.Fprintf(&w, "| load average at start / end | %s / %s (the machine is shared; treat small differences as noise) |\n", run.LoadStart, run.LoadEnd)
	fmt.Fprintf(&w, "| Go run took | %s |\n", run.Duration)
	if js != nil {
		fmt.Fprintf(&w, "| Node.js | %s |\n", js.Node)
	}
	fmt.Fprintf(&w, "\n## Libraries\n\n| module | version |\n|---|---|\n")
	for _, v := range run.Versions {
		fmt.Fprintf(&w, "| %s | %s |\n", v[0], v[1])
	}
	fmt.Fprintf(&w, "| encoding/gob | %s standard library |\n", run.GoVersion)
	if js != nil {
		keys := make([]string, 0, len(js.Versions))
		for k := range js.Versions {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&w, "| npm %s | %s |\n", k, js.Versions[k])
		}
	}
	fmt.Fprintf(&w, "\n## Cases\n\nEvery format encodes and decodes the same tensors (float32 values are N(0, 0.02²) noise, images a gradient with noise):\n\n")
	for _, c := range run.Cases {
		fmt.Fprintf(&w, "- `%s`: %s\n", c[0], c[1])
	}
	fmt.Fprintf(&w, "\n## Formats\n\n")
	for _, n := range run.Notes {
		fmt.Fprintf(&w, "- **%s**: %s\n", n[0], n[1])
	}
	fmt.Fprintf(&w, "\n“decode” ends when the caller holds each tensor's element bytes (a view for Tenso, Arrow and safetensors; a copy for the others). Only *tenso decode+touch* also reads every element. “×tenso” divides by `tenso` encode (fresh buffer) or `tenso` decode (zero-copy) on the same case; “×copy” divides by the `copy` baseline; “1/N” means N times less time.\n\n")

	fmt.Fprintf(&w, "## Summary: time relative to Tenso (lower is faster)\n\n%s", summary(run))
	fmt.Fprintf(&w, "## Go: every figure\n\n![encode and decode time per format and case, log scale](results.png)\n\n")
	for _, c := range run.Cases {
		fmt.Fprintf(&w, "### %s — %s\n\n", c[0], c[1])
		fmt.Fprintf(&w, "| format | encode | decode | bytes | encode allocs | decode allocs | encode ×tenso | decode ×tenso | encode ×copy | decode ×copy |\n")
		fmt.Fprintf(&w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, n := range names {
			e, eok := m[key{c[0], n, "encode"}]
			d, dok := m[key{c[0], n, "decode"}]
			if !eok && !dok {
				continue
			}
			size := e.Size
			if !eok {
				size = d.Size
			}
			al := func(r bench.Result, ok bool) string {
				if !ok {
					return "—"
				}
				return fmt.Sprintf("%d (%s)", r.AllocsPerOp, fmtBytes(r.BytesPerOp))
			}
			fmt.Fprintf(&w, "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s |\n", n,
				fmtNs(e.NsPerOp), fmtNs(d.NsPerOp), size, al(e, eok), al(d, dok),
				fmtRatio(ratio(m, c[0], n, "encode", "tenso", "encode")),
				fmtRatio(ratio(m, c[0], n, "decode", "tenso", "decode")),
				fmtRatio(ratio(m, c[0], n, "encode", "copy", "encode")),
				fmtRatio(ratio(m, c[0], n, "decode", "copy", "decode")))
		}
		fmt.Fprintln(&w)
	}

	fmt.Fprintf(&w, "## Node.js\n\n")
	if js == nil {
		fmt.Fprintf(&w, "Not run: `bench/js/results.json` was missing when this report was written.\n")
		return w.String()
	}
	fmt.Fprintf(&w, "%s, %s, measured %s.\n\n", js.Node, js.CPU, js.Date)
	if len(nodeCases(run, js)) > 0 {
		fmt.Fprintf(&w, "![Node.js: encode and decode time per format and case, log scale](%s)\n\n", nodePNG)
	}
	for _, n := range js.Notes {
		fmt.Fprintf(&w, "- **%s**: %s\n", n[0], n[1])
	}
	for _, s := range js.Skipped {
		fmt.Fprintf(&w, "- not run: %s\n", s)
	}
	fmt.Fprintln(&w)
	jm := index(js.Results)
	jnames := codecOrder(js.Results)
	for _, c := range run.Cases {
		if !hasCase(js.Results, c[0]) {
			continue
		}
		fmt.Fprintf(&w, "### %s (Node.js)\n\n| format | encode | decode | bytes | encode ×tenso | decode ×tenso |\n|---|---:|---:|---:|---:|---:|\n", c[0])
		for _, n := range jnames {
			e, eok := jm[key{c[0], n, "encode"}]
			d, dok := jm[key{c[0], n, "decode"}]
			if !eok && !dok {
				continue
			}
			size := e.Size
			if !eok {
				size = d.Size
			}
			fmt.Fprintf(&w, "| %s | %s | %s | %d | %s | %s |\n", n, fmtNs(e.NsPerOp), fmtNs(d.NsPerOp), size,
				fmtRatio(ratio(jm, c[0], n, "encode", "tenso", "encode")),
				fmtRatio(ratio(jm, c[0], n, "decode", "tenso", "decode")))
		}
		fmt.Fprintln(&w)
	}
	return w.String()
}

func hasCase(rs []bench.Result, c string) bool {
	for _, r := range rs {
		if r.Case == c {
			return true
		}
	}
	return false
}

var short = map[string]string{
	"tenso": "tenso", "tenso append": "append", "tenso writev": "writev",
	"tenso decode+touch": "dec+touch", "tenso integrity": "integrity", "tenso lz4": "lz4", "tenso encodeInto": "encodeInto",
	"arrow ipc": "arrow", "safetensors": "safetens.", "npy (npyio)": "npyio",
	"msgpack": "msgpack", "gob": "gob", "protobuf": "protobuf", "copy": "copy",
	// Node.js (bench/js)
	"msgpackr": "msgpackr", "@msgpack/msgpack": "@msgpack", "npy (npyjs)": "npyjs", "lz4js": "lz4js",
}

// logTicks labels bar heights h = log10(ns) as times.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	labels := []string{"1 ns", "10 ns", "100 ns", "1 µs", "10 µs", "100 µs", "1 ms", "10 ms", "100 ms", "1 s", "10 s", "100 s"}
	for i := int(math.Floor(min)); i <= int(math.Ceil(max)); i++ {
		if i >= 0 && i < len(labels) {
			ts = append(ts, plot.Tick{Value: float64(i), Label: labels[i]})
		}
	}
	return ts
}

// chart writes a PNG of log-scale encode and decode bars per format, one
// panel per case (name, label); the first panel's title starts with title.
func chart(title string, cases [][2]string, results []bench.Result, path string) error {
	m := index(results)
	names := codecOrder(results)
	rows := len(cases)
	plots := make([][]*plot.Plot, rows)
	top := 0.0
	for _, r := range results {
		top = math.Max(top, math.Log10(r.NsPerOp))
	}
	for i, c := range cases {
		p := plot.New()
		p.Title.Text = c[1]
		if i == 0 {
			p.Title.Text = fmt.Sprintf("%s — %s", title, c[1])
		}
		p.Title.TextStyle.Font.Size = vg.Points(11)
		p.Y.Label.Text = "time per op (log)"
		p.Y.Tick.Marker = logTicks{}
		p.Y.Min, p.Y.Max = 0, math.Ceil(top)
		p.Add(plotter.NewGrid())
		labels := make([]string, len(names))
		for j, n := range names {
			labels[j] = short[n]
			if labels[j] == "" {
				labels[j] = n
			}
		}
		for oi, op := range []string{"encode", "decode"} {
			vals := make(plotter.Values, len(names))
			for j, n := range names {
				if r, ok := m[key{c[0], n, op}]; ok && r.NsPerOp >= 1 {
					vals[j] = math.Log10(r.NsPerOp)
				}
			}
			bars, err := plotter.NewBarChart(vals, vg.Points(11))
			if err != nil {
				return err
			}
			bars.LineStyle.Width = 0
			bars.Offset = vg.Points(float64(2*oi-1) * 6)
			if oi == 0 {
				bars.Color = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
			} else {
				bars.Color = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
			}
			p.Add(bars)
			if i == 0 {
				p.Legend.Add(op, bars)
			}
		}
		p.Legend.Top = true
		p.NominalX(labels...)
		plots[i] = []*plot.Plot{p}
	}
	const wpx, hpx = 1300, 300
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(wpx)*vg.Inch/96, vg.Length(hpx*rows)*vg.Inch/96), vgimg.UseDPI(96))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	t := draw.Tiles{Rows: rows, Cols: 1, PadX: vg.Millimeter, PadY: 3 * vg.Millimeter, PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	canvases := plot.Align(plots, t, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
