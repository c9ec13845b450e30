// Bad inputs: the wasm module reports exactly the native Go decoder's error
// (message and class), never crashes, and keeps working afterwards.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { init, decode, encode, inspect, TensoError } from "../index.js";
import { golden, goldenDir, root, sha256 } from "./util.js";

let cases;
before(async () => {
  await init();
  const out = execFileSync("go", ["run", "./js/test/errcases", goldenDir], {
    cwd: root,
    maxBuffer: 64 << 20,
    encoding: "utf8",
  });
  cases = JSON.parse(out);
});

test("mutated golden packets give Go's errors", () => {
  assert.ok(cases.length > 2000, `only ${cases.length} cases`);
  const packets = new Map();
  let failures = 0;
  for (const c of cases) {
    if (!packets.has(c.file)) packets.set(c.file, golden(c.file));
    const pkt = packets.get(c.file);
    let p;
    if (c.op === "trunc") {
      p = pkt.slice(0, c.n);
    } else {
      p = pkt.slice();
      p[c.n] ^= 0xa5;
    }
    let got = "";
    try {
      decode(p);
    } catch (e) {
      assert.ok(e instanceof TensoError, `${c.file} ${c.op} ${c.n}: ${e}`);
      assert.ok(e.message.startsWith("tenso:"), e.message);
      got = e.message;
    }
    if (got !== c.err) {
      failures++;
      assert.equal(got, c.err, `${c.file} ${c.op} ${c.n}`);
    }
  }
  assert.equal(failures, 0);
  // Still working.
  const v = decode(golden("dense_f32.tenso"));
  assert.deepEqual(v.shape, [3, 4]);
});

test("error classes and offsets", () => {
  const pkt = golden("dense_f64_integrity.tenso");
  const bad = pkt.slice();
  bad[bad.length - 12] ^= 1; // body byte: checksum
  assert.throws(() => decode(bad), (e) => e instanceof TensoError && e.code === "checksum" && e.offset >= 0);
  const v5 = golden("dense_f32.tenso").slice();
  v5[4] = 5;
  assert.throws(() => decode(v5), (e) => e.code === "unsupported" && /version/.test(e.message));
  assert.throws(() => decode(new Uint8Array([0x54, 0x4e])), (e) => e.code === "corrupt");
  assert.throws(() => inspect(new Uint8Array(3)), (e) => e instanceof TensoError);
  assert.throws(() => encode({ kind: "dense", dtype: "float32", shape: [3], data: new Float32Array(2) }), (e) => e.code === "invalid");
  assert.throws(() => encode({ kind: "dense", dtype: "float32", shape: [2], data: new Float32Array(2) }, { alignment: 3 }), (e) => e.code === "invalid");
  assert.throws(() => encode({ kind: "nope" }), TensoError);
  assert.throws(() => decode("not bytes"), TypeError);
});

test("random garbage never breaks the module", () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 3000; i++) {
    const n = 1 + (i % 300);
    const p = new Uint8Array(n);
    for (let j = 0; j < n; j++) p[j] = rnd();
    if (i % 2 === 0 && n > 10) p.set([0x54, 0x4e, 0x53, 0x4f, 4], 0);
    try {
      decode(p);
    } catch (e) {
      assert.ok(e instanceof TensoError, String(e));
    }
  }
  assert.equal(sha256(decode(golden("dense_f32.tenso")).data), "7a9997050db18c1e61314baa7745d889abb9814491019e20bbb347dd53b80649");
});
