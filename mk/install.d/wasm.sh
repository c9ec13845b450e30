# The wasm module, js/ and the web demo: binaryen's wasm-opt shrinks the
# module, Chromium runs the end-to-end tests (driven by npm playwright-core,
# installed from the lockfiles by the make targets that use it).
if ! command -v chromium >/dev/null 2>&1 || ! command -v wasm-opt >/dev/null 2>&1; then
	apt_install chromium binaryen
fi
