package gpu

import (
	"os"
	"path/filepath"
	"strings"
)

// cufileLibrary returns the path of an installed libcufile (GPUDirect
// Storage), found by looking for the file in the loader's usual places,
// or "" when there is none.
func cufileLibrary() string {
	var dirs []string
	for _, d := range strings.Split(os.Getenv("LD_LIBRARY_PATH"), ":") {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	dirs = append(dirs,
		"/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
		"/usr/local/cuda/targets/sbsa-linux/lib", "/usr/lib/x86_64-linux-gnu",
		"/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib64", "/lib")
	for _, d := range dirs {
		for _, n := range []string{"libcufile.so.0", "libcufile.so"} {
			p := filepath.Join(d, n)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
		}
	}
	return ""
}
