// Node start-up benchmark (make bench-startup-js): N fresh `node`
// processes to the first decoded tensor against N fresh processes doing the
// floor's compile + instantiate + _initialize (bin/floor.wasm, an empty Go
// wasip1 reactor built as tenso.wasm is: make bin/floor.wasm), alternated
// in the same run, one untimed process of each first (file cache).
//
// Measured inside each child (startup-child.mjs) with performance.now():
//   from process start  ms since Node's time origin, which Node sets when the
//                       process starts: Node's bootstrap (the same for both)
//                       plus the work below. This is "fresh process to first
//                       decoded tensor".
//   from script start   ms since the child's first statement: the package's
//                       import + init() + decode against the floor's shim
//                       import + read + instantiate + _initialize.
// Medians of N; the ratio is tenso / floor. Not a test: it asserts only that
// the decoded tensor equals the golden manifest's values.
//
//   node bench/startup.mjs [-n 15] [-floor ../bin/floor.wasm] [-json]
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { root, packetFile, PACKET, checkDecoded, median, formatRow } from "./startup-common.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i < 0 ? def : args[i + 1];
};
const n = Number(opt("-n", "15"));
const floor = path.resolve(opt("-floor", path.join(root, "bin", "floor.wasm")));
const json = args.includes("-json");
if (!Number.isInteger(n) || n < 1) throw new Error(`startup: -n must be a positive integer, got ${opt("-n")}`);
if (!existsSync(floor)) throw new Error(`startup: no floor module at ${floor} (make bin/floor.wasm)`);

const child = path.join(here, "startup-child.mjs");

function run(mode) {
  const out = execFileSync(process.execPath, [child, mode, mode === "tenso" ? packetFile : floor], {
    encoding: "utf8",
    timeout: 60000,
  });
  const r = JSON.parse(out);
  if (mode === "tenso") checkDecoded(r);
  else if (r.nop !== 0) throw new Error(`startup: floor_nop returned ${r.nop}`);
  return r;
}

run("floor");
run("tenso");
const res = { tenso: [], floor: [] };
for (let i = 0; i < n; i++) {
  for (const mode of i % 2 ? ["floor", "tenso"] : ["tenso", "floor"]) res[mode].push(run(mode));
}
const rows = ["origin", "script"].map((k) => {
  const t = median(res.tenso.map((r) => r[k]));
  const f = median(res.floor.map((r) => r[k]));
  return {
    runtime: `Node ${process.version}, fresh process, from ${k === "origin" ? "process" : "script"} start`,
    tensoMs: t,
    floorMs: f,
    ratio: t / f,
  };
});
if (json) console.log(JSON.stringify({ n, rows }));
else {
  console.error(`median of ${n} fresh processes each; tenso: import + init() + decode(${PACKET}); floor: compile + instantiate + _initialize`);
  for (const r of rows) console.log(formatRow(r));
}
