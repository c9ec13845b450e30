package tensohttp_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/tensohttp"
)

// An App with one endpoint, mounted as an http.Handler, called by the Go
// client. Against a Python server, point NewClient at its base URL.
func Example() {
	app := tensohttp.NewApp(tensohttp.Options{})
	app.Endpoint("/infer", func(_ context.Context, in tenso.Value) (tenso.Value, error) {
		t, ok := in.(*tenso.Tensor)
		if !ok {
			return nil, tensohttp.Error(422, "want a dense tensor")
		}
		// Transpose a 2-D uint8 matrix: a new value, since the input is
		// only valid during the call.
		rows, cols := t.Shape[0], t.Shape[1]
		out := &tenso.Tensor{DType: t.DType, Shape: []int{cols, rows}, Data: make([]byte, len(t.Data))}
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				out.Data[c*rows+r] = t.Data[r*cols+c]
			}
		}
		return out, nil
	})
	srv := httptest.NewServer(app) // or app.Run("127.0.0.1:8000")
	defer srv.Close()

	client, err := tensohttp.NewClient(srv.URL, tensohttp.ClientOptions{})
	if err != nil {
		panic(err)
	}
	defer client.Close()
	in := &tenso.Tensor{DType: tenso.Uint8, Shape: []int{2, 3}, Data: []byte{1, 2, 3, 4, 5, 6}}
	out, err := client.Predict(context.Background(), "/infer", in, false)
	if err != nil {
		panic(err)
	}
	t := out.(*tenso.Tensor)
	fmt.Println(tensohttp.ShapeString(t.Shape), t.Data)

	_, err = client.Predict(context.Background(), "/infer", tenso.NewStrings("x"), false)
	fmt.Println(err)
	// Output:
	// (3, 2) [1 4 2 5 3 6]
	// tensohttp: POST /infer: 422 Unprocessable Entity: want a dense tensor
}
