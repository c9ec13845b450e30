//go:build unix

package native

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	tenso "github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
	"golang.org/x/sys/unix"
)

func TestLoadFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	in := testutil.Bytes(70000)
	done := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			done <- err
			return
		}
		_, err = DumpFile(p, in, DumpOptions{}) // a FIFO target is written in place
		w.Close()
		done <- err
	}()
	f, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Mapped() || !bytes.Equal(f.Value().(*tenso.Tensor).Data, in.Data) {
		t.Fatal("FIFO read")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
