# Tenso for Go. `make test` is the project's test command (README, .ci/run).
# Areas add their own targets in mk/*.mk and append them to TEST_EXTRA.
GO ?= go
TEST_EXTRA :=

.PHONY: test setup vet gotest gotest-purego check fmt

include $(wildcard mk/*.mk)

# make test installs what it needs first (make setup), so that it works on
# a fresh Debian machine with only Go and Node.
test: setup
	$(MAKE) vet check gotest gotest-purego $(TEST_EXTRA)

# Debian packages the tests use (qemu-user-static, chromium, binaryen, gcc),
# installed when missing (apt-get as root, sudo otherwise).
setup:
	bash mk/setup.sh

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: fmt
	$(GO) vet ./...
	GOARCH=arm64 $(GO) vet ./...

gotest:
	$(GO) test -race -count=1 ./...

gotest-purego:
	$(GO) test -tags purego -count=1 ./...

# Cross-build the codec and the root package for every target, vet the
# wasip1-only packages (the module, the plugin side, the example plugin),
# and vet every package where Linux is not the OS (the non-Linux stubs of
# native and shm, the non-unix fallbacks) so that they cannot rot.
check:
	GOOS=linux GOARCH=amd64 $(GO) build ./core .
	GOOS=linux GOARCH=arm64 $(GO) build ./core .
	GOOS=wasip1 GOARCH=wasm $(GO) build ./core .
	GOOS=js GOARCH=wasm $(GO) build ./core .
	GOOS=linux GOARCH=amd64 $(GO) build -tags purego ./core .
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./core . ./wasm/module ./wasm/plugin ./wasm/examples/...
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...
	GOOS=windows GOARCH=amd64 $(GO) vet ./...
