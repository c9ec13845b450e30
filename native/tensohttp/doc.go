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
//     answers /health with {"status":"ok","endpoints":[…]}, bounds
//     concurrency, sets server timeouts against slow clients and shuts down
//     gracefully on SIGINT/SIGTERM. StreamEndpoint answers with a sequence
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
// # Concurrency
//
// An App may serve any number of connections concurrently; endpoints are
// called concurrently up to Options.MaxConcurrent and must be safe for
// that. Register endpoints before serving. A Client is safe for concurrent
// use and reuses connections; call Close to drop idle ones.
package tensohttp
