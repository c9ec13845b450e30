// inspectTree against native Go's InspectTree (js/test/treecases): every
// golden packet described entry by entry (version, alignment, integrity,
// compression, shape… of each bundle entry and sparse component), and Go's
// errors for truncated and flipped container packets.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { init, inspect, inspectTree, TensoError } from "../index.js";
import { golden, goldenDir, root } from "./util.js";

const NAMES = [null, "float32", "int32", "float64", "int64", "uint8", "uint16", "bool", "float16", "int8", "int16",
  "uint32", "uint64", "complex64", "complex128", "bfloat16", "qint8", "quint8", "qint4", "quint4", "string", "bytes"];

let cases;
before(async () => {
  await init();
  cases = JSON.parse(execFileSync("go", ["run", "./js/test/treecases", goldenDir], { cwd: root, maxBuffer: 256 << 20, encoding: "utf8" }));
});

// Go's description with the dtype named as the JS package names it.
function named(t) {
  return {
    ...t,
    dtype: NAMES[t.dtype] ?? null,
    parts: t.parts.map((p) => ({ key: p.key, offset: p.offset, length: p.length, info: named(p.info) })),
  };
}

test("inspectTree gives Go's InspectTree for every golden packet and its errors for damaged containers", () => {
  assert.ok(cases.length > 1000, `only ${cases.length} cases`);
  const packets = new Map();
  let nested = 0;
  let failures = 0;
  for (const c of cases) {
    if (!packets.has(c.file)) packets.set(c.file, golden(c.file));
    const pkt = packets.get(c.file);
    let p = pkt;
    if (c.op === "trunc") p = pkt.slice(0, c.n);
    else if (c.op === "flip") {
      p = pkt.slice();
      p[c.n] ^= 0xa5;
    }
    const where = `${c.file} ${c.op} ${c.n}`;
    let got;
    try {
      got = inspectTree(p);
    } catch (e) {
      assert.ok(e instanceof TensoError, `${where}: ${e}`);
      if (e.message !== c.err) {
        failures++;
        assert.equal(e.message, c.err, where);
      }
      continue;
    }
    assert.equal(c.err, "", `${where}: Go says ${c.err}`);
    assert.deepEqual(got, named(c.tree), where);
    if (c.op === "whole") {
      // The top level is what inspect says.
      const { parts, ...top } = got;
      assert.deepEqual(top, inspect(p), where);
      if (parts.some((x) => x.info.parts.length > 0)) nested++;
    }
  }
  assert.equal(failures, 0);
  assert.ok(nested >= 1, "a container inside a container");
});

test("per-entry options: a bundle's entries keep their own alignment, integrity and compression", () => {
  const c = cases.find((x) => x.op === "whole" && x.tree && x.tree.parts.some((p) => p.info.compressed || p.info.integrity));
  assert.ok(c, "a golden bundle with compressed or integrity-checked entries");
  const t = inspectTree(golden(c.file));
  assert.ok(t.parts.some((p) => p.info.compressed || p.info.integrity));
  for (const p of t.parts) {
    // Each part's offset and length delimit its own packet: the same description.
    const sub = golden(c.file).subarray(p.offset, p.offset + p.length);
    assert.deepEqual(inspectTree(sub), p.info, `${c.file} ${p.key}`);
  }
  assert.throws(() => inspectTree(new Uint8Array(3)), TensoError);
  assert.throws(() => inspectTree(42), TypeError);
});
