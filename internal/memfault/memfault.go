// Package memfault turns a memory fault on a mapped file (SIGBUS after the
// file was truncated under the mapping) into an error instead of a crash.
package memfault

import "runtime/debug"

// Guard makes memory faults on the calling goroutine panic instead of
// killing the process and returns the function to defer: it restores the
// previous setting and, if the goroutine is panicking with a fault, sets
// *err to wrap(address of the fault). Other panics propagate. Use as
//
//	defer memfault.Guard(&err, wrap)()
//
// The returned function must be deferred directly, so that its recover
// sees the panic.
func Guard(err *error, wrap func(addr uintptr) error) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if re, ok := r.(interface{ Addr() uintptr }); ok {
				*err = wrap(re.Addr())
				return
			}
			panic(r)
		}
	}
}
