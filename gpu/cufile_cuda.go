//go:build cuda && cgo

package gpu

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

// The few cuFile (GPUDirect Storage) declarations used here, from NVIDIA's
// public cuFile API documentation; libcufile is loaded at run time so that
// neither its header nor the library is needed to build.
typedef struct { int err; int cu_err; } tenso_cufile_error;  // CUfileError_t
typedef struct {
	int type;                                   // CU_FILE_HANDLE_TYPE_OPAQUE_FD = 1
	union { int fd; void *handle; } handle;
	const void *fs_ops;
} tenso_cufile_descr;                             // CUfileDescr_t

typedef tenso_cufile_error (*tenso_open_fn)(void);
typedef tenso_cufile_error (*tenso_register_fn)(void **, tenso_cufile_descr *);
typedef void (*tenso_deregister_fn)(void *);
typedef ssize_t (*tenso_read_fn)(void *, void *, size_t, off_t, off_t);

static void *tenso_cf_lib;
static tenso_register_fn tenso_cf_register;
static tenso_deregister_fn tenso_cf_deregister;
static tenso_read_fn tenso_cf_read;

// Returns 0 when the library loads and the driver opens.
static int tenso_cufile_open(const char *path) {
	if (tenso_cf_lib) return 0;
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) return -1;
	tenso_open_fn open = (tenso_open_fn)dlsym(lib, "cuFileDriverOpen");
	tenso_cf_register = (tenso_register_fn)dlsym(lib, "cuFileHandleRegister");
	tenso_cf_deregister = (tenso_deregister_fn)dlsym(lib, "cuFileHandleDeregister");
	tenso_cf_read = (tenso_read_fn)dlsym(lib, "cuFileRead");
	if (!open || !tenso_cf_register || !tenso_cf_deregister || !tenso_cf_read) { dlclose(lib); return -2; }
	tenso_cufile_error e = open();
	if (e.err != 0) { dlclose(lib); return -3; }
	tenso_cf_lib = lib;
	return 0;
}

// Reads n bytes at file offset off of fd into device memory dev; returns
// the bytes read or a negative value.
static ssize_t tenso_cufile_read(int fd, uint64_t dev, size_t n, off_t off) {
	tenso_cufile_descr d = {0};
	void *fh = NULL;
	d.type = 1;
	d.handle.fd = fd;
	tenso_cufile_error e = tenso_cf_register(&fh, &d);
	if (e.err != 0) return -1;
	ssize_t done = 0;
	while ((size_t)done < n) {
		ssize_t r = tenso_cf_read(fh, (void *)(uintptr_t)dev, n - done, off + done, done);
		if (r <= 0) { done = -1; break; }
		done += r;
	}
	tenso_cf_deregister(fh);
	return done;
}
*/
import "C"

import (
	"errors"
	"os"
	"strconv"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// cufile is an opened GPUDirect Storage driver.
type cufile struct{}

var cufileMu sync.Mutex // the C loader keeps process-wide state

func openCufile(lib string) (*cufile, error) {
	cufileMu.Lock()
	defer cufileMu.Unlock()
	p := C.CString(lib)
	defer C.free(unsafe.Pointer(p))
	if r := C.tenso_cufile_open(p); r != 0 {
		return nil, errors.New("tenso/gpu: cuFile driver unavailable (" + strconv.Itoa(int(r)) + ")")
	}
	return &cufile{}, nil
}

// read copies n bytes at offset off of f into device address dev. GDS
// needs O_DIRECT, so the file is reopened that way when possible.
func (c *cufile) read(f *os.File, dev uint64, n, off int64) error {
	fd := int(f.Fd())
	if dfd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_RDONLY|unix.O_DIRECT|unix.O_CLOEXEC, 0); err == nil {
		defer unix.Close(dfd)
		fd = dfd
	}
	if r := C.tenso_cufile_read(C.int(fd), C.uint64_t(dev), C.size_t(n), C.off_t(off)); int64(r) != n {
		return errors.New("tenso/gpu: cuFileRead failed")
	}
	return nil
}

func (c *cufile) close() {}
