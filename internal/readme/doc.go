// Package readme holds no code: its tests compile the Go snippets of the
// repository's README.md as examples, and fail when a snippet in the README
// is not, line for line, in one of them (see readme_test.go).
package readme
