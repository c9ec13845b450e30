// Package tensonet exchanges Tenso packets over raw stream sockets (TCP,
// Unix domain sockets, any net.Conn) with the streaming reader and writer
// of package tenso: packets follow each other back to back, without any
// framing added, exactly as the reference's write_stream/read_stream do.
//
// Serve answers each packet read from a connection with one packet written
// back, in order, so a client may pipeline many requests before reading the
// answers. Conn is the client side (or either side of a peer-to-peer link).
// The raw protocol has no error frames: a bad packet or a handler error
// closes that connection (other connections are unaffected), and the peer
// sees the end of the stream.
//
// Streams cannot carry a top-level LZ4-compressed dense packet, because
// nothing delimits its body (FORMAT.md §16): the writer refuses it with
// tenso.ErrUnframed; put compressed tensors inside a bundle.
//
// # Lifetime and concurrency
//
// Every packet read gets its own buffer, so values returned by Conn.Recv
// and handed to a Handler stay valid after later reads. A Conn may be used
// by one goroutine sending and one receiving at the same time; Serve runs
// one goroutine per connection. Contexts interrupt blocked reads at once
// (the reader sets the socket's read deadline); an interrupted read leaves
// the stream mid-packet, so the Conn is failed afterwards and must be
// closed.
package tensonet
