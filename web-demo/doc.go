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
// Run it with `tenso demo` (or `make demo`), which listens on 127.0.0.1.
package webdemo
