// Package tenso reads and writes Tenso packets: a zero-copy tensor wire
// format with a tiny header, 64-byte aligned bodies and optional LZ4
// compression and XXH3-64 integrity footers, byte-compatible with the
// reference Python/Rust implementation (Khushiyant/tenso).
//
// The codec lives in package core; this package re-exports it (the value
// types are aliases) and adds typed helpers (FromSlice, As), quantization
// (Quantize, Dequantize, DequantizeInto) and float16/bfloat16 conversions
// whose hot loops are hand-written assembly on amd64 (AVX-512, AVX2+F16C)
// and arm64 (NEON; BFCVTN where the CPU has the BF16 extension; float16
// needs no extension, FCVTL/FCVTN being baseline ARMv8), chosen at
// start-up from the CPU's features.
// Build with -tags purego (or noasm) to use only the Go code.
//
// Decoded values are views into the packet: see package core for the
// lifetime rule. Companion packages: native (memory-mapped files), shm
// (shared memory and a multi-process tensor cache), native/tensohttp and
// native/tensogrpc (serving), wasm (WebAssembly module and wazero host),
// gpu (CUDA transfers, its own module).
package tenso
