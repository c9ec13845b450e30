package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tenso-go/tenso/internal/webdemo"
)

func init() {
	register("demo", "serve the web demo on 127.0.0.1 (tensors decoded in the browser by the wasm module)", runDemo)
}

// findDir returns dir if it exists, else looks for it in the parents of the
// working directory (so `tenso demo` works from anywhere in the repo).
func findDir(dir, probe string) string {
	if filepath.IsAbs(dir) {
		return dir
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, dir)
		if _, err := os.Stat(filepath.Join(p, probe)); err == nil {
			return p
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

func runDemo(args []string) int {
	fs := newFlags("demo", "[-addr 127.0.0.1:8080] [-js DIR] [-golden DIR] [-live=false] [-live-ws ADDR] [-live-every D] [-vendor DIR]",
		"Serves the web demo: the page fetches the golden packets and decodes them in the\n"+
			"browser with the wasm module of the js/ package (build it with \"make wasm\").\n"+
			"Its live panel connects to an embedded NATS server over WebSocket and decodes the\n"+
			"heatmaps this process publishes there (tensonats.Publish) a few times a second;\n"+
			"the page loads the NATS client bundled into -vendor by \"make demo\".\n"+
			"Listens on a loopback address only. Stop with Ctrl-C.")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (loopback only; port 0 picks a free one)")
	jsDir := fs.String("js", "js", "the js/ package directory, holding tenso.wasm")
	golden := fs.String("golden", "testdata", "directory of golden .tenso packets to serve to the page (\"\" for none)")
	live := fs.Bool("live", true, "run the embedded NATS server and the publisher of the live panel")
	liveWS := fs.String("live-ws", "127.0.0.1:0", "the NATS WebSocket listen address (loopback only; port 0 picks a free one)")
	liveEvery := fs.Duration("live-every", 200*time.Millisecond, "time between two frames of the live panel")
	vendor := fs.String("vendor", "web-demo/build", "directory holding nats-core.js, the browser NATS client (built by \"make demo\")")
	pos, status, ok := parseArgs(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 0 {
		return badUsage(fs, fmt.Sprintf("demo: unexpected operand %q", pos[0]))
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tenso: demo:", err)
		return 2
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fmt.Fprintf(os.Stderr, "tenso: demo: %s is not a loopback address; the demo listens on 127.0.0.1 only\n", host)
		return 2
	}
	opts := webdemo.Options{JS: os.DirFS(findDir(*jsDir, "index.js"))}
	if *golden != "" {
		opts.GoldenDir = findDir(*golden, "manifest.json")
	}
	if err := webdemo.Check(opts); err != nil {
		return fail(err)
	}
	if *vendor != "" {
		opts.Vendor = os.DirFS(findDir(*vendor, "nats-core.js"))
	}
	opts.Live = webdemo.Live{Subject: liveSubject, Every: *liveEvery, Note: "started with -live=false"}
	if *live {
		wh, wp, err := listenPort("live-ws", *liveWS, "127.0.0.1")
		if err != nil {
			return badUsage(fs, "demo: "+err.Error())
		}
		if ip := net.ParseIP(wh); ip == nil || !ip.IsLoopback() {
			return badUsage(fs, fmt.Sprintf("demo: -live-ws %s is not a loopback address", *liveWS))
		}
		if *liveEvery < 10*time.Millisecond {
			return badUsage(fs, fmt.Sprintf("demo: -live-every %v: want 10ms or more", *liveEvery))
		}
		p, err := startLive(wh, wp, *liveEvery)
		if err != nil {
			return fail(fmt.Errorf("demo: %w", err))
		}
		defer p.Close()
		opts.Live.WebSocket, opts.Live.Note, opts.Live.Expect = p.srv.WebSocketURL(), "", p.Expect
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tenso: demo:", err)
		return 1
	}
	srv := &http.Server{Handler: webdemo.Handler(opts), ReadHeaderTimeout: 10 * time.Second}
	if opts.Live.WebSocket != "" {
		fmt.Printf("tenso demo: live panel: %s on %s, a frame every %v\n", liveSubject, opts.Live.WebSocket, *liveEvery)
	}
	fmt.Printf("tenso demo: serving on http://%s/ (Ctrl-C to stop)\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(c)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "tenso: demo:", err)
		return 1
	}
	return 0
}
