package core

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Bad data is reported as a *FormatError wrapping exactly
// one of ErrCorrupt, ErrTooLarge, ErrChecksum, ErrUnsupported or
// ErrUnframed; match them with errors.Is. Caller mistakes (an invalid
// option, a tensor whose data does not fit its shape) wrap ErrInvalid and
// are never FormatErrors.
var (
	// ErrCorrupt: malformed or truncated data (bad magic, a length or offset
	// past the end, inconsistent fields, invalid UTF-8, a bad LZ4 frame, a
	// wrong decompressed size).
	ErrCorrupt = errors.New("tenso: corrupt packet")
	// ErrTooLarge: a Limits bound exceeded, or an overflowing size.
	ErrTooLarge = errors.New("tenso: limit exceeded")
	// ErrChecksum: the XXH3-64 integrity footer does not match.
	ErrChecksum = errors.New("tenso: integrity check failed")
	// ErrUnsupported: a version other than 3/4, an unknown dtype code, or a
	// flag combination the format does not define.
	ErrUnsupported = errors.New("tenso: unsupported packet")
	// ErrUnframed: a compressed dense packet where nothing delimits its
	// body (a stream, or a shared-memory segment of another size).
	ErrUnframed = errors.New("tenso: compressed dense packet has no length framing; send it inside a bundle, or read the whole message and call Decode")
	// ErrInvalid: misuse by the caller (bad options, inconsistent values
	// handed to a writer). Never returned for bad data.
	ErrInvalid = errors.New("tenso: invalid argument")
)

// FormatError describes bad data: what is wrong, in which field, and at
// which byte offset from the start of the top-level packet (or stream
// packet). It wraps one sentinel.
type FormatError struct {
	Offset int64  // byte offset from the start of the top-level packet
	Field  string // e.g. "magic", "shape[1]", "bundle entry 3 key"
	Msg    string // what is wrong
	Err    error  // the sentinel
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("tenso: %s (%s at offset %d)", e.Msg, e.Field, e.Offset)
}

// Unwrap returns the sentinel.
func (e *FormatError) Unwrap() error { return e.Err }

func ferr(sentinel error, off int64, field, format string, args ...any) *FormatError {
	return &FormatError{Offset: off, Field: field, Msg: fmt.Sprintf(format, args...), Err: sentinel}
}

// invalid returns a misuse error wrapping ErrInvalid.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func itoa(i int) string { return strconv.Itoa(i) }
