// One fresh process of the Node start-up benchmark (startup.mjs spawns it):
// `tenso` imports the package, init()s it and decodes one golden packet;
// `floor` does the floor module's compile + instantiate + _initialize with
// the package's WASI shim, the way init() loads tenso.wasm in Node (read the
// file, WebAssembly.instantiate the bytes). Everything is imported
// dynamically so that both modes load only what they time.
//
// It prints one JSON line: `origin`, performance.now() when done, i.e. ms
// since Node's time origin (the process's start, Node's own bootstrap
// included), and `script`, ms since this file's first statement.
const t0 = performance.now();
const [mode, arg] = process.argv.slice(2);
let out;
if (mode === "tenso") {
  const { readFileSync } = await import("node:fs");
  const packet = new Uint8Array(readFileSync(arg));
  const { init, decode } = await import("../index.js");
  await init();
  const v = decode(packet);
  const t = performance.now();
  out = { origin: t, script: t - t0, dtype: v.dtype, shape: v.shape, values: Array.from(v.data) };
} else if (mode === "floor") {
  const { readFile } = await import("node:fs/promises");
  const { wasiImports } = await import("../wasi.js");
  const bytes = await readFile(arg);
  let memory = null;
  const { instance } = await WebAssembly.instantiate(bytes, { wasi_snapshot_preview1: wasiImports(() => memory) });
  memory = instance.exports.memory;
  instance.exports._initialize();
  const r = instance.exports.floor_nop();
  const t = performance.now();
  out = { origin: t, script: t - t0, nop: r };
} else {
  console.error("usage: node startup-child.mjs tenso PACKET | floor FLOOR.wasm");
  process.exit(2);
}
console.log(JSON.stringify(out));
