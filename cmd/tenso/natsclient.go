package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// defaultNATS is where the NATS verbs connect without -nats: the address
// `tenso nats-server` listens on by default.
const defaultNATS = "nats://127.0.0.1:4222"

// natsFlags are the connection flags every verb that talks to NATS shares.
type natsFlags struct {
	urls    *string
	timeout *time.Duration
}

func addNATSFlags(fs *flag.FlagSet, timeoutHelp string) natsFlags {
	return natsFlags{
		urls:    fs.String("nats", defaultNATS, "comma-separated NATS server URLs (any one of a cluster will do)"),
		timeout: fs.Duration("timeout", 30*time.Second, timeoutHelp),
	}
}

// servers checks -nats: a comma-separated list of nats:// (or tls://,
// ws://, wss://) URLs. The error is a usage error.
func (f natsFlags) servers() ([]string, error) {
	urls, err := splitList("nats", *f.urls)
	if err == nil && len(urls) == 0 {
		err = fmt.Errorf("-nats: name a server URL")
	}
	for _, u := range urls {
		if err != nil {
			break
		}
		if i := strings.Index(u, "://"); i <= 0 || u[i+3:] == "" {
			err = fmt.Errorf("-nats %q: %q is not a URL (want nats://HOST:PORT)", *f.urls, u)
		}
	}
	if err == nil && *f.timeout <= 0 {
		err = fmt.Errorf("-timeout %v: want a positive duration", *f.timeout)
	}
	return urls, err
}

// connect connects to the first reachable server of urls (checked by
// servers), as client name.
func (f natsFlags) connect(urls []string, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(strings.Join(urls, ","), nats.Name(name), nats.Timeout(min(*f.timeout, 5*time.Second)))
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", strings.Join(urls, ","), err)
	}
	return nc, nil
}
