package readme_test

// Each example below holds one Go snippet of README.md verbatim (between
// the lines that give it its context), so the snippets compile; the
// deterministic ones run and check their output. TestREADMESnippets fails
// when a README snippet is not found here (or, for the NATS section, in
// native/tensonats/readme_example_test.go), so the two cannot drift.

import (
	"bytes"
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"log"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native"
	"github.com/tenso-go/tenso/native/tensogrpc"
	"github.com/tenso-go/tenso/native/tensohttp"
	"github.com/tenso-go/tenso/shm"
	"github.com/tenso-go/tenso/wasm/host"
)

// README, "Go".
func Example_decode() {
	t, _ := tenso.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)   // wraps the slice, no copy
	packet, _ := tenso.Encode(t, tenso.Options{Integrity: true}) // alignment 64, XXH3-64 footer

	v, err := tenso.Decode(packet) // views into packet: valid as long as packet is
	if err != nil {
		// a *tenso.FormatError (Offset, Field, Msg) wrapping one of ErrCorrupt,
		// ErrTooLarge, ErrChecksum, ErrUnsupported, ErrUnframed: use errors.Is
		log.Fatal(err)
	}
	xs, _ := tenso.As[float32](v.(*tenso.Tensor)) // zero-copy when aligned, else a copy
	fmt.Println(xs)                               // [1 2 3 4 5 6]
	// Output: [1 2 3 4 5 6]
}

// README, "Streams and sockets".
func Example_streams() {
	t, _ := tenso.FromSlice([]int32{1, 2, 3}, 3)
	conn := new(bytes.Buffer) // stands in for a net.Conn
	ctx := context.Background()

	w := tenso.NewWriter(conn)            // one writev per packet; the body is never copied
	n, err := w.Write(t, tenso.Options{}) // (bytes written, error)

	r := tenso.NewReader(conn)   // one packet per Read, exactly its bytes
	v, err := r.ReadContext(ctx) // io.EOF at a clean end; a cancelled ctx interrupts a stalled peer

	fmt.Println(n, v.(*tenso.Tensor).Shape, err)
	// Output: 76 [3] <nil>
}

// README, "Go + wazero" (compiled, not run: scaleWasm is the plugin
// wasm/examples/scale builds).
func Example_wazero() {
	ctx := context.Background()
	var packet, buf, scaleWasm []byte
	var tensor tenso.Value
	var q *tenso.Quantized

	rt, _ := host.New(ctx, host.Config{}) // the module `make wasm` embeds; compiled once per process
	codec, _ := rt.NewCodec(ctx)
	v, _ := codec.Decode(ctx, packet)         // the bytes a browser runs, from Go
	w, n, _ := codec.DecodePrefix(ctx, buf)   // the first of back-to-back packets, and its length
	info, _ := codec.InspectTree(ctx, packet) // tenso.Info with Parts: every bundle entry, sparse component
	f32, _ := codec.Dequantize(ctx, q)        // *tenso.Tensor of float32, as tenso.Dequantize

	p, _ := rt.LoadPlugin(ctx, scaleWasm, host.PluginConfig{Timeout: time.Second})
	out, err := p.CallValue(ctx, "scale", tensor, tenso.Options{})

	_, _, _, _, _, _, _ = v, w, n, info, f32, out, err
}

// README, "Serving tensors", HTTP (compiled, not run: it serves).
func Example_http() {
	ctx := context.Background()
	model := func(t *tenso.Tensor) tenso.Value { return t }
	var tensor tenso.Value

	app := tensohttp.NewApp(tensohttp.Options{}) // body limit, /health, timeouts, concurrency limit
	app.Endpoint("/infer", func(ctx context.Context, in tenso.Value) (tenso.Value, error) {
		t, ok := in.(*tenso.Tensor) // a view of the request body, valid during the call
		if !ok {
			return nil, tensohttp.Error(422, "want a dense tensor")
		}
		return model(t), nil
	}, tensohttp.Integrity(true))
	log.Fatal(app.Run("127.0.0.1:8000")) // graceful stop on SIGINT/SIGTERM; or mount app in any router

	c, _ := tensohttp.NewClient("http://127.0.0.1:8000", tensohttp.ClientOptions{})
	out, err := c.Predict(ctx, "/infer", tensor, false) // or StreamPredict: decoded as it arrives

	_, _ = out, err
}

// README, "Serving tensors", gRPC (compiled, not run: it serves).
func Example_grpc() {
	ctx := context.Background()
	model := func(v tenso.Value) tenso.Value { return v }
	var tensor tenso.Value

	svc := tensogrpc.NewService(func(ctx context.Context, in tenso.Value) (tenso.Value, error) { return model(in), nil }, tensogrpc.ServiceOptions{})
	log.Fatal(tensogrpc.Run(":50051", svc, tensogrpc.ServerOptions{})) // like the reference's run_grpc: 256 MiB messages

	c, _ := tensogrpc.Dial("127.0.0.1:50051", tensogrpc.ClientOptions{})              // protobuf, as Python speaks
	c, _ = tensogrpc.Dial("127.0.0.1:50051", tensogrpc.ClientOptions{UseCodec: true}) // bare Tenso packets, Go to Go
	out, err := c.Predict(ctx, tensor)

	_, _ = out, err
}

// README, "Shared memory, memory-mapped files, GPU", files (compiled, not run).
func Example_files() {
	t, _ := tenso.FromSlice([]float32{1, 2, 3}, 3)

	native.DumpFile("w.tenso", t, native.DumpOptions{Sync: true}) // (int64, error): one writev, temp file + rename
	f, _ := native.LoadFile("w.tenso")                            // read-only mmap, zero-copy, O(1) whatever the size
	defer f.Close()                                               // views are valid until Close
	w := f.Value().(*tenso.Tensor)

	_ = w
}

// README, "Shared memory, memory-mapped files, GPU", shared memory: run
// twice by TestSharedMemorySnippet.
func sharedMemory(t tenso.Value, out *[]float32) error {
	seg, err := shm.CreateFrom("", t, tenso.Options{}) // /dev/shm/psm_xxxxxxxx, sized to the packet
	if err != nil {
		return err
	}
	defer seg.Unlink() // Close never removes a name: its creator unlinks it
	defer seg.Close()
	r, err := shm.Open(seg.Name()) // Python: TensoShm(name).get() reads it too
	if err != nil {
		return err
	}
	defer r.Close()
	v, err := r.Get() // zero-copy, valid until r.Close

	c, err := shm.OpenOrCreateCache("models", "256MB", shm.CacheOptions{}) // attaches if it exists; Python's TensoCache layout (TCSH v2)
	if err != nil {
		return err
	}
	defer c.Unlink() // frees the pool once every process has closed it; leave it out to keep the pool for the next run
	defer c.Close()  // unmaps this handle only
	if err := c.Put("w", t, shm.PutOptions{TTL: time.Hour}); err != nil {
		return err
	}
	view, err := c.Get("w") // zero-copy; view.Valid() until the pool's next mutation; GetCopy for a stable copy

	if err != nil {
		return err
	}
	a, _ := tenso.As[float32](v.(*tenso.Tensor))
	b, _ := tenso.As[float32](view.Value.(*tenso.Tensor))
	*out = append(append(*out, a...), b...)
	return nil
}

// TestSharedMemorySnippet runs the README's shared-memory snippet twice in
// a row: both runs succeed and neither leaves a name in /dev/shm.
func TestSharedMemorySnippet(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("POSIX shared memory is implemented on Linux")
	}
	if _, err := os.Stat("/dev/shm/models"); err == nil {
		t.Skip("/dev/shm/models exists: another user of the name is running")
	}
	before := shmNames(t)
	x, _ := tenso.FromSlice([]float32{1, 2, 3}, 3)
	for run := 1; run <= 2; run++ {
		var got []float32
		if err := sharedMemory(x, &got); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if fmt.Sprint(got) != "[1 2 3 1 2 3]" {
			t.Fatalf("run %d: read back %v", run, got)
		}
		for name := range shmNames(t) {
			if !before[name] {
				t.Errorf("run %d left /dev/shm/%s behind", run, name)
			}
		}
	}
}

func shmNames(t *testing.T) map[string]bool {
	ents, err := os.ReadDir("/dev/shm")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, e := range ents {
		if e.Name() == "models" || strings.HasPrefix(e.Name(), "psm_") {
			m[e.Name()] = true
		}
	}
	return m
}

// exampleFiles hold the README's Go snippets: this file, and for the NATS
// section (another module, which this one cannot import) an example of
// native/tensonats that runs against an embedded server.
var exampleFiles = []string{"readme_test.go", "../../native/tensonats/readme_example_test.go"}

// TestREADMESnippets checks that every Go snippet of README.md is in an
// example of one of exampleFiles, line for line (spacing aside), and that
// the packages the snippet imports are imported by that file.
func TestREADMESnippets(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	type file struct {
		name     string
		imported map[string]bool
		lines    []string
	}
	var files []file
	for _, name := range exampleFiles {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		imported := map[string]bool{}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			imported[p] = true
		}
		files = append(files, file{name, imported, codeLines(string(src))})
	}
	blocks := regexp.MustCompile("(?ms)^```go\n(.*?)^```$").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 6 {
		t.Fatalf("README.md: %d Go snippets found, want at least 6 (the regexp or the README changed)", len(blocks))
	}
	for i, b := range blocks {
		paths, body := splitImports(b[1])
		lines := codeLines(body)
		if len(lines) == 0 {
			continue
		}
		found := false
		for _, f := range files {
			if !contains(f.lines, lines) {
				continue
			}
			found = true
			for _, p := range paths {
				if !f.imported[p] {
					t.Errorf("README Go snippet %d imports %q, which %s does not", i+1, p, f.name)
				}
			}
		}
		if !found {
			t.Errorf("README Go snippet %d (%q …) is not, line for line, in an example of %s; copy it there so it compiles", i+1, lines[0], strings.Join(exampleFiles, " or "))
		}
	}
}

var quoted = regexp.MustCompile(`"([^"]+)"`)

// splitImports separates the import declarations of a snippet (one-line
// `import "p"`, `import ("p"; "q")`, or a parenthesised block) from its code.
func splitImports(s string) (paths []string, code string) {
	var rest []string
	in := false
	for _, l := range strings.Split(s, "\n") {
		tl := strings.TrimSpace(l)
		switch {
		case in:
			if tl == ")" {
				in = false
				continue
			}
			fallthrough
		case strings.HasPrefix(tl, "import "):
			for _, m := range quoted.FindAllStringSubmatch(tl, -1) {
				paths = append(paths, m[1])
			}
			if tl == "import (" {
				in = true
			}
		default:
			rest = append(rest, l)
		}
	}
	return paths, strings.Join(rest, "\n")
}

// codeLines returns the non-blank lines of s with their spacing
// normalised (gofmt aligns comments differently in a deeper block).
func codeLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			out = append(out, strings.Join(f, " "))
		}
	}
	return out
}

func contains(hay, needle []string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		ok := true
		for j := range needle {
			if hay[i+j] != needle[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
