# Serving (native/tensohttp, native/tensogrpc, native/tensonet, tenso serve/predict).
# The packages' tests run under the top-level `go test -race ./...`, those of
# `tenso serve`/`predict` under `make cli-test` (cmd/tenso is its own module,
# mk/cli.mk); the generated gRPC
# code is committed, so CI needs no protoc. `make proto` regenerates it with
# protoc (Debian protobuf-compiler) and the pinned Go plugins below.
PROTOC_GEN_GO_VERSION ?= v1.36.12
PROTOC_GEN_GO_GRPC_VERSION ?= v1.6.1
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin

.PHONY: proto proto-tools

proto-tools:
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	$(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

proto: proto-tools
	PATH="$(GOBIN_DIR):$$PATH" protoc -I native/tensogrpc/proto \
		--go_out=native/tensogrpc/tensopb --go_opt=paths=source_relative \
		--go-grpc_out=native/tensogrpc/tensopb --go-grpc_opt=paths=source_relative \
		native/tensogrpc/proto/tenso.proto

# Hostile clients at full size: 64 slow bodies beside a normal
# client with p99 asserted under 100 ms, and 4 concurrent 1 GiB and 400 MiB
# decompression bombs against an App at its defaults, the heap's growth logged
# and asserted under 2 GiB. Needs ~3 GiB of free memory (the client builds the
# bombs in-process); `go test` runs them scaled down.
.PHONY: serve-hostile
serve-hostile:
	TENSO_HOSTILE_FULL=1 $(GO) test -count=1 -v -timeout 5m \
		-run 'TestSlowBodiesDoNotStarve|TestBombsFullSize' ./native/tensohttp
