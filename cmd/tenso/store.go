package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/tenso-go/tenso/native/tensonats/store"
)

func init() {
	register("store", "put, get, list and remove packets in a replicated JetStream bucket (put|get|ls|rm)", runStore)
}

// storeVerbs are the subcommands of `tenso store`.
var storeVerbs = map[string]func(args []string) int{
	"put": storePut,
	"get": storeGet,
	"ls":  storeLs,
	"rm":  storeRm,
}

const storeSynopsis = "put|get|ls|rm [-nats URLS] ...\n\n" +
	"  tenso store put [-nats URLS] [-replicas N] [-ttl DURATION] BUCKET KEY FILE\n" +
	"  tenso store get [-nats URLS] BUCKET KEY [-o OUT]\n" +
	"  tenso store ls  [-nats URLS] [-l] BUCKET\n" +
	"  tenso store rm  [-nats URLS] BUCKET KEY"

func runStore(args []string) int {
	if len(args) > 0 {
		if fn, ok := storeVerbs[args[0]]; ok {
			return fn(args[1:])
		}
	}
	fs := newFlags("store", storeSynopsis,
		"Keeps packets in a JetStream object-store bucket, on `tenso nats-server` or any\n"+
			"NATS cluster with JetStream (-nats, default "+defaultNATS+"). A value is\n"+
			"stored whole or not at all; put returns once the replicas hold it; get checks\n"+
			"the store's digest and the packet. `tenso store VERB -h` describes each verb.")
	pos, status, ok := parseArgs(fs, args)
	if !ok {
		return status
	}
	if len(pos) == 0 {
		return badUsage(fs, "store: name a verb: put, get, ls or rm")
	}
	return badUsage(fs, fmt.Sprintf("store: unknown verb %q (want put, get, ls or rm)", pos[0]))
}

// storeCmd is what every store verb shares: its flags, the operand count,
// the connection and the bucket.
type storeCmd struct {
	fs   *flag.FlagSet
	nats natsFlags
}

func newStoreCmd(verb, synopsis, description string) *storeCmd {
	fs := newFlags("store "+verb, synopsis, description)
	return &storeCmd{fs: fs, nats: addNATSFlags(fs, "how long the command may take, retries during a leader election included")}
}

// parse parses args and checks that there are n operands named by what.
func (c *storeCmd) parse(args []string, what ...string) ([]string, []string, int, bool) {
	pos, status, ok := parseArgs(c.fs, args)
	if !ok {
		return nil, nil, status, false
	}
	if len(pos) != len(what) {
		return nil, nil, badUsage(c.fs, fmt.Sprintf("%s: want %s, got %s", c.fs.Name(), strings.Join(what, " "), count(len(pos), "operand"))), false
	}
	urls, err := c.nats.servers()
	if err != nil {
		return nil, nil, badUsage(c.fs, c.fs.Name()+": "+err.Error()), false
	}
	return pos, urls, 0, true
}

// bucketMode says how open treats a bucket that does not exist yet, and
// which of the bucket's settings the command sets.
type bucketMode struct {
	create      bool // put: create it; the others: a missing bucket is an error
	setReplicas bool
	setTTL      bool
	replicas    int
	ttl         time.Duration
}

// open connects and opens bucket. store.Open never changes an existing
// bucket: only the settings the command was given are passed (a zero field
// takes the bucket's), and one that differs from the bucket's is
// store.ErrSettings. Verbs other than put never create a bucket.
// lookup returns the status of bucket's object store, retrying what a
// cluster recovers from (no JetStream leader yet or during an election,
// an attempt timing out: each attempt is bounded by 5 s) until ctx is
// done; a missing bucket or a bad name is returned at once.
func lookup(ctx context.Context, js jetstream.JetStream, bucket string) (jetstream.ObjectStoreStatus, error) {
	wait := 50 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		obs, err := js.ObjectStore(actx, bucket)
		var st jetstream.ObjectStoreStatus
		if err == nil {
			st, err = obs.Status(actx)
		}
		cancel()
		if err == nil || errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrInvalidStoreName) || ctx.Err() != nil {
			return st, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

func (c *storeCmd) open(ctx context.Context, urls []string, bucket string, m bucketMode) (*store.Store, func(), error) {
	nc, err := c.nats.connect(urls, "tenso "+c.fs.Name())
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	var cfg store.Config
	if m.setReplicas {
		cfg.Replicas = m.replicas
	}
	if m.setTTL {
		cfg.TTL = m.ttl
	}
	_, err = lookup(ctx, js, bucket)
	switch {
	case errors.Is(err, jetstream.ErrBucketNotFound) && m.create:
	case errors.Is(err, jetstream.ErrBucketNotFound):
		nc.Close()
		return nil, nil, fmt.Errorf("bucket %q not found", bucket)
	case errors.Is(err, jetstream.ErrInvalidStoreName):
		nc.Close()
		return nil, nil, fmt.Errorf("bucket %q: a bucket name is letters, digits, '-' and '_'", bucket)
	case err != nil:
		nc.Close()
		return nil, nil, fmt.Errorf("bucket %q: %w", bucket, err)
	}
	s, err := store.Open(ctx, js, bucket, cfg)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return s, nc.Close, nil
}

// withBucket connects, opens bucket (under -timeout) and runs fn on it;
// an error of either is the command's one error line.
func (c *storeCmd) withBucket(urls []string, bucket string, m bucketMode, fn func(ctx context.Context, s *store.Store) int) int {
	ctx, cancel := context.WithTimeout(context.Background(), *c.nats.timeout)
	defer cancel()
	s, closeConn, err := c.open(ctx, urls, bucket, m)
	if err != nil {
		return fail(err)
	}
	defer closeConn()
	return fn(ctx, s)
}

func storePut(args []string) int {
	c := newStoreCmd("put", "[-nats URLS] [-replicas N] [-ttl DURATION] BUCKET KEY FILE",
		"Stores the packet in FILE (\"-\": stdin) under KEY in BUCKET, creating the bucket\n"+
			"if needed. FILE is checked first: a file that is not one valid packet exits 1\n"+
			"and nothing is stored. Exits 0 only once the bucket's replicas have\n"+
			"acknowledged the whole value; an interrupted put leaves the previous value.")
	replicas := c.fs.Int("replicas", 1, "copies in the cluster (1 to 5) of a bucket this put creates; an existing bucket keeps its own (another count is an error)")
	ttl := c.fs.Duration("ttl", 0, "values of a bucket this put creates expire after this long (0: never); an existing bucket keeps its own (another TTL is an error)")
	pos, urls, status, ok := c.parse(args, "BUCKET", "KEY", "FILE")
	if !ok {
		return status
	}
	set := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *replicas < 1 || *replicas > 5 {
		return badUsage(c.fs, fmt.Sprintf("store put: -replicas %d: want 1 to 5", *replicas))
	}
	if *ttl < 0 {
		return badUsage(c.fs, fmt.Sprintf("store put: -ttl %v: want a duration of 0 or more", *ttl))
	}
	bucket, key, file := pos[0], pos[1], pos[2]
	packet, err := readPacket(file)
	if err != nil {
		return fail(err) // before connecting: nothing is stored
	}
	m := bucketMode{create: true, setReplicas: set["replicas"], setTTL: set["ttl"], replicas: *replicas, ttl: *ttl}
	return c.withBucket(urls, bucket, m, func(ctx context.Context, s *store.Store) int {
		if err := s.Put(ctx, key, packet); err != nil {
			return fail(fmt.Errorf("put %s/%s: %w", bucket, key, err))
		}
		fmt.Printf("%s/%s: %s stored\n", bucket, key, count(len(packet), "byte"))
		return 0
	})
}

func storeGet(args []string) int {
	c := newStoreCmd("get", "[-nats URLS] BUCKET KEY [-o OUT]",
		"Writes the packet stored under KEY in BUCKET, byte for byte, to OUT (default\n"+
			"\"-\": stdout) after checking the store's digest and the packet. A missing key\n"+
			"exits 1; OUT is then left as it was.")
	out := c.fs.String("o", "-", "write the packet to this file (\"-\": stdout)")
	pos, urls, status, ok := c.parse(args, "BUCKET", "KEY")
	if !ok {
		return status
	}
	bucket, key := pos[0], pos[1]
	return c.withBucket(urls, bucket, bucketMode{}, func(ctx context.Context, s *store.Store) int {
		p, err := s.Get(ctx, key)
		if err != nil {
			return fail(keyError("get", bucket, key, err))
		}
		if *out == "-" {
			if _, err := os.Stdout.Write(p); err != nil {
				return fail(err)
			}
			return 0
		}
		if err := os.WriteFile(*out, p, 0o644); err != nil {
			return fail(fileError(*out, err))
		}
		return 0
	})
}

// keyError names the verb and BUCKET/KEY in err; a missing key is "no
// such key".
func keyError(verb, bucket, key string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s %s/%s: no such key", verb, bucket, key)
	}
	return fmt.Errorf("%s %s/%s: %w", verb, bucket, key, err)
}

func storeLs(args []string) int {
	c := newStoreCmd("ls", "[-nats URLS] [-l] BUCKET",
		"Lists the keys of BUCKET, one a line, in order; -l adds each value's size in\n"+
			"bytes, chunk count and time of the put (RFC 3339, UTC).")
	long := c.fs.Bool("l", false, "long format: KEY SIZE CHUNKS MODIFIED, tab-separated")
	pos, urls, status, ok := c.parse(args, "BUCKET")
	if !ok {
		return status
	}
	return c.withBucket(urls, pos[0], bucketMode{}, func(ctx context.Context, s *store.Store) int {
		infos, err := s.List(ctx)
		if err != nil {
			return fail(fmt.Errorf("ls %s: %w", pos[0], err))
		}
		w := bufio.NewWriter(os.Stdout)
		for _, in := range sortedInfos(infos) {
			if *long {
				fmt.Fprintf(w, "%s\t%d\t%d\t%s\n", in.Key, in.Size, in.Chunks, in.Modified.UTC().Format(time.RFC3339))
			} else {
				io.WriteString(w, in.Key+"\n")
			}
		}
		if err := w.Flush(); err != nil {
			return fail(err)
		}
		return 0
	})
}

func sortedInfos(in []store.Info) []store.Info {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b store.Info) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func storeRm(args []string) int {
	c := newStoreCmd("rm", "[-nats URLS] BUCKET KEY",
		"Removes the value under KEY from BUCKET. A missing key exits 1.")
	pos, urls, status, ok := c.parse(args, "BUCKET", "KEY")
	if !ok {
		return status
	}
	bucket, key := pos[0], pos[1]
	return c.withBucket(urls, bucket, bucketMode{}, func(ctx context.Context, s *store.Store) int {
		if err := s.Delete(ctx, key); err != nil { // a missing key is store.ErrNotFound
			return fail(keyError("rm", bucket, key, err))
		}
		return 0
	})
}
