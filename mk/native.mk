# native/ and shm/: their tests (multi-process cache tests included) run in
# the top-level `go test -race ./...`. The benchmarks of the native packages run here,
# each beside its baseline (copy, os.ReadFile, Encode+WriteFile).
.PHONY: bench-native

bench-native:
	$(GO) test -run '^$$' -bench . -benchtime=200ms ./native ./shm

# A fresh module outside the repository builds against a clean clone of
# HEAD and decodes through tenso, wasm/host, shm and native/tensohttp: what
# a user who only runs `go get` gets (mk/goget.sh).
.PHONY: test-goget

test-goget:
	bash mk/goget.sh

TEST_EXTRA += test-goget
