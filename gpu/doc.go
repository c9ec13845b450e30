// Package gpu moves Tenso dense tensors between streams or files and CUDA
// device memory without a detour through pageable host memory.
//
// ReadToDevice reads one dense packet from an io.Reader: the header is
// parsed on the host, then the body is read in chunks into two pinned
// (page-locked) host buffers while asynchronous host→device copies of the
// previous chunk run on a CUDA stream, so reading and copying overlap. The
// integrity footer, when present, is verified on the host before the tensor
// is returned. WriteFromDevice is the reverse (device→pinned→writer,
// double-buffered). DirectTransfer reads packets from a file descriptor
// into device memory with GPUDirect Storage (cuFile) when libcufile is
// installed, and through pinned staging otherwise; GDSAvailable tells
// which.
//
// Only uncompressed dense packets travel this way: a compressed body must
// be decompressed on the host (tenso.Decode, then Upload).
//
// # Builds
//
// The CUDA code needs cgo, the CUDA driver headers and libcuda, and is
// compiled only with the `cuda` build tag (go build -tags cuda). The
// default build has the same API, and every entry point returns ErrNoCUDA.
// (gorgonia.org/cu, used by the cuda build, exits the process at start-up
// when no CUDA driver is present, which is why it is opt-in.)
//
// # Lifetimes and concurrency
//
// A DeviceTensor owns its device memory until Free; ToHost copies it back
// into a new host tensor. Device memory lives in the device's primary
// context, which stays retained for the life of the process. Functions are
// safe for concurrent use; each call pins its goroutine to an OS thread
// while it talks to the driver.
package gpu
