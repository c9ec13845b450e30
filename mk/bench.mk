# Peer benchmarks and conversion checks.
#
#   make bench         Go (bench/cmd/report) and Node (bench/js) benchmarks of
#                      Tenso against Arrow IPC, safetensors, .npy, MessagePack,
#                      gob, protobuf and copy; writes bench/RESULTS.md,
#                      bench/results.png and bench/results-node.png. Not
#                      part of `make test`.
#   make bench-smoke   vet and test the bench module (codec round trips, and
#                      `tenso convert` on files written by npyio/safetensors);
#                      part of `make test` so the module cannot rot.
#   make bench-tables  the codec, kernel, serving and wazero benchmarks (3 runs each, the
#                      fastest kept): raw output in bench/snapshots/, the
#                      README's tables written from it (internal/
#                      benchtables, whose test checks the README matches).
BENCHTIME   ?= 150ms
BENCHCOUNT  ?= 3
JS_BENCH_MS ?= 200

.PHONY: bench bench-node bench-smoke bench-tables

bench-tables:
	$(GO) run ./internal/benchtables

TEST_EXTRA += bench-smoke

bench: bench-node
	cd bench && $(GO) run ./cmd/report -benchtime $(BENCHTIME) -count $(BENCHCOUNT) -readme ../README.md

# Needs js/tenso.wasm (make wasm); without it bench.mjs still runs the peers
# and RESULTS.md says Tenso was not run in Node.
bench-node: wasm
	cd bench/js && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
	cd bench/js && node bench.mjs --time $(JS_BENCH_MS)

bench-smoke:
	cd bench && $(GO) vet ./... && $(GO) test -count=1 ./...
