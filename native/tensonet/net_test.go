package tensonet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

func echo(_ context.Context, in tenso.Value) (tenso.Value, error) { return in, nil }

// listeners returns a TCP and a Unix listener.
func listeners(t *testing.T) map[string]net.Listener {
	t.Helper()
	tcp := testutil.Loopback(t)
	unix, err := net.Listen("unix", filepath.Join(t.TempDir(), "tenso.sock"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]net.Listener{"tcp": tcp, "unix": unix}
}

func serve(t *testing.T, ln net.Listener, h Handler, o Options) {
	t.Helper()
	testutil.Serve(t, func(ctx context.Context) error { return Serve(ctx, ln, h, o) })
}

// TestBackToBack pipelines many packets of several kinds each way over TCP
// and Unix sockets: the client writes all of them before reading answers.
func TestBackToBack(t *testing.T) {
	testutil.CheckGoroutines(t)
	for network, ln := range listeners(t) {
		t.Run(network, func(t *testing.T) {
			serve(t, ln, echo, Options{})
			c, err := Dial(context.Background(), network, ln.Addr().String(), Options{Encode: tenso.Options{Integrity: true}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			const n = 500
			values := func(i int) tenso.Value {
				switch i % 4 {
				case 0:
					return testutil.F32([]int{i%7 + 1, 3}, float32(i))
				case 1:
					return tenso.NewStrings(fmt.Sprint("packet ", i), "", "ünïcode")
				case 2:
					return (&tenso.Bundle{}).Add("x", testutil.F32([]int{100}, float32(i))).Add("y", &tenso.Tensor{DType: tenso.Uint8, Shape: []int{3}, Data: []byte{1, 2, byte(i)}})
				default:
					return testutil.F32([]int{}, float32(i)) // 0-d
				}
			}
			sent := make(chan error, 1)
			go func() {
				for i := 0; i < n; i++ {
					if err := c.Send(values(i)); err != nil {
						sent <- err
						c.Close() // unblock the reader
						return
					}
				}
				sent <- c.CloseWrite()
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for i := 0; i < n; i++ {
				got, err := c.Recv(ctx)
				if err != nil {
					t.Fatalf("recv %d: %v", i, err)
				}
				want, _ := tenso.Encode(values(i), tenso.Options{})
				gotp, _ := tenso.Encode(got, tenso.Options{})
				if string(want) != string(gotp) {
					t.Fatalf("packet %d differs: %v", i, got)
				}
			}
			if _, err := c.Recv(ctx); err != io.EOF {
				t.Fatalf("after the last answer: %v, want io.EOF", err)
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestStalledPeer: a context deadline interrupts a read from a peer that
// sends nothing, or stops mid-packet.
func TestStalledPeer(t *testing.T) {
	testutil.CheckGoroutines(t)
	for network, ln := range listeners(t) {
		t.Run(network, func(t *testing.T) {
			defer ln.Close()
			p, _ := tenso.Encode(testutil.F32([]int{1000}), tenso.Options{})
			accepted := make(chan net.Conn, 2)
			go func() {
				for {
					nc, err := ln.Accept()
					if err != nil {
						close(accepted)
						return
					}
					accepted <- nc
				}
			}()
			for _, partial := range []int{0, 40, len(p) - 1} {
				c, err := Dial(context.Background(), network, ln.Addr().String(), Options{})
				if err != nil {
					t.Fatal(err)
				}
				peer := <-accepted
				peer.Write(p[:partial]) // then stall
				ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
				start := time.Now()
				_, err = c.Recv(ctx)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("partial %d: %v, want context.DeadlineExceeded", partial, err)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("partial %d: interrupted after %v", partial, d)
				}
				// The Conn stays failed afterwards.
				if _, err := c.Recv(context.Background()); err == nil {
					t.Errorf("partial %d: Recv after interruption succeeded", partial)
				}
				c.Close()
				peer.Close()
			}
		})
	}
}

// TestPeerClosesMidPacket: the stream ends inside a packet.
func TestPeerClosesMidPacket(t *testing.T) {
	testutil.CheckGoroutines(t)
	a, b := net.Pipe()
	p, _ := tenso.Encode(testutil.F32([]int{64}), tenso.Options{})
	go func() { a.Write(p); a.Write(p[:70]); a.Close() }()
	c := NewConn(b, Options{})
	defer c.Close()
	if _, err := c.Recv(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Recv(context.Background()); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("%v, want io.ErrUnexpectedEOF", err)
	}
}

// TestServeBadPeers: a malformed packet, a compressed dense packet on the
// stream, a failing handler and an idle peer each close only their own
// connection; the server keeps answering others.
func TestServeBadPeers(t *testing.T) {
	testutil.CheckGoroutines(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := func(ctx context.Context, in tenso.Value) (tenso.Value, error) {
		if s, ok := in.(*tenso.Strings); ok && s.Len() == 1 && s.At(0) == "fail" {
			return nil, errors.New("handler failure")
		}
		return in, nil
	}
	serve(t, ln, h, Options{IdleTimeout: 300 * time.Millisecond})
	addr := ln.Addr().String()
	good, _ := tenso.Encode(testutil.F32([]int{8}), tenso.Options{})
	compressed, _ := tenso.Encode(testutil.F32([]int{1024}), tenso.Options{Compress: true})
	bads := map[string][]byte{
		"garbage":        []byte("GET / HTTP/1.1\r\n\r\n"),
		"bad version":    append([]byte("TNSO\x09"), make([]byte, 40)...),
		"huge shape":     hugeShape(),
		"compressed":     compressed,
		"handler fails":  mustEncode(tenso.NewStrings("fail")),
		"idle mid-packe": good[:20],
	}
	for name, payload := range bads {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(payload)
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		rest, err := io.ReadAll(nc)
		if errors.Is(err, syscall.ECONNRESET) {
			err = nil // closed with our unread bytes in its buffer
		}
		if err != nil || len(rest) != 0 {
			t.Errorf("%s: read %d bytes, %v; want the connection closed", name, len(rest), err)
		}
		nc.Close()
	}
	c, err := Dial(context.Background(), "tcp", addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := c.Predict(context.Background(), testutil.F32([]int{3}, 1, 2, 3))
	if err != nil || !reflect.DeepEqual(testutil.F32s(out), []float32{1, 2, 3}) {
		t.Fatalf("good client after bad ones: %v %v", out, err)
	}
}

func mustEncode(v tenso.Value) []byte {
	p, err := tenso.Encode(v, tenso.Options{})
	if err != nil {
		panic(err)
	}
	return p
}

// hugeShape is a v4 dense header declaring 2^32-1 × 2^32-1 elements.
func hugeShape() []byte {
	p := mustEncode(testutil.F32([]int{1, 1}))
	binary.LittleEndian.PutUint32(p[10:], math.MaxUint32)
	binary.LittleEndian.PutUint32(p[14:], math.MaxUint32)
	return p[:18]
}

// TestWriterRefusesCompressedDense: the stream writer refuses a top-level
// compressed tensor before writing anything; inside a bundle it streams.
func TestWriterRefusesCompressedDense(t *testing.T) {
	testutil.CheckGoroutines(t)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ca := NewConn(a, Options{Encode: tenso.Options{Compress: true}})
	if err := ca.Send(testutil.F32([]int{256})); !errors.Is(err, tenso.ErrUnframed) {
		t.Fatalf("compressed dense: %v, want ErrUnframed", err)
	}
	ca = NewConn(a, Options{Encode: tenso.Options{Compress: true}})
	go ca.Send((&tenso.Bundle{}).Add("t", testutil.F32([]int{256})))
	v, err := NewConn(b, Options{}).Recv(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := testutil.F32s(v.(*tenso.Bundle).Get("t")); got[255] != 255 {
		t.Fatalf("bundle value %v", got[255])
	}
}
