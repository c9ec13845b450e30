package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/sysio"
	"github.com/tenso-go/tenso/native/tensonats/embedded"
	"github.com/tenso-go/tenso/native/tensonats/internal/natstest"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, nc *nats.Conn, bucket string, c Config) *Store {
	t.Helper()
	s, err := Open(ctxT(t, 20*time.Second), natstest.JetStream(t, nc), bucket, c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func dense(n int, seed uint64) *tenso.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	d := make([]byte, n)
	for i := range d {
		d[i] = byte(r.Uint32())
	}
	return &tenso.Tensor{DType: tenso.Uint8, Shape: []int{n}, Data: d}
}

// Every golden packet is stored and read back byte for byte, in an
// aligned buffer; GetValue gives the same value.
func TestGoldenStore(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	s := open(t, nc, "golden", Config{ChunkSize: 1024, OnRetry: func(err error) { t.Logf("retry: %v", err) }})
	ctx := ctxT(t, 60*time.Second)
	for _, p := range natstest.Golden(t) {
		if err := s.Put(ctx, p.Name, p.Data); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		got, err := s.Get(ctx, p.Name)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if !bytes.Equal(got, p.Data) {
			t.Fatalf("%s: Get differs from Put", p.Name)
		}
		if !sysio.IsAligned(got, 64) {
			t.Fatalf("%s: Get's buffer is not 64-byte aligned", p.Name)
		}
		v, err := s.GetValue(ctx, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := tenso.Decode(p.Data)
		if !bytes.Equal(natstest.Encode(t, v, tenso.Options{}), natstest.Encode(t, want, tenso.Options{})) {
			t.Fatalf("%s: GetValue differs", p.Name)
		}
		if err := s.PutValue(ctx, "v/"+p.Name, want, tenso.Options{Integrity: true}); err != nil {
			t.Fatalf("%s: PutValue: %v", p.Name, err)
		}
		got, err = s.Get(ctx, "v/"+p.Name)
		if err != nil || !bytes.Equal(got, natstest.Encode(t, want, tenso.Options{Integrity: true})) {
			t.Fatalf("%s: PutValue then Get: %v", p.Name, err)
		}
	}
	l, err := s.List(ctx)
	if err != nil || len(l) != 2*len(natstest.Golden(t)) {
		t.Fatalf("List: %d entries, %v", len(l), err)
	}
}

func TestLargeValueZeroCopy(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	s := open(t, nc, "large", Config{})
	ctx := ctxT(t, 60*time.Second)
	v := dense(5<<20+3, 7)
	if err := s.PutValue(ctx, "big", v, tenso.Options{Integrity: true}); err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, "big")
	if err != nil || info.Size != int64(len(natstest.Encode(t, v, tenso.Options{Integrity: true}))) || info.Chunks < 2 {
		t.Fatalf("Info %+v, %v", info, err)
	}
	p, err := s.Get(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetValue(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.(*tenso.Tensor).Data, v.Data) || !bytes.Equal(p, natstest.Encode(t, v, tenso.Options{Integrity: true})) {
		t.Fatal("large value differs")
	}
	if !sysio.IsAligned(got.(*tenso.Tensor).Data, 64) {
		t.Fatal("GetValue's tensor data are not aligned")
	}
}

func TestErrors(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	s := open(t, nc, "errs", Config{})
	ctx := ctxT(t, 30*time.Second)
	good := natstest.Encode(t, dense(100, 1), tenso.Options{Integrity: true})
	bad := bytes.Clone(good)
	bad[len(bad)-20] ^= 1
	for name, p := range map[string][]byte{"junk": []byte("junk"), "checksum": bad, "truncated": good[:50], "empty": nil} {
		err := s.Put(ctx, "k", p)
		if !errors.Is(err, ErrBadPacket) {
			t.Errorf("Put of %s: %v", name, err)
		}
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused Put stored something: %v", err)
	}
	if _, err := s.Info(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Info: %v", err)
	}
	if err := s.Delete(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	for _, k := range []string{"", "\xff"} {
		if err := s.Put(ctx, k, good); !errors.Is(err, ErrBadKey) {
			t.Fatalf("Put key %q: %v", k, err)
		}
		if _, err := s.Get(ctx, k); !errors.Is(err, ErrBadKey) {
			t.Fatalf("Get key %q: %v", k, err)
		}
	}
	if l, err := s.List(ctx); err != nil || len(l) != 0 {
		t.Fatalf("List of an empty bucket: %v %v", l, err)
	}
	if err := s.Put(ctx, "k", good); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	small := open(t, nc, "small", Config{MaxValueBytes: 1000})
	if err := small.PutValue(ctx, "x", dense(2000, 1), tenso.Options{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over MaxValueBytes: %v", err)
	}
	if _, err := Open(ctx, natstest.JetStream(t, nc), "bad name!", Config{}); err == nil {
		t.Fatal("Open of an invalid bucket name")
	}
	nc2 := natstest.Connect(t, nc.ConnectedUrl())
	s2 := open(t, nc2, "errs", Config{})
	nc2.Close()
	start := time.Now()
	if _, err := s2.Get(ctxT(t, 5*time.Second), "k"); err == nil || time.Since(start) > 4*time.Second {
		t.Fatalf("Get on a closed connection: %v after %v", err, time.Since(start))
	}
}

func TestTTL(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	s := open(t, nc, "ttl", Config{TTL: time.Second})
	ctx := ctxT(t, 30*time.Second)
	if err := s.PutValue(ctx, "k", dense(10, 1), tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := s.Info(ctx, "k")
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("value still there %v after its 1 s TTL: %v", 15*time.Second, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after expiry: %v", err)
	}
}

func TestWatch(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	s := open(t, nc, "watch", Config{})
	ctx := ctxT(t, 30*time.Second)
	if err := s.PutValue(ctx, "before", dense(1, 1), tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	ev, err := s.Watch(wctx)
	if err != nil {
		t.Fatal(err)
	}
	other := open(t, natstest.Connect(t, nc.ConnectedUrl()), "watch", Config{})
	// Each change is awaited before the next: a delete's rollup removes the
	// put's metadata message, and a put not yet delivered by then is never
	// seen (Watch's doc).
	next := func(i int, want Event) {
		t.Helper()
		select {
		case e := <-ev:
			if e.Key != want.Key || e.Op != want.Op {
				t.Fatalf("event %d: %v %q, want %v %q", i, e.Op, e.Key, want.Op, want.Key)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d not received", i)
		}
	}
	if err := other.PutValue(ctx, "a", dense(300, 1), tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	next(0, Event{Key: "a", Op: OpPut})
	if err := other.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	next(1, Event{Key: "a", Op: OpDelete})
	stop()
	for range ev { // closed once the context is done
	}
}

// A client cut in the middle of a large Put leaves the previous value,
// whole, and no part of the new one.
func TestCutMidPut(t *testing.T) {
	srv, nc := natstest.Start(t, embedded.Options{})
	s := open(t, nc, "cut", Config{ChunkSize: 64 << 10})
	ctx := ctxT(t, 60*time.Second)
	old := natstest.Encode(t, dense(1<<20, 1), tenso.Options{Integrity: true})
	if err := s.Put(ctx, "k", old); err != nil {
		t.Fatal(err)
	}
	CutMidPut(t, srv.ClientURL(), "cut", "k", 20<<20)
	got, err := s.Get(ctx, "k")
	if err != nil || !bytes.Equal(got, old) {
		t.Fatalf("after a cut Put: %v (equal to the old value: %v)", err, bytes.Equal(got, old))
	}
	CutMidPut(t, srv.ClientURL(), "cut", "new", 20<<20)
	if _, err := s.Get(ctx, "new"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a cut Put of a new key is visible: %v", err)
	}
	if l, _ := s.List(ctx); len(l) != 1 {
		t.Fatalf("List after cut puts: %+v", l)
	}
}

// CutMidPut puts an n-byte value to bucket/key on its own connection and
// cuts that connection (closes its socket, as a crash or a network failure
// would, with no flush) once half of the value has been written to it.
func CutMidPut(t *testing.T, url, bucket, key string, n int) {
	t.Helper()
	d := &cutDialer{}
	nc := natstest.Connect(t, url, nats.NoReconnect(), nats.SetCustomDialer(d))
	s := open(t, nc, bucket, Config{ChunkSize: 64 << 10})
	d.arm(int64(n / 2))
	start := time.Now()
	err := s.PutValue(ctxT(t, 60*time.Second), key, dense(n, 9), tenso.Options{Integrity: true})
	t.Logf("cut Put returned after %v: %v", time.Since(start), err)
	if err == nil {
		t.Fatal("a Put whose connection was cut returned nil")
	}
	if !d.cut.Load() {
		t.Fatal("the connection was not cut")
	}
}

// cutDialer dials connections whose socket it closes once a set number of
// bytes has been written after arm.
type cutDialer struct {
	mu    sync.Mutex
	conns []*cutConn
	cut   atomic.Bool
}

func (d *cutDialer) Dial(network, address string) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, 5*time.Second)
	if err != nil {
		return nil, err
	}
	cc := &cutConn{Conn: c, d: d}
	cc.left.Store(-1)
	d.mu.Lock()
	d.conns = append(d.conns, cc)
	d.mu.Unlock()
	return cc, nil
}

func (d *cutDialer) arm(after int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		c.left.Store(after)
	}
}

type cutConn struct {
	net.Conn
	d    *cutDialer
	left atomic.Int64 // bytes until the cut; -1: not armed
}

func (c *cutConn) Write(p []byte) (int, error) {
	l := c.left.Load()
	if l < 0 {
		return c.Conn.Write(p)
	}
	if int64(len(p)) <= l {
		c.left.Add(-int64(len(p)))
		return c.Conn.Write(p)
	}
	n, _ := c.Conn.Write(p[:l])
	c.left.Store(0)
	c.d.cut.Store(true)
	c.Conn.Close()
	return n, errors.New("connection cut by the test")
}

// Delete of a key that was deleted before is ErrNotFound, as is one that
// never existed.
func TestDeleteMissing(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	s := open(t, nc, "del", Config{})
	ctx := ctxT(t, 30*time.Second)
	if err := s.Delete(ctx, "never"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of a key never put: %v", err)
	}
	if err := s.PutValue(ctx, "k", dense(10, 1), tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatalf("first Delete: %v", err)
	}
	if err := s.Delete(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete of the same key: %v, want ErrNotFound", err)
	}
	// Put again after the delete: the key is back and Delete works again.
	if err := s.PutValue(ctx, "k", dense(10, 2), tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete after a new Put: %v", err)
	}
}

// Put holds exactly one packet: bytes after it (another packet, junk, one
// zero byte) are ErrBadPacket, and nothing is stored.
func TestPutTrailingBytes(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	s := open(t, nc, "trail", Config{})
	ctx := ctxT(t, 30*time.Second)
	plain := natstest.Encode(t, dense(100, 1), tenso.Options{})
	footer := natstest.Encode(t, dense(100, 1), tenso.Options{Integrity: true})
	for name, p := range map[string][]byte{
		"two packets":         append(bytes.Clone(plain), plain...),
		"junk after":          append(bytes.Clone(plain), "junk"...),
		"one zero byte":       append(bytes.Clone(plain), 0),
		"after a footer":      append(bytes.Clone(footer), 0),
		"packet after footer": append(bytes.Clone(footer), footer...),
	} {
		err := s.Put(ctx, "k", p)
		if !errors.Is(err, ErrBadPacket) {
			t.Errorf("Put of %s: %v, want ErrBadPacket", name, err)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused Put stored something: %v", err)
	}
	if err := s.Put(ctx, "k", plain); err != nil {
		t.Fatalf("Put of one packet: %v", err)
	}
}

// Replicas > 1 on a server that is not in a cluster fails at once (not
// at the deadline) with an error naming the count and the server's mode.
func TestReplicasNotClustered(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	ctx := ctxT(t, 20*time.Second)
	var retries int
	start := time.Now()
	_, err := Open(ctx, natstest.JetStream(t, nc), "r3", Config{Replicas: 3, OnRetry: func(error) { retries++ }})
	took := time.Since(start)
	t.Logf("Open R3 on one server after %v, %d retries: %v", took, retries, err)
	if !errors.Is(err, ErrSettings) {
		t.Fatalf("Open R3 on one server: %v, want ErrSettings", err)
	}
	if retries != 0 || ctx.Err() != nil {
		t.Fatalf("Open R3 on one server was retried (%d retries, context %v)", retries, ctx.Err())
	}
	if msg := err.Error(); !strings.Contains(msg, "3 replicas") || !strings.Contains(msg, "not clustered") {
		t.Fatalf("error does not name the replica count and the server's mode: %q", msg)
	}
	// Nothing was created.
	if _, err := natstest.JetStream(t, nc).ObjectStore(ctx, "r3"); !errors.Is(err, jetstream.ErrBucketNotFound) {
		t.Fatalf("bucket after the refused Open: %v", err)
	}
}

func bucketStatus(t *testing.T, s *Store) jetstream.ObjectStoreStatus {
	t.Helper()
	st, err := s.ObjectStore().Status(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Open of an existing bucket keeps its settings: zero fields take the
// bucket's, a non-zero one that differs is ErrSettings and changes
// nothing; Store.Config reports the bucket's settings.
func TestOpenKeepsSettings(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	ctx := ctxT(t, 30*time.Second)
	first := open(t, nc, "keep", Config{TTL: time.Hour, MaxBytes: 1 << 30, Description: "first"})
	if err := first.PutValue(ctx, "k", dense(10, 1), tenso.Options{}); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		st := bucketStatus(t, first)
		info := st.(*jetstream.ObjectBucketStatus).StreamInfo()
		if st.TTL() != time.Hour || st.Replicas() != 1 || info.Config.MaxBytes != 1<<30 || st.Description() != "first" {
			t.Fatalf("%s: bucket TTL %v, replicas %d, max bytes %d, description %q; want 1h, 1, 1 GiB, first",
				when, st.TTL(), st.Replicas(), info.Config.MaxBytes, st.Description())
		}
	}
	check("after creation")
	// A zero Config: the bucket as it is.
	s := open(t, nc, "keep", Config{})
	check("after Open with a zero Config")
	if c := s.Config(); c.TTL != time.Hour || c.Replicas != 1 || c.MaxBytes != 1<<30 || c.Memory || c.Description != "first" {
		t.Fatalf("Config of the opened bucket: %+v", c)
	}
	if _, err := s.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	// The same settings again: fine.
	open(t, nc, "keep", Config{TTL: time.Hour, Replicas: 1, MaxBytes: 1 << 30})
	check("after Open with the same settings")
	// Other settings: refused, the bucket unchanged.
	for name, c := range map[string]Config{
		"Replicas": {Replicas: 3},
		"TTL":      {TTL: time.Minute},
		"MaxBytes": {MaxBytes: 1 << 20},
		"Memory":   {Memory: true},
	} {
		_, err := Open(ctx, natstest.JetStream(t, nc), "keep", c)
		t.Logf("Open with another %s: %v", name, err)
		if !errors.Is(err, ErrSettings) {
			t.Fatalf("Open with another %s: %v, want ErrSettings", name, err)
		}
		check("after Open with another " + name)
	}
	if _, err := first.Get(ctx, "k"); err != nil {
		t.Fatalf("value after the refused Opens: %v", err)
	}
	// Clients creating one bucket at once: with the same settings all
	// open it; with other settings than the winner's, the others get
	// ErrSettings.
	for round, ttls := range [][]time.Duration{{time.Hour, time.Hour, time.Hour}, {time.Hour, time.Minute, time.Second}} {
		bucket := fmt.Sprint("race", round)
		errs := make([]error, len(ttls))
		var wg sync.WaitGroup
		for i, ttl := range ttls {
			wg.Go(func() {
				_, errs[i] = Open(ctx, natstest.JetStream(t, natstest.Connect(t, nc.ConnectedUrl())), bucket, Config{TTL: ttl})
			})
		}
		wg.Wait()
		s := open(t, nc, bucket, Config{})
		for i, err := range errs {
			if ttls[i] == s.Config().TTL && err != nil || ttls[i] != s.Config().TTL && !errors.Is(err, ErrSettings) {
				t.Fatalf("%s: Open with TTL %v of a bucket created with TTL %v: %v", bucket, ttls[i], s.Config().TTL, err)
			}
		}
	}
}

// A stored chunk whose bytes change (here: the last chunk's message is
// replaced by a copy with one byte flipped, so the chunks keep their
// order and count) makes Get and GetValue fail with ErrDigest, after a
// bounded number of attempts, instead of returning the changed bytes. The
// packet has no XXH3 footer and the flipped byte is tensor data: the
// changed packet still decodes, so only the store's digest can catch it.
func TestCorruptChunk(t *testing.T) {
	_, nc := natstest.Start(t, embedded.Options{})
	var retries int
	s := open(t, nc, "corrupt", Config{ChunkSize: 1024, OnRetry: func(err error) { retries++ }})
	ctx := ctxT(t, 30*time.Second)
	p := natstest.Encode(t, dense(3000, 5), tenso.Options{})
	if err := s.Put(ctx, "k", p); err != nil {
		t.Fatal(err)
	}
	info, err := s.obs.GetInfo(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if info.Chunks < 3 {
		t.Fatalf("%d chunks, want at least 3", info.Chunks)
	}
	subj := "$O.corrupt.C." + info.NUID
	last, err := s.stream.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(last.Data)
	bad[len(bad)/2] ^= 0x10
	corrupted := append(bytes.Clone(p[:len(p)-len(bad)]), bad...)
	if _, err := tenso.Decode(corrupted); err != nil {
		t.Fatalf("the corrupted packet does not decode (the test wants one only the digest catches): %v", err)
	}
	if err := s.stream.DeleteMsg(ctx, last.Sequence); err != nil {
		t.Fatal(err)
	}
	if _, err := s.js.Publish(ctx, subj, bad); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, err := s.Get(ctx, "k")
	t.Logf("Get of the corrupted value after %v, %d retries: %v", time.Since(start), retries, err)
	if err == nil {
		t.Fatalf("Get returned %d bytes of a corrupted value (equal to the corrupted packet: %v)", len(got), bytes.Equal(got, corrupted))
	}
	if !errors.Is(err, ErrDigest) || got != nil {
		t.Fatalf("Get of a corrupted value: %v (and %d bytes), want ErrDigest", err, len(got))
	}
	if retries != maxDigestRetries-1 {
		t.Fatalf("Get retried %d times, want %d", retries, maxDigestRetries-1)
	}
	if _, err := s.GetValue(ctx, "k"); !errors.Is(err, ErrDigest) {
		t.Fatalf("GetValue of a corrupted value: %v, want ErrDigest", err)
	}
	// A new Put replaces the value; Get is whole again.
	if err := s.Put(ctx, "k", p); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "k"); err != nil || !bytes.Equal(got, p) {
		t.Fatalf("Get after a new Put: %v", err)
	}
}
