package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/wasm/host"
)

// wasmFile builds a wasm package for the examples (a real program would
// embed or ship the file).
func wasmFile(pkg string) []byte {
	out := filepath.Join(os.TempDir(), "tenso-example-"+filepath.Base(pkg)+".wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, pkg)
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		panic(fmt.Sprintf("%v\n%s", err, b))
	}
	b, err := os.ReadFile(out)
	if err != nil {
		panic(err)
	}
	return b
}

// Decoding in wazero through the same module browsers run.
func ExampleRuntime_NewCodec() {
	ctx := context.Background()
	rt, err := host.New(ctx, host.Config{Module: wasmFile("./wasm/module")}) // Config{} uses the embedded module
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	codec, err := rt.NewCodec(ctx)
	if err != nil {
		panic(err)
	}
	packet, _ := tenso.Encode(&tenso.Tensor{DType: tenso.Int16, Shape: []int{2, 2}, Data: []byte{1, 0, 2, 0, 3, 0, 4, 0}}, tenso.Options{Integrity: true})
	v, err := codec.Decode(ctx, packet)
	if err != nil {
		panic(err)
	}
	t := v.(*tenso.Tensor)
	fmt.Println(t.DType, t.Shape, t.Data)
	_, err = codec.Decode(ctx, packet[:20]) // the native decoder's message and sentinel
	fmt.Println(errors.Is(err, tenso.ErrCorrupt))
	// Output:
	// int16 [2 2] [1 0 2 0 3 0 4 0]
	// true
}

// Running a tensor plugin: the scale example multiplies by 2.
func ExampleRuntime_LoadPlugin() {
	ctx := context.Background()
	rt, err := host.New(ctx, host.Config{Module: wasmFile("./wasm/module")})
	if err != nil {
		panic(err)
	}
	defer rt.Close(ctx)
	plugin, err := rt.LoadPlugin(ctx, wasmFile("./wasm/examples/scale"), host.PluginConfig{})
	if err != nil {
		panic(err)
	}
	in := &tenso.Tensor{DType: tenso.Float32, Shape: []int{2}, Data: []byte{0, 0, 0x80, 0x3f, 0, 0, 0x40, 0x40}} // 1, 3
	out, err := plugin.CallValue(ctx, "scale", in, tenso.Options{})
	if err != nil {
		panic(err)
	}
	f, _ := tenso.As[float32](out.(*tenso.Tensor))
	fmt.Println(f)
	// Output: [2 6]
}
