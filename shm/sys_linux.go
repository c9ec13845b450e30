//go:build linux

package shm

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tenso-go/tenso/internal/memfault"
	"github.com/tenso-go/tenso/internal/sysio"
)

// shmDir is where Linux (glibc's shm_open, and so Python's
// multiprocessing.shared_memory) keeps POSIX shared-memory objects.
const shmDir = "/dev/shm/"

func checkName(name string) error {
	if name == "" || len(name) > 255 || strings.ContainsRune(name, '/') ||
		strings.ContainsRune(name, 0) || name == "." || name == ".." {
		return fmt.Errorf("%w: %q (want a non-empty name without '/', at most 255 bytes)", ErrBadName, name)
	}
	return nil
}

// NewName returns a fresh segment name of the form Python's
// multiprocessing.shared_memory generates: "psm_" and 8 lowercase hex
// digits.
func NewName() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "psm_" + hex.EncodeToString(b[:])
}

// createFile creates /dev/shm/<name> exclusively with mode 0600 and sizes
// it, exactly like shm_open(O_CREAT|O_EXCL|O_RDWR, 0600) + ftruncate.
// An empty name picks a fresh generated one.
func createFile(name string, size int64) (*os.File, string, error) {
	if !sysio.LittleEndian {
		return nil, "", ErrNotSupported
	}
	if size <= 0 {
		return nil, "", fmt.Errorf("tenso/shm: segment size must be positive, got %d", size)
	}
	gen := name == ""
	for try := 0; ; try++ {
		if gen {
			name = NewName()
		}
		if err := checkName(name); err != nil {
			return nil, "", err
		}
		fd, err := unix.Open(shmDir+name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err == unix.EEXIST && gen && try < 100 {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("tenso/shm: create segment %q: %w", name, err)
		}
		f := os.NewFile(uintptr(fd), shmDir+name)
		if err := f.Truncate(size); err != nil {
			f.Close()
			unix.Unlink(shmDir + name)
			return nil, "", fmt.Errorf("tenso/shm: size segment %q to %d bytes: %w", name, size, err)
		}
		return f, name, nil
	}
}

// openFile opens an existing /dev/shm/<name> read-write and returns it with
// its current size.
func openFile(name string) (*os.File, int64, error) {
	if !sysio.LittleEndian {
		return nil, 0, ErrNotSupported
	}
	if err := checkName(name); err != nil {
		return nil, 0, err
	}
	fd, err := unix.Open(shmDir+name, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("tenso/shm: open segment %q: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), shmDir+name)
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("tenso/shm: stat segment %q: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("tenso/shm: %q is not a shared-memory segment", name)
	}
	return f, st.Size(), nil
}

func mapFile(f *os.File, size int64) ([]byte, error) {
	if size <= 0 {
		return nil, fmt.Errorf("tenso/shm: segment %s is empty", f.Name())
	}
	if int64(int(size)) != size {
		return nil, fmt.Errorf("%w: segment of %d bytes cannot be mapped", ErrTooLarge, size)
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("tenso/shm: map segment %s: %w", f.Name(), err)
	}
	return b, nil
}

// Unlink removes the named segment (shm_unlink). Mappings that are open
// stay valid until they are closed.
func Unlink(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := unix.Unlink(shmDir + name); err != nil {
		return fmt.Errorf("tenso/shm: unlink segment %q: %w", name, err)
	}
	return nil
}

// guard converts a memory fault on a mapped segment (SIGBUS after another
// process shrank it) into ErrFault instead of crashing the process. Use as
//
//	defer guard(&err)()
func guard(err *error) func() {
	return memfault.Guard(err, func(addr uintptr) error {
		return fmt.Errorf("%w (fault at %#x)", ErrFault, addr)
	})
}

// Monotonic clock in seconds, the same clock as Python's time.monotonic()
// (CLOCK_MONOTONIC), read cheaply through the runtime's monotonic time.
var (
	monoBase float64
	monoT0   time.Time
)

func init() {
	var ts unix.Timespec
	monoT0 = time.Now()
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) == nil {
		monoBase = float64(ts.Sec) + float64(ts.Nsec)/1e9
	}
}

func monotonic() float64 { return monoBase + time.Since(monoT0).Seconds() }

// procStat returns the state letter and start time (field 22, clock ticks
// since boot) of a process from /proc/<pid>/stat.
func procStat(pid int) (state byte, start uint64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) is in parentheses and may hold anything,
	// so parse from the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0, 0, errors.New("malformed stat")
	}
	fields := strings.Fields(string(b[i+1:]))
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 || len(fields[0]) != 1 {
		return 0, 0, errors.New("malformed stat")
	}
	start, err = strconv.ParseUint(fields[19], 10, 64)
	return fields[0][0], start, err
}

var selfPID = uint32(os.Getpid())
var selfStart = func() uint64 {
	_, s, err := procStat(os.Getpid())
	if err != nil {
		return 0
	}
	return s
}()

// processDead reports whether pid is certainly gone: no such process, a
// zombie, or a process with another start time (the PID was reused).
// start 0 means unknown (no reuse check).
func processDead(pid uint32, start uint64) bool {
	if pid == 0 || pid > 1<<30 {
		return false
	}
	if err := unix.Kill(int(pid), 0); err == unix.ESRCH {
		return true
	}
	st, s, err := procStat(int(pid))
	if err != nil {
		// The process vanished between kill and the read, or /proc is
		// unavailable: decide by kill alone.
		return os.IsNotExist(err) && unix.Kill(int(pid), 0) == unix.ESRCH
	}
	if st == 'Z' || st == 'X' || st == 'x' {
		return true
	}
	return start != 0 && s != start
}
