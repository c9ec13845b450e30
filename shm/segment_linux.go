//go:build linux

package shm

import (
	"fmt"

	"golang.org/x/sys/unix"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/sysio"
)

// Create creates a new segment of size bytes, exactly as Python's
// SharedMemory(name, create=True, size=size): /dev/shm/<name> with
// O_CREAT|O_EXCL, mode 0600, ftruncate(size). An empty name generates one
// of Python's form ("psm_" + 8 hex digits); Name reports it.
func Create(name string, size int64) (*Segment, error) {
	f, name, err := createFile(name, size)
	if err != nil {
		return nil, err
	}
	data, err := mapFile(f, size)
	if err != nil {
		f.Close()
		unix.Unlink(shmDir + name)
		return nil, err
	}
	return &Segment{name: name, f: f, data: data}, nil
}

// CreateFrom creates a segment sized to exactly the packet of v and writes
// the packet into it. Sizing it exactly is what lets a Python reader, which
// takes the whole segment as the packet, read compressed packets too.
func CreateFrom(name string, v tenso.Value, o tenso.Options) (*Segment, error) {
	bufs, total, err := tenso.Segments(v, o)
	if err != nil {
		return nil, err
	}
	s, err := Create(name, total)
	if err != nil {
		return nil, err
	}
	copyBufs(s.data, bufs)
	return s, nil
}

// Open attaches to an existing segment and maps its full current size.
func Open(name string) (*Segment, error) {
	f, size, err := openFile(name)
	if err != nil {
		return nil, err
	}
	if size == 0 {
		f.Close()
		return nil, fmt.Errorf("%w: segment %q is empty (0 bytes)", tenso.ErrCorrupt, name)
	}
	data, err := mapFile(f, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Segment{name: name, f: f, data: data}, nil
}

// alignedCopy copies p (always: segment memory goes away at Close) to a
// 64-byte aligned buffer, so that bodies keep the alignment they had in
// the segment (typed views stay zero-copy).
func alignedCopy(p []byte) []byte {
	b := sysio.AlignedBytes(len(p), 0)
	copy(b, p)
	return b
}

func copyBufs(dst []byte, bufs [][]byte) int {
	n := 0
	for _, b := range bufs {
		n += copy(dst[n:], b)
	}
	return n
}

// Name returns the segment's name (without the leading '/').
func (s *Segment) Name() string { return s.name }

// Size returns the mapped size in bytes.
func (s *Segment) Size() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.data)
}

// Bytes returns the whole mapped segment. It is valid until Close.
func (s *Segment) Bytes() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.data
}

// Put writes the packet of v at offset 0 and returns its length. The bytes
// after the packet are left alone (uncompressed packets ignore them). A
// top-level compressed dense packet is accepted only if it fills the
// segment exactly (else tenso.ErrUnframed: a Python reader would take the
// slack for part of the LZ4 body); use CreateFrom for those. A packet larger
// than the segment is ErrTooLarge; nothing is written then.
func (s *Segment) Put(v tenso.Value, o tenso.Options) (n int, err error) {
	bufs, total, err := tenso.Segments(v, o)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		return 0, ErrClosed
	}
	if total > int64(len(s.data)) {
		return 0, fmt.Errorf("%w: packet of %d bytes does not fit segment %q of %d bytes", ErrTooLarge, total, s.name, len(s.data))
	}
	if t, ok := v.(*tenso.Tensor); ok && t != nil && o.Compress && total != int64(len(s.data)) {
		return 0, fmt.Errorf("%w: a compressed dense packet of %d bytes in segment %q of %d bytes (use CreateFrom, or put it in a bundle)", tenso.ErrUnframed, total, s.name, len(s.data))
	}
	defer guard(&err)()
	return copyBufs(s.data, bufs), nil
}

// packet returns the exact packet at offset 0, delimited by its own framing
// (never by the segment size), bounded by the segment's current size.
func (s *Segment) packet(l tenso.Limits) ([]byte, error) {
	if s.data == nil {
		return nil, ErrClosed
	}
	data := s.data
	// Another process may have shrunk the segment since we mapped it:
	// never look past its current end.
	if st, err := s.f.Stat(); err == nil && st.Size() < int64(len(data)) {
		if st.Size() < 0 {
			return nil, fmt.Errorf("%w: segment %q shrank to %d bytes", tenso.ErrCorrupt, s.name, st.Size())
		}
		data = data[:st.Size()]
	}
	if len(data) < 8 {
		return nil, fmt.Errorf("%w: segment %q holds %d bytes, less than a packet header", tenso.ErrCorrupt, s.name, len(data))
	}
	n, err := tenso.PacketLen(data, l)
	if err != nil {
		return nil, fmt.Errorf("segment %q: %w", s.name, err)
	}
	return data[:n], nil
}

// Get decodes the packet in the segment without copying: tensor data are
// views into the shared memory, valid until Close, and they change when any
// process Puts into the segment. The packet's length comes from its own
// framing (FORMAT.md §18); a segment smaller than a header or a packet that
// runs past the segment is tenso.ErrCorrupt.
func (s *Segment) Get() (tenso.Value, error) { return s.GetWith(tenso.Limits{}) }

// GetWith is Get under explicit decoding limits.
func (s *Segment) GetWith(l tenso.Limits) (v tenso.Value, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	defer guard(&err)()
	p, err := s.packet(l)
	if err != nil {
		return nil, err
	}
	return tenso.DecodeWith(p, l)
}

// GetCopy is Get on a private copy of the packet: the result stays valid
// after Close and does not change when the segment is rewritten.
func (s *Segment) GetCopy() (v tenso.Value, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var cp []byte
	err = func() (err error) {
		defer guard(&err)()
		p, err := s.packet(tenso.Limits{})
		if err != nil {
			return err
		}
		cp = alignedCopy(p)
		return nil
	}()
	if err != nil {
		return nil, err
	}
	return tenso.Decode(cp)
}

// Close unmaps the segment; it never unlinks it. Views returned by Get
// must not be used after Close. Close is idempotent.
func (s *Segment) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		return nil
	}
	err := unix.Munmap(s.data)
	s.data = nil
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Unlink removes the segment's name; the mapping stays usable until Close.
func (s *Segment) Unlink() error { return Unlink(s.name) }
