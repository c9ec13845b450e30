# The CLI (cmd/tenso) is its own module, so that the NATS server it embeds
# (`tenso nats-server`, `tenso store`, `tenso serve -nats`) stays out of the
# root module's go.mod: the top-level `go vet ./...` and `go test ./...` do
# not reach it. `make cli-test` gives it what they give the root packages:
# vet for amd64, arm64, darwin and windows, the tests under -race and under
# -tags purego.
.PHONY: cli-test

TEST_EXTRA += cli-test

cli-test:
	cd cmd/tenso && $(GO) vet ./... && GOARCH=arm64 $(GO) vet ./...
	cd cmd/tenso && GOOS=darwin GOARCH=arm64 $(GO) vet ./... && GOOS=windows GOARCH=amd64 $(GO) vet ./...
	cd cmd/tenso && $(GO) test -race -count=1 ./...
	cd cmd/tenso && $(GO) test -tags purego -count=1 ./...
