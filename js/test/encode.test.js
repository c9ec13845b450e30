// encode, encodeInto and encodedLength against native Go's Encode and
// EncodedLen (js/test/encodecases): the same packets byte for byte for every
// dense dtype and option, the same lengths, the same error messages; the
// header cache and the destination checks.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { init, decode, encode, encodeInto, encodedLength, boundaryCrossings, TensoError } from "../index.js";
import { root, hex } from "./util.js";

const NAMES = [null, "float32", "int32", "float64", "int64", "uint8", "uint16", "bool", "float16", "int8", "int16",
  "uint32", "uint64", "complex64", "complex128", "bfloat16", "qint8", "quint8", "qint4", "quint4", "string", "bytes"];

let cases;
before(async () => {
  await init();
  cases = JSON.parse(execFileSync("go", ["run", "./js/test/encodecases"], { cwd: root, maxBuffer: 256 << 20, encoding: "utf8" }));
});

const unhex = (s) => Uint8Array.from(Buffer.from(s, "hex"));

// The body as a typed array of the dtype's class when its length allows
// (as decode gives it), else as bytes.
function valueOf(c) {
  const bytes = unhex(c.data);
  let data = bytes;
  if (c.dtype >= 1 && c.dtype <= 15 && c.dtype !== 5 && c.dtype !== 7) {
    const v = decodeLike(c.dtype, bytes);
    if (v) data = v;
  }
  return { kind: "dense", dtype: NAMES[c.dtype], shape: c.shape, data };
}

const CTORS = { 1: Float32Array, 2: Int32Array, 3: Float64Array, 4: BigInt64Array, 6: Uint16Array, 8: Uint16Array, 9: Int8Array,
  10: Int16Array, 11: Uint32Array, 12: BigUint64Array, 13: Float32Array, 14: Float64Array, 15: Uint16Array };
function decodeLike(code, bytes) {
  const C = CTORS[code];
  if (bytes.length % C.BYTES_PER_ELEMENT !== 0) return null;
  const copy = bytes.slice();
  return new C(copy.buffer, 0, copy.length / C.BYTES_PER_ELEMENT);
}

function expectErr(fn, msg, where) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof TensoError, `${where}: ${e}`);
    assert.equal(e.message, msg, where);
    return true;
  });
}

test("encode, encodeInto and encodedLength give Go's packets, lengths and errors", () => {
  assert.ok(cases.length > 1800, `only ${cases.length} cases`);
  const dst = new Uint8Array(1 << 21);
  let ok = 0;
  for (const c of cases) {
    const where = `${NAMES[c.dtype]} ${JSON.stringify(c.shape)} ${JSON.stringify(c.options)}`;
    const v = valueOf(c);
    // Twice: the second encode is served from the header cache.
    for (let round = 0; round < 2; round++) {
      if (c.err) {
        expectErr(() => encode(v, c.options), c.err, where);
        expectErr(() => encodeInto(dst, v, c.options), c.err, where + " (encodeInto)");
      } else {
        const out = encode(v, c.options);
        assert.equal(hex(out), c.packet, where);
        // Into a buffer at an odd offset, with a guard byte after.
        const d = dst.subarray(3);
        d.fill(0xee, 0, c.packet.length / 2 + 1);
        const n = encodeInto(d, v, c.options);
        assert.equal(n, c.packet.length / 2, where);
        assert.equal(hex(d.subarray(0, n)), c.packet, where + " (encodeInto)");
        assert.equal(d[n], 0xee, where + ": wrote past the packet");
        ok++;
      }
      if (c.len_err) expectErr(() => encodedLength(v, c.options), c.len_err, where + " (encodedLength)");
      else assert.equal(encodedLength(v, c.options), c.len, where + " (encodedLength)");
    }
  }
  assert.ok(ok > 1700, `${ok} packets compared`);
});

test("a dense encode writes the header once and copies the body straight into the packet", () => {
  const data = new Float32Array(4096).map((_, i) => i);
  const v = { kind: "dense", dtype: "float32", shape: [64, 64], data };
  encode(v);
  let c = boundaryCrossings();
  const out = encode(v);
  assert.equal(boundaryCrossings() - c, 0, "cached header: no call into wasm");
  assert.deepEqual(decode(out).data, data);
  // New content, same header: the packet has the new body.
  data[0] = 99;
  assert.equal(decode(encode(v)).data[0], 99);
  // Integrity: one call to hash (plus one for room), none for the header.
  c = boundaryCrossings();
  encode(v, { integrity: true });
  encode(v, { integrity: true });
  c = boundaryCrossings();
  const pi = encode(v, { integrity: true });
  assert.equal(boundaryCrossings() - c, 2);
  assert.deepEqual(decode(pi).data, data);
  // Many shapes: the cache stays bounded and stays right.
  for (let n = 1; n < 400; n++) {
    const t = new Uint8Array(n).fill(n & 255);
    const d = decode(encode({ dtype: "uint8", shape: [n], data: t }));
    assert.deepEqual(d.shape, [n]);
    assert.equal(d.data[n - 1], n & 255);
  }
  // A bare typed array is a 1-D tensor; the same shape as a new array.
  assert.deepEqual(decode(encode(new Int16Array([1, -1]))).shape, [2]);
  assert.deepEqual(decode(encode(new Int16Array([1, -1, 5]))).shape, [3]);
  // Shape ["3"] is not shape [3].
  assert.throws(() => encode({ dtype: "uint8", shape: ["3"], data: new Uint8Array(3) }), /bad dimension 3/);
  assert.throws(() => encode({ dtype: "uint8", shape: [1.5], data: new Uint8Array(3) }), /bad dimension 1.5/);
  assert.throws(() => encode({ dtype: "float99", shape: [1], data: new Uint8Array(3) }), /unknown dtype float99/);
  assert.throws(() => encode({ dtype: "constructor", shape: [1], data: new Uint8Array(3) }), /unknown dtype constructor/);
  assert.throws(() => encode(v, { alignment: 2.5 }), /alignment 2.5 is not an integer/);
  expectErr(() => encode(v, { alignment: -64 }), "tenso: invalid argument: alignment -64 is not a power of two between 1 and 2^31", "negative alignment");
  expectErr(() => encode({ kind: "string", strings: ["a"] }, { alignment: 2 ** 40 }),
    "tenso: invalid argument: alignment 1099511627776 is not a power of two between 1 and 2^31", "huge alignment, general path");
});

test("small packets share a pool; large ones own their buffer", () => {
  const a = encode(new Float32Array(4));
  const b = encode(new Float32Array(4));
  assert.equal(a.buffer, b.buffer);
  assert.ok(a.byteOffset + a.length <= b.byteOffset || b.byteOffset + b.length <= a.byteOffset, "disjoint");
  assert.equal(a.byteOffset % 8, 0);
  b.fill(1);
  assert.deepEqual(decode(a).data, new Float32Array(4), "a packet is never overwritten");
  // A transferred (detached) pool is replaced.
  structuredClone(a.buffer, { transfer: [a.buffer] });
  assert.equal(a.length, 0);
  const c = encode(new Float32Array(4).fill(2));
  assert.deepEqual(decode(c).data, new Float32Array(4).fill(2));
  const big = encode(new Float32Array(4096));
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, big.length);
});

test("encodeInto: too small a destination names the length needed and is left alone", () => {
  const v = { kind: "dense", dtype: "float32", shape: [3], data: new Float32Array([1, 2, 3]) };
  const need = encodedLength(v);
  assert.equal(need, 76);
  for (const [value, o] of [[v, {}], [v, { integrity: true }], [v, { compress: true }], [{ kind: "string", strings: ["ab", "c"] }, {}]]) {
    const want = encode(value, o).length;
    const dst = new Uint8Array(want - 1).fill(7);
    assert.throws(() => encodeInto(dst, value, o), (e) => {
      assert.ok(e instanceof TensoError);
      assert.equal(e.code, "invalid");
      assert.equal(e.needed, want);
      assert.equal(e.message, `tenso: invalid argument: the destination has ${want - 1} bytes, the packet needs ${want}`);
      return true;
    });
    assert.ok(dst.every((x) => x === 7), "destination unchanged");
    const ok = new Uint8Array(want + 5);
    assert.equal(encodeInto(ok, value, o), want);
    assert.equal(hex(ok.subarray(0, want)), hex(encode(value, o)));
  }
  // ArrayBuffer and DataView destinations; a non-buffer is a TypeError.
  const ab = new ArrayBuffer(need);
  assert.equal(encodeInto(ab, v), need);
  assert.equal(encodeInto(new DataView(ab), v), need);
  assert.deepEqual(decode(ab).data, v.data);
  assert.throws(() => encodeInto([], v), TypeError);
  // encodedLength of other kinds is Go's EncodedLen.
  const s = { kind: "string", strings: ["ab", "c"] };
  assert.equal(encodedLength(s), encode(s).length);
  assert.equal(encodedLength(s, { integrity: true }), encode(s, { integrity: true }).length);
  const bundle = { kind: "bundle", entries: [{ key: "x", value: v }, { key: "y", value: { dtype: "int8", shape: [2], data: new Int8Array([1, -1]) } }] };
  assert.equal(encodedLength(bundle, { alignment: 16 }), encode(bundle, { alignment: 16 }).length);
  expectErr(() => encodedLength(bundle, { compress: true }), "tenso: invalid argument: the length of a compressed packet is known only after compressing", "compressed bundle");
});

test("encode: DataView data; typed arrays whose bytes no longer fit the shape are refused, cached view or not", () => {
  const f = new Float32Array([1, 2, 3, 4]);
  const want = hex(encode({ dtype: "float32", shape: [4], data: f })); // f's byte view is now cached
  assert.equal(hex(encode({ dtype: "float32", shape: [4], data: new DataView(f.buffer) })), want);
  expectErr(() => encode({ dtype: "float32", shape: [4], data: new Float32Array(5) }),
    "tenso: invalid argument: float32 tensor of shape [4] needs 16 data bytes, has 20", "one element too many");
  // Detaching f's buffer empties the cached view too: no stale bytes go out.
  structuredClone(f.buffer, { transfer: [f.buffer] });
  assert.throws(() => encode({ dtype: "float32", shape: [4], data: f }));
  assert.throws(() => encodeInto(new Uint8Array(256), { dtype: "float32", shape: [4], data: f }));
});
