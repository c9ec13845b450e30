package host

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tenso-go/tenso"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// PluginConfig configures a plugin. The zero value means a 5 s timeout per
// call and tenso.Limits{} for validating output packets.
type PluginConfig struct {
	// Timeout bounds each call (instantiation included); a plugin still
	// running then is stopped and the call fails.
	Timeout time.Duration
	// Limits apply when the host validates the output packet.
	Limits tenso.Limits
}

// Plugin is a compiled plugin module with at most one live instance.
type Plugin struct {
	r        *Runtime
	cfg      PluginConfig
	compiled wazero.CompiledModule
	lockedInstance
}

// PluginError is an error the plugin itself reported (tenso_plugin_error).
type PluginError struct {
	Func string
	Msg  string
}

func (e *PluginError) Error() string { return fmt.Sprintf("tenso plugin %s: %s", e.Func, e.Msg) }

// ErrPlugin wraps every failure of the plugin's own making other than a
// reported error: a trap, an exit, a timeout, a missing export, or an output
// that is out of range or not a valid packet.
var ErrPlugin = errors.New("tenso plugin failed")

// LoadPlugin compiles a plugin (cached across runtimes) and checks that it
// has the plugin ABI's exports.
func (r *Runtime) LoadPlugin(ctx context.Context, wasm []byte, cfg PluginConfig) (*Plugin, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultPluginTimeout
	}
	m, err := r.rt.CompileModule(ctx, wasm)
	if err != nil {
		return nil, fmt.Errorf("%w: compiling: %v", ErrPlugin, err)
	}
	exp := m.ExportedFunctions()
	for _, name := range []string{"tenso_plugin_alloc", "tenso_plugin_error", "_initialize"} {
		if _, ok := exp[name]; !ok {
			m.Close(ctx)
			return nil, fmt.Errorf("%w: the module does not export %s", ErrPlugin, name)
		}
	}
	if len(m.ExportedMemories()) == 0 {
		m.Close(ctx)
		return nil, fmt.Errorf("%w: the module exports no memory", ErrPlugin)
	}
	return &Plugin{r: r, cfg: cfg, compiled: m}, nil
}

// Close releases the plugin's instance. Its compiled code stays with the
// Runtime (so loading the same plugin again does not recompile it) and is
// released by Runtime.Close.
func (p *Plugin) Close(ctx context.Context) error { return p.close(ctx) }

// Call hands packet to the plugin's exported function fn and returns the
// packet it produced, after validating it with the native decoder.
func (p *Plugin) Call(ctx context.Context, fn string, packet []byte) ([]byte, error) {
	if uint64(len(packet)) > 1<<32-1 {
		return nil, fmt.Errorf("%w: packet of %d bytes", tenso.ErrTooLarge, len(packet))
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stderr.reset()
	out, err := p.call(ctx, fn, packet)
	var pe *PluginError
	if err != nil && !errors.As(err, &pe) && p.mod != nil {
		// The instance may be in any state: discard it.
		p.mod.Close(context.Background())
		p.mod = nil
	}
	if err != nil {
		if ctx.Err() != nil && !errors.As(err, &pe) {
			return nil, fmt.Errorf("%w: %s: %v (%v)", ErrPlugin, fn, ctx.Err(), err)
		}
		return nil, err
	}
	if _, err := tenso.DecodeWith(out, p.cfg.Limits); err != nil {
		return nil, fmt.Errorf("%w: %s returned a bad packet: %w", ErrPlugin, fn, err)
	}
	return out, nil
}

// CallValue encodes v, calls fn and decodes the result (views into a
// buffer owned by the result).
func (p *Plugin) CallValue(ctx context.Context, fn string, v tenso.Value, o tenso.Options) (tenso.Value, error) {
	in, err := tenso.Encode(v, o)
	if err != nil {
		return nil, err
	}
	out, err := p.Call(ctx, fn, in)
	if err != nil {
		return nil, err
	}
	return tenso.DecodeWith(out, p.cfg.Limits)
}

func (p *Plugin) call(ctx context.Context, fn string, packet []byte) ([]byte, error) {
	m := p.mod
	if m == nil {
		var err error
		if m, err = p.r.instantiate(ctx, p.compiled, &p.stderr); err != nil {
			return nil, fmt.Errorf("%w: starting: %v", ErrPlugin, p.stderr.wrap(err))
		}
		p.mod = m
	}
	handler := m.ExportedFunction(fn)
	if handler == nil {
		return nil, fmt.Errorf("%w: no exported function %q", ErrPlugin, fn)
	}
	if d := handler.Definition(); len(d.ParamTypes()) != 2 || len(d.ResultTypes()) != 1 ||
		d.ParamTypes()[0] != api.ValueTypeI32 || d.ParamTypes()[1] != api.ValueTypeI32 || d.ResultTypes()[0] != api.ValueTypeI64 {
		return nil, fmt.Errorf("%w: %s must have the signature (i32, i32) -> i64", ErrPlugin, fn)
	}
	res, err := m.ExportedFunction("tenso_plugin_alloc").Call(ctx, uint64(len(packet)))
	if err != nil {
		return nil, fmt.Errorf("%w: tenso_plugin_alloc: %v", ErrPlugin, p.stderr.wrap(err))
	}
	ptr := uint32(res[0])
	if !m.Memory().Write(ptr, packet) {
		return nil, fmt.Errorf("%w: tenso_plugin_alloc returned an out-of-range buffer", ErrPlugin)
	}
	res, err = handler.Call(ctx, uint64(ptr), uint64(len(packet)))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrPlugin, fn, p.stderr.wrap(err))
	}
	if res[0] == 0 {
		e, err := m.ExportedFunction("tenso_plugin_error").Call(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: tenso_plugin_error: %v", ErrPlugin, p.stderr.wrap(err))
		}
		msg, ok := readMemory(m.Memory(), uint32(e[0]>>32), uint32(e[0]))
		if !ok {
			return nil, fmt.Errorf("%w: %s failed with an out-of-range error message", ErrPlugin, fn)
		}
		if len(msg) > 4096 {
			msg = msg[:4096]
		}
		return nil, &PluginError{Func: fn, Msg: string(msg)}
	}
	out, ok := readMemory(m.Memory(), uint32(res[0]>>32), uint32(res[0]))
	if !ok {
		return nil, fmt.Errorf("%w: %s returned an out-of-range packet (%#x)", ErrPlugin, fn, res[0])
	}
	return out, nil
}
