// Package plugin is the plugin side of the Tenso plugin ABI; it builds only
// for GOOS=wasip1 (see plugin.go and package wasm/host).
package plugin
