// Shared by the start-up benchmarks (js/bench/startup.mjs for Node,
// web-demo/bench/startup.mjs for Chromium): the golden packet they decode,
// the check of what they decoded, the median and the table row.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PACKET = "dense_f32.tenso";
export const packetFile = path.join(root, "testdata", PACKET);

const want = JSON.parse(readFileSync(path.join(root, "testdata", "manifest.json"), "utf8")).files.find(
  (e) => e.file === PACKET,
);

/** Throws unless r ({dtype, shape, values}) is the manifest's tensor. */
export function checkDecoded(r) {
  const same =
    r.dtype === want.dtype &&
    JSON.stringify(r.shape) === JSON.stringify(want.shape) &&
    r.values.length === want.num_elements &&
    want.first_values.every((x, i) => Math.fround(x) === r.values[i]);
  if (!same) throw new Error(`startup: decoded ${JSON.stringify(r)}, the manifest says ${want.dtype} ${JSON.stringify(want.shape)}`);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One row of the table make bench-startup-js prints: runtime, tenso ms, floor ms, ratio. */
export function formatRow(r) {
  return `${r.runtime.padEnd(58)} ${r.tensoMs.toFixed(1).padStart(8)} ${r.floorMs.toFixed(1).padStart(8)} ${r.ratio.toFixed(2).padStart(6)}`;
}

export const HEADER = `${"runtime".padEnd(58)} ${"tenso ms".padStart(8)} ${"floor ms".padStart(8)} ${"ratio".padStart(6)}`;
