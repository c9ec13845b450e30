package tensohttp

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

// FuzzApp: any request body is answered 200 or 422 — or 500 when the
// identity endpoint's result cannot be re-encoded — never a panic.
func FuzzApp(f *testing.F) {
	for _, v := range []tenso.Value{testutil.F32([]int{3}), testutil.F32(nil), tenso.NewStrings("a", "b"), (&tenso.Bundle{}).Add("k", testutil.F32([]int{2, 2}))} {
		for _, o := range []tenso.Options{{}, {Integrity: true}, {Compress: true}} {
			if p, err := tenso.Encode(v, o); err == nil {
				f.Add(p)
			}
		}
	}
	f.Add([]byte("TNSO"))
	app := NewApp(Options{MaxBodyBytes: 1 << 20, Limits: tenso.Limits{MaxElements: 1 << 20}})
	app.Endpoint("/", identity)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", ContentType)
		w := httptest.NewRecorder()
		app.ServeHTTP(w, req)
		switch w.Code {
		case 200, 422:
		case 500:
			// The decoder accepted what the encoder refuses (reported to
			// core); the App must answer 500, not fail otherwise.
			v, err := tenso.DecodeWith(body, tenso.Limits{MaxElements: 1 << 20})
			if err != nil {
				t.Fatalf("500 for a packet that does not decode: %v", err)
			}
			if _, err := tenso.Encode(v, tenso.Options{}); err == nil {
				t.Fatalf("500 for a packet that round-trips")
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
