package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/tensogrpc"
	"github.com/tenso-go/tenso/native/tensogrpc/tensopb"
	"github.com/tenso-go/tenso/native/tensohttp"
	"github.com/tenso-go/tenso/native/tensonats"
)

func init() {
	register("predict", "send a packet file to a Tenso HTTP endpoint (or grpc://host:port) and write the response", runPredict)
}

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(s string) error { *h = append(*h, s); return nil }

func runPredict(args []string) int {
	fs := newFlags("predict", "[-o OUT] [-stream] [-H 'Name: value'] [-timeout 30s] URL FILE",
		"Posts the packet in FILE (\"-\": stdin) as application/octet-stream to URL, e.g.\n"+
			"http://127.0.0.1:8000/infer, calls TensorInference/Predict at grpc://HOST:PORT, or\n"+
			"the NATS service SERVICE (`tenso serve -nats`) through the server nats://HOST:PORT/SERVICE.\n"+
			"Writes the response packet to OUT (\"-\": stdout) and prints a one-line summary.")
	out := fs.String("o", "", "write the response packet to this file (\"-\": stdout)")
	stream := fs.Bool("stream", false, "decode the HTTP response with the streaming reader as it arrives")
	timeout := fs.Duration("timeout", 30*time.Second, "timeout of the call")
	var headers headerFlags
	fs.Var(&headers, "H", "extra request header 'Name: value' (repeatable)")
	pos, status, ok := parseArgs(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 2 {
		return badUsage(fs, fmt.Sprintf("predict: want URL and FILE, got %s", count(len(pos), "operand")))
	}
	target, file := pos[0], pos[1]
	packet, err := readPacket(file)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	var resp []byte
	switch {
	case strings.HasPrefix(target, "grpc://"):
		resp, err = predictGRPC(ctx, strings.TrimPrefix(target, "grpc://"), packet)
	case strings.HasPrefix(target, "nats://"):
		resp, err = predictNATS(ctx, target, packet, *timeout)
	default:
		resp, err = predictHTTP(ctx, target, packet, headers, *stream)
	}
	if err != nil {
		return fail(err)
	}
	summary := summarize(resp)
	switch *out {
	case "":
		fmt.Println(summary)
	case "-":
		if _, err := os.Stdout.Write(resp); err != nil {
			return fail(err)
		}
		fmt.Fprintln(os.Stderr, summary)
	default:
		if err := os.WriteFile(*out, resp, 0o644); err != nil {
			return fail(err)
		}
		fmt.Printf("%s -> %s\n", summary, *out)
	}
	return 0
}

func predictHTTP(ctx context.Context, target string, packet []byte, headers headerFlags, stream bool) ([]byte, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("predict: URL %q: want http://HOST:PORT/PATH, grpc://HOST:PORT or nats://HOST:PORT/SERVICE", target)
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	h := http.Header{}
	for _, kv := range headers {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			return nil, fmt.Errorf("predict: header %q: want 'Name: value'", kv)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	c, err := tensohttp.NewClient(u.Scheme+"://"+u.Host, tensohttp.ClientOptions{Header: h, Timeout: -1})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if !stream {
		return c.PredictPacket(ctx, path, packet)
	}
	v, err := tenso.Decode(packet)
	if err != nil {
		return nil, err
	}
	res, err := c.StreamPredict(ctx, path, v)
	if err != nil {
		return nil, err
	}
	return tenso.Encode(res, tenso.Options{})
}

func predictGRPC(ctx context.Context, addr string, packet []byte) ([]byte, error) {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(tensogrpc.DefaultMaxMessageBytes), grpc.MaxCallSendMsgSize(tensogrpc.DefaultMaxMessageBytes)))
	if err != nil {
		return nil, err
	}
	defer cc.Close()
	resp, err := tensopb.NewTensorInferenceClient(cc).Predict(ctx, &tensopb.PredictRequest{TensorPacket: packet})
	if err != nil {
		return nil, err
	}
	if _, err := tenso.Decode(resp.GetResultPacket()); err != nil {
		return nil, fmt.Errorf("predict: result packet: %w", err)
	}
	return resp.GetResultPacket(), nil
}

// predictNATS calls the service named by target's path (nats://HOST:PORT/SERVICE)
// through the server HOST:PORT.
func predictNATS(ctx context.Context, target string, packet []byte, timeout time.Duration) ([]byte, error) {
	u, err := url.Parse(target)
	service := strings.Trim(u.Path, "/")
	if err != nil || u.Host == "" || service == "" || strings.Contains(service, "/") {
		return nil, fmt.Errorf("predict: %q: want nats://HOST:PORT/SERVICE", target)
	}
	v, err := tenso.Decode(packet)
	if err != nil {
		return nil, err
	}
	nf := natsFlags{urls: new(string), timeout: &timeout}
	nc, err := nf.connect([]string{"nats://" + u.Host}, "tenso predict")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	res, err := tensonats.Predict(ctx, nc, service, v, tenso.Options{})
	if err != nil {
		return nil, err
	}
	return tenso.Encode(res, tenso.Options{})
}

func summarize(p []byte) string {
	v, err := tenso.Decode(p)
	if err != nil {
		return count(len(p), "byte")
	}
	switch t := v.(type) {
	case *tenso.Tensor:
		return fmt.Sprintf("dense %s %s, %s", t.DType, tensohttp.ShapeString(t.Shape), count(len(p), "byte"))
	case *tenso.Bundle:
		keys := make([]string, len(t.Entries))
		for i, e := range t.Entries {
			keys[i] = e.Key
		}
		return fmt.Sprintf("bundle [%s], %s", strings.Join(keys, ", "), count(len(p), "byte"))
	}
	return fmt.Sprintf("%s, %s", v.Kind(), count(len(p), "byte"))
}
