package tenso

// Test-only switch between kernel implementations (kept out of the
// production files).

// kernelImpls lists the implementations this host can run, "go" first.
func kernelImpls() []string {
	var out []string
	for i, n := range implNames {
		if implSupported(i) {
			out = append(out, n)
		}
	}
	return out
}

// useKernelImpl selects an implementation by name and returns a func
// restoring the previous choice; ok is false when the host cannot run it.
// Not safe for concurrent use with running kernels.
func useKernelImpl(name string) (restore func(), ok bool) {
	for i, n := range implNames {
		if n == name && implSupported(i) {
			prev := kimpl
			kimpl = i
			return func() { kimpl = prev }, true
		}
	}
	return func() {}, false
}
