package tensogrpc

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
	"github.com/tenso-go/tenso/native/tensogrpc/tensopb"
)

func double(ctx context.Context, in tenso.Value) (tenso.Value, error) {
	out, ok := testutil.Doubled(in)
	if !ok {
		return nil, status.Error(codes.InvalidArgument, "want a float32 tensor")
	}
	if ModelName(ctx) == "broken" {
		return nil, errors.New("model exploded")
	}
	return out, nil
}

// start serves h on loopback until the test ends; it returns the address.
func start(t testing.TB, h Handler, o ServerOptions) string {
	t.Helper()
	lis := testutil.Loopback(t)
	testutil.Serve(t, func(ctx context.Context) error {
		return Serve(ctx, lis, NewService(h, ServiceOptions{}), o)
	})
	return lis.Addr().String()
}

func dial(t *testing.T, addr string, o ClientOptions) *Client {
	t.Helper()
	c, err := Dial(addr, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestPredict(t *testing.T) {
	testutil.CheckGoroutines(t)
	addr := start(t, double, ServerOptions{})
	for _, useCodec := range []bool{false, true} {
		c := dial(t, addr, ClientOptions{UseCodec: useCodec, Encode: tenso.Options{Integrity: true}})
		out, err := c.Predict(context.Background(), testutil.F32([]int{2, 2}, 1, 2, 3, 4))
		if err != nil {
			t.Fatalf("codec=%v: %v", useCodec, err)
		}
		if got := testutil.F32s(out); !reflect.DeepEqual(got, []float32{2, 4, 6, 8}) || !reflect.DeepEqual(out.(*tenso.Tensor).Shape, []int{2, 2}) {
			t.Fatalf("codec=%v: %v", useCodec, got)
		}
		if !tenso.IsAligned(out.(*tenso.Tensor).Data, 64) {
			t.Errorf("codec=%v: result not aligned", useCodec)
		}
	}
}

func TestPredictErrors(t *testing.T) {
	testutil.CheckGoroutines(t)
	addr := start(t, double, ServerOptions{MaxMessageBytes: 1 << 16})
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	stub := tensopb.NewTensorInferenceClient(cc)
	ctx := context.Background()

	// A malformed packet: InvalidArgument with the decode error's text.
	_, err = stub.Predict(ctx, &tensopb.PredictRequest{TensorPacket: []byte("TNSO garbage")})
	if s, _ := status.FromError(err); s.Code() != codes.InvalidArgument || !strings.Contains(s.Message(), "Invalid Tenso packet: tenso:") {
		t.Errorf("bad packet: %v", err)
	}
	// Same over the tenso codec.
	var out tenso.Value
	err = cc.Invoke(ctx, PredictMethod, Packet("not a packet"), &out, grpc.CallContentSubtype(Name))
	if s, _ := status.FromError(err); s.Code() != codes.InvalidArgument {
		t.Errorf("bad packet (tenso codec): %v", err)
	}
	// Handler status and plain errors.
	c := NewClient(cc, ClientOptions{})
	_, err = c.Predict(ctx, tenso.NewStrings("x"))
	if s, _ := status.FromError(err); s.Code() != codes.InvalidArgument || s.Message() != "want a float32 tensor" {
		t.Errorf("handler status: %v", err)
	}
	c = NewClient(cc, ClientOptions{ModelName: "broken"})
	_, err = c.Predict(ctx, testutil.F32([]int{1}))
	if s, _ := status.FromError(err); s.Code() != codes.Internal || !strings.Contains(s.Message(), "model exploded") {
		t.Errorf("handler error: %v", err)
	}
	// Over the message limit.
	c = NewClient(cc, ClientOptions{})
	_, err = c.Predict(ctx, testutil.F32([]int{1 << 15}))
	if s, _ := status.FromError(err); s.Code() != codes.ResourceExhausted {
		t.Errorf("oversized: %v", err)
	}
	// Still serving, also under the unqualified service name.
	resp := new(tensopb.PredictResponse)
	p, _ := tenso.Encode(testutil.F32([]int{3}, 1, 2, 3), tenso.Options{})
	if err := cc.Invoke(ctx, "/TensorInference/Predict", &tensopb.PredictRequest{TensorPacket: p}, resp); err != nil {
		t.Fatal(err)
	}
	v, err := tenso.Decode(resp.ResultPacket)
	if err != nil || !reflect.DeepEqual(testutil.F32s(v), []float32{2, 4, 6}) || resp.Status != StatusSuccess {
		t.Fatalf("unqualified: %v %v %q", v, err, resp.Status)
	}
}

func TestPredictStream(t *testing.T) {
	testutil.CheckGoroutines(t)
	addr := start(t, double, ServerOptions{})
	for _, useCodec := range []bool{false, true} {
		c := dial(t, addr, ClientOptions{UseCodec: useCodec})
		ctx, cancel := context.WithCancel(context.Background())
		s, err := c.PredictStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		const n = 200
		errc := make(chan error, 1)
		go func() {
			for i := 0; i < n; i++ {
				if err := s.Send(testutil.F32([]int{3}, float32(i), 1, 2)); err != nil {
					errc <- err
					return
				}
			}
			errc <- s.CloseSend()
		}()
		for i := 0; i < n; i++ {
			v, err := s.Recv()
			if err != nil {
				t.Fatalf("codec=%v recv %d: %v", useCodec, i, err)
			}
			if got := testutil.F32s(v); !reflect.DeepEqual(got, []float32{2 * float32(i), 2, 4}) {
				t.Fatalf("codec=%v recv %d: %v", useCodec, i, got)
			}
		}
		if _, err := s.Recv(); err != io.EOF {
			t.Fatalf("end of stream: %v", err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		cancel()
	}
}

// TestServerStopsMidStream: a server that goes away ends the client's
// stream with an error, and nothing leaks.
func TestServerStopsMidStream(t *testing.T) {
	testutil.CheckGoroutines(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(NewService(double, ServiceOptions{}), ServerOptions{})
	go srv.Serve(lis)
	c, err := Dial(lis.Addr().String(), ClientOptions{UseCodec: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.PredictStream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(testutil.F32([]int{1})); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := s.Recv(); err == nil || err == io.EOF {
		t.Fatalf("Recv after server stop: %v", err)
	}
}

func TestCodec(t *testing.T) {
	c := Codec{}
	in := testutil.F32([]int{4}, 1, 2, 3, 4)
	want, _ := tenso.Encode(in, tenso.Options{})
	for _, msg := range []any{in, tenso.Value(in), ptr(tenso.Value(in)), Packet(want), &tensopb.PredictRequest{TensorPacket: want}, &tensopb.PredictResponse{ResultPacket: want}} {
		bs, err := c.Marshal(msg)
		if err != nil {
			t.Fatalf("%T: %v", msg, err)
		}
		if got := bs.Materialize(); string(got) != string(want) {
			t.Fatalf("%T: marshalled bytes differ", msg)
		}
	}
	data := mem.BufferSlice{mem.SliceBuffer(want[:10]), mem.SliceBuffer(want[10:])}
	var v tenso.Value
	if err := c.Unmarshal(data, &v); err != nil || !reflect.DeepEqual(testutil.F32s(v), []float32{1, 2, 3, 4}) {
		t.Fatalf("Unmarshal value: %v %v", v, err)
	}
	var p Packet
	var req tensopb.PredictRequest
	var resp tensopb.PredictResponse
	if c.Unmarshal(data, &p) != nil || c.Unmarshal(data, &req) != nil || c.Unmarshal(data, &resp) != nil ||
		string(p) != string(want) || string(req.TensorPacket) != string(want) || string(resp.ResultPacket) != string(want) || resp.Status != StatusSuccess {
		t.Fatal("Unmarshal raw forms")
	}
	// Bad data and bad types: errors, no panics.
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer("TNSO\x04")}, &v); !errors.Is(err, tenso.ErrCorrupt) {
		t.Errorf("corrupt: %v", err)
	}
	for _, bad := range []any{nil, 42, (*tenso.Tensor)(nil), (*tenso.Value)(nil), &tenso.Tensor{DType: tenso.Float32, Shape: []int{2}, Data: []byte{1}}} {
		if _, err := c.Marshal(bad); err == nil {
			t.Errorf("Marshal(%T) accepted", bad)
		}
	}
	for _, bad := range []any{nil, new(int), (*tenso.Value)(nil), (*Packet)(nil)} {
		if err := c.Unmarshal(data, bad); err == nil {
			t.Errorf("Unmarshal(%T) accepted", bad)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestConcurrentCalls: many goroutines share one Client, both codecs.
func TestConcurrentCalls(t *testing.T) {
	testutil.CheckGoroutines(t)
	addr := start(t, double, ServerOptions{})
	for _, useCodec := range []bool{false, true} {
		c := dial(t, addr, ClientOptions{UseCodec: useCodec})
		done := make(chan error, 8)
		for g := 0; g < 8; g++ {
			go func(g int) {
				for i := 0; i < 30; i++ {
					out, err := c.Predict(context.Background(), testutil.F32([]int{1 + (g*37+i)%3000}, float32(g)))
					if err == nil && testutil.F32s(out)[0] != 2*float32(g) {
						err = errors.New("wrong answer")
					}
					if err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}(g)
		}
		for g := 0; g < 8; g++ {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	}
}
