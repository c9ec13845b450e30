// Package tensonats moves Tenso values over NATS: publish and subscribe
// (one message is one packet, received values are zero-copy views of the
// message data) and inference services (a tensohttp.HandlerFunc served as
// a NATS micro service, called with Predict). Package store keeps values
// in a replicated JetStream bucket, with a shared-memory cache in front
// (Tiered); package embedded runs a NATS server with JetStream in the
// process.
//
// This is a separate Go module (github.com/tenso-go/tenso/native/tensonats)
// so that the NATS client and server stay out of the dependency graph of
// programs that only `go get` the codec: nothing in
// github.com/tenso-go/tenso imports it.
//
// # Messages
//
// Publish encodes a value as one packet, the whole message body, with
// headers that mirror tensohttp's: Tenso-Version (4), and for dense,
// quantized and sparse values Tenso-Shape (Python tuple form) and
// Tenso-Dtype. A packet larger than the connection's max payload is an
// error wrapping ErrMaxPayload that names store.Store.PutValue as the way
// to send it. Subscribe decodes each message under tenso.Limits; a message
// that does not decode goes to the OnError handler (a *tenso.FormatError
// for a malformed packet, via errors.As) and the subscription goes on.
// A decoded value is a view of the message data: it stays valid as long as
// it is referenced (nothing recycles that buffer).
//
// # Services
//
// Serve registers a micro service (discovery, stats, queue group: N
// processes under one name share the requests). A request is admitted
// like a tensohttp request: its decoded size is checked against the limits
// and reserved from a memory budget (package budget) before decoding.
// Errors travel as micro's error headers: Nats-Service-Error-Code holds
// the HTTP status tensohttp would answer (400 wrong content, 422 bad
// packet, 413 too large, 503 busy, 500) and Nats-Service-Error the
// detail; Predict turns them into a *StatusError.
package tensonats
