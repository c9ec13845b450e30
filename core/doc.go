// Package core is the Tenso wire format: every packet kind of FORMAT.md
// (dense, quantized, string, ragged, bundle, sparse COO/CSR/CSC, GPU IPC
// reference), encoding (version 4), zero-copy decoding of versions 3 and 4,
// LZ4 frames, XXH3-64 integrity footers, limits, streaming framing and
// packet inspection. It is pure Go and builds for every target, wasm
// included. Most programs import the root package tenso, which re-exports
// this API and adds typed helpers and the SIMD kernels.
//
// # Lifetime of decoded values
//
// Decode returns views into the packet for every uncompressed body: a
// Tensor's Data, a Quantized tensor's Data, a Strings' offsets and payload,
// a Ragged's splits and flat values all alias the packet's memory. They are
// valid exactly as long as that memory is, and they change if it changes.
// Copy what must outlive the packet. A compressed dense body is
// decompressed into one exactly-sized allocation after every header check
// and the integrity check.
//
// # Errors
//
// Bad data is a *FormatError (byte offset, field, message) wrapping one of
// ErrCorrupt, ErrTooLarge, ErrChecksum, ErrUnsupported, ErrUnframed; caller
// mistakes wrap ErrInvalid. Decoding never panics, never hangs and never
// allocates more than the validated packet needs.
//
// # Concurrency
//
// Encode, Decode, Inspect and friends are safe for concurrent use. A Reader
// or Writer is used by one goroutine at a time.
package core
