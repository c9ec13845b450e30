package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/webdemo"
	"github.com/tenso-go/tenso/native/tensonats"
	"github.com/tenso-go/tenso/native/tensonats/embedded"
)

// The live panel's frames: a bundle of the frame number (int64 scalar) and
// a float32 heatmap of liveH × liveW that drifts with it.
const (
	liveH         = 48
	liveW         = 64
	liveSubject   = "tenso.demo.heatmap"
	liveKeepFrame = 512 // descriptions kept for /api/live/expect
)

// liveFrame builds frame n.
func liveFrame(n int64) tenso.Value {
	heat := make([]float32, liveH*liveW)
	t := float64(n)
	for y := range liveH {
		for x := range liveW {
			fx, fy := float64(x)/liveW, float64(y)/liveH
			heat[y*liveW+x] = float32(math.Sin(7*fx+0.21*t)*math.Cos(5*fy-0.13*t) + 0.5*math.Sin(11*(fx+fy)-0.3*t))
		}
	}
	ht, _ := tenso.FromSlice(heat, liveH, liveW)
	frame := &tenso.Tensor{DType: tenso.Int64, Shape: []int{}, Data: binary.LittleEndian.AppendUint64(nil, uint64(n))}
	return (&tenso.Bundle{}).Add("frame", frame).Add("heat", ht)
}

// livePublisher runs an embedded NATS server with a WebSocket listener and
// publishes a frame every period on liveSubject.
type livePublisher struct {
	srv  *embedded.Server
	nc   *nats.Conn
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	expect map[int64]map[string]any
}

// startLive starts the server (WebSocket on wsHost:wsPort, 0 a free port;
// the client listener on a free port of the same host) and the publisher.
func startLive(wsHost string, wsPort int, every time.Duration) (*livePublisher, error) {
	if wsPort == 0 {
		wsPort = -1
	}
	srv, err := embedded.Start(embedded.Options{Host: wsHost, WebSocketPort: wsPort})
	if err != nil {
		return nil, fmt.Errorf("live panel: %w", err)
	}
	nc, err := nats.Connect(srv.ClientURL(), nats.Name("tenso demo"))
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("live panel: %w", err)
	}
	p := &livePublisher{srv: srv, nc: nc, stop: make(chan struct{}), done: make(chan struct{}), expect: map[int64]map[string]any{}}
	go p.run(every)
	return p, nil
}

func (p *livePublisher) run(every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for n := int64(0); ; n++ {
		v := liveFrame(n)
		p.mu.Lock()
		p.expect[n] = webdemo.Describe(v)
		delete(p.expect, n-liveKeepFrame)
		p.mu.Unlock()
		if err := tensonats.Publish(p.nc, liveSubject, v, tenso.Options{}); err != nil {
			fmt.Fprintln(os.Stderr, errorLine(fmt.Errorf("live panel: frame %d: %w", n, err)))
		}
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
	}
}

// Expect returns the description of frame n, if it is still kept.
func (p *livePublisher) Expect(n int64) (map[string]any, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.expect[n]
	return d, ok
}

// Close stops the publisher and the server.
func (p *livePublisher) Close() {
	close(p.stop)
	<-p.done
	p.nc.Close()
	p.srv.Shutdown()
}
