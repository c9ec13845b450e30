package bench

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	"codeberg.org/sbinet/npyio"
	"codeberg.org/sbinet/npyio/npz"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/nlpodyssey/safetensors"
	"github.com/vmihailenco/msgpack/v5"
	"google.golang.org/protobuf/proto"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/bench/internal/pb"
)

// tensoValue is the case as a Tenso value (a tensor, or a bundle).
func tensoValue(c *Case) tenso.Value {
	if !c.Bundle {
		t := c.Tensors[0]
		return &tenso.Tensor{DType: t.DType, Shape: t.Shape, Data: t.Data}
	}
	b := &tenso.Bundle{}
	for _, t := range c.Tensors {
		b.Add(t.Name, &tenso.Tensor{DType: t.DType, Shape: t.Shape, Data: t.Data})
	}
	return b
}

func tensoVisit(v tenso.Value, visit Visit) error {
	switch v := v.(type) {
	case *tenso.Tensor:
		visit(0, v.Data)
	case *tenso.Bundle:
		for i, e := range v.Entries {
			t, ok := e.Value.(*tenso.Tensor)
			if !ok {
				return fmt.Errorf("bundle value %q is %T", e.Key, e.Value)
			}
			visit(i, t.Data)
		}
	default:
		return fmt.Errorf("decoded %T", v)
	}
	return nil
}

func tensoEncode(o tenso.Options) func(c *Case) func() ([]byte, error) {
	return func(c *Case) func() ([]byte, error) {
		v := tensoValue(c)
		return func() ([]byte, error) { return tenso.Encode(v, o) }
	}
}

func tensoDecode(c *Case) func(p []byte, visit Visit) error {
	return func(p []byte, visit Visit) error {
		v, err := tenso.Decode(p)
		if err != nil {
			return err
		}
		return tensoVisit(v, visit)
	}
}

// Touch reads every element: float32 values are summed as float32 through
// tenso.As (zero-copy), uint8 values as integers.
func Touch(dt tenso.DType, shape []int, data []byte) float64 {
	switch dt {
	case tenso.Float32:
		f, err := tenso.As[float32](&tenso.Tensor{DType: dt, Shape: shape, Data: data})
		if err != nil {
			panic(err)
		}
		var s float32
		for _, x := range f {
			s += x
		}
		return float64(s)
	default:
		var s uint64
		for _, x := range data {
			s += uint64(x)
		}
		return float64(s)
	}
}

var sink float64

// Codecs returns every format under test, Tenso variants first.
func Codecs() []Codec {
	return []Codec{
		{
			Name: "tenso", Note: "`tenso.Encode` into a fresh buffer; `tenso.Decode` (zero-copy views)",
			Encode: tensoEncode(tenso.Options{}), Decode: tensoDecode,
		},
		{
			Name: "tenso append", Note: "`tenso.Append` into a reused buffer (encode only)",
			Encode: func(c *Case) func() ([]byte, error) {
				v := tensoValue(c)
				var buf []byte
				return func() ([]byte, error) {
					var err error
					buf, err = tenso.Append(buf[:0], v, tenso.Options{})
					return buf, err
				}
			},
		},
		{
			Name: "tenso writev", Note: "`tenso.NewWriter(io.Discard).Write`: header buffers + body segments, no body copy (encode only; size is the packet length)",
			Encode: func(c *Case) func() ([]byte, error) {
				v := tensoValue(c)
				w := tenso.NewWriter(io.Discard)
				n, _ := tenso.Encode(v, tenso.Options{}) // for the reported size only
				return func() ([]byte, error) {
					_, err := w.Write(v, tenso.Options{})
					return n, err
				}
			},
		},
		{
			Name: "tenso decode+touch", Note: "`tenso.Decode`, then every element read (float32 via `tenso.As`) (decode only)",
			Decode: func(c *Case) func(p []byte, visit Visit) error {
				return func(p []byte, visit Visit) error {
					v, err := tenso.Decode(p)
					if err != nil {
						return err
					}
					i := 0
					return tensoVisit(v, func(j int, data []byte) {
						t := c.Tensors[j]
						sink += Touch(t.DType, t.Shape, data)
						visit(j, data)
						i++
					})
				}
			},
		},
		{
			Name: "tenso integrity", Note: "XXH3-64 footer written and verified",
			Encode: tensoEncode(tenso.Options{Integrity: true}), Decode: tensoDecode,
		},
		{
			Name: "tenso lz4", Note: "LZ4 frame body (decode decompresses into one allocation per tensor)",
			Encode: tensoEncode(tenso.Options{Compress: true}), Decode: tensoDecode,
		},
		arrowCodec(),
		safetensorsCodec(),
		npyCodec(),
		msgpackCodec(),
		gobCodec(),
		protoCodec(),
		{
			Name: "copy", Note: "baseline: `copy` of every tensor's bytes into a reused buffer (encode) and out of it (decode)",
			Encode: func(c *Case) func() ([]byte, error) {
				buf := make([]byte, c.Bytes())
				return func() ([]byte, error) {
					off := 0
					for _, t := range c.Tensors {
						off += copy(buf[off:], t.Data)
					}
					return buf, nil
				}
			},
			Decode: func(c *Case) func(p []byte, visit Visit) error {
				out := make([]byte, c.Bytes())
				return func(p []byte, visit Visit) error {
					off := 0
					for i, t := range c.Tensors {
						n := copy(out[off:off+len(t.Data)], p[off:])
						visit(i, out[off:off+n])
						off += n
					}
					return nil
				}
			},
		},
	}
}

// ---- Apache Arrow IPC (file format; zero-copy read of the bytes) ----

func arrowElem(dt tenso.DType) arrow.DataType {
	if dt == tenso.Float32 {
		return arrow.PrimitiveTypes.Float32
	}
	return arrow.PrimitiveTypes.Uint8
}

func shapeString(s []int) string {
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = strconv.Itoa(d)
	}
	return strings.Join(p, ",")
}

func arrowCodec() Codec {
	return Codec{
		Name: "arrow ipc",
		Note: "arrow-go IPC file: a single tensor is a one-column record batch (shape in field metadata); a bundle is one batch of 100 fixed-size-list columns with one row each. Encode wraps the bytes (no copy) and writes with `ipc.NewFileWriter`; decode is `ipc.NewMappedFileReader` (buffers alias the input)",
		Encode: func(c *Case) func() ([]byte, error) {
			fields := make([]arrow.Field, len(c.Tensors))
			for i, t := range c.Tensors {
				typ := arrowElem(t.DType)
				if c.Bundle {
					typ = arrow.FixedSizeListOf(int32(len(t.Data)/t.DType.ItemSize()), typ)
				}
				fields[i] = arrow.Field{Name: t.Name, Type: typ, Metadata: arrow.NewMetadata([]string{"shape"}, []string{shapeString(t.Shape)})}
			}
			schema := arrow.NewSchema(fields, nil)
			var out bytes.Buffer
			return func() ([]byte, error) {
				cols := make([]arrow.Array, len(c.Tensors))
				rows := int64(1)
				for i, t := range c.Tensors {
					n := len(t.Data) / t.DType.ItemSize()
					d := array.NewData(arrowElem(t.DType), n, []*memory.Buffer{nil, memory.NewBufferBytes(t.Data)}, nil, 0, 0)
					if c.Bundle {
						l := array.NewData(fields[i].Type, 1, []*memory.Buffer{nil}, []arrow.ArrayData{d}, 0, 0)
						d.Release()
						d = l
					} else {
						rows = int64(n)
					}
					cols[i] = array.MakeFromData(d)
					d.Release()
				}
				rec := array.NewRecordBatch(schema, cols, rows)
				for _, a := range cols {
					a.Release()
				}
				defer rec.Release()
				out = bytes.Buffer{}
				w, err := ipc.NewFileWriter(&out, ipc.WithSchema(schema))
				if err != nil {
					return nil, err
				}
				if err := w.Write(rec); err != nil {
					return nil, err
				}
				if err := w.Close(); err != nil {
					return nil, err
				}
				return out.Bytes(), nil
			}
		},
		Decode: func(c *Case) func(p []byte, visit Visit) error {
			return func(p []byte, visit Visit) error {
				r, err := ipc.NewMappedFileReader(p)
				if err != nil {
					return err
				}
				defer r.Close()
				rec, err := r.RecordBatch(0)
				if err != nil {
					return err
				}
				for i := 0; i < int(rec.NumCols()); i++ {
					d := rec.Column(i).Data()
					if c.Bundle {
						d = d.Children()[0]
					}
					t := c.Tensors[i]
					size := t.DType.ItemSize()
					b := d.Buffers()[1].Bytes()
					visit(i, b[d.Offset()*size:(d.Offset()+d.Len())*size])
				}
				return nil
			}
		},
	}
}

// ---- safetensors ----

func stDType(dt tenso.DType) safetensors.DType {
	if dt == tenso.Float32 {
		return safetensors.F32
	}
	return safetensors.U8
}

func safetensorsCodec() Codec {
	return Codec{
		Name: "safetensors",
		Note: "nlpodyssey/safetensors: `Serialize` of tensor views (one tensor named \"x\", or the bundle's names); `Deserialize` then `Tensor(name).Data()` (views into the input)",
		Encode: func(c *Case) func() ([]byte, error) {
			return func() ([]byte, error) {
				m := make(map[string]safetensors.TensorView, len(c.Tensors))
				for _, t := range c.Tensors {
					sh := make([]uint64, len(t.Shape))
					for i, d := range t.Shape {
						sh[i] = uint64(d)
					}
					v, err := safetensors.NewTensorView(stDType(t.DType), sh, t.Data)
					if err != nil {
						return nil, err
					}
					m[t.Name] = v
				}
				return safetensors.Serialize(m, nil)
			}
		},
		Decode: func(c *Case) func(p []byte, visit Visit) error {
			return func(p []byte, visit Visit) error {
				st, err := safetensors.Deserialize(p)
				if err != nil {
					return err
				}
				for i, t := range c.Tensors {
					v, ok := st.Tensor(t.Name)
					if !ok {
						return fmt.Errorf("no tensor %q", t.Name)
					}
					visit(i, v.Data())
				}
				return nil
			}
		},
	}
}

// ---- NumPy .npy / .npz (npyio) ----

// npyValue returns the tensor as a Go value npyio writes with the right
// shape: a slice of (nested) arrays aliasing t.Data, e.g. [][1280][3]uint8.
func npyValue(t Tensor) any {
	elem := reflect.TypeFor[uint8]()
	if t.DType == tenso.Float32 {
		elem = reflect.TypeFor[float32]()
	}
	inner := elem
	for i := len(t.Shape) - 1; i >= 1; i-- {
		inner = reflect.ArrayOf(t.Shape[i], inner)
	}
	whole := reflect.ArrayOf(t.Shape[0], inner)
	return reflect.NewAt(whole, unsafe.Pointer(unsafe.SliceData(t.Data))).Elem().Slice(0, t.Shape[0]).Interface()
}

func asBytes[T float32 | uint8](s []T) []byte {
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(z)))
}

// npyRead reads one array into a new flat slice of the right type.
func npyRead(read func(ptr any) error, dt tenso.DType) ([]byte, error) {
	if dt == tenso.Float32 {
		var f []float32
		err := read(&f)
		return asBytes(f), err
	}
	var b []uint8
	err := read(&b)
	return b, err
}

func npyCodec() Codec {
	return Codec{
		Name: "npy (npyio)",
		Note: "codeberg.org/sbinet/npyio: `npyio.Write` of a shaped Go array aliasing the data / `npyio.Read` into a new []float32 or []uint8; the bundle is an .npz (npyio/npz, a zip of .npy files)",
		Encode: func(c *Case) func() ([]byte, error) {
			var out bytes.Buffer
			return func() ([]byte, error) {
				out = bytes.Buffer{}
				if !c.Bundle {
					err := npyio.Write(&out, npyValue(c.Tensors[0]))
					return out.Bytes(), err
				}
				w := npz.NewWriter(&out)
				for _, t := range c.Tensors {
					if err := w.Write(t.Name, npyValue(t)); err != nil {
						return nil, err
					}
				}
				err := w.Close()
				return out.Bytes(), err
			}
		},
		Decode: func(c *Case) func(p []byte, visit Visit) error {
			return func(p []byte, visit Visit) error {
				if !c.Bundle {
					b, err := npyRead(func(ptr any) error { return npyio.Read(bytes.NewReader(p), ptr) }, c.Tensors[0].DType)
					if err != nil {
						return err
					}
					visit(0, b)
					return nil
				}
				r, err := npz.NewReader(bytes.NewReader(p), int64(len(p)))
				if err != nil {
					return err
				}
				for i, t := range c.Tensors {
					b, err := npyRead(func(ptr any) error { return r.Read(t.Name, ptr) }, t.DType)
					if err != nil {
						return err
					}
					visit(i, b)
				}
				return nil
			}
		},
	}
}

// ---- MessagePack, gob, protobuf: the struct a user would write ----

type wireTensor struct {
	DType string `msgpack:"dtype"`
	Shape []int  `msgpack:"shape"`
	Data  []byte `msgpack:"data"`
}

type wireEntry struct {
	Key   string     `msgpack:"key"`
	Value wireTensor `msgpack:"value"`
}

func wireValue(c *Case) any {
	if !c.Bundle {
		t := c.Tensors[0]
		return &wireTensor{t.DType.String(), t.Shape, t.Data}
	}
	es := make([]wireEntry, len(c.Tensors))
	for i, t := range c.Tensors {
		es[i] = wireEntry{t.Name, wireTensor{t.DType.String(), t.Shape, t.Data}}
	}
	return &es
}

func wireVisit(c *Case, single *wireTensor, bundle []wireEntry, visit Visit) error {
	if !c.Bundle {
		visit(0, single.Data)
		return nil
	}
	if len(bundle) != len(c.Tensors) {
		return errors.New("entry count differs")
	}
	for i := range bundle {
		visit(i, bundle[i].Value.Data)
	}
	return nil
}

func msgpackCodec() Codec {
	return Codec{
		Name: "msgpack",
		Note: "vmihailenco/msgpack/v5: `Marshal` / `Unmarshal` of {dtype, shape, data []byte} (a list of {key, value} for the bundle); decode copies the bytes",
		Encode: func(c *Case) func() ([]byte, error) {
			v := wireValue(c)
			return func() ([]byte, error) { return msgpack.Marshal(v) }
		},
		Decode: func(c *Case) func(p []byte, visit Visit) error {
			return func(p []byte, visit Visit) error {
				var t wireTensor
				var es []wireEntry
				var err error
				if c.Bundle {
					err = msgpack.Unmarshal(p, &es)
				} else {
					err = msgpack.Unmarshal(p, &t)
				}
				if err != nil {
					return err
				}
				return wireVisit(c, &t, es, visit)
			}
		},
	}
}

func gobCodec() Codec {
	return Codec{
		Name: "gob",
		Note: "encoding/gob: a new Encoder/Decoder per message (type info included) on the same structs as msgpack",
		Encode: func(c *Case) func() ([]byte, error) {
			v := wireValue(c)
			var out bytes.Buffer
			return func() ([]byte, error) {
				out = bytes.Buffer{}
				err := gob.NewEncoder(&out).Encode(v)
				return out.Bytes(), err
			}
		},
		Decode: func(c *Case) func(p []byte, visit Visit) error {
			return func(p []byte, visit Visit) error {
				var t wireTensor
				var es []wireEntry
				var err error
				if c.Bundle {
					err = gob.NewDecoder(bytes.NewReader(p)).Decode(&es)
				} else {
					err = gob.NewDecoder(bytes.NewReader(p)).Decode(&t)
				}
				if err != nil {
					return err
				}
				return wireVisit(c, &t, es, visit)
			}
		},
	}
}

func pbTensor(t Tensor) *pb.Tensor {
	sh := make([]uint64, len(t.Shape))
	for i, d := range t.Shape {
		sh[i] = uint64(d)
	}
	return &pb.Tensor{Dtype: t.DType.String(), Shape: sh, Data: t.Data}
}

func protoCodec() Codec {
	return Codec{
		Name: "protobuf",
		Note: "google.golang.org/protobuf: generated message Tensor{dtype, repeated uint64 shape, bytes data} (Bundle{repeated Entry{key, Tensor}}) with `proto.Marshal` / `proto.Unmarshal` (which copies bytes fields)",
		Encode: func(c *Case) func() ([]byte, error) {
			var m proto.Message
			if c.Bundle {
				b := &pb.Bundle{}
				for _, t := range c.Tensors {
					b.Entries = append(b.Entries, &pb.Entry{Key: t.Name, Value: pbTensor(t)})
				}
				m = b
			} else {
				m = pbTensor(c.Tensors[0])
			}
			return func() ([]byte, error) { return proto.Marshal(m) }
		},
		Decode: func(c *Case) func(p []byte, visit Visit) error {
			return func(p []byte, visit Visit) error {
				if !c.Bundle {
					var t pb.Tensor
					if err := proto.Unmarshal(p, &t); err != nil {
						return err
					}
					visit(0, t.Data)
					return nil
				}
				var b pb.Bundle
				if err := proto.Unmarshal(p, &b); err != nil {
					return err
				}
				for i, e := range b.Entries {
					visit(i, e.Value.GetData())
				}
				return nil
			}
		},
	}
}
