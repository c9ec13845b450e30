package tensogrpc

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/sysio"
	"github.com/tenso-go/tenso/native/tensogrpc/tensopb"
)

// Name is the codec's registered name: calls made with
// grpc.CallContentSubtype(Name) use content type application/grpc+tenso.
const Name = "tenso"

// Packet is an encoded Tenso packet carried by the tenso codec as is.
type Packet []byte

// Codec is the gRPC codec whose messages are Tenso packets (see the package
// doc for the types it accepts). The zero value encodes with default
// Options and decodes with default Limits; it is registered under Name in
// this package's init. Use grpc.ForceCodecV2(Codec{…}) on a call or
// grpc.ForceServerCodecV2 on a server for other settings.
type Codec struct {
	Options tenso.Options // for Marshal of values
	Limits  tenso.Limits  // for Unmarshal into *tenso.Value
}

func init() { encoding.RegisterCodecV2(Codec{}) }

// Name returns "tenso".
func (Codec) Name() string { return Name }

// Marshal returns the packet for v as a list of buffers aliasing v.
func (c Codec) Marshal(v any) (mem.BufferSlice, error) {
	switch m := v.(type) {
	case Packet:
		return mem.BufferSlice{mem.SliceBuffer(m)}, nil
	case *Packet:
		if m == nil {
			return nil, fmt.Errorf("tensogrpc: marshal: nil *Packet")
		}
		return mem.BufferSlice{mem.SliceBuffer(*m)}, nil
	case *tensopb.PredictRequest:
		return mem.BufferSlice{mem.SliceBuffer(m.GetTensorPacket())}, nil
	case *tensopb.PredictResponse:
		return mem.BufferSlice{mem.SliceBuffer(m.GetResultPacket())}, nil
	case *tenso.Value:
		if m == nil {
			return nil, fmt.Errorf("tensogrpc: marshal: nil *tenso.Value")
		}
		return c.Marshal(*m)
	case tenso.Value:
		if isNilValue(m) {
			return nil, fmt.Errorf("tensogrpc: marshal: nil %T", m)
		}
		bufs, _, err := tenso.Segments(m, c.Options)
		if err != nil {
			return nil, err
		}
		out := make(mem.BufferSlice, len(bufs))
		for i, b := range bufs {
			out[i] = mem.SliceBuffer(b)
		}
		return out, nil
	case nil:
		return nil, fmt.Errorf("tensogrpc: marshal: nil message")
	}
	return nil, fmt.Errorf("tensogrpc: marshal: unsupported message type %T", v)
}

// isNilValue reports a typed nil pointer inside a Value.
func isNilValue(v tenso.Value) bool {
	switch t := v.(type) {
	case *tenso.Tensor:
		return t == nil
	case *tenso.Bundle:
		return t == nil
	case *tenso.Sparse:
		return t == nil
	case *tenso.Quantized:
		return t == nil
	case *tenso.Strings:
		return t == nil
	case *tenso.Ragged:
		return t == nil
	case *tenso.IPCRef:
		return t == nil
	}
	return v == nil
}

// Unmarshal stores the message data into v. The data is copied into a
// fresh aligned buffer (gRPC recycles its own as soon as Unmarshal returns).
func (c Codec) Unmarshal(data mem.BufferSlice, v any) error {
	switch m := v.(type) {
	case *tenso.Value:
		if m == nil {
			return fmt.Errorf("tensogrpc: unmarshal into nil *tenso.Value")
		}
		x, err := tenso.DecodeWith(materialize(data), c.Limits)
		if err != nil {
			return err
		}
		*m = x
		return nil
	case *Packet:
		if m == nil {
			return fmt.Errorf("tensogrpc: unmarshal into nil *Packet")
		}
		*m = materialize(data)
		return nil
	case *tensopb.PredictRequest:
		if m == nil {
			return fmt.Errorf("tensogrpc: unmarshal into nil *PredictRequest")
		}
		m.Reset()
		m.TensorPacket = materialize(data)
		return nil
	case *tensopb.PredictResponse:
		if m == nil {
			return fmt.Errorf("tensogrpc: unmarshal into nil *PredictResponse")
		}
		m.Reset()
		m.ResultPacket = materialize(data)
		m.Status = StatusSuccess
		return nil
	}
	return fmt.Errorf("tensogrpc: unmarshal: unsupported message type %T", v)
}

// materialize copies data into one 64-byte aligned buffer.
func materialize(data mem.BufferSlice) []byte {
	n := data.Len()
	b := sysio.AlignedBytes(n, 0) // decoded tensor views are aligned for their element type
	data.CopyTo(b)
	return b
}
