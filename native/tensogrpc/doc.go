// Package tensogrpc carries Tenso packets over gRPC, interoperable with the
// reference's service (Python tenso.grpc.tenso_msg_pb2, TensorInference).
//
// It provides:
//
//   - the TensorInference service in package tensopb, generated with protoc
//     from proto/tenso.proto (`make proto`): Predict(PredictRequest{bytes
//     tensor_packet = 1}) returns (PredictResponse{bytes result_packet = 1}),
//     as in the reference, plus PredictStream, a bidirectional stream that
//     answers each request with one response in order (sequences of
//     tensors over one call);
//   - NewService, which implements that service from a plain
//     func(ctx, tenso.Value) (tenso.Value, error), and NewServer/Serve/Run,
//     the counterpart of the reference's run_grpc (256 MiB message limits,
//     worker pool sized from the CPU count, graceful stop on SIGINT/SIGTERM);
//   - Client, a helper that sends values and decodes results, over the
//     protobuf messages or over the tenso codec;
//   - Codec, a gRPC encoding.CodecV2 registered under the name "tenso"
//     (content type application/grpc+tenso). With it a message on the wire
//     is exactly one Tenso packet, without any protobuf framing.
//
// # The tenso codec
//
// Marshal accepts a tenso.Value (*tenso.Tensor, *tenso.Bundle, …), a
// *tenso.Value, a Packet (an already encoded packet, sent as is), or a
// *tensopb.PredictRequest / *tensopb.PredictResponse, whose packet field
// becomes the whole message. Marshalling a value does not copy tensor
// bodies: the buffers handed to gRPC alias the value's Data, so the data
// must not be modified until the send has completed (the same rule as for
// any gRPC message).
//
// Unmarshal accepts a *tenso.Value (decoded under Codec.Limits into a fresh
// 64-byte aligned buffer that the value owns), a *Packet (the raw bytes,
// not decoded), or a *tensopb.PredictRequest / *tensopb.PredictResponse,
// whose packet field receives the message (a PredictResponse also gets
// Status "SUCCESS": with this codec a failed call carries no message, only
// a gRPC status). The other fields of the protobuf messages (model_name,
// status) are not carried by this codec; send them as metadata.
//
// Because the tenso codec reads and writes the generated message types, one
// TensorInference server answers both kinds of client: protobuf clients
// (the reference's Python stub) and Go clients that call it with
// grpc.CallContentSubtype("tenso").
//
// # Lifetime and concurrency
//
// A Value handed to a service handler is a view into the request message's
// packet and is valid during the handler call; copy what must outlive it.
// Values returned by Client own their memory. Client and the service are
// safe for concurrent use; a Stream is used by one sending and one
// receiving goroutine at most, as any gRPC stream.
//
// # Interoperability note
//
// The reference's .proto file was not available when this package was
// written: the service name "tenso.TensorInference", and the field numbers
// of model_name (2) and status (2) are inferred from the reference's Python
// usage. tensor_packet and result_packet are field 1. NewServer also
// registers the service under the unqualified name "TensorInference", so a
// client generated from a .proto without a package reaches it too.
package tensogrpc
