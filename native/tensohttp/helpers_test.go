package tensohttp

import (
	"context"
	"strings"
	"testing"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/internal/testutil"
)

// double is the test endpoint: float32 tensors times two, in a new buffer.
func double(_ context.Context, in tenso.Value) (tenso.Value, error) {
	out, ok := testutil.Doubled(in)
	if !ok {
		return nil, Error(422, "want a float32 tensor")
	}
	return out, nil
}

func identity(_ context.Context, in tenso.Value) (tenso.Value, error) { return in, nil }

// startApp serves a on a loopback port until the test ends and returns the
// base URL.
func startApp(t *testing.T, a *App) string {
	t.Helper()
	ln := testutil.Loopback(t)
	testutil.Serve(t, func(ctx context.Context) error { return a.Serve(ctx, ln) })
	return "http://" + ln.Addr().String()
}

// doubleApp serves double at /infer on a loopback port until the test ends
// and returns the base URL.
func doubleApp(t *testing.T) string {
	a := NewApp(Options{})
	a.Endpoint("/infer", double)
	return startApp(t, a)
}

func newClient(t *testing.T, base string, o ClientOptions) *Client {
	t.Helper()
	c, err := NewClient(base, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func mustEncode(t testing.TB, v tenso.Value, o tenso.Options) []byte {
	t.Helper()
	p, err := tenso.Encode(v, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
