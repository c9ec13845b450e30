package tenso

import "github.com/tenso-go/tenso/core"

// DecodeExact decodes p, which must hold exactly one packet: any byte after
// the packet is a *FormatError wrapping ErrCorrupt (Decode ignores bytes
// after an uncompressed packet, as the reference does). For transports
// where one message is one packet.
func DecodeExact(p []byte, l Limits) (Value, error) { return core.DecodeExact(p, l) }
