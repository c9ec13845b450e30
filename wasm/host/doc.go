// Package host runs the Tenso WebAssembly module and Tenso tensor plugins
// in Go programs, with wazero (no cgo).
//
// A Runtime compiles modules once — through a wazero CompilationCache shared
// by every Runtime of the process and kept on disk under
// os.UserCacheDir()/tenso/wazero, so a second Runtime, and a fresh process,
// skip compilation (Config.NoDiskCache or TENSO_WAZERO_CACHE=off keep it in
// memory; TENSO_WAZERO_CACHE=<dir> moves it) — and gives:
//
//   - Codec: decode, encode and inspect through the wasm module, the same
//     bytes a browser or Node runs. Decoded values are Go copies, safe to use
//     after the Codec is closed.
//   - Plugin: a sandboxed wasm program (for example one built from Go with
//     GOOS=wasip1 -buildmode=c-shared and package wasm/plugin) that takes a
//     Tenso packet and returns one. A plugin that traps, loops past its
//     timeout, exits or returns a bad packet gives an error, never a crash of
//     the host; its instance is then discarded and the next call starts a
//     fresh one.
//
// # The module
//
// The package embeds the module (embedded/tenso.wasm, the file `make wasm`
// builds as js/tenso.wasm), committed with the source so that it comes with
// `go get`; Config.Module replaces it. `make check-wasm-embed` (part of
// `make test`) rebuilds the module and fails when the committed file
// differs, so it cannot drift from the source. The package's tests also
// build the module from source themselves and run both.
//
// # Plugin ABI
//
// A plugin is a WASI reactor (it exports _initialize, which is called once)
// that exports its linear memory and:
//
//	tenso_plugin_alloc(size u32) u32        room for the input packet
//	tenso_plugin_error() u64                (ptr << 32 | len) of the last error message
//	<name>(ptr u32, len u32) u64            handler: (ptr << 32 | len) of the output
//	                                        packet, or 0 on error
//
// The host writes the input into the memory tenso_plugin_alloc returned,
// calls the handler, validates the output packet with the native decoder and
// returns a copy of it. Package wasm/plugin implements the plugin side.
//
// # Concurrency
//
// A Codec or a Plugin serialises its calls (one wasm instance each); use
// several for parallelism. A Runtime is safe for concurrent use.
package host
