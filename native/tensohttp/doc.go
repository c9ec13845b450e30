// Package tensohttp serves and calls Tenso tensors over HTTP, interoperable
// with the reference's FastAPI integration (TensoResponse, get_tenso_data,
// TensoApp) and its TensoFastAPIClient.
//
// It has three layers, each usable alone:
//
//   - WriteResponse writes one value as an application/octet-stream body
//     with the reference's headers (X-Tenso-Version, X-Tenso-Shape in
//     Python tuple form, X-Tenso-Dtype, optional Content-Disposition). The
//     packet is written as a list of buffers from tenso.Segments: tensor
//     bodies go to the connection without being copied into a packet.
//     ReadRequest reads a request body under a size limit and decodes it,
//     answering with the reference's status codes: 400 for a content type
//     other than application/octet-stream, 413 for a body over the limit,
//     422 with the decode error's text for a bad packet. Error bodies are
//     FastAPI's JSON shape, {"detail": "..."}.
//   - App routes endpoints (func(ctx, tenso.Value) (tenso.Value, error)),
//     answers /health with {"status":"ok","endpoints":[…]} and
//     /health/stats with its gauges, admits requests under a memory budget
//     (see Admission below), sets server timeouts against slow clients and
//     shuts down gracefully on SIGINT/SIGTERM. StreamEndpoint answers with a sequence
//     of packets back to back in one chunked response. An App is an
//     http.Handler and can be mounted in any router.
//   - Client posts values to a Tenso endpoint (a Go App or a Python
//     TensoApp/FastAPI server), decodes the answer whole (Predict) or as it
//     arrives through the streaming reader (StreamPredict), and turns non-2xx
//     answers into a *StatusError carrying the server's detail message.
//
// It is not a general web framework: routing is by exact path, one method
// per path, and the only body format is one Tenso packet per message.
//
// # Lifetime of decoded values
//
// A Value handed to an App endpoint is a zero-copy view into the request
// body buffer. That buffer belongs to the App and is recycled once the
// response has been written: the Value (and any slice of its Data) is valid
// only during the handler call and while its result is being written. A
// handler may return the request Value itself or views of it; a handler that
// keeps data must copy it. Values returned by Client.Predict, ReadRequest and
// the streaming calls own their buffers and stay valid as long as they are
// referenced.
//
// # Admission and memory
//
// An App holds a request in three steps, and a slow or hostile client can
// hold only what the step it is in allows:
//
//  1. Headers: ReadHeaderTimeout (10 s) and MaxHeaderBytes (1 MiB) bound a
//     connection that sends only headers; such a connection takes no
//     handler slot and no budget, so it cannot starve the App.
//  2. Body: read before any handler slot is taken. The buffer grows with
//     the bytes that arrive (a declared Content-Length is not allocated up
//     front beyond 1 MiB) and every allocation is reserved from the memory
//     budget first. After BodyGrace (5 s) the body must have arrived at
//     MinBodyRate (4 KiB/s) on average since the request began, and within
//     ReadTimeout (60 s) in all; otherwise it is answered 408 and the
//     connection closed. A body over MaxBodyBytes is answered 413 unread.
//     Then the packet's decoded size (what LZ4 bodies decompress to, read
//     from its headers by tenso.DecompressedSize) is checked against
//     Limits.MaxDecodedBytes (default 2 × MaxBodyBytes: 413 over it) and
//     reserved from the budget before decoding.
//  3. Handling: a request whose body is in and decoded takes one of
//     MaxConcurrent (64) handler slots, or is answered 503 with
//     Retry-After at once if none is free. Its response counts in the
//     budget while it is written.
//
// The budget (Options.Budget or MaxInflightBytes, default 1 GiB; package
// budget) is shared by every request of the App, and may be shared with
// other servers of the process. A reservation larger than the whole
// budget is answered 413; one that does not fit beside the requests in
// flight is answered 503 with Retry-After: 1. So the memory the App holds
// for requests is at most the budget plus the responses of admitted
// requests (counted, not refused, since they already exist) plus what
// handlers allocate for themselves; the number of connections is bounded
// by the operating system and a proxy in front, not by the App.
//
// Every refusal of the App's own is counted by cause (Stats, served at
// Options.StatsPath, default /health/stats) and logged as one line on
// ErrorLog: "tensohttp: rejected POST /infer from ADDR: CAUSE: STATUS
// DETAIL", CAUSE one of busy, memory, too_large, slow_body, bad_request,
// bad_packet.
//
// # Concurrency
//
// An App may serve any number of connections concurrently; endpoints are
// called concurrently up to Options.MaxConcurrent and must be safe for
// that. Register endpoints before serving. A Client is safe for concurrent
// use and reuses connections; call Close to drop idle ones.
package tensohttp
