#!/usr/bin/env bash
# wasm, js/ and web-demo/: Chromium for the end-to-end test, binaryen's
# wasm-opt for the module, and the npm lockfiles' packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null || ! command -v wasm-opt >/dev/null; then
	apt-get install -y --no-install-recommends chromium binaryen
fi
for d in js web-demo; do
	if [ -f "$d/package-lock.json" ]; then
		(cd "$d" && npm ci --no-audit --no-fund)
	fi
done
