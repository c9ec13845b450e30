package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/golden"
	"github.com/tenso-go/tenso/native/tensonats"
)

// startServe runs `tenso serve ARGS` until the test ends, once it serves
// over NATS.
func startServe(t *testing.T, args ...string) (stop func() (int, string)) {
	t.Helper()
	_, stop = daemon(t, "nats service", append([]string{"serve"}, args...)...)
	return stop
}

// `tenso serve -nats` serves /infer's handler as a NATS service too:
// tensonats.Predict and `tenso predict nats://…` get the doubled tensor,
// errors come back as statuses, two instances under one name share the
// requests, SIGTERM stops it with exit 0.
func TestServeNATS(t *testing.T) {
	s := startNATS(t)
	u := s.ClientURL()
	stop1 := startServe(t, "-addr", "127.0.0.1:0", "-nats", u, "-nats-name", "double")
	stop2 := startServe(t, "-addr", "127.0.0.1:0", "-nats", "nats://127.0.0.1:1,"+u, "-nats-name", "double")
	nc, err := nats.Connect(u)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in, _ := tenso.FromSlice([]float32{1, -2.5, 3}, 3)
	want, _ := doubleValue(in)
	for range 20 {
		got, err := tensonats.Predict(ctx, nc, "double", in, tenso.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.(*tenso.Tensor).Data, want.(*tenso.Tensor).Data) {
			t.Fatalf("Predict: %v, want %v", got, want)
		}
	}
	_, err = tensonats.Predict(ctx, nc, "double", tenso.NewStrings("x"), tenso.Options{})
	var se *tensonats.StatusError
	if !errors.As(err, &se) || se.Status != 422 {
		t.Errorf("strings: %v, want a 422 StatusError", err)
	}
	// Both instances answered some of the 20 (micro's stats per instance).
	inbox := nats.NewInbox()
	sub, _ := nc.SubscribeSync(inbox)
	nc.PublishRequest("$SRV.STATS.double", inbox, nil)
	var counts []string
	for range 2 {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatalf("stats of two instances: %v", err)
		}
		counts = append(counts, regexp.MustCompile(`"num_requests":(\d+)`).FindStringSubmatch(string(m.Data))[1])
	}
	if counts[0] == "0" || counts[1] == "0" {
		t.Errorf("requests per instance %v: the queue group did not share them", counts)
	}

	// The CLI client.
	host := strings.TrimPrefix(u, "nats://")
	out := filepath.Join(t.TempDir(), "out.tenso")
	r := tensoCLI(t, "predict", "-o", out, "nats://"+host+"/double", "dense_f32.tenso")
	if r.code != 0 || !strings.Contains(r.stdout, "dense float32") {
		t.Fatalf("predict nats://: %+v", r)
	}
	gotV, err := tenso.Decode(mustRead(t, out))
	if err != nil {
		t.Fatal(err)
	}
	inV, _ := tenso.Decode(golden.Read(t, "dense_f32.tenso"))
	wantV, _ := doubleValue(inV)
	if !bytes.Equal(gotV.(*tenso.Tensor).Data, wantV.(*tenso.Tensor).Data) {
		t.Error("predict nats://: not the doubled tensor")
	}
	wantFail(t, "predict strings", tensoCLI(t, "predict", "nats://"+host+"/double", "string_ascii.tenso"), "422")
	wantFail(t, "predict no service", tensoCLI(t, "predict", "nats://"+host+"/nobody", "dense_f32.tenso"), "no responders")
	wantFail(t, "predict no service name", tensoCLI(t, "predict", "nats://"+host, "dense_f32.tenso"), "want nats://HOST:PORT/SERVICE")

	if code, _ := stop1(); code != 0 {
		t.Errorf("serve 1 SIGTERM: exit %d", code)
	}
	// The other instance still answers.
	if _, err := tensonats.Predict(ctx, nc, "double", in, tenso.Options{}); err != nil {
		t.Errorf("after one instance stopped: %v", err)
	}
	if code, _ := stop2(); code != 0 {
		t.Errorf("serve 2 SIGTERM: exit %d", code)
	}
	if r := tensoCLI(t, "serve", "-nats", "not a url"); r.code != 2 || !strings.Contains(r.stderr, "is not a URL") {
		t.Errorf("serve -nats 'not a url': %+v", r)
	}
}
