// Bad inputs: the wasm module reports exactly the native Go decoder's error
// (message and class), never crashes, and keeps working afterwards.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { init, boundaryCrossings, decode, decodePrefix, encode, inspect, packetLen, TensoError } from "../index.js";
import { golden, goldenDir, manifest, root, sha256 } from "./util.js";

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

// The bytes errcases appends after each mutated packet.
const TRAILER = [0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a];

test("packetLen and decodePrefix of mutated packets followed by more bytes give Go's lengths and errors", () => {
  const packets = new Map();
  let failures = 0;
  const outcome = (fn) => {
    try {
      return [fn(), ""];
    } catch (e) {
      assert.ok(e instanceof TensoError, String(e));
      return [-1, e.message];
    }
  };
  for (const c of cases) {
    if (!packets.has(c.file)) packets.set(c.file, golden(c.file));
    const pkt = packets.get(c.file);
    const p = c.op === "trunc" ? pkt.slice(0, c.n) : pkt.slice();
    if (c.op === "flip") p[c.n] ^= 0xa5;
    const buf = new Uint8Array(p.length + TRAILER.length);
    buf.set(p);
    buf.set(TRAILER, p.length);
    const [pl, plErr] = outcome(() => packetLen(buf));
    const [dl, dErr] = outcome(() => decodePrefix(buf).length);
    const where = `${c.file} ${c.op} ${c.n}`;
    if (pl !== c.plen || plErr !== c.plen_err || dl !== c.prefix_len || dErr !== c.prefix_err) {
      failures++;
      assert.deepEqual([pl, plErr], [c.plen, c.plen_err], `${where}: packetLen`);
      assert.deepEqual([dl, dErr], [c.prefix_len, c.prefix_err], `${where}: decodePrefix`);
    }
  }
  assert.equal(failures, 0);
});

test("back-to-back golden packets: packetLen and decodePrefix walk them", () => {
  const m = manifest();
  const files = m.files.map((f) => golden(f.file));
  const total = files.reduce((a, f) => a + f.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const f of files) {
    all.set(f, at);
    at += f.length;
  }
  at = 0;
  files.forEach((f, i) => {
    const rest = all.subarray(at);
    assert.equal(packetLen(rest), f.length, m.files[i].file);
    // A compressed dense packet followed by more is delimited as packetLen
    // does (Go's DecodePrefix walks its LZ4 frame), like any other.
    const { value, length } = decodePrefix(rest);
    assert.equal(length, f.length, m.files[i].file);
    assert.deepEqual(value, decode(f), m.files[i].file);
    at += f.length;
  });
  assert.equal(at, total);
  // A header that fixes the length is enough: no need for the body.
  const big = encode(new Float32Array(1 << 20));
  const c0 = boundaryCrossings();
  assert.equal(packetLen(big), big.length);
  assert.equal(boundaryCrossings() - c0, 1, "one call, the header copied in");
  assert.throws(() => packetLen(big.subarray(0, 300)), (e) => e instanceof TensoError && /truncated/.test(e.message));
  assert.throws(() => packetLen("x"), TypeError);
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
