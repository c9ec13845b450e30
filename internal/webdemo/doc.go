// Package webdemo serves the Tenso web demo: a page that fetches tensors
// from this server (an image as uint8 HxWx3, a float32 heatmap, a
// qint8-quantized weight matrix, a bundle, and every golden packet),
// decodes them in the browser with the js/ package (the Go codec compiled to
// WebAssembly), draws them, and compares decode time and size with a JSON
// encoding of the same tensor.
//
// The server computes a canonical description of every tensor it serves
// with the native decoder (Describe: kinds, dtypes, shapes and SHA-256 of
// the element bytes); the page computes the same description from what it
// decoded, and the end-to-end test (e2e/, headless Chromium) requires both
// to be equal.
//
// Its live panel connects to a NATS server's WebSocket listener (Options.Live,
// served to the page at /api/live), subscribes to a subject and decodes the
// packets pushed there; the page loads the NATS client from Options.Vendor.
// This package imports no NATS code: `tenso demo` runs the embedded server
// and the publisher, and records each frame's description (Live.Expect) for
// the e2e check. The module is served as application/wasm with a strong ETag
// and Cache-Control: no-cache, so browsers compile it while it streams in
// and reuse their cached copy (304) until it is rebuilt.
//
// Run it with `tenso demo` (or `make demo`), which listens on 127.0.0.1.
package webdemo
