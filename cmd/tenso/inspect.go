package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/tenso-go/tenso"
)

func init() {
	register("inspect", "describe the packets in a file (--json for machine-readable output)", runInspect)
	register("verify", "check integrity footers and structure of the packets in a file (exit 0/1)", runVerify)
}

// fail prints one "tenso: …" line and returns exit status 1.
func fail(err error) int { return failNamed(err, "tenso:") }

// failNamed is fail for errors whose message is already named when it
// starts with named; other messages get the "tenso: " prefix.
func failNamed(err error, named string) int {
	msg := err.Error()
	if !strings.HasPrefix(msg, named) {
		msg = "tenso: " + msg
	}
	fmt.Fprintln(os.Stderr, strings.ReplaceAll(msg, "\n", " "))
	return 1
}

// packets decodes the back-to-back packets of a file, calling fn for each.
func packets(data []byte, fn func(p []byte, v tenso.Value) error) error {
	if len(data) == 0 {
		return fmt.Errorf("tenso: empty file: no packet")
	}
	for off := 0; off < len(data); {
		v, n, err := tenso.DecodePrefix(data[off:], tenso.Limits{})
		if err != nil {
			if off > 0 {
				return fmt.Errorf("%w (packet at byte %d of the file)", err, off)
			}
			return err
		}
		if err := fn(data[off:off+n], v); err != nil {
			return err
		}
		off += n
	}
	return nil
}

func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

func runInspect(args []string) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object per packet")
	fs.Usage = func() { fmt.Fprintln(os.Stderr, "usage: tenso inspect [--json] FILE...") }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	out := bufferedStdout()
	defer out.Flush()
	for _, name := range fs.Args() {
		data, err := readInput(name)
		if err != nil {
			return fail(err)
		}
		err = packets(data, func(p []byte, v tenso.Value) error {
			if *asJSON {
				obj, err := describeJSON(p, v)
				if err != nil {
					return err
				}
				b, err := json.Marshal(obj)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(out, "%s\n", b)
				return err
			}
			return describeText(out, name, p, v)
		})
		if err != nil {
			out.Flush()
			return fail(err)
		}
	}
	return 0
}

func runVerify(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: tenso verify FILE...")
		return 2
	}
	for _, name := range args {
		data, err := readInput(name)
		if err != nil {
			return fail(err)
		}
		count := 0
		err = packets(data, func(p []byte, v tenso.Value) error {
			count++
			return checkTyped(v)
		})
		if err != nil {
			return fail(err)
		}
		fmt.Printf("%s: ok (%d packet%s, %d bytes)\n", name, count, plural(count), len(data))
	}
	return 0
}

// checkTyped applies the typed-accessor checks Decode leaves to the
// caller (bool bytes other than 0/1).
func checkTyped(v tenso.Value) error {
	var err error
	walk(v, func(t *tenso.Tensor) {
		if err == nil && t.DType == tenso.Bool {
			_, err = tenso.As[bool](t)
		}
	})
	return err
}

func walk(v tenso.Value, fn func(*tenso.Tensor)) {
	switch v := v.(type) {
	case *tenso.Tensor:
		fn(v)
	case *tenso.Bundle:
		for _, e := range v.Entries {
			walk(e.Value, fn)
		}
	case *tenso.Sparse:
		for _, t := range []*tenso.Tensor{v.Data, v.Row, v.Col, v.Indices, v.Indptr} {
			if t != nil {
				fn(t)
			}
		}
	case *tenso.Ragged:
		fn(v.Splits)
		fn(v.Flat)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func shaHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// obj keeps JSON keys in insertion order.
type obj []kv
type kv struct {
	k string
	v any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func shapeOf(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// describeJSON renders the packet p (decoded as v) in the JSON form of
// DESIGN.md's CLI section.
func describeJSON(p []byte, v tenso.Value) (obj, error) {
	info, err := tenso.Inspect(p)
	if err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case *tenso.Tensor:
		return obj{{"kind", "dense"}, {"version", info.Version}, {"dtype", v.DType.String()},
			{"shape", shapeOf(v.Shape)}, {"alignment", info.Alignment}, {"integrity", info.Integrity},
			{"compressed", info.Compressed}, {"sha256", shaHex(v.Data)}}, nil
	case *tenso.Quantized:
		deq, err := tenso.Dequantize(v)
		if err != nil {
			return nil, err
		}
		return obj{{"kind", "quantized"}, {"version", info.Version}, {"dtype", v.DType.String()},
			{"shape", shapeOf(v.Shape)}, {"alignment", info.Alignment}, {"integrity", info.Integrity},
			{"compressed", false}, {"scheme", v.Scheme.String()}, {"axis", v.Axis}, {"group_size", v.GroupSize},
			{"scales", floats(v.Scales)}, {"zero_points", floats(v.ZeroPoints)},
			{"sha256", shaHex(v.Data)}, {"dequantized_sha256", shaHex(deq.Data)}}, nil
	case *tenso.Strings:
		return obj{{"kind", "string"}, {"version", info.Version}, {"dtype", v.DType.String()},
			{"integrity", info.Integrity}, {"count", v.Len()}, {"strings", stringsOf(v)}}, nil
	case *tenso.Ragged:
		if v.Framed {
			return obj{{"kind", "ragged_frame"}, {"version", info.Version}, {"dtype_code", int(v.FrameDType)},
				{"integrity", info.Integrity}, {"count", v.Splits.NumElements() - 1},
				{"offsets", splitsOf(v.Splits)}, {"payload_sha256", shaHex(v.Flat.Data)}}, nil
		}
		parts, err := splitParts(p)
		if err != nil {
			return nil, err
		}
		flat, err := describeJSON(parts[1].Packet, v.Flat)
		if err != nil {
			return nil, err
		}
		return obj{{"kind", "ragged"}, {"version", info.Version}, {"splits", splitsOf(v.Splits)}, {"flat", flat}}, nil
	case *tenso.Bundle:
		parts, err := splitParts(p)
		if err != nil {
			return nil, err
		}
		entries := make([]obj, len(v.Entries))
		for i, e := range v.Entries {
			sub, err := describeJSON(parts[i].Packet, e.Value)
			if err != nil {
				return nil, err
			}
			entries[i] = obj{{"key", e.Key}, {"value", sub}}
		}
		return obj{{"kind", "bundle"}, {"version", info.Version}, {"count", len(v.Entries)}, {"entries", entries}}, nil
	case *tenso.Sparse:
		parts, err := splitParts(p)
		if err != nil {
			return nil, err
		}
		o := obj{{"kind", "sparse"}, {"version", info.Version}, {"format", v.Format.String()}, {"shape", shapeOf(v.Shape)}}
		comps := []*tenso.Tensor{v.Data, v.Indices, v.Indptr}
		if v.Format == tenso.COO {
			comps = []*tenso.Tensor{v.Data, v.Row, v.Col}
		}
		for i, part := range parts {
			sub, err := describeJSON(part.Packet, comps[i])
			if err != nil {
				return nil, err
			}
			o = append(o, kv{part.Key, sub})
		}
		return o, nil
	case *tenso.IPCRef:
		return obj{{"kind", "ipc_ref"}, {"version", info.Version}, {"handle", hex.EncodeToString(v.Handle[:])},
			{"offset", v.Offset}, {"nbytes", v.NBytes}, {"device_uuid", hex.EncodeToString(v.DeviceUUID[:])}}, nil
	}
	return nil, fmt.Errorf("tenso: unknown value %T", v)
}

// floats renders float32 values exactly (shortest decimal that round-trips
// through float32); NaN and infinities become strings, like the manifest.
func floats(fs []float32) []any {
	out := make([]any, len(fs))
	for i, f := range fs {
		switch {
		case math.IsNaN(float64(f)):
			out[i] = "nan"
		case math.IsInf(float64(f), 1):
			out[i] = "inf"
		case math.IsInf(float64(f), -1):
			out[i] = "-inf"
		default:
			out[i] = json.Number(fmt.Sprint(float64(f)))
		}
	}
	return out
}

func stringsOf(s *tenso.Strings) []string {
	if s.DType == tenso.Bytes {
		out := make([]string, s.Len())
		for i := range out {
			out[i] = hex.EncodeToString(s.Bytes(i))
		}
		return out
	}
	return s.All()
}

func splitsOf(t *tenso.Tensor) []any {
	out := make([]any, t.NumElements())
	for i := range out {
		switch t.DType {
		case tenso.Uint64:
			out[i] = binary.LittleEndian.Uint64(t.Data[8*i:])
		case tenso.Int64:
			out[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
		case tenso.Int32:
			out[i] = int32(binary.LittleEndian.Uint32(t.Data[4*i:]))
		case tenso.Uint32:
			out[i] = binary.LittleEndian.Uint32(t.Data[4*i:])
		case tenso.Int16:
			out[i] = int16(binary.LittleEndian.Uint16(t.Data[2*i:]))
		case tenso.Uint16:
			out[i] = binary.LittleEndian.Uint16(t.Data[2*i:])
		case tenso.Int8:
			out[i] = int8(t.Data[i])
		default:
			out[i] = t.Data[i]
		}
	}
	return out
}

func describeText(w io.Writer, name string, p []byte, v tenso.Value) error {
	info, err := tenso.Inspect(p)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %d bytes, version %d, flags 0x%04x\n", name, len(p), info.Version, info.Flags)
	return textValue(w, "  ", p, v)
}

func textValue(w io.Writer, indent string, p []byte, v tenso.Value) error {
	info, err := tenso.Inspect(p)
	if err != nil {
		return err
	}
	mods := ""
	if info.Integrity {
		mods += ", xxh3 footer"
	}
	if info.Compressed {
		mods += ", lz4"
	}
	switch v := v.(type) {
	case *tenso.Tensor:
		fmt.Fprintf(w, "%sdense %s %v: %d elements, %d bytes, alignment %d, body at %d%s\n",
			indent, v.DType, shapeOf(v.Shape), v.NumElements(), len(v.Data), info.Alignment, info.BodyOffset, mods)
	case *tenso.Quantized:
		fmt.Fprintf(w, "%squantized %s %v: %s", indent, v.DType, shapeOf(v.Shape), v.Scheme)
		switch v.Scheme {
		case tenso.PerChannel:
			fmt.Fprintf(w, " (axis %d)", v.Axis)
		case tenso.PerGroup:
			fmt.Fprintf(w, " (group size %d)", v.GroupSize)
		}
		fmt.Fprintf(w, ", %d scales, %d packed bytes, alignment %d%s\n", len(v.Scales), len(v.Data), info.Alignment, mods)
	case *tenso.Strings:
		fmt.Fprintf(w, "%sstring tensor: %d elements, %d payload bytes%s\n", indent, v.Len(), len(v.Payload), mods)
		for i := 0; i < v.Len() && i < 8; i++ {
			fmt.Fprintf(w, "%s  [%d] %q\n", indent, i, v.Bytes(i))
		}
	case *tenso.Ragged:
		fmt.Fprintf(w, "%sragged: %d rows of %s, %d values%s\n", indent, v.Splits.NumElements()-1, v.Flat.DType, v.Flat.NumElements(), mods)
	case *tenso.Bundle:
		parts, err := splitParts(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%sbundle: %d entries\n", indent, len(v.Entries))
		for i, e := range v.Entries {
			fmt.Fprintf(w, "%s  %q:\n", indent, e.Key)
			if err := textValue(w, indent+"    ", parts[i].Packet, e.Value); err != nil {
				return err
			}
		}
	case *tenso.Sparse:
		fmt.Fprintf(w, "%ssparse %s %v: %d stored values of %s\n", indent, v.Format, v.Shape, v.Data.NumElements(), v.Data.DType)
	case *tenso.IPCRef:
		fmt.Fprintf(w, "%sGPU IPC reference: offset %d, %d bytes, device %x\n", indent, v.Offset, v.NBytes, v.DeviceUUID)
	}
	return nil
}

func bufferedStdout() *bufio.Writer { return bufio.NewWriter(os.Stdout) }

// splitParts returns the packets of the bundle entries or sparse
// components of p (nil for other kinds), whose own headers (version,
// alignment, flags) the decoded values do not keep.
func splitParts(p []byte) ([]part, error) {
	in, err := tenso.InspectTree(p, tenso.Limits{})
	if err != nil {
		return nil, err
	}
	parts := make([]part, len(in.Parts))
	for i, pt := range in.Parts {
		parts[i] = part{pt.Key, p[pt.Offset : pt.Offset+pt.Len : pt.Offset+pt.Len]}
	}
	return parts, nil
}

// part is a value inside a container packet: its key and its own packet.
type part struct {
	Key    string
	Packet []byte
}
