package tensonats_test

// Example_readme holds the Go snippet of README.md's "Beyond one machine"
// section verbatim (between the lines that give it its context and check
// its output), so that it compiles and runs against an embedded server;
// internal/readme's TestREADMESnippets looks for the README's snippets in
// this file too.

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tenso-go/tenso"
	"github.com/tenso-go/tenso/native/tensonats"
	"github.com/tenso-go/tenso/native/tensonats/embedded"
	"github.com/tenso-go/tenso/native/tensonats/store"
)

func Example_readme() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t, _ := tenso.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	model := func(ctx context.Context, in tenso.Value) (tenso.Value, error) { return in, nil }
	got := make(chan tenso.Value, 1)
	use := func(v tenso.Value) { got <- v }

	srv, err := embedded.Start(embedded.Options{}) // JetStream in this process, on 127.0.0.1
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.ClientURL()) // or the URLs of a real cluster: the rest is the same
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	// Messages: one message is one packet; a received value is a view of the message data.
	sub, _ := tensonats.Subscribe(nc, "frames.>", func(subject string, v tenso.Value) { use(v) },
		tensonats.OnError(func(m *nats.Msg, err error) { log.Print(err) })) // a bad message never stops it
	defer sub.Unsubscribe()
	nc.Flush()
	err = tensonats.Publish(nc, "frames.cam0", t, tenso.Options{})

	// Services: tensohttp's handler signature; every process serving "infer" shares its requests.
	svc, _ := tensonats.Serve(nc, "infer", model, tensonats.ServiceOptions{})
	defer svc.Stop()
	out, err := tensonats.Predict(ctx, nc, "infer", t, tenso.Options{}) // errors: *tensonats.StatusError (422, 413, 503…)

	// A replicated store: Put returns once the replicas hold the whole value.
	js, _ := jetstream.New(nc)
	s, _ := store.Open(ctx, js, "weights", store.Config{Replicas: 1, TTL: 24 * time.Hour}) // Replicas: 3 in a cluster
	err = s.PutValue(ctx, "layer0", t, tenso.Options{Integrity: true})
	w, err := s.GetValue(ctx, "layer0") // one aligned buffer, the store's digest and the footer checked

	fmt.Println((<-got).(*tenso.Tensor).Shape, out.(*tenso.Tensor).Shape, w.(*tenso.Tensor).Shape, err)
	// Output: [2 3] [2 3] [2 3] <nil>
}
