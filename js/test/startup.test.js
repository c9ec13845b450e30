// The Node start-up benchmark (bench/startup.mjs, make bench-startup-js)
// runs: two fresh processes of each kind, its table in JSON, and the tensor
// its children decode checked against the manifest (the script exits
// non-zero otherwise). Figures are not asserted on: only that they are there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { root, checkDecoded } from "../bench/startup-common.mjs";

test("startup benchmark: n=2 prints both figures and ratios", () => {
  const out = execFileSync(process.execPath, [path.join(root, "js", "bench", "startup.mjs"), "-n", "2", "-json"], {
    encoding: "utf8",
    timeout: 60000,
  });
  const { n, rows } = JSON.parse(out);
  assert.equal(n, 2);
  assert.equal(rows.length, 2);
  for (const r of rows) {
    for (const k of ["tensoMs", "floorMs", "ratio"]) assert.ok(Number.isFinite(r[k]) && r[k] > 0, `${r.runtime}: ${k} = ${r[k]}`);
    assert.ok(Math.abs(r.ratio - r.tensoMs / r.floorMs) < 1e-9);
  }
});

test("startup benchmark: the decoded tensor is checked", () => {
  const good = {
    dtype: "float32",
    shape: [3, 4],
    values: [0.6479061841964722, 0.46932080388069153, -0.6430206298828125, -1.1782586574554443, -0.1446904093027115,
      1.2034584283828735, 1.3335838317871094, 0.9083014130592346, 0, 0, 0, 0],
  };
  checkDecoded(good);
  assert.throws(() => checkDecoded({ ...good, values: good.values.map((x, i) => (i === 3 ? x + 1 : x)) }), /decoded/);
  assert.throws(() => checkDecoded({ ...good, shape: [4, 3] }), /decoded/);
  assert.throws(() => checkDecoded({ ...good, dtype: "float64" }), /decoded/);
  assert.throws(() => checkDecoded({ ...good, values: good.values.slice(1) }), /decoded/);
});
