package native

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/memfault"
	"github.com/tenso-go/tenso/internal/sysio"
)

// Errors of this package; match with errors.Is. Both also match
// tenso.ErrCorrupt (a packet cut short is corrupt data).
var (
	// ErrTruncated: the file is shorter than the packet its framing
	// declares (possibly because it was truncated after being mapped).
	ErrTruncated = fmt.Errorf("%w: file shorter than its packet", tenso.ErrCorrupt)
	// ErrFault: a mapped page could not be read (the file was truncated
	// by another process while mapped); reported by File.Do.
	ErrFault = fmt.Errorf("%w: memory fault reading a mapped file (truncated while mapped?)", tenso.ErrCorrupt)
	// ErrClosed: use of a closed File.
	ErrClosed = errors.New("tenso/native: file already closed")
)

// LoadOptions configure LoadFile. The zero value maps the file and decodes
// with the default Limits.
type LoadOptions struct {
	Limits tenso.Limits // decoding limits
	NoMmap bool         // read the file into memory instead of mapping it
}

// File is a loaded packet file. Its value's tensor data are views into the
// mapping (or, for a file that was read, into a private buffer), valid until
// Close.
type File struct {
	path   string
	v      tenso.Value
	packet []byte
	mapped []byte // the whole mapping, nil when read
	f      *os.File

	mu     sync.RWMutex
	closed bool
}

// LoadFile maps path read-only and decodes its packet without copying.
func LoadFile(path string) (*File, error) { return LoadFileWith(path, LoadOptions{}) }

// LoadFileWith is LoadFile with options.
func LoadFileWith(path string, o LoadOptions) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	lf, err := load(f, path, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	return lf, nil
}

func load(f *os.File, path string, o LoadOptions) (*File, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Mode().IsRegular() && !o.NoMmap {
		if st.Size() == 0 {
			return nil, fmt.Errorf("%w: %s is empty", tenso.ErrCorrupt, path)
		}
		data, err := mmapFile(f, st.Size())
		if err == nil {
			lf, err := fromMapping(f, path, data, o.Limits)
			if err != nil {
				munmap(data)
				return nil, err
			}
			return lf, nil
		}
		if !errors.Is(err, errNoMmap) {
			return nil, fmt.Errorf("tenso/native: map %s: %w", path, err)
		}
	}
	buf, err := readAll(f, st, o.Limits)
	if err != nil {
		return nil, fmt.Errorf("tenso/native: read %s: %w", path, err)
	}
	n, err := tenso.PacketLen(buf, o.Limits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	v, err := tenso.DecodeWith(buf[:n], o.Limits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.Close()
	return &File{path: path, v: v, packet: buf[:n]}, nil
}

// fromMapping delimits and decodes the packet in a fresh mapping. Every
// access is guarded: a file truncated meanwhile gives an error, not SIGBUS.
func fromMapping(f *os.File, path string, data []byte, l tenso.Limits) (lf *File, err error) {
	defer guard(&err)()
	// The file may have shrunk between the first stat and the mapping:
	// look only at what it holds now.
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	avail := data
	if st.Size() < int64(len(avail)) {
		avail = avail[:max(st.Size(), 0)]
	}
	if len(avail) == 0 {
		return nil, fmt.Errorf("%w: %s is empty", ErrTruncated, path)
	}
	n, err := tenso.PacketLen(avail, l)
	if err != nil {
		if errors.Is(err, tenso.ErrCorrupt) && len(avail) < len(data) {
			return nil, fmt.Errorf("%s: %w (%v)", path, ErrTruncated, err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	v, err := tenso.DecodeWith(avail[:n], l)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Last check before the views are handed out.
	if st, err := f.Stat(); err != nil || st.Size() < int64(n) {
		return nil, fmt.Errorf("%s: %w: %d bytes left, packet is %d", path, ErrTruncated, st.Size(), n)
	}
	return &File{path: path, v: v, packet: avail[:n], mapped: data, f: f}, nil
}

// readAll reads a file that is not mapped, bounded by its size (regular
// files) or by the limits (anything else), into a 64-byte aligned buffer.
func readAll(f *os.File, st os.FileInfo, l tenso.Limits) ([]byte, error) {
	maxBytes := l.MaxBytes
	if maxBytes <= 0 {
		maxBytes = tenso.DefaultMaxBytes
	}
	limit := maxBytes + 1<<20 // the largest body plus room for headers
	if st.Mode().IsRegular() {
		size := st.Size()
		if size > limit {
			return nil, fmt.Errorf("%w: file of %d bytes exceeds the limit of %d", tenso.ErrTooLarge, size, limit)
		}
		buf := sysio.AlignedBytes(int(size), 0) // bodies land where a mapped file puts them
		n, err := io.ReadFull(f, buf)
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, fmt.Errorf("%w: file shrank while being read (%d of %d bytes)", ErrTruncated, n, size)
		}
		return buf[:n], err
	}
	// A pipe or device: grow as bytes arrive, never past the limit.
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: input exceeds %d bytes", tenso.ErrTooLarge, limit)
	}
	buf := sysio.AlignedBytes(len(b), 0)
	copy(buf, b)
	return buf, nil
}

// Value returns the decoded packet. Its data are valid until Close.
func (lf *File) Value() tenso.Value { return lf.v }

// Packet returns the packet's bytes (a view, valid until Close).
func (lf *File) Packet() []byte { return lf.packet }

// Mapped reports whether the file is memory-mapped (false when it was read).
func (lf *File) Mapped() bool { return lf.mapped != nil }

// Check reports whether the file is still at least as long as its packet
// (ErrTruncated if another process cut it short: views of the lost pages
// would fault). A read file always passes.
func (lf *File) Check() error {
	lf.mu.RLock()
	defer lf.mu.RUnlock()
	if lf.closed {
		return ErrClosed
	}
	if lf.f == nil {
		return nil
	}
	st, err := lf.f.Stat()
	if err != nil {
		return err
	}
	if st.Size() < int64(len(lf.packet)) {
		return fmt.Errorf("%s: %w: %d bytes left, packet is %d", lf.path, ErrTruncated, st.Size(), len(lf.packet))
	}
	return nil
}

// Do calls fn with the value while memory faults on this goroutine are
// turned into ErrFault instead of killing the process: use it to read views
// of a file that another process might truncate. fn must not start other
// goroutines that touch the views.
func (lf *File) Do(fn func(v tenso.Value) error) (err error) {
	lf.mu.RLock()
	defer lf.mu.RUnlock()
	if lf.closed {
		return ErrClosed
	}
	defer guard(&err)()
	return fn(lf.v)
}

// Close unmaps the file. Views of the value must not be used afterwards.
// Close is idempotent.
func (lf *File) Close() error {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	if lf.closed {
		return nil
	}
	lf.closed = true
	var err error
	if lf.mapped != nil {
		err = munmap(lf.mapped)
		lf.mapped = nil
	}
	if lf.f != nil {
		if cerr := lf.f.Close(); err == nil {
			err = cerr
		}
	}
	lf.v, lf.packet = nil, nil
	return err
}

// guard turns a memory fault (SIGBUS on a truncated mapping) raised on this
// goroutine into ErrFault.
func guard(err *error) func() {
	return memfault.Guard(err, func(addr uintptr) error {
		return fmt.Errorf("%w (address %#x)", ErrFault, addr)
	})
}

// DumpOptions configure DumpFile. The zero value writes the default
// encoding to a temporary file renamed over the target, mode 0644, without
// fsync.
type DumpOptions struct {
	Encode tenso.Options // packet options
	Sync   bool          // fsync the file (and its directory after the rename)
	Perm   os.FileMode   // mode of a new file (default 0644)
	// InPlace truncates and rewrites the target instead of renaming a
	// temporary file over it. Readers that have the old file mapped may
	// then fault; it is chosen automatically when the target exists and is
	// not a regular file (a device or a pipe).
	InPlace bool
}

// DumpFile writes the packet of v to path with one vectored write (the
// encoder's buffers; tensor bodies are not copied) and returns its length.
// The file holds exactly the packet.
func DumpFile(path string, v tenso.Value, o DumpOptions) (int64, error) {
	bufs, total, err := tenso.Segments(v, o.Encode)
	if err != nil {
		return 0, err
	}
	perm := o.Perm
	if perm == 0 {
		perm = 0o644
	}
	inPlace := o.InPlace
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		inPlace = true
	}
	if inPlace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
		if err != nil {
			return 0, err
		}
		n, err := writeAll(f, bufs, total, o.Sync)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return n, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	n, err := writeAll(f, bufs, total, o.Sync)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return n, err
	}
	if o.Sync {
		if d, derr := os.Open(dir); derr == nil {
			derr = d.Sync()
			d.Close()
			if derr != nil {
				return n, derr
			}
		}
	}
	return n, nil
}

func writeAll(f *os.File, bufs [][]byte, total int64, sync bool) (int64, error) {
	n, err := tenso.WriteBuffers(f, bufs)
	if err == nil && n != total {
		err = io.ErrShortWrite
	}
	if err == nil && sync {
		err = f.Sync()
	}
	return n, err
}
