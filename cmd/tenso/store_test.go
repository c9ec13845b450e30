package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/golden"
	"github.com/tenso-go/tenso/native/tensonats/embedded"
)

// startNATS starts an embedded JetStream server for a test (stopped when
// it ends) and returns its client URL.
func startNATS(t *testing.T) *embedded.Server {
	t.Helper()
	s, err := embedded.Start(embedded.Options{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// wantFail checks a result is exit 1 with exactly one "tenso: " line
// containing want, and nothing on stdout.
func wantFail(t *testing.T, what string, r result, want string) {
	t.Helper()
	line := strings.TrimSuffix(r.stderr, "\n")
	if r.code != 1 || !oneLine(line) || !strings.Contains(line, want) || r.stdout != "" {
		t.Errorf("%s: exit %d, stdout %q, stderr %q; want 1 and one tenso: line with %q", what, r.code, r.stdout, r.stderr, want)
	}
}

// Every golden packet goes through `tenso store put` and comes back from
// `tenso store get` byte for byte (stdout and -o); a file Decode rejects
// is refused with exit 1 and nothing is stored under its key.
func TestCLIStoreGolden(t *testing.T) {
	u := startNATS(t).ClientURL()
	out := t.TempDir()
	stored := 0
	for _, f := range golden.Files(t) {
		name := f["file"].(string)
		data := golden.Read(t, name)
		_, decErr := tenso.Decode(data)
		r := tensoCLI(t, "store", "put", "-nats", u, "golden", name, name)
		if decErr != nil {
			wantFail(t, "put "+name, r, name+": ")
			if g := tensoCLI(t, "store", "get", "-nats", u, "golden", name); g.code != 1 {
				t.Errorf("%s: a refused put stored something: %+v", name, g)
			}
			continue
		}
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("put %s: %+v", name, r)
		}
		stored++
		g := tensoCLI(t, "store", "get", "-nats", u, "golden", name)
		if g.code != 0 || g.stderr != "" || g.stdout != string(data) {
			t.Fatalf("get %s: exit %d, %d bytes, stderr %q; want the %d bytes of the file", name, g.code, len(g.stdout), g.stderr, len(data))
		}
	}
	if stored < 80 {
		t.Fatalf("%d golden packets stored", stored)
	}
	// -o, flags after the operands.
	o := filepath.Join(out, "x.tenso")
	if r := tensoCLI(t, "store", "get", "golden", "dense_f32_1M_compressed_integrity.tenso", "-nats", u, "-o", o); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("get -o: %+v", r)
	}
	if got := mustRead(t, o); !bytes.Equal(got, golden.Read(t, "dense_f32_1M_compressed_integrity.tenso")) {
		t.Error("get -o: the file differs from the packet put")
	}
	// ls: every stored key, sorted, one a line.
	r := tensoCLI(t, "store", "ls", "-nats", u, "golden")
	if lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"); r.code != 0 || len(lines) != stored || lines[0] != "bundle_align16.tenso" {
		t.Errorf("ls: exit %d, %d lines (want %d), first %q", r.code, len(lines), stored, lines[0])
	}
	r = tensoCLI(t, "store", "ls", "-l", "-nats", u, "golden")
	if !regexp.MustCompile(`(?m)^dense_f32\.tenso\t112\t1\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(r.stdout) {
		t.Errorf("ls -l: no line for dense_f32.tenso:\n%s", r.stdout)
	}
}

// The exit statuses scripts rely on: a bad packet stores nothing, a
// missing key or bucket exits 1 (and -o is not written), usage errors
// exit 2, an unreachable server is one error line.
func TestCLIStoreErrors(t *testing.T) {
	u := startNATS(t).ClientURL()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.tenso")
	os.WriteFile(bad, []byte("TNSO but not a packet"), 0o600)
	corrupt := golden.Read(t, "dense_f64_integrity.tenso")
	corrupt[len(corrupt)-20] ^= 1
	sum := filepath.Join(dir, "sum.tenso")
	os.WriteFile(sum, corrupt, 0o600)
	two := filepath.Join(dir, "two.tenso")
	p := golden.Read(t, "dense_f32.tenso")
	os.WriteFile(two, append(append([]byte(nil), p...), p...), 0o600)
	npy := filepath.Join(dir, "x.npy")
	os.WriteFile(npy, []byte("\x93NUMPY\x01\x00\x76\x00{'descr': '<f4'"), 0o600)

	if r := tensoCLI(t, "store", "put", "-nats", u, "b", "good", "dense_f32.tenso"); r.code != 0 {
		t.Fatalf("put: %+v", r)
	}
	for _, c := range []struct {
		file, want string
	}{{bad, bad + ": "}, {sum, "integrity"}, {two, two + ": "}, {npy, "tenso convert " + npy}, {filepath.Join(dir, "none"), "no such file or directory"}} {
		wantFail(t, "put "+c.file, tensoCLI(t, "store", "put", "-nats", u, "b", "k", c.file), c.want)
		// Nothing stored; nor over an existing value.
		wantFail(t, "put "+c.file+" over good", tensoCLI(t, "store", "put", "-nats", u, "b", "good", c.file), c.want)
	}
	if r := tensoCLI(t, "store", "ls", "-nats", u, "b"); r.code != 0 || r.stdout != "good\n" {
		t.Errorf("ls after the refused puts: %+v", r)
	}
	if r := tensoCLI(t, "store", "get", "-nats", u, "b", "good"); r.stdout != string(p) {
		t.Errorf("good was changed by a refused put")
	}
	o := filepath.Join(dir, "out.tenso")
	wantFail(t, "get missing", tensoCLI(t, "store", "get", "-nats", u, "b", "missing", "-o", o), `get b/missing: no such key`)
	if _, err := os.Stat(o); !os.IsNotExist(err) {
		t.Errorf("get of a missing key wrote -o: %v", err)
	}
	wantFail(t, "get from a missing bucket", tensoCLI(t, "store", "get", "-nats", u, "nob", "k"), `bucket "nob" not found`)
	wantFail(t, "ls a missing bucket", tensoCLI(t, "store", "ls", "-nats", u, "nob"), `bucket "nob" not found`)
	wantFail(t, "bad bucket name", tensoCLI(t, "store", "put", "-nats", u, "a.b", "k", "dense_f32.tenso"), `bucket "a.b": a bucket name is`)
	if r := tensoCLI(t, "store", "rm", "-nats", u, "b", "good"); r.code != 0 || r.stderr != "" {
		t.Errorf("rm: %+v", r)
	}
	wantFail(t, "rm twice", tensoCLI(t, "store", "rm", "-nats", u, "b", "good"), "rm b/good: no such key")
	wantFail(t, "get removed", tensoCLI(t, "store", "get", "-nats", u, "b", "good"), "no such key")
	if r := tensoCLI(t, "store", "ls", "-nats", u, "b"); r.code != 0 || r.stdout != "" {
		t.Errorf("ls of an emptied bucket: %+v", r)
	}

	// Nothing listens there: one line, fast.
	ln := closedPort(t)
	start := time.Now()
	wantFail(t, "unreachable", tensoCLI(t, "store", "ls", "-nats", "nats://"+ln, "b"), "connecting to nats://"+ln+": ")
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("unreachable server: %v", d)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"store"}, "tenso: store: name a verb"},
		{[]string{"store", "cp"}, `tenso: store: unknown verb "cp"`},
		{[]string{"store", "put", "b", "k"}, "tenso: store put: want BUCKET KEY FILE, got 2 operands"},
		{[]string{"store", "get", "b"}, "tenso: store get: want BUCKET KEY, got 1 operand"},
		{[]string{"store", "ls"}, "tenso: store ls: want BUCKET, got 0 operands"},
		{[]string{"store", "rm", "b", "k", "x"}, "tenso: store rm: want BUCKET KEY, got 3 operands"},
		{[]string{"store", "ls", "-nats", "", "b"}, "tenso: store ls: -nats: name a server URL"},
		{[]string{"store", "ls", "-nats", u + ",,", "b"}, "an empty item"},
		{[]string{"store", "ls", "-nats", "127.0.0.1:4222", "b"}, "is not a URL"},
		{[]string{"store", "put", "-replicas", "0", "b", "k", "dense_f32.tenso"}, "-replicas 0: want 1 to 5"},
		{[]string{"store", "put", "-ttl", "-1s", "b", "k", "dense_f32.tenso"}, "-ttl -1s"},
		{[]string{"store", "get", "-no-such", "b", "k"}, "flag provided but not defined: -no-such\nusage: tenso store get "},
	} {
		r := tensoCLI(t, c.args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, c.want) && !strings.Contains(strings.SplitN(r.stderr, "\n", 2)[0], c.want) || !strings.Contains(r.stderr, "usage: tenso store") {
			t.Errorf("%v: exit %d, stderr %q; want 2, %q and the usage", c.args, r.code, r.stderr, c.want)
		}
	}
	for _, verb := range []string{"put", "get", "ls", "rm"} {
		if r := tensoCLI(t, "store", verb, "-h"); r.code != 0 || !strings.HasPrefix(r.stderr, "usage: tenso store "+verb+" [-nats URLS]") {
			t.Errorf("store %s -h: %+v", verb, r)
		}
	}
}

// closedPort returns a loopback HOST:PORT nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	s, err := embedded.Start(embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.ClientURL(), "nats://")
	s.Shutdown()
	return addr
}

// -ttl and -replicas set the bucket when it is created; later commands
// without the flags leave its settings alone, and one with other settings
// is refused; values expire after the TTL.
func TestCLIStoreBucketSettings(t *testing.T) {
	s := startNATS(t)
	u := s.ClientURL()
	if r := tensoCLI(t, "store", "put", "-nats", u, "-ttl", "1h", "keep", "k", "dense_f32.tenso"); r.code != 0 {
		t.Fatalf("put -ttl 1h: %+v", r)
	}
	for _, args := range [][]string{
		{"store", "put", "-nats", u, "keep", "k2", "dense_f32.tenso"},
		{"store", "get", "-nats", u, "keep", "k", "-o", filepath.Join(t.TempDir(), "x")},
		{"store", "ls", "-nats", u, "keep"},
		{"store", "rm", "-nats", u, "keep", "k2"},
	} {
		if r := tensoCLI(t, args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}
	if ttl := bucketTTL(t, u, "keep"); ttl != time.Hour {
		t.Errorf("bucket TTL after put/get/ls/rm without -ttl: %v, want 1h", ttl)
	}
	// Another TTL on the existing bucket: refused, the bucket unchanged.
	r := tensoCLI(t, "store", "put", "-nats", u, "-ttl", "2h", "keep", "k3", "dense_f32.tenso")
	wantFail(t, "put -ttl 2h on a 1h bucket", r, "TTL")
	if ttl := bucketTTL(t, u, "keep"); ttl != time.Hour {
		t.Errorf("bucket TTL after a refused put -ttl 2h: %v, want 1h", ttl)
	}
	// A one-second TTL: the value is gone within a few seconds.
	if r := tensoCLI(t, "store", "put", "-nats", u, "-ttl", "1s", "brief", "k", "dense_f32.tenso"); r.code != 0 {
		t.Fatalf("put -ttl 1s: %+v", r)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := tensoCLI(t, "store", "get", "-nats", u, "brief", "k")
		if r.code == 1 {
			wantFail(t, "get expired", r, "no such key")
			break
		}
		if r.code != 0 || time.Now().After(deadline) {
			t.Fatalf("get of a 1 s TTL value: %+v after 15 s", r)
		}
		time.Sleep(250 * time.Millisecond)
	}
	// R3 on one server: refused, bounded by -timeout.
	r = tensoCLI(t, "store", "put", "-nats", u, "-replicas", "3", "-timeout", "2s", "r3", "k", "dense_f32.tenso")
	wantFail(t, "-replicas 3 on one server", r, "replicas")
}

func bucketTTL(t *testing.T, url, bucket string) time.Duration {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	obs, err := js.ObjectStore(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	st, err := obs.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st.TTL()
}

// daemon runs the CLI with args until the test ends, waits (at most 20 s)
// for ready in its output, and returns the output and a stop function
// that sends SIGTERM and returns the exit status and the output.
func daemon(t *testing.T, ready string, args ...string) (out *syncBuffer, stop func() (int, string)) {
	t.Helper()
	cmd := exec.Command(cliBinary(t), args...)
	out = &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stopped := false
	stop = func() (int, string) {
		if !stopped {
			stopped = true
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Errorf("%s did not stop within 20 s of SIGTERM", args[0])
			}
		}
		return cmd.ProcessState.ExitCode(), out.String()
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), ready) {
		select {
		case <-done:
			t.Fatalf("%s exited: %s", args[0], out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %q after 20 s: %s", args[0], ready, out.String())
		}
	}
	return out, stop
}

// natsServer runs `tenso nats-server` with args and returns its client
// and WebSocket URLs once it is ready, and its stop function.
func natsServer(t *testing.T, args ...string) (client, ws string, stop func() (int, string)) {
	t.Helper()
	out, stop := daemon(t, "ready", append([]string{"nats-server"}, args...)...)
	if m := regexp.MustCompile(`tenso nats-server: (nats://\S+)`).FindStringSubmatch(out.String()); m != nil {
		client = m[1]
	}
	if m := regexp.MustCompile(`websocket (ws://\S+)`).FindStringSubmatch(out.String()); m != nil {
		ws = m[1]
	}
	return client, ws, stop
}

// `tenso nats-server`: JetStream and WebSocket on 127.0.0.1, values kept
// in -store across a restart, exit 0 on SIGTERM.
func TestCLINATSServer(t *testing.T) {
	dir := t.TempDir()
	client, ws, stop := natsServer(t, "-addr", "127.0.0.1:0", "-ws", "127.0.0.1:0", "-store", dir, "-name", "one")
	if !strings.HasPrefix(client, "nats://127.0.0.1:") || !strings.HasPrefix(ws, "ws://127.0.0.1:") {
		t.Fatalf("urls %q %q", client, ws)
	}
	// The WebSocket listener speaks NATS (nats.go connects over ws://).
	nc, err := nats.Connect(ws, nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	nc.Close()
	if r := tensoCLI(t, "store", "put", "-nats", "nats://127.0.0.1:1,"+client, "kept", "k", "bundle_mixed_nested.tenso"); r.code != 0 {
		t.Fatalf("put (first URL unreachable): %+v", r)
	}
	if code, out := stop(); code != 0 || !strings.Contains(out, "stopped") {
		t.Fatalf("SIGTERM: exit %d\n%s", code, out)
	}
	client, _, stop = natsServer(t, "-addr", "127.0.0.1:0", "-ws", "", "-store", dir, "-name", "one")
	r := tensoCLI(t, "store", "get", "-nats", client, "kept", "k")
	if r.code != 0 || r.stdout != string(golden.Read(t, "bundle_mixed_nested.tenso")) {
		t.Fatalf("get after a restart on the same -store: exit %d, stderr %q", r.code, r.stderr)
	}
	if code, _ := stop(); code != 0 {
		t.Errorf("second SIGTERM: exit %d", code)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-addr", "nope"}, `-addr "nope": want HOST:PORT`},
		{[]string{"-addr", "127.0.0.1:0", "-ws", "127.0.0.2:0"}, "every listener is on the -addr host"},
		{[]string{"-cluster", "c"}, "a cluster needs -cluster, -cluster-addr and -routes together"},
		{[]string{"-max-payload", "-1"}, "-max-payload -1"},
		{[]string{"extra"}, `unexpected operand "extra"`},
	} {
		r := tensoCLI(t, append([]string{"nats-server"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, "usage: tenso nats-server") {
			t.Errorf("nats-server %v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// syncBuffer is a bytes.Buffer a subprocess writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
