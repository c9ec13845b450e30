package main

import (
	"encoding/binary"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/webdemo"
	"github.com/tenso-go/tenso/native/tensonats"
)

// The live panel's publisher: frames arrive over the WebSocket listener
// (as the page receives them), decode, number upwards, differ, and match
// the descriptions the publisher records for the page's check.
func TestLivePublisher(t *testing.T) {
	p, err := startLive("127.0.0.1", 0, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ws := p.srv.WebSocketURL()
	nc, err := nats.Connect(ws, nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("%s: %v", ws, err)
	}
	defer nc.Close()
	type frame struct {
		n    int64
		desc map[string]any
	}
	var mu sync.Mutex
	var got []frame
	var bad []error
	enough := make(chan struct{})
	_, err = tensonats.Subscribe(nc, liveSubject, func(_ string, v tenso.Value) {
		b, ok := v.(*tenso.Bundle)
		if !ok {
			return
		}
		n := int64(binary.LittleEndian.Uint64(b.Get("frame").(*tenso.Tensor).Data))
		mu.Lock()
		defer mu.Unlock()
		got = append(got, frame{n, webdemo.Describe(v)})
		if len(got) == 8 {
			close(enough)
		}
	}, tensonats.OnError(func(_ *nats.Msg, err error) { mu.Lock(); bad = append(bad, err); mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-enough:
	case <-time.After(20 * time.Second):
		t.Fatal("fewer than 8 frames in 20 s")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("bad messages: %v", bad)
	}
	sums := map[any]bool{}
	for i, f := range got[:8] {
		if i > 0 && f.n <= got[i-1].n {
			t.Errorf("frame %d after %d", f.n, got[i-1].n)
		}
		want, ok := p.Expect(f.n)
		if !ok || !reflect.DeepEqual(f.desc, want) {
			t.Errorf("frame %d: received %v, publisher recorded %v (%v)", f.n, f.desc, want, ok)
		}
		sums[f.desc["entries"].([]any)[1].(map[string]any)["value"].(map[string]any)["sha256"]] = true
	}
	if len(sums) != 8 {
		t.Errorf("%d distinct heatmaps in 8 frames", len(sums))
	}
	if _, ok := p.Expect(got[0].n - liveKeepFrame); ok {
		t.Error("an old frame is still kept")
	}
}
