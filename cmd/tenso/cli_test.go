package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tenso-go/tenso"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
	cliDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if cliDir != "" {
		os.RemoveAll(cliDir)
	}
	os.Exit(code)
}

// cliBinary builds the tenso binary once for the tests that run it.
func cliBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cliOnce.Do(func() {
		cliDir, cliErr = os.MkdirTemp("", "tenso-cli-")
		if cliErr != nil {
			return
		}
		cliPath = filepath.Join(cliDir, "tenso")
		if out, err := exec.Command("go", "build", "-o", cliPath, ".").CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

type result struct {
	code           int
	stdout, stderr string
}

// tensoCLI runs the binary with args (in testdata/, so golden packets are
// named as a user would name them).
func tensoCLI(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(cliBinary(t), args...)
	cmd.Dir = filepath.Join("..", "..", "testdata")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("%v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	if strings.Contains(stderr.String(), "goroutine ") {
		t.Errorf("%v: panic trace:\n%s", args, stderr.String())
	}
	return result{code, stdout.String(), stderr.String()}
}

func verbs() []string {
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Every verb: -h, --help and `tenso help VERB` print the verb's usage and
// exit 0; an unknown flag exits 2 with the error and the usage.
func TestCLIHelpEveryVerb(t *testing.T) {
	if len(verbs()) < 6 {
		t.Fatalf("verbs %v: want inspect, verify, convert, predict, serve, demo at least", verbs())
	}
	// A flag.PrintDefaults line with a back-quoted word shows the word as
	// the flag's argument name ("-js make wasm").
	backquoted := regexp.MustCompile("(?m)^  -[a-zA-Z-]+ [a-z]+ [a-z]+\n")
	for _, verb := range verbs() {
		var helps []result
		for _, h := range [][]string{{verb, "-h"}, {verb, "--help"}, {"help", verb}, {verb, "-h", "somefile"}} {
			r := tensoCLI(t, h...)
			if r.code != 0 || !strings.HasPrefix(r.stderr, "usage: tenso "+verb+" ") {
				t.Errorf("%v: exit %d, stderr %q; want 0 and the usage", h, r.code, r.stderr)
			}
			if regexp.MustCompile(`(?m)^tenso: `).MatchString(r.stderr) {
				t.Errorf("%v: an error line in the help: %q", h, r.stderr)
			}
			if m := backquoted.FindString(r.stderr); m != "" {
				t.Errorf("%v: flag help reads %q", h, m)
			}
			helps = append(helps, r)
		}
		if helps[0].stderr != helps[1].stderr || helps[0].stderr != helps[2].stderr {
			t.Errorf("%s: -h, --help and help differ", verb)
		}
		r := tensoCLI(t, verb, "-no-such-flag")
		if r.code != 2 || !strings.HasPrefix(r.stderr, "flag provided but not defined: -no-such-flag\nusage: tenso "+verb+" ") {
			t.Errorf("%s -no-such-flag: exit %d, stderr %q; want 2, the error and the usage", verb, r.code, r.stderr)
		}
	}
	for _, c := range []struct {
		args []string
		code int
	}{{nil, 2}, {[]string{"-h"}, 0}, {[]string{"--help"}, 0}, {[]string{"help"}, 0}, {[]string{"nosuch"}, 2}, {[]string{"help", "nosuch"}, 2}} {
		r := tensoCLI(t, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, "usage: tenso <command>") {
			t.Errorf("tenso %v: exit %d, stderr %q; want %d and the usage", c.args, r.code, r.stderr, c.code)
		}
	}
}

// Several files, some bad: every file is read, each bad one gets one
// "tenso: FILE: …" line with a single prefix, the good ones are reported,
// the exit status is 1.
func TestCLISeveralFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.tenso")
	os.WriteFile(bad, []byte("nope, not a packet"), 0o600)
	npy := filepath.Join(dir, "x.npy")
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"
	hdr += strings.Repeat(" ", 117-len(hdr)) + "\n"
	os.WriteFile(npy, append(append([]byte("\x93NUMPY\x01\x00\x76\x00"), hdr...), 0, 0, 0, 0), 0o600)
	missing := filepath.Join(dir, "missing.tenso")
	corrupt := mustRead(t, filepath.Join("..", "..", "testdata", "dense_f64_integrity.tenso"))
	corrupt[len(corrupt)-20] ^= 1
	sum := filepath.Join(dir, "checksum.tenso")
	os.WriteFile(sum, corrupt, 0o600)

	files := []string{"dense_f32.tenso", bad, npy, "bundle_mixed_nested.tenso", missing, sum, "dense_f64_integrity.tenso"}
	badOnes := map[string]string{bad: "bad magic", npy: "looks like a NumPy .npy file", missing: "no such file", sum: "integrity"}
	for _, args := range [][]string{
		append([]string{"inspect"}, files...),
		append([]string{"inspect", "--json"}, files...),
		append(append([]string{"inspect"}, files...), "--json"), // flags after the operands
		append([]string{"verify"}, files...),
		append([]string{"verify", "--json"}, files...),
	} {
		r := tensoCLI(t, args...)
		if r.code != 1 {
			t.Errorf("%v: exit %d, want 1", args[:2], r.code)
		}
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if len(lines) != len(badOnes) {
			t.Errorf("%v: %d stderr lines, want %d:\n%s", args[:2], len(lines), len(badOnes), r.stderr)
		}
		for _, line := range lines {
			if !oneLine(line) {
				t.Errorf("%v: line %q: want one tenso: prefix", args[:2], line)
			}
		}
		for f, want := range badOnes {
			if !strings.Contains(r.stderr, "tenso: "+f+": ") || !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr names %s (%q) how?\n%s", args[:2], f, want, r.stderr)
			}
		}
		if !strings.Contains(r.stderr, "tenso convert "+npy) {
			t.Errorf("%v: no convert hint for the .npy file:\n%s", args[:2], r.stderr)
		}
		json := strings.Contains(strings.Join(args, " "), "--json")
		switch {
		case args[0] == "inspect" && json:
			if n := strings.Count(r.stdout, "\n"); n != 3 || !strings.HasPrefix(r.stdout, `{"kind":"dense"`) {
				t.Errorf("%v: stdout %q, want 3 JSON lines", args[:2], r.stdout)
			}
		case args[0] == "inspect":
			if !strings.Contains(r.stdout, "dense_f32.tenso: packet at byte 0") || !strings.Contains(r.stdout, "dense_f64_integrity.tenso: packet at byte 0") {
				t.Errorf("%v: the good files are not all described:\n%s", args[:2], r.stdout)
			}
		case json:
			if n := strings.Count(r.stdout, "\n"); n != len(files) || !strings.Contains(r.stdout, `{"file":"dense_f32.tenso","ok":true,"packets":1,"bytes":112,"footers":0,"unchecked":1}`) {
				t.Errorf("%v: stdout %q, want a JSON line per file", args[:2], r.stdout)
			}
		default:
			want := []string{
				"dense_f32.tenso: ok (1 packet, 112 bytes; no XXH3 footer: only the structure was checked)",
				"bundle_mixed_nested.tenso: ok (1 packet, 1256 bytes; no XXH3 footer: only the structure was checked)",
				"dense_f64_integrity.tenso: ok (1 packet, 584 bytes; 1 XXH3 integrity footer checked)",
			}
			if r.stdout != strings.Join(want, "\n")+"\n" {
				t.Errorf("verify stdout:\n%s\nwant:\n%s", r.stdout, strings.Join(want, "\n"))
			}
		}
	}
	// "-h" and "--json" are never file names, wherever they are.
	if r := tensoCLI(t, "verify", "dense_f32.tenso", "-h"); r.code != 0 || strings.Contains(r.stderr, "open") {
		t.Errorf("verify FILE -h: %+v", r)
	}
	if r := tensoCLI(t, "verify", "--", "-h"); r.code != 1 || r.stderr != "tenso: -h: no such file or directory\n" {
		t.Errorf("verify -- -h: %+v (after --, -h is a file name)", r)
	}
}

// inspect prints singulars where the count is one, and body offsets from
// the start of the file, inside bundles too.
func TestCLIInspectText(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("..", "..", "testdata", "*.tenso"))
	if err != nil || len(names) < 50 {
		t.Fatalf("corpus: %d files, %v", len(names), err)
	}
	args := []string{"inspect"}
	for _, n := range names {
		args = append(args, filepath.Base(n))
	}
	r := tensoCLI(t, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("inspect corpus: exit %d\n%s", r.code, r.stderr)
	}
	if m := regexp.MustCompile(`\b1 [a-z ]*(elements|entries|bytes|scales|rows|values|packets)\b`).FindString(r.stdout); m != "" {
		t.Errorf("inspect prints %q", m)
	}
	for _, want := range []string{"1 element,", "1 entry\n", "1 byte,", "1 scale,"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("inspect corpus: no %q", want)
		}
	}
	// The nested entry nested/deeper/x: its printed body offset points at
	// its data in the file.
	file := mustRead(t, filepath.Join("..", "..", "testdata", "bundle_mixed_nested.tenso"))
	v, err := tenso.Decode(file)
	if err != nil {
		t.Fatal(err)
	}
	x := v.(*tenso.Bundle).Get("nested").(*tenso.Bundle).Get("deeper").(*tenso.Bundle).Get("x").(*tenso.Tensor)
	r = tensoCLI(t, "inspect", "bundle_mixed_nested.tenso")
	m := regexp.MustCompile(`"x" \(packet at byte (\d+)\):\n +dense uint32 \[2 2\]: 4 elements, 16 bytes, alignment 64, body at byte (\d+)\n`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no entry x in:\n%s", r.stdout)
	}
	at, _ := strconv.Atoi(m[1])
	body, _ := strconv.Atoi(m[2])
	if body+16 > len(file) || !bytes.Equal(file[body:body+16], x.Data) {
		t.Errorf("body at byte %d does not hold x's data", body)
	}
	if at >= body || !bytes.Equal(file[at:at+4], file[:4]) {
		t.Errorf("packet at byte %d does not start with the magic", at)
	}
}

// predict: errors carry one "tenso:" prefix, network errors included.
func TestCLIPredictMessages(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/infer"
	ln.Close()
	bad := filepath.Join(t.TempDir(), "bad.tenso")
	os.WriteFile(bad, []byte("TNSO but not really a packet"), 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"predict", closed, "dense_f32.tenso"}, "tenso: POST /infer: "},
		{[]string{"predict", closed, bad}, "tenso: " + bad + ": "},
		{[]string{"predict", closed, "missing.tenso"}, "tenso: missing.tenso: no such file or directory\n"},
		{[]string{"predict", "-timeout", "5s", closed, "-stream", "dense_f32.tenso"}, "tenso: "},
	} {
		r := tensoCLI(t, c.args...)
		if r.code != 1 || !strings.HasPrefix(r.stderr, c.want) || !oneLine(strings.TrimSuffix(r.stderr, "\n")) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line starting %q", c.args, r.code, r.stderr, c.want)
		}
	}
	if r := tensoCLI(t, "predict", closed); r.code != 2 || !strings.HasPrefix(r.stderr, "tenso: predict: want URL and FILE, got 1 operand\nusage:") {
		t.Errorf("predict URL: %+v", r)
	}
}

// oneLine reports whether line is one error line with a single prefix:
// "tenso: " first, no wrapped library prefix after it.
func oneLine(line string) bool {
	return strings.HasPrefix(line, "tenso: ") && !strings.Contains(line, "\n") &&
		!regexp.MustCompile(`(^tenso: |: )(tenso|tensohttp|tensogrpc|tensonats|tenso/store|tenso/embedded): `).MatchString(line) && !strings.Contains(line, "tensohttp")
}

func TestErrorLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"tenso: bad magic", "tenso: bad magic"},
		{"f.tenso: tenso: bad magic (magic at offset 0)", "tenso: f.tenso: bad magic (magic at offset 0)"},
		{"tensohttp: POST /infer: tenso: tenso: x", "tenso: POST /infer: x"},
		{"tensogrpc: rpc error", "tenso: rpc error"},
		{"put b/k: tenso/store: key not found: \"k\"", "tenso: put b/k: key not found: \"k\""},
		{"tenso/embedded: invalid server options: x", "tenso: invalid server options: x"},
		{"a\nb", "tenso: a b"},
		{"tensors: 3", "tenso: tensors: 3"},
	} {
		if got := errorLine(errors.New(c.in)); got != c.want {
			t.Errorf("errorLine(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for n, want := range map[int]string{0: "0 entries", 1: "1 entry", 2: "2 entries"} {
		if got := count(n, "entry"); got != want {
			t.Errorf("count(%d) = %q", n, got)
		}
	}
}
