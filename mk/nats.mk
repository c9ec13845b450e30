# NATS support (its own module in native/tensonats, so that NATS stays out
# of the codec's dependency graph; `go test ./...` at the root does not
# enter it). `test-nats` vets it for amd64 and arm64, runs its tests under
# the race detector and with -tags purego, and the 3-node cluster test
# (real nats-server processes built from the module's go.mod, one SIGKILLed
# during 1,000 puts; about a minute on two cores). `test-nats-short` skips
# the cluster test.
.PHONY: test-nats test-nats-short bench-nats

test-nats-short:
	cd native/tensonats && gofmt -l . | (! grep .)
	cd native/tensonats && $(GO) vet ./... && GOARCH=arm64 $(GO) vet ./...
	cd native/tensonats && $(GO) test -race -short -count=1 ./...
	cd native/tensonats && $(GO) test -tags purego -short -count=1 ./...

test-nats: test-nats-short
	cd native/tensonats && $(GO) test -count=1 -timeout 6m -run TestClusterFailover -v ./store

bench-nats:
	cd native/tensonats && $(GO) test -run '^$$' -bench . -benchtime 20x -benchmem .

TEST_EXTRA += test-nats
