// Package store keeps Tenso packets in a replicated JetStream object store
// bucket: Put, Get, Delete, List, Watch and Info, with a replica count (1
// on one server, 3 in a cluster) and an optional TTL. Tiered puts a
// shared-memory cache (package shm) in front of a Store as a local
// read-through tier.
//
// # Guarantees
//
//   - Put validates its input as exactly one packet (it must decode, its
//     XXH3 footer must match when it has one, no byte may follow it)
//     before anything is sent.
//   - Put returns only once JetStream has acknowledged every chunk and the
//     value's metadata: with Replicas > 1, a quorum of the replicas holds
//     it (JetStream acknowledges a write once it is committed by its Raft
//     group).
//   - A value becomes visible only when its metadata is written, after all
//     of its chunks are acknowledged and counted in the stream (chunks
//     carry message IDs, so one resent after a reconnect is dropped as a
//     duplicate): a Put interrupted by a disconnect leaves the previous
//     value (or none), never part of the new one. (The object store's own
//     Put publishes the metadata before its chunks are acknowledged; a
//     leader failover can then leave a value that fails its digest, which
//     is why Put does not use it.)
//   - Get reads the chunks straight into one 64-byte-aligned buffer of the
//     value's size (no second copy of the body), checks the store's SHA-256
//     digest and the packet itself (it must decode; XXH3 footer when
//     present), so GetValue's result is a zero-copy view of that buffer.
//   - Every operation retries failures the cluster recovers from (no
//     leader during an election, a server that went away, timeouts of one
//     attempt) until its context is done; ErrNotFound, ErrBadKey,
//     ErrSettings and bad packets are returned at once, a digest mismatch
//     after 3 attempts.
//
// # Bucket settings
//
// Open creates a missing bucket with its Config's Replicas, TTL, MaxBytes,
// Memory and Description, and never changes those of an existing bucket:
// a zero field takes the bucket's setting, a non-zero one that differs is
// ErrSettings (and the bucket stays as it is). Store.Config reports the
// settings the bucket has. Replicas > 1 on a server that is not in a
// cluster is ErrSettings too, at once.
//
// All values are stored in the object store, chunked (Config.ChunkSize),
// whatever their size: one mechanism gives every value the guarantees
// above, and a small value costs two messages (one chunk, its metadata).
package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/sysio"
)

// Defaults of Config.
const (
	DefaultAttemptTimeout = 15 * time.Second
	DefaultMaxValueBytes  = 4 << 30
)

// Errors. Match them with errors.Is.
var (
	// ErrNotFound: no value under that key (or it expired).
	ErrNotFound = errors.New("tenso/store: key not found")
	// ErrBadKey: an empty key or one that is not valid UTF-8.
	ErrBadKey = errors.New("tenso/store: key is empty or not valid UTF-8")
	// ErrBadPacket: Put of bytes that are not a valid packet (it wraps the
	// decode error too), or a stored value that is not one.
	ErrBadPacket = errors.New("tenso/store: not a valid Tenso packet")
	// ErrDigest: a value whose chunks do not match the store's SHA-256
	// digest or its recorded size.
	ErrDigest = errors.New("tenso/store: stored value does not match its digest or size")
	// ErrTooLarge: a stored value larger than Config.MaxValueBytes. It is
	// tenso.ErrTooLarge.
	ErrTooLarge = tenso.ErrTooLarge
	// ErrSettings: Open asked for bucket settings that cannot be had:
	// more than one replica on a server that is not in a cluster, or
	// settings other than those of the existing bucket (Open never
	// changes them).
	ErrSettings = errors.New("tenso/store: bucket settings not possible")
)

// Config configures a Store. Replicas, TTL, MaxBytes, Memory and
// Description are the bucket's settings: Open creates a missing bucket
// with them, and never changes those of an existing bucket (see Open).
// The other fields are this client's.
type Config struct {
	Replicas    int           // copies in the cluster (new bucket: default 1)
	TTL         time.Duration // values expire after this long (new bucket: 0 is never)
	ChunkSize   int           // object chunk size of this client's puts (0: the object store's default, 128 KiB)
	MaxBytes    int64         // size bound of the whole bucket (new bucket: 0 is unbounded)
	Memory      bool          // memory storage instead of files
	Description string        // a new bucket's description
	// MaxValueBytes bounds what Get allocates for one value (default
	// DefaultMaxValueBytes); larger stored values are ErrTooLarge.
	MaxValueBytes int64
	// Limits are the decoder limits of the packet checks (tenso's defaults
	// with MaxBytes raised to MaxValueBytes when zero).
	Limits tenso.Limits
	// AttemptTimeout bounds one attempt of an operation (default
	// DefaultAttemptTimeout); a failed attempt is retried until the
	// operation's context is done.
	AttemptTimeout time.Duration
	// OnRetry, if set, is called with the error of each failed attempt
	// that is retried.
	OnRetry func(err error)
}

// Store is a bucket of packets. It is safe for concurrent use.
type Store struct {
	name   string
	js     jetstream.JetStream
	obs    jetstream.ObjectStore
	stream jetstream.Stream
	cfg    Config
}

// Open opens bucket, creating it with c's settings if it does not exist
// (its name: letters, digits, '-' and '_').
//
// An existing bucket is used as it is: Open never changes its settings
// (another client's Open with a zero Config must not turn an R3 bucket
// into R1 or drop its TTL). A zero Replicas, TTL or MaxBytes, and Memory
// false, take the bucket's; a non-zero one that differs from the bucket's
// (Memory true on a file bucket) is ErrSettings, naming both, as a caller
// that asks for three replicas must not silently get one. Description is
// only used for a new bucket. Store.Config reports the bucket's settings.
func Open(ctx context.Context, js jetstream.JetStream, bucket string, c Config) (*Store, error) {
	if c.MaxValueBytes <= 0 {
		c.MaxValueBytes = DefaultMaxValueBytes
	}
	if c.Limits.MaxBytes == 0 {
		c.Limits.MaxBytes = c.MaxValueBytes
	}
	if c.Limits.MaxDecodedBytes == 0 {
		c.Limits.MaxDecodedBytes = 2 * c.MaxValueBytes
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.TTL < 0 || c.Replicas < 0 || c.ChunkSize < 0 {
		return nil, fmt.Errorf("tenso/store: %w: negative TTL, replica count or chunk size", tenso.ErrInvalid)
	}
	oc := jetstream.ObjectStoreConfig{Bucket: bucket, Description: c.Description, TTL: c.TTL,
		MaxBytes: c.MaxBytes, Replicas: max(c.Replicas, 1), Storage: jetstream.FileStorage}
	if oc.MaxBytes == 0 {
		oc.MaxBytes = -1
	}
	if c.Memory {
		oc.Storage = jetstream.MemoryStorage
	}
	s := &Store{name: bucket, js: js, cfg: c}
	err := s.retry(ctx, func(ctx context.Context) error {
		obs, err := js.ObjectStore(ctx, bucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			// Created with the same settings by another client meanwhile:
			// JetStream accepts it; with other settings it is
			// ErrBucketExists, and the next attempt opens that bucket.
			obs, err = js.CreateObjectStore(ctx, oc)
			err = replicasError(js.Conn(), oc.Replicas, err)
		}
		if err != nil {
			return err
		}
		str, err := js.Stream(ctx, "OBJ_"+bucket)
		if err != nil {
			return err
		}
		cfg, err := bucketSettings(c, str.CachedInfo().Config)
		if err != nil {
			return err
		}
		s.obs, s.stream, s.cfg = obs, str, cfg
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tenso/store: opening bucket %q: %w", bucket, err)
	}
	return s, nil
}

// bucketSettings returns c with the bucket's settings, from its stream's
// configuration sc, or ErrSettings naming each non-zero setting of c that
// differs from the bucket's.
func bucketSettings(c Config, sc jetstream.StreamConfig) (Config, error) {
	var diff []string
	replicas := max(sc.Replicas, 1)
	if c.Replicas != 0 && c.Replicas != replicas {
		diff = append(diff, fmt.Sprintf("Replicas %d (the bucket has %d)", c.Replicas, replicas))
	}
	if c.TTL != 0 && c.TTL != sc.MaxAge {
		diff = append(diff, fmt.Sprintf("TTL %v (the bucket has %v)", c.TTL, sc.MaxAge))
	}
	maxBytes := max(sc.MaxBytes, 0)
	if c.MaxBytes > 0 && c.MaxBytes != maxBytes {
		diff = append(diff, fmt.Sprintf("MaxBytes %d (the bucket has %d; 0: unbounded)", c.MaxBytes, maxBytes))
	}
	memory := sc.Storage == jetstream.MemoryStorage
	if c.Memory && !memory {
		diff = append(diff, "Memory storage (the bucket is stored in files)")
	}
	if diff != nil {
		return Config{}, fmt.Errorf("%w: asked %s: an existing bucket keeps its settings (leave a field zero to take the bucket's)",
			ErrSettings, strings.Join(diff, ", "))
	}
	c.Replicas, c.TTL, c.MaxBytes, c.Memory, c.Description = replicas, sc.MaxAge, maxBytes, memory, sc.Description
	return c, nil
}

// jsErrReplicasNotSupported is JetStream's error code for a stream of
// more than one replica on a server that is not in a cluster
// (JSStreamReplicasNotSupportedErr).
const jsErrReplicasNotSupported jetstream.ErrorCode = 10074

// replicasError turns JetStream's refusal of replicas > 1 on a server
// that is not in a cluster into ErrSettings naming the replica count and
// the server, as another attempt would get the same answer; other errors
// are returned as they are.
func replicasError(nc *nats.Conn, replicas int, err error) error {
	var ae *jetstream.APIError
	if !errors.As(err, &ae) || ae.ErrorCode != jsErrReplicasNotSupported {
		return err
	}
	return fmt.Errorf("%w: %d replicas asked, but server %q (%s) is not clustered (JetStream in single-server mode keeps 1 replica): use Replicas 1 or connect to a cluster (%w)",
		ErrSettings, replicas, nc.ConnectedServerName(), nc.ConnectedUrlRedacted(), err)
}

// Config returns the store's configuration: the bucket's settings as the
// bucket has them (Replicas, TTL, MaxBytes, Memory, Description: those of
// an existing bucket, whatever Open was given) and this client's, with
// their defaults.
func (s *Store) Config() Config { return s.cfg }

// Name returns the bucket's name.
func (s *Store) Name() string { return s.name }

// ObjectStore returns the underlying JetStream object store.
func (s *Store) ObjectStore() jetstream.ObjectStore { return s.obs }

func checkKey(key string) error {
	if key == "" || !utf8.ValidString(key) {
		return fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	return nil
}

// permanent reports errors that another attempt would not change.
func permanent(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrBadKey) || errors.Is(err, ErrBadPacket) ||
		errors.Is(err, ErrTooLarge) || errors.Is(err, tenso.ErrInvalid) || errors.Is(err, ErrSettings) ||
		errors.Is(err, jetstream.ErrInvalidStoreName) || errors.Is(err, jetstream.ErrInvalidBucketName) ||
		errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrBadObjectMeta) ||
		errors.Is(err, context.Canceled)
}

// retry runs op, each attempt under AttemptTimeout, until it succeeds,
// fails permanently or ctx is done (then the last attempt's error is
// returned, with ctx's).
func (s *Store) retry(ctx context.Context, op func(context.Context) error) error {
	wait := 20 * time.Millisecond
	digest := 0
	for {
		err := s.attempt(ctx, op)
		if err == nil || permanent(err) {
			return err
		}
		if errors.Is(err, ErrDigest) {
			// A Put replacing the value may be under way; a value that
			// stays corrupt is reported, not retried until the deadline.
			if digest++; digest == maxDigestRetries {
				return err
			}
		}
		if s.cfg.OnRetry != nil {
			s.cfg.OnRetry(err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (gave up: %w)", err, context.Cause(ctx))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up: %w)", err, context.Cause(ctx))
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
	}
}

// attempt runs op once under AttemptTimeout, cancelled early if the
// connection is closed (the client's own waits would last until the
// timeout).
func (s *Store) attempt(ctx context.Context, op func(context.Context) error) error {
	actx, cancel := context.WithTimeoutCause(ctx, s.cfg.AttemptTimeout, errAttempt)
	defer cancel()
	cctx, ccancel := context.WithCancelCause(actx)
	defer ccancel(nil)
	nc := s.js.Conn()
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-cctx.Done():
				return
			case <-t.C:
				if nc.IsClosed() {
					ccancel(nats.ErrConnectionClosed)
					return
				}
			}
		}
	}()
	err := op(cctx)
	if err != nil && errors.Is(context.Cause(cctx), nats.ErrConnectionClosed) {
		return fmt.Errorf("%w (%w)", nats.ErrConnectionClosed, err)
	}
	return err
}

// maxDigestRetries bounds the attempts of a read that sees a digest
// mismatch.
const maxDigestRetries = 3

var errAttempt = errors.New("tenso/store: attempt timed out")

func notFound(key string, err error) error {
	if errors.Is(err, jetstream.ErrObjectNotFound) || errors.Is(err, jetstream.ErrNoObjectsFound) {
		return fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return err
}

// decodeOne decodes p, which must be exactly one packet (tenso.DecodeExact:
// Decode ignores bytes after an uncompressed packet). Errors wrap
// ErrBadPacket.
func (s *Store) decodeOne(p []byte) (tenso.Value, error) {
	v, err := tenso.DecodeExact(p, s.cfg.Limits)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPacket, err)
	}
	return v, nil
}

// Put stores packet under key once it has checked that it is exactly one
// valid packet (ErrBadPacket otherwise: bytes after the packet too); it
// returns after the replicas have acknowledged it.
func (s *Store) Put(ctx context.Context, key string, packet []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if _, err := s.decodeOne(packet); err != nil {
		return err
	}
	return s.put(ctx, key, [][]byte{packet}, int64(len(packet)))
}

// PutValue encodes v with o and stores it. The packet is streamed from
// tenso.Segments: tensor bodies are not copied into a packet first.
func (s *Store) PutValue(ctx context.Context, key string, v tenso.Value, o tenso.Options) error {
	if err := checkKey(key); err != nil {
		return err
	}
	bufs, total, err := tenso.Segments(v, o)
	if err != nil {
		return err
	}
	return s.put(ctx, key, bufs, total)
}

func (s *Store) put(ctx context.Context, key string, bufs [][]byte, total int64) error {
	if total > s.cfg.MaxValueBytes {
		return fmt.Errorf("%w: packet of %d bytes, the store's MaxValueBytes is %d", ErrTooLarge, total, s.cfg.MaxValueBytes)
	}
	return s.retry(ctx, func(ctx context.Context) error {
		return s.putOnce(ctx, key, &segReader{bufs: slices.Clone(bufs)})
	})
}

// putOnce is one attempt of Put, in the object store's layout (chunks on
// $O.BUCKET.C.NUID, then the metadata on $O.BUCKET.M.NAME, which readers
// of the object store understand) but in an order that never exposes a
// torn value: every chunk is published with a message ID (JetStream drops
// a chunk resent after a reconnect as a duplicate) and acknowledged, the
// chunk count stored under the new NUID is checked against what was sent,
// and only then is the metadata written, synchronously. A failed attempt
// purges its chunks; the previous value's chunks are purged after the
// metadata is replaced.
func (s *Store) putOnce(ctx context.Context, key string, r io.Reader) error {
	old, err := s.obs.GetInfo(ctx, key, jetstream.GetObjectInfoShowDeleted())
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return err
	}
	var mu sync.Mutex
	var perr error
	pub, err := jetstream.New(s.js.Conn(), jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, _ *nats.Msg, err error) {
		mu.Lock()
		perr = cmp.Or(perr, err)
		mu.Unlock()
	}), jetstream.WithPublishAsyncMaxPending(256))
	if err != nil {
		return err
	}
	id := nuid.Next()
	chunkSubj := "$O." + s.name + ".C." + id
	purge := func() {
		select {
		case <-pub.PublishAsyncComplete():
		case <-ctx.Done():
		}
		pctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.stream.Purge(pctx, jetstream.WithPurgeSubject(chunkSubj))
	}
	size := s.cfg.ChunkSize
	if size <= 0 {
		size = defaultChunkSize
	}
	chunk := make([]byte, size)
	h := sha256.New()
	var sent, total int
	var acks []jetstream.PubAckFuture
	for {
		n, rerr := io.ReadFull(r, chunk)
		if n > 0 {
			m := nats.NewMsg(chunkSubj)
			m.Data = chunk[:n]
			m.Header.Set(jetstream.MsgIDHeader, id+"."+strconv.Itoa(sent))
			h.Write(m.Data)
			// No client-side resend: nats.go resends a chunk that met no
			// responders (a leader election) 250 ms later, after the
			// chunks behind it, and the stream would hold them out of
			// order with the right count. A lost chunk fails the attempt.
			f, err := pub.PublishMsgAsync(m, jetstream.WithRetryAttempts(0))
			if err != nil {
				purge()
				return err
			}
			acks = append(acks, f)
			sent++
			total += n
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			purge()
			return rerr
		}
	}
	select {
	case <-pub.PublishAsyncComplete():
	case <-ctx.Done():
		purge()
		return fmt.Errorf("tenso/store: chunks of %q not acknowledged: %w", key, context.Cause(ctx))
	}
	mu.Lock()
	err = perr
	mu.Unlock()
	if err != nil {
		purge()
		return err
	}
	if err := inOrder(acks); err != nil {
		purge()
		return fmt.Errorf("%w: %q: %w (retrying)", errTorn, key, err)
	}
	si, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(chunkSubj))
	if err != nil {
		purge()
		return err
	}
	if got := si.State.Subjects[chunkSubj]; got != uint64(sent) {
		purge()
		return fmt.Errorf("%w: %q: %d chunks stored, %d sent (retrying)", errTorn, key, got, sent)
	}
	info := jetstream.ObjectInfo{
		ObjectMeta: jetstream.ObjectMeta{Name: key, Opts: &jetstream.ObjectMetaOptions{ChunkSize: uint32(size)}},
		Bucket:     s.name, NUID: id, Size: uint64(total), ModTime: time.Now().UTC(), Chunks: uint32(sent),
		Digest: jetstream.GetObjectDigestValue(h),
	}
	mm := nats.NewMsg("$O." + s.name + ".M." + base64.URLEncoding.EncodeToString([]byte(key)))
	mm.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	if mm.Data, err = json.Marshal(info); err != nil {
		purge()
		return err
	}
	if _, err := s.js.PublishMsg(ctx, mm); err != nil {
		// The metadata may or may not be stored: keep the chunks (the
		// retry replaces the metadata and purges what it pointed to).
		return err
	}
	if old != nil && old.NUID != "" {
		_ = s.stream.Purge(ctx, jetstream.WithPurgeSubject("$O."+s.name+".C."+old.NUID))
	}
	return nil
}

// inOrder checks that the stream stored the chunks in the order they were
// sent (their acknowledged sequences rise): readers assemble a value in
// stream order, so chunks stored out of order would be a torn value with
// the right chunk count. acks have all completed.
func inOrder(acks []jetstream.PubAckFuture) error {
	var last uint64
	for i, f := range acks {
		var seq uint64
		select {
		case a := <-f.Ok():
			seq = a.Sequence
		case err := <-f.Err():
			return fmt.Errorf("chunk %d: %w", i, err)
		default:
			return fmt.Errorf("chunk %d not acknowledged", i)
		}
		if seq <= last {
			return fmt.Errorf("chunk %d stored at sequence %d, after chunk %d's %d", i, seq, i-1, last)
		}
		last = seq
	}
	return nil
}

// defaultChunkSize is the object store's default chunk size.
const defaultChunkSize = 128 << 10

// errTorn: the chunks stored under an attempt's NUID are not those sent.
var errTorn = errors.New("tenso/store: chunks stored do not match those sent")

// segReader reads a list of buffers in order.
type segReader struct{ bufs [][]byte }

func (r *segReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(r.bufs) > 0 {
		m := copy(p[n:], r.bufs[0])
		n += m
		if r.bufs[0] = r.bufs[0][m:]; len(r.bufs[0]) == 0 {
			r.bufs = r.bufs[1:]
		}
	}
	if n == 0 && len(r.bufs) == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Get returns the packet stored under key: its exact bytes, in one
// 64-byte-aligned buffer that belongs to the caller. The value is checked
// against the store's digest and as a packet.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	p, _, err := s.get(ctx, key)
	return p, err
}

// GetValue is Get decoded: the value is a zero-copy view of the packet's
// buffer (and stays valid as long as it is referenced).
func (s *Store) GetValue(ctx context.Context, key string) (tenso.Value, error) {
	_, v, err := s.get(ctx, key)
	return v, err
}

func (s *Store) get(ctx context.Context, key string) ([]byte, tenso.Value, error) {
	if err := checkKey(key); err != nil {
		return nil, nil, err
	}
	var p []byte
	err := s.retry(ctx, func(ctx context.Context) (err error) {
		p, err = s.read(ctx, key)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	v, err := s.decodeOne(p)
	if err != nil {
		return nil, nil, fmt.Errorf("stored value %q: %w", key, err)
	}
	return p, v, nil
}

// read is one attempt of Get: the chunks in order into one aligned buffer
// of the size the metadata records, then the digest check (at EOF).
func (s *Store) read(ctx context.Context, key string) ([]byte, error) {
	res, err := s.obs.Get(ctx, key)
	if err != nil {
		return nil, notFound(key, err)
	}
	defer res.Close()
	info, err := res.Info()
	if err != nil {
		return nil, err
	}
	if info.Size > uint64(s.cfg.MaxValueBytes) {
		return nil, fmt.Errorf("%w: stored value %q is %d bytes, the store's MaxValueBytes is %d", ErrTooLarge, key, info.Size, s.cfg.MaxValueBytes)
	}
	n := int(info.Size)
	buf := sysio.AlignedBytes(n, n)
	if n == 0 {
		return nil, fmt.Errorf("%w: stored value %q is empty", ErrBadPacket, key)
	}
	if m, err := io.ReadFull(res, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: %q: %d of %d bytes", ErrDigest, key, m, n)
		}
		if errors.Is(err, jetstream.ErrDigestMismatch) {
			return nil, fmt.Errorf("%w: %q: %w", ErrDigest, key, err)
		}
		return nil, err
	}
	var one [1]byte
	switch m, err := res.Read(one[:]); {
	case m > 0:
		return nil, fmt.Errorf("%w: %q: more than the recorded %d bytes", ErrDigest, key, n)
	case errors.Is(err, jetstream.ErrDigestMismatch):
		return nil, fmt.Errorf("%w: %q: %w", ErrDigest, key, err)
	case err != nil && err != io.EOF:
		return nil, err
	}
	return buf, nil
}

// Delete removes the value under key. A missing key (never put, deleted
// or expired) is ErrNotFound.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	found := false
	return s.retry(ctx, func(ctx context.Context) error {
		// The object store's Delete of a key already deleted rewrites its
		// delete marker and returns nil: the key must be there first. Once
		// an attempt saw it, a retry deletes again (that completes a
		// Delete cut after its marker, purging the chunks) instead of
		// reporting the key its own marker removed as missing.
		if !found {
			if _, err := s.obs.GetInfo(ctx, key); err != nil {
				return notFound(key, err)
			}
			found = true
		}
		return notFound(key, s.obs.Delete(ctx, key))
	})
}

// Info describes a stored value.
type Info struct {
	Key      string
	Size     int64     // packet bytes
	Chunks   int       // chunks it is stored in
	Digest   string    // the store's digest ("SHA-256=…")
	Modified time.Time // when it was put
}

func infoOf(o *jetstream.ObjectInfo) Info {
	return Info{Key: o.Name, Size: int64(o.Size), Chunks: int(o.Chunks), Digest: o.Digest, Modified: o.ModTime}
}

// Info describes the value under key without reading it.
func (s *Store) Info(ctx context.Context, key string) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	var out Info
	err := s.retry(ctx, func(ctx context.Context) error {
		o, err := s.obs.GetInfo(ctx, key)
		if err != nil {
			return notFound(key, err)
		}
		out = infoOf(o)
		return nil
	})
	return out, err
}

// List returns the stored values (none is an empty list, not an error).
func (s *Store) List(ctx context.Context) ([]Info, error) {
	var out []Info
	err := s.retry(ctx, func(ctx context.Context) error {
		l, err := s.obs.List(ctx)
		if errors.Is(err, jetstream.ErrNoObjectsFound) {
			out = nil
			return nil
		}
		if err != nil {
			return err
		}
		out = make([]Info, len(l))
		for i, o := range l {
			out[i] = infoOf(o)
		}
		return nil
	})
	return out, err
}

// Op is what happened to a key.
type Op uint8

// Operations of Events.
const (
	OpPut Op = iota + 1
	OpDelete
)

func (o Op) String() string {
	switch o {
	case OpPut:
		return "put"
	case OpDelete:
		return "delete"
	}
	return "?"
}

// Event is one change of the bucket.
type Event struct {
	Key  string
	Op   Op
	Info Info
}

// Watch sends each change of the bucket (from now on) on the returned
// channel until ctx is done, then closes it. Delivery is in the order the
// bucket recorded the changes; a slow receiver holds back the watch (it is
// not dropped). The bucket keeps one metadata message per key, so a change
// replaced before the watch delivered it (a Put followed at once by a
// Delete or another Put of the key) may be skipped: the key's latest
// change is always delivered.
func (s *Store) Watch(ctx context.Context) (<-chan Event, error) {
	var w jetstream.ObjectWatcher
	err := s.retry(ctx, func(actx context.Context) (err error) {
		w, err = s.obs.Watch(ctx, jetstream.UpdatesOnly())
		return err
	})
	if err != nil {
		return nil, err
	}
	ch := make(chan Event, 64)
	go func() {
		defer close(ch)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case o, ok := <-w.Updates():
				if !ok {
					return
				}
				if o == nil {
					continue
				}
				e := Event{Key: o.Name, Op: OpPut, Info: infoOf(o)}
				if o.Deleted {
					e.Op = OpDelete
				}
				select {
				case ch <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}
