package budget

import "sync/atomic"

// Rejection causes: why a server refused a request before its handler ran.
// Every server of this repository counts its refusals by these keys (the
// keys of its stats) and names them in its log lines.
const (
	CauseBusy       = "busy"        // every handler slot taken (HTTP 503)
	CauseMemory     = "memory"      // the budget is momentarily spent (HTTP 503, gRPC Unavailable)
	CauseTooLarge   = "too_large"   // over a size limit or the whole budget (HTTP 413, gRPC ResourceExhausted)
	CauseSlowBody   = "slow_body"   // the body arrived too slowly (HTTP 408)
	CauseBadRequest = "bad_request" // wrong content type, body cut short (HTTP 400)
	CauseBadPacket  = "bad_packet"  // the packet does not decode (HTTP 422, gRPC InvalidArgument)
)

// Causes lists the rejection causes in a fixed order.
var Causes = [...]string{CauseBusy, CauseMemory, CauseTooLarge, CauseSlowBody, CauseBadRequest, CauseBadPacket}

// Rejections counts refused requests by cause. The zero value is ready;
// it is safe for concurrent use.
type Rejections struct {
	n [len(Causes)]atomic.Int64
}

// Add counts one refusal. A cause that is not one of Causes counts as
// CauseBadRequest.
func (r *Rejections) Add(cause string) {
	for i, c := range Causes {
		if c == cause {
			r.n[i].Add(1)
			return
		}
	}
	r.n[4].Add(1)
}

// Snapshot returns the counts, every cause present.
func (r *Rejections) Snapshot() map[string]int64 {
	m := make(map[string]int64, len(Causes))
	for i, c := range Causes {
		m[c] = r.n[i].Load()
	}
	return m
}
