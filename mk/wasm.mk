# WebAssembly module, npm package, wazero host and web demo.
#
#   make wasm       build js/tenso.wasm (and the copy wasm/host embeds)
#   make demo       build the module and serve the web demo on 127.0.0.1, with
#                   its live panel (an embedded NATS server, tensors pushed over
#                   WebSocket)
#   make test-js    node --test over the golden corpus, bad inputs, size budget
#   make test-e2e   headless Chromium (playwright-core) against the demo page,
#                   the live panel included
#   make bench-js   Node benchmarks (decode, LZ4, XXH3) with their baselines
#   make bench-startup-js  Node and Chromium start-up to the first decoded
#                   tensor against the floor module, in the same run

WASM_OUT    := js/tenso.wasm
WASM_EMBED  := wasm/host/embedded/tenso.wasm
# The start-up floor (see bench-startup below); defined here because test-js
# names it as a prerequisite, which make expands when it reads the rule.
WASM_FLOOR  := bin/floor.wasm
WASM_SRCS   := $(shell find core wasm/module -name '*.go' -not -name '*_test.go' 2>/dev/null) $(wildcard *.go) go.mod go.sum mk/wasm.mk
# -Oz shrinks the module (2.94 MB against -O2's 3.08 MB); the exports and the test suites are checked on the
# optimised file. WASM_OPT= disables it.
WASM_OPT    ?= $(shell command -v wasm-opt 2>/dev/null)
WASM_OPT_FLAGS := -Oz --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int --enable-mutable-globals
# The module depends on how it is built as well as on its sources: the stamp records the Go
# toolchain and the wasm-opt used (path, version, flags, or none) and is rewritten only when they
# change, so installing wasm-opt, or another Go, rebuilds a module that make would otherwise
# consider up to date.
WASM_STAMP  := bin/.wasm-build
WASM_BUILD   = $(shell $(GO) env GOVERSION) wasm-opt=$(if $(WASM_OPT),$(WASM_OPT) $(shell $(WASM_OPT) --version 2>/dev/null) $(WASM_OPT_FLAGS),none)
NPM_CI      = cd $(1) && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

.PHONY: wasm demo test-js test-e2e bench-js wasm-size

TEST_EXTRA += test-js test-e2e

wasm: $(WASM_OUT) $(WASM_EMBED)

$(WASM_STAMP): wasm-build-settings
	@mkdir -p $(@D)
	@if [ "$$(cat $@ 2>/dev/null)" != '$(WASM_BUILD)' ]; then echo '$(WASM_BUILD)' > $@; echo "wasm build settings: $(WASM_BUILD)"; fi

.PHONY: wasm-build-settings
wasm-build-settings:

$(WASM_OUT): $(WASM_SRCS) $(WASM_STAMP)
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -ldflags="-s -w" -o $@.tmp ./wasm/module
	@if [ -n "$(WASM_OPT)" ]; then \
		echo "wasm-opt $(WASM_OPT_FLAGS)"; \
		$(WASM_OPT) $(WASM_OPT_FLAGS) $@.tmp -o $@ && rm -f $@.tmp; \
	else \
		echo "wasm-opt not found: module left unoptimised"; mv $@.tmp $@; \
	fi
	@ls -l $@

$(WASM_EMBED): $(WASM_OUT)
	cp $< $@

# cmd/tenso is its own module (mk/cli.mk): build it from its directory.
bin/tenso: wasm $(shell find cmd internal/webdemo native/tensonats -name '*.go' 2>/dev/null) cmd/tenso/go.mod cmd/tenso/go.sum $(wildcard internal/webdemo/static/*)
	cd cmd/tenso && $(GO) build -o $(CURDIR)/$@ .

# The live panel's NATS client: @nats-io/nats-core (web-demo's lockfile)
# bundled with its dependencies into one ES module the demo serves at
# /vendor/ (nothing is fetched from the internet when the page runs).
NATS_BUNDLE := web-demo/build/nats-core.js

$(NATS_BUNDLE): web-demo/nats-client.js web-demo/package-lock.json
	$(call NPM_CI,web-demo)
	cd web-demo && ./node_modules/.bin/esbuild nats-client.js --bundle --format=esm --platform=browser \
		--minify --legal-comments=eof --log-level=warning --outfile=build/nats-core.js

# `tenso demo` starts the embedded NATS server and the live panel's publisher itself.
demo: bin/tenso $(NATS_BUNDLE)
	./bin/tenso demo

# (the floor module: test/startup.test.js runs the Node start-up benchmark with n=2)
test-js: wasm $(WASM_FLOOR)
	$(call NPM_CI,js)
	cd js && node --test test/*.test.js

test-e2e: bin/tenso $(NATS_BUNDLE)
	$(call NPM_CI,web-demo)
	cd web-demo && node --test e2e/*.test.js

# Its output, after header lines saying when, on which CPU and under what
# load, is kept in
# bench/snapshots/js.txt, and the README's Node table is written from it
# (internal/benchtables, whose test checks the README matches).
bench-js: wasm
	$(call NPM_CI,js)
	{ $(SNAP_HEAD) && cd js && node bench/bench.mjs; } > bench/snapshots/js.txt.new
	mv bench/snapshots/js.txt.new bench/snapshots/js.txt
	cat bench/snapshots/js.txt
	$(GO) run ./internal/benchtables -render

# The module wasm/host embeds is committed (so that `go get` users have it);
# this rebuilds it and fails when the committed file is not what the sources
# build, with the toolchain CI uses (Go of go.mod's line, binaryen's wasm-opt).
.PHONY: check-wasm-embed
TEST_EXTRA += check-wasm-embed

check-wasm-embed: wasm
	@if ! git diff --quiet -- $(WASM_EMBED); then \
		echo "$(WASM_EMBED) differs from what make wasm builds: commit the rebuilt file"; \
		git diff --stat -- $(WASM_EMBED); exit 1; \
	fi
	@echo "$(WASM_EMBED): reproduced bit for bit"

# Start-up benchmark: the floor, an empty wasip1 reactor with one
# //go:wasmexport function, built with -ldflags="-s -w" and the same wasm-opt
# as the module, then fresh processes timed to the first decode through the
# wazero host against the floor's compile+instantiate+_initialize, and both
# modules' sizes (raw and gzip -9), all in the same run.
# Both modules' sizes, raw and gzip -9 (bench-startup, bench-startup-js).
WASM_SIZES  = for f in $(WASM_FLOOR) $(WASM_OUT); do printf '%-22s raw %9d B  gzip -9 %9d B\n' $$f $$(wc -c < $$f) $$(gzip -9c $$f | wc -c); done

$(WASM_FLOOR): wasm/internal/startbench/floor/main.go $(WASM_STAMP)
	@mkdir -p $(@D)
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -ldflags="-s -w" -o $@.tmp ./wasm/internal/startbench/floor
	@if [ -n "$(WASM_OPT)" ]; then $(WASM_OPT) $(WASM_OPT_FLAGS) $@.tmp -o $@ && rm -f $@.tmp; else mv $@.tmp $@; fi

# The start-up benchmarks' output, after a line saying when and under what
# load, is kept in bench/snapshots/ (the README's start-up rows quote it).
SNAP_HEAD = $(GO) run ./internal/benchtables -header && echo "\# node $$(node --version 2>/dev/null)"

.PHONY: bench-startup
bench-startup: wasm $(WASM_FLOOR)
	$(GO) build -o bin/startbench ./wasm/internal/startbench
	{ $(SNAP_HEAD); $(WASM_SIZES); ./bin/startbench -floor $(WASM_FLOOR) -n 5; } > bench/snapshots/startup-wazero.txt.new
	mv bench/snapshots/startup-wazero.txt.new bench/snapshots/startup-wazero.txt
	cat bench/snapshots/startup-wazero.txt

# Size breakdown of the module by package: the module built as
# `make wasm` builds it but keeping the name section (-ldflags=-w, no -s, no
# wasm-opt), the code bytes of each package's functions, and the reference
# chain that makes the linker keep fmt, reflect, os, time and context
# (-dumpdep). WASM_SIZE_SYMS=a,b lists other symbols. Last, the floor's size
# alone, linking fmt (one Sprintf) and linking strconv instead, built as
# $(WASM_FLOOR) is: what the module's fmt costs.
WASM_SIZE_SYMS ?= fmt.Errorf,fmt.Sprintf,reflect.Value.Method,os.init,time.init,context.init

wasm-size:
	@mkdir -p bin
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -ldflags="-w -dumpdep" -o bin/tenso-names.wasm ./wasm/module 2> bin/tenso-names.dumpdep
	$(GO) run ./wasm/internal/wasmsize -why bin/tenso-names.dumpdep -sym '$(WASM_SIZE_SYMS)' bin/tenso-names.wasm
	@for t in none floor_fmt floor_strconv; do \
	  GOOS=wasip1 GOARCH=wasm $(GO) build -tags $$t -buildmode=c-shared -trimpath -ldflags="-s -w" -o bin/floor-$$t.wasm ./wasm/internal/startbench/floor || exit 1; \
	  if [ -n "$(WASM_OPT)" ]; then $(WASM_OPT) $(WASM_OPT_FLAGS) bin/floor-$$t.wasm -o bin/floor-$$t.wasm || exit 1; fi; \
	  printf 'floor, tags %-14s raw %9d B  gzip -9 %9d B\n' $$t $$(wc -c < bin/floor-$$t.wasm) $$(gzip -9c bin/floor-$$t.wasm | wc -c); \
	done

# The same for Node and Chromium (js/bench/startup.mjs, web-demo/bench/startup.mjs):
# fresh processes / fresh profiles to the first decoded tensor against the
# floor's compile+instantiate+_initialize with the package's WASI shim. Not in
# TEST_EXTRA: a measurement, not a test. STARTUP_N fresh Node processes each;
# STARTUP_ROUNDS fresh Chromium profiles, STARTUP_LOADS page loads in each.
STARTUP_N      ?= 15
STARTUP_ROUNDS ?= 5
STARTUP_LOADS  ?= 4
STARTUP_SETTLE ?= 2500

.PHONY: bench-startup-js
bench-startup-js: wasm $(WASM_FLOOR)
	$(call NPM_CI,js)
	$(call NPM_CI,web-demo)
	{ $(SNAP_HEAD); $(WASM_SIZES); \
	  node -e 'import("./js/bench/startup-common.mjs").then((m) => console.log(m.HEADER))' && \
	  (cd js && node bench/startup.mjs -n $(STARTUP_N)) && \
	  (cd web-demo && node bench/startup.mjs -rounds $(STARTUP_ROUNDS) -loads $(STARTUP_LOADS) -settle $(STARTUP_SETTLE)) && \
	  (cd web-demo && node bench/startup.mjs -rounds $(STARTUP_ROUNDS) -loads 2 -settle $(STARTUP_SETTLE) -restart); } > bench/snapshots/startup-js.txt.new 2>&1
	mv bench/snapshots/startup-js.txt.new bench/snapshots/startup-js.txt
	cat bench/snapshots/startup-js.txt
