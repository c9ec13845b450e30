package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/tenso-go/tenso/internal/sysio"
)

// Streaming (FORMAT.md §16): Reader and Writer.

// streamable returns every golden packet that can be streamed (all but
// the top-level compressed dense ones), optionally without those over
// maxSize bytes.
func streamable(t testing.TB, maxSize int) []goldenFile {
	var out []goldenFile
	for _, g := range goldenFiles(t) {
		if !g.topCompressedDense() && (maxSize <= 0 || len(g.data) <= maxSize) {
			out = append(out, g)
		}
	}
	return out
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// plainReader hides every method but Read (no Len, no WriterTo).
type plainReader struct{ r io.Reader }

func (p plainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

func TestStreamGolden(t *testing.T) {
	gs := streamable(t, 0)
	var all bytes.Buffer
	for _, g := range gs {
		all.Write(g.data)
	}
	for _, src := range []struct {
		name string
		r    func() io.Reader
	}{
		{"bytes.Buffer", func() io.Reader { return bytes.NewBuffer(all.Bytes()) }},
		{"plain reader", func() io.Reader { return plainReader{bytes.NewReader(all.Bytes())} }},
		{"half reader", func() io.Reader { return iotest.HalfReader(bytes.NewReader(all.Bytes())) }},
		{"data+EOF reader", func() io.Reader { return iotest.DataErrReader(bytes.NewReader(all.Bytes())) }},
		{"one byte at a time", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(all.Bytes())) }},
	} {
		t.Run(src.name, func(t *testing.T) {
			cr := &countingReader{r: src.r()}
			r := NewReader(cr)
			var consumed int64
			var kept []Value // values stay valid after later reads
			defer func() {
				for i, v := range kept {
					checkValue(t, gs[i].name+" (after later reads)", v, gs[i].meta)
				}
			}()
			for _, g := range gs {
				v, err := r.Read()
				if err != nil {
					t.Fatalf("%s: %v", g.name, err)
				}
				want, err := Decode(g.data)
				if err != nil {
					t.Fatal(err)
				}
				if err := equalValue(v, want); err != nil {
					t.Fatalf("%s: streamed value differs from Decode's: %v", g.name, err)
				}
				checkValue(t, g.name+" (streamed)", v, g.meta)
				kept = append(kept, v)
				consumed += int64(len(g.data))
				if cr.n != consumed {
					t.Fatalf("%s: reader consumed %d bytes, the packets so far have %d", g.name, cr.n, consumed)
				}
			}
			for i := 0; i < 2; i++ {
				if _, err := r.Read(); err != io.EOF {
					t.Fatalf("after the last packet: %v, want io.EOF", err)
				}
			}
		})
	}
	// ReadPacket returns exactly each packet's bytes.
	r := NewReader(bytes.NewReader(all.Bytes()))
	for _, g := range gs {
		p, err := r.ReadPacket()
		if err != nil || !bytes.Equal(p, g.data) {
			t.Fatalf("%s: ReadPacket: %v (%d bytes, want %d)", g.name, err, len(p), len(g.data))
		}
	}
	if _, err := r.ReadPacket(); err != io.EOF {
		t.Fatalf("ReadPacket at the end: %v", err)
	}
}

func TestStreamCompressedBundle(t *testing.T) {
	p := goldenByName(t, "bundle_compressed_integrity.tenso")
	r := NewReader(bytes.NewReader(cat(p, p)))
	for i := 0; i < 2; i++ {
		v, err := r.Read()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		want, _ := Decode(p)
		if err := equalValue(v, want); err != nil {
			t.Fatal(err)
		}
	}
	// A corrupted compressed value is caught by its footer while streaming.
	q := bytes.Clone(p)
	q[len(q)-20] ^= 0xff
	_, err := NewReader(bytes.NewReader(q)).Read()
	checkFormatErr(t, "corrupt compressed value", err, ErrChecksum, len(q))
}

func TestStreamUnframed(t *testing.T) {
	n := 0
	for _, g := range goldenFiles(t) {
		if !g.topCompressedDense() {
			continue
		}
		n++
		t.Run(g.name, func(t *testing.T) {
			info, err := Inspect(g.data)
			if err != nil {
				t.Fatal(err)
			}
			cr := &countingReader{r: plainReader{bytes.NewReader(g.data)}}
			r := NewReader(cr)
			_, err = r.Read()
			checkFormatErr(t, g.name, err, ErrUnframed, len(g.data))
			if cr.n > int64(info.HeaderLen) {
				t.Errorf("reader consumed %d bytes before refusing; the header ends at %d", cr.n, info.HeaderLen)
			}
			if _, err2 := r.Read(); err2 != err {
				t.Errorf("not sticky: %v then %v", err, err2)
			}
		})
	}
	if n != 6 {
		t.Errorf("%d top-level compressed golden packets, want 6", n)
	}
}

// TestStreamTruncated cuts a stream of several packets at every offset:
// io.EOF exactly at packet boundaries, io.ErrUnexpectedEOF elsewhere, and
// the complete packets before the cut are returned intact.
func TestStreamTruncated(t *testing.T) {
	var pkts [][]byte
	for _, name := range []string{
		"dense_f32.tenso", "bundle_mixed_nested.tenso", "quant_qint4_per_group_integrity.tenso",
		"string_upstream_fixture.tenso", "sparse_csr_f64.tenso", "ragged_f32_integrity.tenso",
		"v3_bundle.tenso", "bundle_compressed_integrity.tenso", "dense_align4096.tenso", "dense_empty_0.tenso",
		"v3_quant_qint4_per_group.tenso", "bundle_empty.tenso",
	} {
		pkts = append(pkts, goldenByName(t, name))
	}
	pkts = append(pkts, mustEncode(t, &IPCRef{NBytes: 5}, Options{}))
	pkts = append(pkts, mustEncode(t, &Ragged{Splits: u64Tensor(0, 1), Flat: f32Tensor(1)}, Options{Alignment: 1}))
	all := cat(pkts...)
	bounds := map[int]int{0: 0} // offset -> packets before it
	off := 0
	for i, p := range pkts {
		off += len(p)
		bounds[off] = i + 1
	}
	for k := 0; k < len(all); k++ {
		r := NewReader(plainReader{bytes.NewReader(all[:k])})
		got := 0
		var err error
		for {
			var v Value
			if v, err = r.Read(); err != nil {
				break
			}
			want, _ := Decode(pkts[got])
			if e := equalValue(v, want); e != nil {
				t.Fatalf("cut at %d, packet %d: %v", k, got, e)
			}
			got++
		}
		if n, at := bounds[k]; at {
			if err != io.EOF || got != n {
				t.Fatalf("cut at boundary %d: %d packets then %v, want %d then io.EOF", k, got, err, n)
			}
			continue
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			t.Fatalf("cut at %d: %v, want io.ErrUnexpectedEOF", k, err)
		}
		if _, err2 := r.Read(); err2 != err {
			t.Fatalf("cut at %d: error not sticky: %v then %v", k, err, err2)
		}
	}
}

// TestStreamLying: a stream that declares a huge packet but sends few
// bytes costs memory in proportion to what arrived.
func TestStreamLying(t *testing.T) {
	body := func(n int) []byte { return bytes.Repeat([]byte{0xab}, n) }
	cases := []struct {
		name  string
		head  []byte
		sent  int
		limit uint64
	}{
		{"4 GB dense body, 100 bytes sent", rawDense(FlagAligned, Float32, []uint32{1_000_000_000}, nil), 100, 1 << 20},
		{"4 GB dense body with CUST_ALIGN 2^31", cat(hdr4(FlagCustAlign, Float32, 1, 0), le32(1_000_000_000), []byte{31}), 100, 1 << 20},
		{"1e9 strings (8 GB of offsets), 100 bytes sent", rawStrings(FlagString|FlagAligned, String, 1_000_000_000, nil, nil), 100, 1 << 20},
		{"string payload of 2^34 bytes", rawStrings(FlagString|FlagAligned, String, 1, []uint64{0, 1 << 34}, nil), 100, 1 << 20},
		{"bundle value of 4 GB", cat(hdr4(FlagBundle, 0, 1, 0), le32(1), []byte("k"), le32(0xffffff00)), 100, 1 << 20},
		{"bundle key of 4 GB", cat(hdr4(FlagBundle, 0, 1, 0), le32(0xffffff00)), 100, 1 << 20},
		{"sparse component of 4 GB", cat(hdr4(FlagSparseCSR, 0, 2, 0), shapeBytes(10, 10), le32(0xffffff00)), 100, 1 << 20},
		{"quantized with 1e9 groups (8 GB of scales)", cat(hdr4(FlagAligned, QInt8, 1, 0), le32(1_000_000_000), []byte{2, 0}, le32(1), le32(1_000_000_000)), 100, 1 << 20},
		{"4 GB dense body, 3 MB sent", rawDense(FlagAligned, Float32, []uint32{1_000_000_000}, nil), 3 << 20, 16 << 20},
	}
	for _, c := range cases {
		for _, oneByte := range []bool{false, true} {
			if oneByte && c.sent > 1<<20 {
				continue
			}
			name := c.name
			if oneByte {
				name += ", one byte per read"
			}
			t.Run(name, func(t *testing.T) {
				stream := cat(c.head, body(c.sent))
				var err error
				per := totalAlloc(3, func() {
					var src io.Reader = plainReader{bytes.NewReader(stream)}
					if oneByte {
						src = iotest.OneByteReader(src)
					}
					_, err = NewReader(src).Read()
				})
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
				}
				if per > c.limit {
					t.Errorf("reading %d bytes of a lying stream allocated %d bytes (limit %d)", len(stream), per, c.limit)
				}
			})
		}
	}
	// A *bytes.Reader reports its length; that must not be trusted past
	// what it holds either.
	stream := cat(rawDense(FlagAligned, Float32, []uint32{1_000_000_000}, nil), body(100))
	per := totalAlloc(3, func() { _, _ = NewReader(bytes.NewReader(stream)).Read() })
	if per > 1<<20 {
		t.Errorf("bytes.Reader source: %d bytes allocated", per)
	}
	// Limits are applied as fields arrive: a declared value over MaxBytes
	// fails at once, before any body byte is read.
	cr := &countingReader{r: bytes.NewReader(cat(hdr4(FlagBundle, 0, 1, 0), le32(1), []byte("k"), le32(1<<20), body(1<<20)))}
	_, err := NewReaderLimits(cr, Limits{MaxBytes: 1 << 10}).Read()
	checkFormatErr(t, "value over MaxBytes", err, ErrTooLarge, 1<<20)
	if cr.n > 64 {
		t.Errorf("read %d bytes before refusing a value over MaxBytes", cr.n)
	}
}

func TestStreamSticky(t *testing.T) {
	good := goldenByName(t, "dense_f32.tenso")
	bad := with(good, 0, 'X')
	r := NewReader(bytes.NewReader(cat(good, bad, good)))
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	_, err := r.Read()
	checkFormatErr(t, "bad magic", err, ErrCorrupt, len(bad))
	for i := 0; i < 3; i++ {
		if _, err2 := r.Read(); err2 != err {
			t.Fatalf("Read after an error: %v, want the same %v", err2, err)
		}
		if _, err2 := r.ReadPacket(); err2 != err {
			t.Fatalf("ReadPacket after an error: %v", err2)
		}
		if _, err2 := r.ReadContext(context.Background()); err2 != err {
			t.Fatalf("ReadContext after an error: %v", err2)
		}
	}
	// A packet that frames but fails validation (bad ragged) is sticky too.
	rag := mustEncode(t, &Bundle{Entries: []Entry{{RaggedOffsetsKey, u64Tensor(1, 1)}, {RaggedFlatKey, f32Tensor(1)}, {RaggedCountKey, u64Tensor(1)}}}, Options{})
	r = NewReader(bytes.NewReader(cat(rag, good)))
	_, err = r.Read()
	checkFormatErr(t, "bad ragged", err, ErrCorrupt, len(rag))
	if _, err2 := r.Read(); err2 != err {
		t.Fatalf("after a decode error: %v", err2)
	}
	// A read error from the source is returned wrapped, and sticky.
	boom := errors.New("boom")
	r = NewReader(io.MultiReader(bytes.NewReader(good[:20]), iotest.ErrReader(boom)))
	_, err = r.Read()
	if !errors.Is(err, boom) {
		t.Fatalf("source error: %v", err)
	}
	if _, err2 := r.Read(); err2 != err {
		t.Fatalf("source error not sticky: %v", err2)
	}
	// Writer: sticky after a write error.
	ew := &limitWriter{max: 10, err: boom}
	w := NewWriter(ew)
	if _, err := w.Write(f32Tensor(1, 2), Options{}); !errors.Is(err, boom) {
		t.Fatalf("writer error: %v", err)
	}
	ew.max = 1 << 20
	if _, err := w.Write(f32Tensor(1), Options{}); !errors.Is(err, boom) {
		t.Fatalf("writer not sticky: %v", err)
	}
	if _, err := w.WritePacket(good); !errors.Is(err, boom) {
		t.Fatalf("WritePacket not sticky: %v", err)
	}
}

// limitWriter accepts max bytes in all, then fails with err (or, with
// err == nil, returns short counts without an error, breaking the
// io.Writer contract).
type limitWriter struct {
	buf   bytes.Buffer
	max   int
	err   error
	calls int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	w.calls++
	room := w.max - w.buf.Len()
	if room >= len(p) {
		return w.buf.Write(p)
	}
	if room < 0 {
		room = 0
	}
	w.buf.Write(p[:room])
	return room, w.err
}

// chunkWriter writes at most n bytes per call and reports the short write
// with io.ErrShortWrite, like a well-behaved writer that cannot take more.
type chunkWriter struct {
	buf bytes.Buffer
	n   int
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		w.buf.Write(p[:w.n])
		return w.n, io.ErrShortWrite
	}
	return w.buf.Write(p)
}

func TestWriteBuffersPartial(t *testing.T) {
	v := &Bundle{Entries: []Entry{
		{"a", tensorOf(Uint8, []int{3000}, bytes.Repeat([]byte{1}, 3000))},
		{"b", f32Tensor(1, 2, 3)},
	}}
	bufs, total, err := Segments(v, Options{Integrity: true})
	if err != nil {
		t.Fatal(err)
	}
	want := mustEncode(t, v, Options{Integrity: true})
	if len(bufs) < 3 {
		t.Fatalf("Segments gave %d buffers; the 3000-byte body should be its own", len(bufs))
	}
	for _, cut := range []int{0, 1, 9, 10, 64, 100, 3000, int(total) - 1} {
		boom := errors.New("disk full")
		w := &limitWriter{max: cut, err: boom}
		n, err := sysio.WriteBuffers(w, bufs)
		if !errors.Is(err, boom) || n != int64(cut) || !bytes.Equal(w.buf.Bytes(), want[:cut]) {
			t.Errorf("cut %d: n=%d err=%v, wrote %d bytes", cut, n, err, w.buf.Len())
		}
		// A writer that returns a short count without an error breaks the
		// io.Writer contract; WriteBuffers must not report success.
		lw := &limitWriter{max: cut}
		n, err = sysio.WriteBuffers(lw, bufs)
		if err == nil || n != int64(lw.buf.Len()) {
			t.Errorf("cut %d, silent short write: n=%d err=%v (%d bytes arrived of %d)", cut, n, err, lw.buf.Len(), total)
		} else if !errors.Is(err, io.ErrShortWrite) {
			t.Errorf("cut %d, silent short write: %v, want io.ErrShortWrite", cut, err)
		}
		cw := &chunkWriter{n: 7}
		n, err = sysio.WriteBuffers(cw, bufs)
		if !errors.Is(err, io.ErrShortWrite) || n != 7 {
			t.Errorf("chunk writer: n=%d err=%v", n, err)
		}
	}
	// All of it.
	var full bytes.Buffer
	n, err := sysio.WriteBuffers(&full, bufs)
	if err != nil || n != total || !bytes.Equal(full.Bytes(), want) {
		t.Fatalf("full write: n=%d err=%v", n, err)
	}
	// Writer.Write reports the same partial count and stays failed.
	w := NewWriter(&limitWriter{max: 50})
	n, err = w.Write(v, Options{Integrity: true})
	if err == nil || n != 50 {
		t.Errorf("Writer.Write on a silently short writer: n=%d err=%v", n, err)
	}
	n, err = NewWriter(&chunkWriter{n: 5}).WritePacket(want)
	if !errors.Is(err, io.ErrShortWrite) || n != 5 {
		t.Errorf("WritePacket on a short writer: n=%d err=%v", n, err)
	}
}

func TestWriterUnframed(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	ten := tensorOf(Uint8, []int{100}, make([]byte, 100))
	n, err := w.Write(ten, Options{Compress: true})
	if !errors.Is(err, ErrUnframed) || n != 0 || buf.Len() != 0 {
		t.Fatalf("compressed top-level tensor: n=%d err=%v, %d bytes written", n, err, buf.Len())
	}
	// Refusing is not a stream failure: the writer goes on.
	b := &Bundle{Entries: []Entry{{"t", ten}}}
	if _, err := w.Write(b, Options{Compress: true, Integrity: true}); err != nil {
		t.Fatalf("compressed bundle value: %v", err)
	}
	if _, err := w.Write(ten, Options{}); err != nil {
		t.Fatalf("uncompressed tensor after a refusal: %v", err)
	}
	// Options that Compress does not apply to stream fine.
	q := &Quantized{DType: QInt8, Shape: []int{2}, Scheme: PerTensor, Scales: []float32{1}, ZeroPoints: []float32{0}, Data: []byte{1, 2}}
	if _, err := w.Write(q, Options{Compress: true}); err != nil {
		t.Fatalf("quantized with Compress: %v", err)
	}
	r := NewReader(&buf)
	for i, want := range []Value{b, ten, q} {
		v, err := r.Read()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if err := equalValue(v, want); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

// writeValues writes vals with their options, checking each count.
func writeValues(w *Writer, vals []Value, opts []Options) error {
	for i, v := range vals {
		want, err := Encode(v, opts[i])
		if err != nil {
			return err
		}
		n, err := w.Write(v, opts[i])
		if err != nil {
			return fmt.Errorf("packet %d: %w", i, err)
		}
		if n != int64(len(want)) {
			return fmt.Errorf("packet %d: wrote %d bytes, Encode gives %d", i, n, len(want))
		}
	}
	return nil
}

func readValues(r *Reader, vals []Value) error {
	for i, want := range vals {
		v, err := r.Read()
		if err != nil {
			return fmt.Errorf("packet %d: %w", i, err)
		}
		if err := equalValue(v, want); err != nil {
			return fmt.Errorf("packet %d: %w", i, err)
		}
	}
	return nil
}

// goldenValues decodes the streamable golden packets under 1 MiB and
// returns n values cycling through them, with their golden options.
func goldenValues(t testing.TB, n int) ([]Value, []Options) {
	gs := streamable(t, 1<<20)
	var vals []Value
	var opts []Options
	for i := 0; i < n; i++ {
		g := gs[i%len(gs)]
		v, err := Decode(g.data)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, v)
		opts = append(opts, goldenOptions(g.meta))
	}
	return vals, opts
}

// exchange sends n packets each way over a and b at the same time.
func exchange(t *testing.T, a, b net.Conn, n int) {
	vals, opts := goldenValues(t, n)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, pair := range [][2]net.Conn{{a, b}, {b, a}} {
		wg.Add(2)
		go func(c net.Conn) {
			defer wg.Done()
			if err := writeValues(NewWriter(c), vals, opts); err != nil {
				errs <- fmt.Errorf("write: %w", err)
			}
		}(pair[0])
		go func(c net.Conn) {
			defer wg.Done()
			r := NewReader(c)
			if err := readValues(r, vals); err != nil {
				errs <- fmt.Errorf("read: %w", err)
				return
			}
			_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			if v, err := r.Read(); err == nil {
				errs <- fmt.Errorf("an extra packet arrived: %T", v)
			}
			_ = c.SetReadDeadline(time.Time{})
		}(pair[1])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestStreamNetPipe(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	exchange(t, a, b, 1000)
}

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback TCP: %v", err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			acc <- nil
			return
		}
		acc <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-acc
	if s == nil {
		t.Fatal("accept failed")
	}
	return c, s
}

func TestStreamTCP(t *testing.T) {
	a, b := tcpPair(t)
	defer a.Close()
	defer b.Close()
	exchange(t, a, b, 1000)
	// A clean close between packets is io.EOF for the peer.
	vals, opts := goldenValues(t, 3)
	if err := writeValues(NewWriter(a), vals, opts); err != nil {
		t.Fatal(err)
	}
	a.Close()
	r := NewReader(b)
	if err := readValues(r, vals); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("after the peer closed: %v, want io.EOF", err)
	}
}

// TestReadContext: a cancelled context interrupts a read stalled on a
// silent peer, mid-packet or between packets.
func TestReadContext(t *testing.T) {
	pkt := goldenByName(t, "dense_f32.tenso")
	for _, kind := range []string{"pipe", "tcp"} {
		for _, sendBytes := range []int{0, 20} {
			t.Run(fmt.Sprintf("%s, stalled after %d bytes", kind, sendBytes), func(t *testing.T) {
				var a, b net.Conn
				if kind == "pipe" {
					a, b = net.Pipe()
				} else {
					a, b = tcpPair(t)
				}
				defer a.Close()
				defer b.Close()
				go func() { _, _ = a.Write(pkt[:sendBytes]) }()
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				r := NewReader(b)
				go func() {
					_, err := r.ReadContext(ctx)
					done <- err
				}()
				time.Sleep(50 * time.Millisecond)
				start := time.Now()
				cancel()
				var err error
				select {
				case err = <-done:
				case <-time.After(5 * time.Second):
					t.Fatal("ReadContext did not return within 5 s of the cancel")
				}
				// How fast is a figure, not a pass condition (a loaded
				// machine delays it); the 5 s bound above catches a hang.
				t.Logf("returned %v after the cancel", time.Since(start))
				if !errors.Is(err, context.Canceled) {
					t.Errorf("error %v does not wrap context.Canceled", err)
				}
				if _, err2 := r.Read(); err2 == nil {
					t.Error("reader usable after an interrupted read")
				}
			})
		}
	}
	// A deadline: the same, with context.DeadlineExceeded.
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := NewReader(b).ReadContext(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v after %v", err, time.Since(start))
	}
	t.Logf("a 60 ms deadline returned after %v", time.Since(start))
	// Success with a deadline leaves no deadline behind on the conn.
	c, d := net.Pipe()
	defer c.Close()
	defer d.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	go func() {
		_, _ = c.Write(pkt)
		<-ctx2.Done() // the second packet comes after the deadline passed
		_, _ = c.Write(pkt)
	}()
	r := NewReader(d)
	if _, err := r.ReadContext(ctx2); err != nil {
		t.Fatalf("ReadContext: %v", err)
	}
	<-ctx2.Done()
	if _, err := r.Read(); err != nil {
		t.Fatalf("Read after ReadContext's deadline passed: %v", err)
	}
	// A reader without deadlines: an already-cancelled context is seen
	// before anything is read.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	cr := &countingReader{r: bytes.NewReader(pkt)}
	if _, err := NewReader(cr).ReadContext(cctx); !errors.Is(err, context.Canceled) || cr.n != 0 {
		t.Errorf("cancelled context on a plain reader: %v after %d bytes", err, cr.n)
	}
	// ... and a context cancelled while reading a plain reader is seen
	// between reads.
	pr, pw := io.Pipe()
	ctx3, cancel3 := context.WithCancel(context.Background())
	go func() {
		_, _ = pw.Write(pkt[:20])
		cancel3()
		_, _ = pw.Write(pkt[20:])
		pw.Close()
	}()
	_, err = NewReader(iotest.OneByteReader(pr)).ReadContext(ctx3)
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("plain reader cancelled mid-packet: %v", err)
	}
}

func TestWriterFile(t *testing.T) {
	vals, opts := goldenValues(t, 200)
	big := tensorOf(Float32, []int{1 << 18}, bytes.Repeat([]byte{1, 2, 3, 4}, 1<<18))
	vals = append(vals, big)
	opts = append(opts, Options{Integrity: true})
	path := filepath.Join(t.TempDir(), "stream.tenso")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeValues(NewWriter(f), vals, opts); err != nil {
		t.Fatal(err)
	}
	// The file path uses writev on Linux (internal/sysio tests that).
	segs, total, err := Segments(big, Options{Integrity: true})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := sysio.WriteBuffers(f, segs); err != nil || n != total {
		t.Fatalf("WriteBuffers: n=%d err=%v", n, err)
	}
	vals = append(vals, big)
	// More buffers than one writev takes (IOV_MAX).
	var many [][]byte
	var manyWant []byte
	for i := 0; i < 3000; i++ {
		b := []byte{byte(i), byte(i >> 8), 0xee}
		if i%7 == 0 {
			b = nil
		}
		many = append(many, b)
		manyWant = append(manyWant, b...)
	}
	if n, err := sysio.WriteBuffers(f, many); err != nil || n != int64(len(manyWant)) {
		t.Fatalf("WriteBuffers with 3000 buffers: n=%d err=%v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, manyWant) {
		t.Fatal("the 3000 buffers did not arrive in order")
	}
	data = data[:len(data)-len(manyWant)]
	g, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	r := NewReader(io.LimitReader(g, int64(len(data))))
	if err := readValues(r, vals); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("end of file: %v", err)
	}
	// The last packet decodes from the file's bytes directly.
	p := mustEncode(t, big, Options{Integrity: true})
	if !bytes.HasSuffix(data, cat(p, p)) {
		t.Fatal("the file does not end with the two big packets")
	}
	// A writev on a closed file fails cleanly.
	if _, err := sysio.WriteBuffers(f, segs); err == nil {
		t.Error("WriteBuffers on a closed file succeeded")
	}
}

// TestWriteBuffersPipe: writev to a pipe whose buffer (64 KiB) is smaller
// than the packet makes partial writes; every byte must arrive in order.
func TestWriteBuffersPipe(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Skip(err)
	}
	defer pr.Close()
	body := make([]byte, 3<<20+5)
	for i := range body {
		body[i] = byte(i * 7 / 3)
	}
	v := &Bundle{Entries: []Entry{
		{"a", tensorOf(Uint8, []int{len(body)}, body)},
		{"b", tensorOf(Uint8, []int{1000}, body[:1000])},
		{"c", tensorOf(Uint8, []int{len(body) - 1}, body[1:])},
	}}
	want := mustEncode(t, v, Options{Integrity: true, Alignment: 4096})
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		chunk := make([]byte, 1000) // a slow, small-chunk reader
		for {
			n, err := pr.Read(chunk)
			b.Write(chunk[:n])
			if err != nil {
				break
			}
		}
		got <- b.Bytes()
	}()
	w := NewWriter(pw)
	n, err := w.Write(v, Options{Integrity: true, Alignment: 4096})
	pw.Close()
	if err != nil || n != int64(len(want)) {
		t.Fatalf("Write to a pipe: n=%d err=%v, want %d", n, err, len(want))
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("the pipe delivered %d bytes that differ from the %d-byte packet", len(b), len(want))
	}
}

// TestWriterBytes: Writer.Write writes exactly Encode's bytes.
func TestWriterBytes(t *testing.T) {
	for _, g := range streamable(t, 1<<20) {
		v, err := Decode(g.data)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []Options{goldenOptions(g.meta), {Integrity: true, Alignment: 16}, {Compress: true, Alignment: 1}} {
			if _, ok := v.(*Strings); ok {
				o.Alignment = 0
			}
			if _, ok := v.(*Tensor); ok && o.Compress {
				continue
			}
			want, err := Encode(v, o)
			if err != nil {
				t.Fatalf("%s %+v: %v", g.name, o, err)
			}
			var buf bytes.Buffer
			n, err := NewWriter(&buf).Write(v, o)
			if err != nil || n != int64(len(want)) || !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("%s %+v: Writer wrote %d bytes (%v), Encode gives %d", g.name, o, n, err, len(want))
			}
		}
	}
}

func TestReaderReuseBuffer(t *testing.T) {
	var stream bytes.Buffer
	w := NewWriter(&stream)
	for i := 0; i < 3; i++ {
		ten := &Tensor{DType: Uint8, Shape: []int{100}, Data: bytes.Repeat([]byte{byte(i)}, 100)}
		if _, err := w.Write(ten, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(&stream)
	r.ReuseBuffer(true)
	var first *byte
	for i := 0; i < 3; i++ {
		p, err := r.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = &p[0]
		} else if &p[0] != first {
			t.Errorf("packet %d did not reuse the buffer", i)
		}
		v, err := Decode(p)
		if err != nil || v.(*Tensor).Data[99] != byte(i) {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	if _, err := r.Read(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}
