package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// packets decodes the back-to-back packets of a file, calling fn for each
// with its offset in the file.
func packets(name string, data []byte, fn func(off int, p []byte, v tenso.Value) error) error {
	if len(data) == 0 {
		return errors.New("empty file: no packet")
	}
	for off := 0; off < len(data); {
		v, n, err := tenso.DecodePrefix(data[off:], tenso.Limits{})
		if err != nil {
			if off > 0 {
				return fmt.Errorf("%w (packet at byte %d of the file)", err, off)
			}
			if hint := notTenso(name, data); hint != nil {
				return hint
			}
			return err
		}
		if err := fn(off, data[off:off+n], v); err != nil {
			return err
		}
		off += n
	}
	return nil
}

// notTenso recognises the files `tenso convert` reads (by the NumPy magic
// or the safetensors header) and says so; nil for anything else.
func notTenso(name string, data []byte) error {
	what := ""
	switch {
	case bytes.HasPrefix(data, []byte("\x93NUMPY")):
		what = "a NumPy .npy file"
	case len(data) >= 10 && data[8] == '{' && binary.LittleEndian.Uint64(data) <= uint64(len(data)-8):
		what = "a safetensors file"
	default:
		return nil
	}
	if name == "-" {
		name = "FILE"
	}
	return fmt.Errorf("this looks like %s, not a Tenso packet; convert it with `tenso convert %s`", what, name)
}

func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

// readPacket reads the file name ("-": stdin), which must hold exactly one
// valid packet (its XXH3 footer checked when it has one, no byte after
// it); the error is about the file (fileError) and says so when it is a
// file `tenso convert` reads.
func readPacket(name string) ([]byte, error) {
	data, err := readInput(name)
	if err != nil {
		return nil, fileError(name, err)
	}
	_, n, err := tenso.DecodePrefix(data, tenso.Limits{})
	if err != nil {
		if hint := notTenso(name, data); hint != nil {
			err = hint
		}
		return nil, fileError(name, err)
	}
	if n != len(data) {
		return nil, fileError(name, fmt.Errorf("%s after the packet's %s: the file must hold one packet (`tenso inspect %s` lists them)",
			count(len(data)-n, "byte"), count(n, "byte"), name))
	}
	return data, nil
}

// fileVerb is the shared body of inspect and verify: "VERB [--json]
// FILE...". It reads every named file ("-": stdin) and runs check on its
// contents (or on the read error), printing one "tenso: FILE: …" line for
// each that fails; the exit status is 1 if any failed.
func fileVerb(args []string, verb, description, jsonHelp string, check func(out *bufio.Writer, asJSON bool, name string, data []byte, err error) error) int {
	fs := newFlags(verb, "[--json] FILE...", description+"\n"+
		"Every file is read; each bad one gets its own \"tenso: FILE: ...\" line, and the\n"+
		"exit status is 1 if any was bad.")
	asJSON := fs.Bool("json", false, jsonHelp)
	names, status, ok := parseArgs(fs, args)
	if !ok {
		return status
	}
	if len(names) == 0 {
		return badUsage(fs, verb+": name a file")
	}
	out := bufferedStdout()
	for _, name := range names {
		data, err := readInput(name)
		err = check(out, *asJSON, name, data, err)
		out.Flush() // before any error line
		if err != nil {
			failFile(name, err)
			status = 1
		}
	}
	return status
}

func runInspect(args []string) int {
	return fileVerb(args, "inspect",
		"Describes every packet of each FILE (\"-\": stdin): kind, dtype, shape, sizes, flags.\n"+
			"Offsets are bytes from the start of the file, also inside bundles.",
		"print one JSON object per packet",
		func(out *bufio.Writer, asJSON bool, name string, data []byte, err error) error {
			if err != nil {
				return err
			}
			return packets(name, data, func(off int, p []byte, v tenso.Value) error {
				if asJSON {
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
				return describeText(out, name, off, p, v)
			})
		})
}

func runVerify(args []string) int {
	return fileVerb(args, "verify",
		"Decodes every packet of each FILE (\"-\": stdin), checking its structure and, where\n"+
			"the packet has one, its XXH3-64 integrity footer. A packet without a footer can\n"+
			"only be checked for structure; the report says so.",
		"print one JSON object per file: file, ok, packets, bytes, footers (XXH3 footers checked), unchecked (values no footer covers), error",
		func(out *bufio.Writer, asJSON bool, name string, data []byte, err error) error {
			n, with, without := 0, 0, 0
			if err == nil {
				err = packets(name, data, func(_ int, p []byte, v tenso.Value) error {
					n++
					w, wo := footers(p)
					with, without = with+w, without+wo
					return checkTyped(v)
				})
			}
			if asJSON {
				o := obj{{"file", name}, {"ok", err == nil}, {"packets", n}, {"bytes", len(data)},
					{"footers", with}, {"unchecked", without}}
				if err != nil {
					o = append(o, kv{"error", strings.TrimPrefix(errorLine(fileError(name, err)), "tenso: ")})
				}
				b, jerr := json.Marshal(o)
				if jerr != nil {
					return jerr
				}
				fmt.Fprintf(out, "%s\n", b)
			}
			if err != nil || asJSON {
				return err
			}
			fmt.Fprintf(out, "%s: ok (%s, %s; ", name, count(n, "packet"), count(len(data), "byte"))
			switch {
			case without == 0:
				fmt.Fprintf(out, "%s checked)\n", count(with, "XXH3 integrity footer"))
			case with == 0:
				fmt.Fprintln(out, "no XXH3 footer: only the structure was checked)")
			default:
				fmt.Fprintf(out, "%s checked; %s without one: only their structure was checked)\n",
					count(with, "XXH3 integrity footer"), count(without, "value"))
			}
			return nil
		})
}

// footers counts the packets in p that carry an XXH3 integrity footer
// (one covers everything inside it) and the leaf values no footer covers.
func footers(p []byte) (with, without int) {
	info, err := tenso.Inspect(p)
	if err != nil {
		return 0, 1
	}
	if info.Integrity {
		return 1, 0
	}
	parts, err := splitParts(p)
	if err != nil || len(parts) == 0 {
		return 0, 1
	}
	for _, pt := range parts {
		w, wo := footers(pt.Packet)
		with, without = with+w, without+wo
	}
	return with, without
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

// describeText prints the packet p, found at byte off of the file name.
func describeText(w io.Writer, name string, off int, p []byte, v tenso.Value) error {
	info, err := tenso.Inspect(p)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: packet at byte %d: %s, version %d, flags 0x%04x\n", name, off, count(len(p), "byte"), info.Version, info.Flags)
	return textValue(w, "  ", off, p, v)
}

// textValue prints v, decoded from the packet p found at byte base of the
// file; offsets printed are from the start of the file.
func textValue(w io.Writer, indent string, base int, p []byte, v tenso.Value) error {
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
		fmt.Fprintf(w, "%sdense %s %v: %s, %s, alignment %d, body at byte %d%s\n",
			indent, v.DType, shapeOf(v.Shape), count(v.NumElements(), "element"), count(len(v.Data), "byte"), info.Alignment, base+info.BodyOffset, mods)
	case *tenso.Quantized:
		fmt.Fprintf(w, "%squantized %s %v: %s", indent, v.DType, shapeOf(v.Shape), v.Scheme)
		switch v.Scheme {
		case tenso.PerChannel:
			fmt.Fprintf(w, " (axis %d)", v.Axis)
		case tenso.PerGroup:
			fmt.Fprintf(w, " (group size %d)", v.GroupSize)
		}
		fmt.Fprintf(w, ", %s, %s, alignment %d, body at byte %d%s\n", count(len(v.Scales), "scale"), count(len(v.Data), "packed byte"), info.Alignment, base+info.BodyOffset, mods)
	case *tenso.Strings:
		fmt.Fprintf(w, "%sstring tensor: %s, %s%s\n", indent, count(v.Len(), "element"), count(len(v.Payload), "payload byte"), mods)
		for i := 0; i < v.Len() && i < 8; i++ {
			fmt.Fprintf(w, "%s  [%d] %q\n", indent, i, v.Bytes(i))
		}
	case *tenso.Ragged:
		fmt.Fprintf(w, "%sragged: %s of %s, %s%s\n", indent, count(v.Splits.NumElements()-1, "row"), v.Flat.DType, count(v.Flat.NumElements(), "value"), mods)
	case *tenso.Bundle:
		parts, err := splitParts(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%sbundle: %s%s\n", indent, count(len(v.Entries), "entry"), mods)
		for i, e := range v.Entries {
			fmt.Fprintf(w, "%s  %q (packet at byte %d):\n", indent, e.Key, base+parts[i].Offset)
			if err := textValue(w, indent+"    ", base+parts[i].Offset, parts[i].Packet, e.Value); err != nil {
				return err
			}
		}
	case *tenso.Sparse:
		fmt.Fprintf(w, "%ssparse %s %v: %s of %s%s\n", indent, v.Format, shapeOf(v.Shape), count(v.Data.NumElements(), "stored value"), v.Data.DType, mods)
	case *tenso.IPCRef:
		fmt.Fprintf(w, "%sGPU IPC reference: offset %d, %s, device %x\n", indent, v.Offset, count(int(v.NBytes), "byte"), v.DeviceUUID)
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
		parts[i] = part{pt.Key, int(pt.Offset), p[pt.Offset : pt.Offset+pt.Len : pt.Offset+pt.Len]}
	}
	return parts, nil
}

// part is a value inside a container packet: its key, the offset of its
// packet in the container's and the packet.
type part struct {
	Key    string
	Offset int
	Packet []byte
}
