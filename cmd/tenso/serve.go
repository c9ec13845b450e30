package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/budget"
	"github.com/tenso-go/tenso/native/tensogrpc"
	"github.com/tenso-go/tenso/native/tensohttp"
	"github.com/tenso-go/tenso/native/tensonats"
)

func init() {
	register("serve", "serve POST /infer (doubles its input) over HTTP, and optionally gRPC, for interop checks", runServe)
}

func runServe(args []string) int {
	fs := newFlags("serve", "[-addr 127.0.0.1:8000] [-grpc ADDR] [-nats URLS [-nats-name infer]] [-integrity] [-compress]\n"+
		"                   [-max-body N] [-max-decoded N] [-max-inflight N] [-max-concurrent N] [-min-body-rate N] [-body-grace D]",
		"Serves POST /infer, which doubles every element of a dense numeric tensor (or of each\n"+
			"tensor of a bundle) keeping its dtype, GET /health and GET /health/stats (bytes in flight,\n"+
			"slots busy, rejections by cause). With -nats, the same endpoint is also a NATS micro\n"+
			"service (discovery, stats, queue group): every `tenso serve -nats` under one -nats-name\n"+
			"shares the requests. Stop with Ctrl-C.")
	addr := fs.String("addr", "127.0.0.1:8000", "HTTP listen address")
	grpcAddr := fs.String("grpc", "", "also serve gRPC TensorInference on this address (e.g. 127.0.0.1:50051)")
	integrity := fs.Bool("integrity", false, "add XXH3 integrity footers to responses")
	compress := fs.Bool("compress", false, "LZ4-compress dense response bodies")
	maxBody := fs.Int64("max-body", tensohttp.DefaultMaxBodyBytes, "request body limit in bytes")
	maxDecoded := fs.Int64("max-decoded", 0, "bytes one packet may decode to (LZ4 bodies); 0: "+fmt.Sprint(budget.DecodedPerBody)+" × -max-body")
	maxInflight := fs.Int64("max-inflight", budget.DefaultLimit, "bytes held by requests in flight (bodies, decoded data, responses), shared by HTTP and gRPC; negative: unbounded")
	maxConc := fs.Int("max-concurrent", tensohttp.DefaultMaxConcurrent, "HTTP requests handled at once (bodies are read before a slot is taken)")
	minRate := fs.Int64("min-body-rate", tensohttp.DefaultMinBodyRate, "slowest HTTP request body accepted after -body-grace, bytes/s (408 below); negative: none")
	grace := fs.Duration("body-grace", tensohttp.DefaultBodyGrace, "how long an HTTP request body may arrive at any rate")
	natsURLs := fs.String("nats", "", "also serve the endpoint as a NATS service on these comma-separated server URLs (e.g. "+defaultNATS+")")
	natsName := fs.String("nats-name", "infer", "name (and request subject) of the NATS service")
	pos, status, parsed := parseArgs(fs, args)
	if !parsed {
		return status
	}
	if len(pos) != 0 {
		return badUsage(fs, "serve takes no operands")
	}
	var natsServers []string
	connectTimeout := 10 * time.Second
	nf := natsFlags{urls: natsURLs, timeout: &connectTimeout}
	if *natsURLs != "" {
		var err error
		if natsServers, err = nf.servers(); err != nil {
			fmt.Fprintln(fs.Output(), "tenso: serve:", err)
			fs.Usage()
			return 2
		}
	}
	b := budget.New(*maxInflight)
	lim := budget.Limits(tenso.Limits{MaxDecodedBytes: *maxDecoded}, *maxBody)
	app := tensohttp.NewApp(tensohttp.Options{Integrity: *integrity, Compress: *compress, MaxBodyBytes: *maxBody,
		Limits: lim, Budget: b, MaxConcurrent: *maxConc, MinBodyRate: *minRate, BodyGrace: *grace})
	infer := func(_ context.Context, in tenso.Value) (tenso.Value, error) {
		out, err := doubleValue(in)
		if err != nil {
			return nil, tensohttp.Error(422, err.Error())
		}
		return out, nil
	}
	app.Endpoint("/infer", infer)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return serveFail(err)
	}
	fmt.Fprintf(os.Stderr, "tenso serve: http://%s (POST /infer, GET /health, GET /health/stats)\n", ln.Addr())
	errc := make(chan error, 2)
	n := 1
	go func() { errc <- app.Serve(ctx, ln) }()
	if *grpcAddr != "" {
		gln, err := net.Listen("tcp", *grpcAddr)
		if err != nil {
			stop()
			<-errc
			return serveFail(err)
		}
		fmt.Fprintf(os.Stderr, "tenso serve: grpc %s (tenso.TensorInference/Predict, PredictStream)\n", gln.Addr())
		svc := tensogrpc.NewService(func(_ context.Context, in tenso.Value) (tenso.Value, error) { return doubleValue(in) },
			tensogrpc.ServiceOptions{Encode: tenso.Options{Integrity: *integrity}, Limits: lim, Budget: b})
		n++
		gmax := int(min(*maxBody, math.MaxInt32))
		go func() { errc <- tensogrpc.Serve(ctx, gln, svc, tensogrpc.ServerOptions{MaxMessageBytes: gmax}) }()
	}
	if natsServers != nil {
		nc, err := nf.connect(natsServers, "tenso serve")
		if err != nil {
			stop()
			for ; n > 0; n-- {
				<-errc
			}
			return serveFail(err)
		}
		defer nc.Close()
		svc, err := tensonats.Serve(nc, *natsName, infer, tensonats.ServiceOptions{Limits: lim, Budget: b, Encode: tenso.Options{Integrity: *integrity}, Concurrency: *maxConc,
			Description: "doubles every element of a dense numeric tensor or bundle (tenso serve)"})
		if err != nil {
			stop()
			for ; n > 0; n-- {
				<-errc
			}
			return serveFail(fmt.Errorf("NATS service %q: %w", *natsName, err))
		}
		fmt.Fprintf(os.Stderr, "tenso serve: nats service %q on %s (tenso predict nats://HOST:PORT/%s FILE)\n", *natsName, nc.ConnectedUrlRedacted(), *natsName)
		n++
		go func() {
			<-ctx.Done()
			errc <- svc.Stop()
		}()
	}
	status = 0
	for i := 0; i < n; i++ {
		if err := <-errc; err != nil {
			stop() // one server failed: stop the other
			status = serveFail(err)
		}
	}
	return status
}

func serveFail(err error) int {
	fmt.Fprintln(os.Stderr, "tenso: serve:", err)
	return 1
}

// doubleValue multiplies every element of a dense numeric tensor by two,
// keeping the dtype (integers wrap like NumPy's `x * 2`); bundles are
// doubled entry by entry. The result is a new value.
func doubleValue(v tenso.Value) (tenso.Value, error) {
	switch t := v.(type) {
	case *tenso.Tensor:
		return doubleTensor(t)
	case *tenso.Bundle:
		out := &tenso.Bundle{Entries: make([]tenso.Entry, len(t.Entries))}
		for i, e := range t.Entries {
			d, err := doubleValue(e.Value)
			if err != nil {
				return nil, fmt.Errorf("bundle entry %q: %w", e.Key, err)
			}
			out.Entries[i] = tenso.Entry{Key: e.Key, Value: d}
		}
		return out, nil
	}
	return nil, fmt.Errorf("/infer doubles dense numeric tensors and bundles of them, not %s packets", v.Kind())
}

func doubleTensor(t *tenso.Tensor) (*tenso.Tensor, error) {
	le := binary.LittleEndian
	src := t.Data
	dst := make([]byte, len(src))
	out := &tenso.Tensor{DType: t.DType, Shape: append([]int(nil), t.Shape...), Data: dst}
	switch t.DType {
	case tenso.Float32, tenso.Complex64:
		for i := 0; i+4 <= len(src); i += 4 {
			le.PutUint32(dst[i:], math.Float32bits(2*math.Float32frombits(le.Uint32(src[i:]))))
		}
	case tenso.Float64, tenso.Complex128:
		for i := 0; i+8 <= len(src); i += 8 {
			le.PutUint64(dst[i:], math.Float64bits(2*math.Float64frombits(le.Uint64(src[i:]))))
		}
	case tenso.Int8, tenso.Uint8:
		for i := range src {
			dst[i] = src[i] << 1
		}
	case tenso.Int16, tenso.Uint16:
		for i := 0; i+2 <= len(src); i += 2 {
			le.PutUint16(dst[i:], le.Uint16(src[i:])<<1)
		}
	case tenso.Int32, tenso.Uint32:
		for i := 0; i+4 <= len(src); i += 4 {
			le.PutUint32(dst[i:], le.Uint32(src[i:])<<1)
		}
	case tenso.Int64, tenso.Uint64:
		for i := 0; i+8 <= len(src); i += 8 {
			le.PutUint64(dst[i:], le.Uint64(src[i:])<<1)
		}
	case tenso.Float16:
		for i := 0; i+2 <= len(src); i += 2 {
			le.PutUint16(dst[i:], doubleHalf(le.Uint16(src[i:]), 10, 5))
		}
	case tenso.BFloat16:
		for i := 0; i+2 <= len(src); i += 2 {
			le.PutUint16(dst[i:], doubleHalf(le.Uint16(src[i:]), 7, 8))
		}
	default:
		return nil, fmt.Errorf("/infer cannot double dtype %s", t.DType)
	}
	return out, nil
}

// doubleHalf doubles a 16-bit float with mbits mantissa and ebits exponent
// bits exactly: one more in the exponent; a subnormal's mantissa shifts
// left (carrying into the exponent when it becomes normal); overflow gives
// infinity; infinities and NaNs are unchanged.
func doubleHalf(h uint16, mbits, ebits uint) uint16 {
	sign := h & 0x8000
	emax := uint16(1)<<ebits - 1
	e := (h >> mbits) & emax
	m := h & (1<<mbits - 1)
	switch {
	case e == emax: // inf, NaN
		return h
	case e == 0: // zero, subnormal
		return sign | m<<1
	case e == emax-1: // overflow
		return sign | emax<<mbits
	}
	return sign | (e+1)<<mbits | m
}
