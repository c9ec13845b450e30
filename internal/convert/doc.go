// Package convert turns NumPy .npy files and safetensors files into Tenso
// packets and back, streaming: headers are parsed and validated first, then
// tensor bodies are copied through a fixed-size buffer, so a file larger
// than memory converts in bounded memory.
//
//	.npy         ⇄ one dense Tenso packet
//	.safetensors ⇄ one Tenso bundle (names, dtypes incl. F16/BF16, shapes kept)
//
// The foreign headers are small and fully specified (the .npy header is a
// Python dict literal, the safetensors header is JSON), and the Go libraries
// for them read whole arrays into memory, so the parsers here are written
// for streaming with strict bounds checks on every declared length. Files
// written by codeberg.org/sbinet/npyio and github.com/nlpodyssey/safetensors
// are round-tripped by tests in the bench module.
//
// Fortran-order (column-major) .npy files are reordered to C order, as
// numpy.ascontiguousarray would, holding at most 64 MiB of the array: a
// larger one is read once per 64 MiB block and so must be a seekable file.
//
// What is not supported, each with a clear error:
// object/string/structured .npy dtypes, float8 safetensors dtypes, bfloat16
// to .npy (NumPy has no bfloat16), safetensors files with more than 255
// tensors (the most a Tenso bundle holds), and Tenso values other than dense
// tensors (a .npy) or a bundle of dense tensors (a safetensors file).
// Compressed Tenso packets are decompressed one value at a time in memory.
//
// Nothing here is safe for concurrent use on the same reader or writer.
package convert
