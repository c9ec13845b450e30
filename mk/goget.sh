#!/usr/bin/env bash
# make test-goget: use the library as someone who only runs `go get` would.
# A clean clone of HEAD (committed files only, as a module proxy would serve
# them, nothing built by make) is the module; a fresh module in a temporary
# directory requires it through a replace directive, imports tenso,
# wasm/host, shm and native/tensohttp, builds and decodes a packet through
# each (mk/goget/main.go.txt); its dependency graph holds no NATS module,
# and the CLI (its own module, cmd/tenso) builds from the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --no-hardlinks . "$tmp/tenso"
mkdir "$tmp/user"
cp mk/goget/main.go.txt "$tmp/user/main.go"
cd "$tmp/user"
export GOWORK=off GOFLAGS=-mod=mod
go mod init example.com/user >/dev/null 2>&1
go mod edit -require=github.com/tenso-go/tenso@v0.1.0 -replace=github.com/tenso-go/tenso="$tmp/tenso"
go mod tidy
go vet .
go run .
# The NATS server lives in the modules that need it (native/tensonats,
# cmd/tenso), never in the graph of a user of the codec.
if go list -m all | grep -E '^github\.com/nats-io/'; then
	echo "the root module's dependency graph includes NATS modules (above)" >&2
	exit 1
fi
# The CLI builds from the clone as the README's install line does it.
(cd "$tmp/tenso/cmd/tenso" && GOFLAGS=-mod=readonly go build -o "$tmp/tenso-cli" . && "$tmp/tenso-cli" help >/dev/null)
