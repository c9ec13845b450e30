//go:build !(386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm)

package sysio

// LittleEndian reports whether the host stores numbers little-endian.
const LittleEndian = false
