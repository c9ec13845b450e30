# native/ and shm/: their tests (multi-process cache tests included) run in
# the top-level `go test -race ./...`. The benchmarks of issue 5 run here,
# each beside its baseline (copy, os.ReadFile, Encode+WriteFile).
.PHONY: bench-native

bench-native:
	$(GO) test -run '^$$' -bench . -benchtime=200ms ./native ./shm
