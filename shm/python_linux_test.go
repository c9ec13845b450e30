//go:build linux

package shm

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

// Python's multiprocessing.shared_memory attaches to a Go segment by name
// and sees the packet at offset 0; a segment Python creates opens here.
// (Skipped where python3 is missing.)
func TestPythonSharedMemoryInterop(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	in := testutil.Bytes(10)
	pkt, _ := tenso.Encode(in, tenso.Options{})
	name := testName(t)
	s, err := CreateFrom(name, in, tenso.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	script := `
import sys
from multiprocessing import shared_memory, resource_tracker
s = shared_memory.SharedMemory(name=sys.argv[1])
resource_tracker.unregister(s._name, "shared_memory")  # do not unlink ours at exit
print(s.size, bytes(s.buf[:]).hex())
s.close()
p = shared_memory.SharedMemory(name=sys.argv[2], create=True, size=int(sys.argv[4]))
resource_tracker.unregister(p._name, "shared_memory")
p.buf[:int(sys.argv[4])] = bytes.fromhex(sys.argv[3])
p.close()
`
	name2 := testName(t)
	out, err := exec.Command(py, "-c", script, name, name2, hexOf(pkt), strconv.Itoa(len(pkt))).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 || f[0] != strconv.Itoa(len(pkt)) || f[1] != hexOf(pkt) {
		t.Fatalf("python saw %q", out)
	}
	p, err := Open(name2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	v, err := p.Get()
	if err != nil || !bytes.Equal(v.(*tenso.Tensor).Data, in.Data) {
		t.Fatal("Python-created segment:", err)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}
