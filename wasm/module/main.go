// Command module is the Tenso WebAssembly module: the Go codec compiled with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o tenso.wasm ./wasm/module
//
// It is a WASI reactor: a host instantiates it, calls _initialize once, then
// the exported tenso_* functions. One module serves browsers and Node (through
// the small WASI shim of the js/ package), edge runtimes and Go programs (the
// wasm/host package, with wazero).
//
// # Calling convention
//
// Every function is synchronous and single-threaded. Buffers live in the
// module's linear memory: the host gets room with tenso_reserve (one reusable
// input region) or tenso_alloc/tenso_free, writes its bytes there, and passes
// (pointer, length). Results are described in the state block whose address
// tenso_state returns once:
//
//	word 0  result pointer          word 4  error code (see errCode)
//	word 1  result length (bytes)   word 5  error byte offset (low 32 bits)
//	word 2  error message pointer   word 6  error byte offset (high 32 bits)
//	word 3  error message length
//
// Functions return 0 on success, -1 on error (the message, its code and its
// offset are in the state block) and, for tenso_decode only, -2 when the
// packet prefix it was given is not enough and the whole packet is needed.
// A result stays valid until the next call into the module; memory may grow
// during any call, so hosts rebuild their views of it after each call.
//
// # Layout
//
// tenso_decode describes the decoded value tree as little-endian u32 words
// (layout.go). Byte ranges ("refs") are three words (src, offset, length):
// src 0 means an offset into the packet the caller passed (so the caller can
// view its own buffer without a copy), src 1 an absolute address in the
// module's memory (a decompressed body, or a field the codec copied). The
// same node format, with src 0 meaning "offset into the region passed", is
// the input of tenso_encode and tenso_dequantize.
package main

func main() {}
