package main

import (
	"strings"
	"testing"
)

func leb(n int) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func sec(id byte, body []byte) []byte {
	return append(append([]byte{id}, leb(len(body))...), body...)
}

func str(s string) []byte { return append(leb(len(s)), s...) }

// A module with one imported function and three bodies named after two
// packages: the sizes must be summed per package, the import skipped.
func TestBreakdown(t *testing.T) {
	imp := append(leb(1), str("wasi_snapshot_preview1")...)
	imp = append(append(imp, str("fd_write")...), 0, 0)
	body := func(n int) []byte { return append(leb(n), make([]byte, n)...) }
	code := append(leb(3), body(200)...) // 2+200 bytes
	code = append(code, body(10)...)     // 1+10
	code = append(code, body(5)...)      // 1+5
	names := leb(3)
	for i, n := range []string{"github.com_tenso_go_tenso_core.decode", "runtime.mallocgc", "github.com_tenso_go_tenso_core.(*encoder).value"} {
		names = append(append(names, leb(i+1)...), str(n)...)
	}
	name := append(str("name"), append([]byte{1}, append(leb(len(names)), names...)...)...)
	b := append([]byte("\x00asm\x01\x00\x00\x00"), sec(2, imp)...)
	b = append(b, sec(10, code)...)
	b = append(b, sec(0, name)...)
	m, err := parse(b)
	if err != nil {
		t.Fatal(err)
	}
	got := m.byPackage()
	want := []pkgSize{{"github.com_tenso_go_tenso_core", 208, 2}, {"runtime", 11, 1}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("byPackage = %+v, want %+v", got, want)
	}
	if _, err := parse(b[:len(b)-3]); err == nil {
		t.Fatal("truncated module parsed without error")
	}
}

func TestWhy(t *testing.T) {
	dep := "# x\n_ -> main.f\nmain.f -> fmt.Errorf <ABIInternal>\nmain.g -> fmt.Errorf\n"
	c, err := whyChains(strings.NewReader(dep), []string{"fmt.Errorf", "os.init"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c["fmt.Errorf"], " <- "); got != "fmt.Errorf <- main.f" {
		t.Fatalf("chain %q", got)
	}
	if c["os.init"] != nil {
		t.Fatal("os.init reported as linked")
	}
}
