package host

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/tenso-go/tenso"
	"github.com/tetratelabs/wazero/api"
)

// Codec decodes and encodes through one instance of the wasm module.
type Codec struct {
	r *Runtime
	lockedInstance
	state uint32
	small uint32 // a fixed smallMax-byte input buffer in the module
	fn    struct{ reserve, decode, encode, inspect, release api.Function }
}

// smallMax: packets up to this size are decoded from a fixed buffer, in
// one call into the module (no tenso_reserve).
const smallMax = 4096

// Error is an error reported by the wasm module. Its message is the Go
// error text of the codec inside; Unwrap gives the matching tenso sentinel,
// so errors.Is(err, tenso.ErrCorrupt) works as with the native decoder.
type Error struct {
	Msg    string
	Offset int64 // byte offset of the bad field, or -1
	Err    error // tenso.ErrCorrupt, ErrTooLarge, ErrChecksum, ErrUnsupported, ErrUnframed, ErrInvalid or nil
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

var sentinels = [...]error{nil, tenso.ErrCorrupt, tenso.ErrTooLarge, tenso.ErrChecksum, tenso.ErrUnsupported, tenso.ErrUnframed, tenso.ErrInvalid, nil}

// NewCodec instantiates the module.
func (r *Runtime) NewCodec(ctx context.Context) (*Codec, error) {
	c := &Codec{r: r}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Codec) start(ctx context.Context) error {
	mod, err := c.r.instantiate(ctx, c.r.module, &c.stderr)
	if err != nil {
		return fmt.Errorf("tenso: instantiating the wasm module: %w", c.stderr.wrap(err))
	}
	fns := map[string]*api.Function{
		"tenso_reserve": &c.fn.reserve, "tenso_decode": &c.fn.decode, "tenso_encode": &c.fn.encode,
		"tenso_inspect": &c.fn.inspect, "tenso_release": &c.fn.release,
	}
	for name, p := range fns {
		if *p = mod.ExportedFunction(name); *p == nil {
			mod.Close(ctx)
			return fmt.Errorf("tenso: the wasm module does not export %s", name)
		}
	}
	st, err := mod.ExportedFunction("tenso_state").Call(ctx)
	if err != nil {
		mod.Close(ctx)
		return fmt.Errorf("tenso: tenso_state: %w", err)
	}
	c.state = uint32(st[0])
	sm, err := mod.ExportedFunction("tenso_alloc").Call(ctx, smallMax)
	if err != nil || sm[0] == 0 {
		mod.Close(ctx)
		return fmt.Errorf("tenso: tenso_alloc: %v", err)
	}
	c.small = uint32(sm[0])
	c.mod = mod
	return nil
}

// Close releases the instance.
func (c *Codec) Close(ctx context.Context) error { return c.close(ctx) }

// call runs f with the instance locked, restarting a closed instance first
// and discarding it after a wasm-level failure, whose error then begins
// with what the module printed to stderr (a Go panic's message).
func (c *Codec) call(ctx context.Context, f func(api.Module) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stderr.reset()
	if c.mod == nil {
		if err := c.start(ctx); err != nil {
			return err
		}
	}
	err := f(c.mod)
	var te *Error
	if err != nil && !errors.As(err, &te) {
		c.mod.Close(ctx)
		c.mod = nil
		if len(c.stderr.b) > 0 {
			err = fmt.Errorf("tenso: the wasm module failed: %w", c.stderr.wrap(err))
		}
	}
	return err
}

// export returns the module's exported function name (one a module built
// from an older tree may lack).
func export(m api.Module, name string) (api.Function, error) {
	if fn := m.ExportedFunction(name); fn != nil {
		return fn, nil
	}
	return nil, fmt.Errorf("tenso: the wasm module does not export %s", name)
}

func (c *Codec) word(m api.Module, i uint32) uint32 {
	v, _ := m.Memory().ReadUint32Le(c.state + 4*i)
	return v
}

func (c *Codec) moduleError(m api.Module) error {
	msg, _ := readMem(m, c.word(m, 2), c.word(m, 3))
	code := c.word(m, 4)
	off := int64(uint64(c.word(m, 5)) | uint64(c.word(m, 6))<<32)
	e := &Error{Msg: string(msg), Offset: off}
	if int(code) < len(sentinels) {
		e.Err = sentinels[code]
	}
	return e
}

func (c *Codec) result(m api.Module) ([]byte, bool) {
	ptr, n := c.word(m, 0), c.word(m, 1)
	return m.Memory().Read(ptr, n)
}

// callOn copies b into the module (input) and calls its export name with
// b's address and length, then args; it returns the first result.
func (c *Codec) callOn(ctx context.Context, m api.Module, name string, b []byte, args ...uint64) (uint64, error) {
	fn, err := export(m, name)
	if err != nil {
		return 0, err
	}
	return c.invoke(ctx, m, fn, b, args...)
}

// invoke is callOn for an export already looked up.
func (c *Codec) invoke(ctx context.Context, m api.Module, fn api.Function, b []byte, args ...uint64) (uint64, error) {
	ptr, err := c.input(ctx, m, b)
	if err != nil {
		return 0, err
	}
	res, err := fn.Call(ctx, append([]uint64{uint64(ptr), uint64(len(b))}, args...)...)
	if err != nil {
		return 0, err
	}
	return res[0], nil
}

// output reads what an export that returns a status left: the module's
// error for a non-zero status, else its result, or bad when the result lies
// outside the module's memory.
func (c *Codec) output(m api.Module, status uint64, bad error) ([]byte, error) {
	if int32(status) != 0 {
		return nil, c.moduleError(m)
	}
	r, ok := c.result(m)
	if !ok {
		return nil, bad
	}
	return r, nil
}

// releaseAfter drops the module's last result (tenso_release) after a call
// on more than 1 MiB, so that its memory is reused rather than held.
func (c *Codec) releaseAfter(ctx context.Context, n int) {
	if n > 1<<20 {
		c.fn.release.Call(ctx)
	}
}

// input copies b into the module: into the fixed small buffer when it
// fits, else into the reusable input region.
func (c *Codec) input(ctx context.Context, m api.Module, b []byte) (uint32, error) {
	if len(b) <= smallMax && m.Memory().Write(c.small, b) {
		return c.small, nil
	}
	return c.put(ctx, m, b)
}

// put copies b into the module's reusable input region.
func (c *Codec) put(ctx context.Context, m api.Module, b []byte) (uint32, error) {
	if uint64(len(b)) > math.MaxUint32 {
		return 0, fmt.Errorf("%w: %d bytes do not fit the wasm module's memory", tenso.ErrTooLarge, len(b))
	}
	res, err := c.fn.reserve.Call(ctx, uint64(len(b)))
	if err != nil {
		return 0, err
	}
	ptr := uint32(res[0])
	if !m.Memory().Write(ptr, b) {
		return 0, errors.New("tenso: wasm module returned an out-of-range buffer")
	}
	return ptr, nil
}

// Decode decodes packet in the wasm module. Uncompressed bodies of the
// result are views into packet (as with tenso.Decode); everything else is
// copied out of the module's memory.
func (c *Codec) Decode(ctx context.Context, packet []byte) (tenso.Value, error) {
	var v tenso.Value
	err := c.call(ctx, func(m api.Module) error {
		res, err := c.invoke(ctx, m, c.fn.decode, packet, uint64(len(packet)))
		if err != nil {
			return err
		}
		lay, err := c.output(m, res, errOutOfRangeLayout)
		if err != nil {
			return err
		}
		v, err = readLayout(lay, packet, m.Memory())
		c.releaseAfter(ctx, len(packet))
		return err
	})
	return v, err
}

// Encode encodes v in the wasm module and returns a copy of the packet.
func (c *Codec) Encode(ctx context.Context, v tenso.Value, o tenso.Options) ([]byte, error) {
	var b layoutBuilder
	if err := b.value(v, 0); err != nil {
		return nil, err
	}
	region := b.region()
	var out []byte
	err := c.call(ctx, func(m api.Module) error {
		ptr, err := c.put(ctx, m, region)
		if err != nil {
			return err
		}
		var flags uint64
		if o.Integrity {
			flags |= 1
		}
		if o.Compress {
			flags |= 2
		}
		if o.Alignment < 0 || o.Alignment > math.MaxUint32 {
			return fmt.Errorf("%w: alignment %d", tenso.ErrInvalid, o.Alignment)
		}
		res, err := c.fn.encode.Call(ctx, uint64(ptr), uint64(len(region)), flags, uint64(o.Alignment))
		if err != nil {
			return err
		}
		p, err := c.output(m, res[0], errOutOfRangePacket)
		if err != nil {
			return err
		}
		out = append([]byte(nil), p...)
		c.releaseAfter(ctx, len(out))
		return nil
	})
	return out, err
}

// Inspect describes packet from its header, in the wasm module.
func (c *Codec) Inspect(ctx context.Context, packet []byte) (tenso.Info, error) {
	var info tenso.Info
	err := c.call(ctx, func(m api.Module) error {
		res, err := c.invoke(ctx, m, c.fn.inspect, packet)
		if err != nil {
			return err
		}
		w, err := c.output(m, res, errBadResult)
		if err != nil {
			return err
		}
		info, _, err = readInfo(w, 0)
		return err
	})
	return info, err
}

// Dequantize is tenso.Dequantize in the wasm module: the float32 tensor of
// q (a copy out of the module's memory). q is validated by its own
// Validate first, so errors are tenso.Dequantize's.
func (c *Codec) Dequantize(ctx context.Context, q *tenso.Quantized) (*tenso.Tensor, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	var b layoutBuilder
	if err := b.value(q, 0); err != nil {
		return nil, err
	}
	region := b.region()
	var out []byte
	err := c.call(ctx, func(m api.Module) error {
		res, err := c.callOn(ctx, m, "tenso_dequantize", region)
		if err != nil {
			return err
		}
		r, err := c.output(m, res, errBadResult)
		if err != nil {
			return err
		}
		if len(r) != 4*q.NumElements() {
			return errBadResult
		}
		out = append([]byte(nil), r...)
		c.releaseAfter(ctx, len(out))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &tenso.Tensor{DType: tenso.Float32, Shape: append([]int(nil), q.Shape...), Data: out}, nil
}
