package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tenso-go/tenso/internal/golden"

	"github.com/tenso-go/tenso"
)

func goldenOptions(f map[string]any) tenso.Options {
	o := tenso.Options{}
	opts, _ := f["options"].(map[string]any)
	if b, ok := opts["check_integrity"].(bool); ok {
		o.Integrity = b
	}
	if b, ok := opts["compress"].(bool); ok {
		o.Compress = b
	}
	if a, ok := opts["alignment"]; ok {
		n, _ := a.(interface{ Int64() (int64, error) }).Int64()
		o.Alignment = int(n)
	}
	return o
}

// TestGoldenThroughModule: every golden packet decodes in wazero exactly as
// natively, dense contents match the manifest, byte_exact packets re-encode
// identically through the module.
func TestGoldenThroughModule(t *testing.T) {
	c := newCodec(t)
	ctx := context.Background()
	exact := 0
	for _, f := range golden.Files(t) {
		name := f["file"].(string)
		pkt := golden.Read(t, name)
		native, nerr := tenso.Decode(pkt)
		got, err := c.Decode(ctx, pkt)
		if nerr != nil || err != nil {
			t.Errorf("%s: native %v, wasm %v", name, nerr, err)
			continue
		}
		if d, n := describe(got), describe(native); d != n {
			t.Errorf("%s: wasm decode\n %s\nnative\n %s", name, d, n)
		}
		if f["kind"] == "dense" {
			if want := f["sha256_le_c_order"].(string); sha(got.(*tenso.Tensor).Data) != want {
				t.Errorf("%s: sha256 %s, manifest %s", name, sha(got.(*tenso.Tensor).Data), want)
			}
		}
		info, ierr := c.Inspect(ctx, pkt)
		ninfo, nierr := tenso.Inspect(pkt)
		if (ierr == nil) != (nierr == nil) || info.Kind != ninfo.Kind || info.BodyOffset != ninfo.BodyOffset ||
			info.DataSize != ninfo.DataSize || len(info.Shape) != len(ninfo.Shape) {
			t.Errorf("%s: inspect %+v %v, native %+v %v", name, info, ierr, ninfo, nierr)
		}
		if f["byte_exact"] == true {
			out, err := c.Encode(ctx, got, goldenOptions(f))
			if err != nil {
				t.Errorf("%s: encode: %v", name, err)
			} else if !bytes.Equal(out, pkt) {
				t.Errorf("%s: re-encoded packet differs (%d vs %d bytes)", name, len(out), len(pkt))
			}
			exact++
		}
	}
	if exact != 80 {
		t.Errorf("%d byte-exact packets re-encoded, want 80", exact)
	}
}

// TestBadInputsMatchNative: every truncation and a set of byte flips of the
// golden packets give the native error, message and sentinel, and the
// module keeps working afterwards.
func TestBadInputsMatchNative(t *testing.T) {
	c := newCodec(t)
	ctx := context.Background()
	check := func(name string, p []byte) {
		_, nerr := tenso.Decode(p)
		_, err := c.Decode(ctx, p)
		if e := sameError(nerr, err); e != nil {
			t.Fatalf("%s: %v", name, e)
		}
	}
	for _, f := range golden.Files(t) {
		name := f["file"].(string)
		pkt := golden.Read(t, name)
		step := 1
		if len(pkt) > 512 {
			step = len(pkt) / 97
		}
		for n := 0; n < len(pkt); n += step {
			check(name+" truncated", pkt[:n])
		}
		for i := 0; i < len(pkt) && i < 300; i += 7 {
			q := append([]byte(nil), pkt...)
			q[i] ^= 0xA5
			check(name+" flipped", q)
		}
	}
	// Still alive.
	if _, err := c.Decode(ctx, golden.Read(t, "dense_f32.tenso")); err != nil {
		t.Fatal(err)
	}
}

func TestEncodeErrorsMatchNative(t *testing.T) {
	c := newCodec(t)
	ctx := context.Background()
	cases := []struct {
		v tenso.Value
		o tenso.Options
	}{
		{&tenso.Tensor{DType: tenso.Float32, Shape: []int{3}, Data: make([]byte, 8)}, tenso.Options{}},
		{&tenso.Tensor{DType: tenso.Float32, Shape: []int{2}, Data: make([]byte, 8)}, tenso.Options{Alignment: 3}},
		{tenso.NewStrings("a", "b"), tenso.Options{Alignment: 16}},
		{&tenso.Tensor{DType: 99, Shape: []int{1}, Data: make([]byte, 1)}, tenso.Options{}},
	}
	for i, tc := range cases {
		_, nerr := tenso.Encode(tc.v, tc.o)
		_, err := c.Encode(ctx, tc.v, tc.o)
		if nerr == nil || err == nil || nerr.Error() != err.Error() || !errors.Is(err, tenso.ErrInvalid) {
			t.Errorf("case %d: wasm %v, native %v", i, err, nerr)
		}
	}
	// Round trip with every option through the module.
	v := &tenso.Tensor{DType: tenso.Int16, Shape: []int{4, 5}, Data: bytes.Repeat([]byte{1, 2, 3, 0}, 10)}
	for _, o := range []tenso.Options{{}, {Integrity: true}, {Compress: true}, {Alignment: 8, Integrity: true, Compress: true}} {
		p, err := c.Encode(ctx, v, o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tenso.Decode(p)
		if err != nil || describe(got) != describe(v) {
			t.Fatalf("%+v: %v %s", o, err, describe(got))
		}
	}
}

// TestEmbedded: the module that comes with the package (what a `go get`
// user runs with Config{}) loads and decodes the golden corpus exactly as
// native Go does.
func TestEmbedded(t *testing.T) {
	if len(Embedded()) == 0 {
		t.Fatal("no embedded module")
	}
	if testing.Short() {
		t.Skip("compiling the embedded module: skipped in -short mode")
	}
	ctx := context.Background()
	c := defaultCodec(t)
	n := 0
	for _, f := range golden.Files(t) {
		name, _ := f["file"].(string)
		p := golden.Read(t, name)
		want, werr := tenso.Decode(p)
		got, gerr := c.Decode(ctx, p)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: native %v, embedded module %v", name, werr, gerr)
		}
		if werr == nil && describe(got) != describe(want) {
			t.Fatalf("%s: embedded module decodes %s, native %s", name, describe(got), describe(want))
		}
		n++
	}
	t.Logf("%d golden packets decoded alike by the embedded module and native Go", n)
}

// sameError reports how the module's error err differs from native's nerr:
// both nil, or the same message, the same sentinels and, for a
// FormatError, the same offset.
func sameError(nerr, err error) error {
	if (nerr == nil) != (err == nil) {
		return fmt.Errorf("native %v, wasm %v", nerr, err)
	}
	if err == nil {
		return nil
	}
	if err.Error() != nerr.Error() {
		return fmt.Errorf("wasm %q, native %q", err, nerr)
	}
	for _, s := range []error{tenso.ErrCorrupt, tenso.ErrTooLarge, tenso.ErrChecksum, tenso.ErrUnsupported, tenso.ErrUnframed, tenso.ErrInvalid} {
		if errors.Is(err, s) != errors.Is(nerr, s) {
			return fmt.Errorf("%q: errors.Is(%v) differs", err, s)
		}
	}
	var fe *tenso.FormatError
	var we *Error
	if errors.As(nerr, &fe) && (!errors.As(err, &we) || we.Offset != fe.Offset) {
		return fmt.Errorf("%q: native offset %d, wasm %v", err, fe.Offset, err)
	}
	return nil
}
