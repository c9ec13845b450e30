// Package native holds what only a native (non-wasm) build of Tenso has
// besides shared memory and CUDA: memory-mapped packet files and vectored
// writes.
//
// # Files
//
// DumpFile writes one packet to a file with a single vectored write of the
// encoder's buffers (tensor bodies are written from the caller's memory,
// never copied), optionally fsynced. By default it writes a temporary file
// beside the target and renames it over the target, so a process that has
// the old file mapped keeps reading intact bytes. The file holds exactly
// the packet, which is what the reference's tenso.load(path,
// mmap_mode=True) expects (it takes the whole file as the packet); files
// the reference writes load here too.
//
// LoadFile maps the file read-only and decodes it without copying: tensor
// data are views into the mapping, valid until File.Close and never to be
// written to. The packet's length comes from its own framing and is checked
// against the file's size (read again after mapping) before any view is
// exposed; a top-level compressed packet is decompressed into ordinary
// memory. Files that cannot be mapped (pipes, character devices, file
// systems without mmap) are read instead, with memory bounded by the bytes
// actually read and by Limits.MaxBytes.
//
// Remaining risk: if another process truncates the file in place after
// LoadFile returned, touching a view of the lost pages raises SIGBUS, which
// kills a Go program. Writers that replace files by renaming (as DumpFile
// does) never cause it. File.Check reports whether the file is still long
// enough, and File.Do runs code with faults turned into ErrFault instead of
// a crash.
//
// DumpFile writes a packet with one writev(2) (tenso.WriteBuffers of
// tenso.Segments): bodies are never copied.
//
// All functions are safe for concurrent use; a File may be read by many
// goroutines until it is closed.
package native
