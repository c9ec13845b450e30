package core

// DecodeExact decodes p, which must hold exactly one packet: the packet is
// delimited as DecodePrefix does, and any byte after it is an error
// (ErrCorrupt at the offset where the packet ends). Decode itself, like
// the reference's reader, ignores bytes after an uncompressed packet;
// DecodeExact is for transports where one message is one packet.
func DecodeExact(p []byte, l Limits) (Value, error) {
	v, n, err := DecodePrefix(p, l)
	if err != nil {
		return nil, err
	}
	if n != len(p) {
		return nil, ferr(ErrCorrupt, int64(n), "packet", "%d bytes after the %d-byte packet: a message holds exactly one packet", len(p)-n, n)
	}
	return v, nil
}
