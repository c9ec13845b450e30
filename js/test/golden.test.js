// The whole golden corpus through the wasm module: decode every packet and
// compare with the manifest; re-encode every byte_exact packet.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { init, decode, encode, encodeInto, encodedLength, inspect, float16ToFloat32 } from "../index.js";
import { manifest, golden, sha256, hex } from "./util.js";

before(async () => {
  await init();
});

function num(x) {
  if (x === "nan") return NaN;
  if (x === "inf") return Infinity;
  if (x === "-inf") return -Infinity;
  return x;
}

function sameFloat(got, want, where) {
  want = num(want);
  if (Number.isNaN(want)) assert.ok(Number.isNaN(got), `${where}: ${got} is not NaN`);
  else assert.equal(got, want, where);
}

function checkFirst(v, d, where) {
  const want = d.first_values || [];
  const data = v.data;
  let vals;
  if (v.dtype === "float16" && !(globalThis.Float16Array && data instanceof globalThis.Float16Array)) {
    vals = Array.from(float16ToFloat32(data));
  } else if (v.dtype === "complex64" || v.dtype === "complex128") {
    vals = [];
    for (let i = 0; i < data.length; i += 2) vals.push([data[i], data[i + 1]]);
  } else {
    vals = Array.from(data);
  }
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = vals[i];
    if (Array.isArray(w)) {
      sameFloat(g[0], w[0], `${where}[${i}].re`);
      sameFloat(g[1], w[1], `${where}[${i}].im`);
    } else if (typeof w === "boolean") {
      assert.equal(g, w ? 1 : 0, `${where}[${i}]`);
    } else if (typeof g === "bigint") {
      assert.equal(Number(g), w, `${where}[${i}]`);
    } else {
      sameFloat(g, w, `${where}[${i}]`);
    }
  }
}

const ctorOf = {
  float32: "Float32Array", float64: "Float64Array", int32: "Int32Array", int64: "BigInt64Array",
  uint8: "Uint8Array", uint16: "Uint16Array", bool: "Uint8Array", int8: "Int8Array", int16: "Int16Array",
  uint32: "Uint32Array", uint64: "BigUint64Array", complex64: "Float32Array", complex128: "Float64Array",
  bfloat16: "Uint16Array", float16: globalThis.Float16Array ? "Float16Array" : "Uint16Array",
};

function checkDense(v, d, where) {
  assert.equal(v.kind, "dense", where);
  assert.equal(v.dtype, d.dtype, where);
  assert.deepEqual(v.shape, d.shape, where);
  assert.equal(v.data.constructor.name, ctorOf[d.dtype], `${where}: typed array`);
  assert.equal(v.data.byteLength, d.nbytes, `${where}: nbytes`);
  assert.equal(sha256(v.data), d.sha256_le_c_order, `${where}: sha256`);
  checkFirst(v, d, where);
}

function checkValue(v, d, where) {
  switch (d.kind) {
    case "dense":
      return checkDense(v, d, where);
    case "quantized": {
      assert.equal(v.kind, "quantized", where);
      assert.equal(v.dtype, d.dtype);
      assert.deepEqual(v.shape, d.shape);
      assert.equal(v.scheme, d.scheme);
      assert.equal(v.axis, d.axis);
      assert.equal(v.groupSize, d.group_size);
      assert.equal(hex(v.scales), d.scales_f32_hex_le);
      assert.equal(hex(v.zeroPoints), d.zero_points_f32_hex_le);
      assert.equal(hex(v.data), d.packed_data_hex);
      const f = v.dequantize();
      assert.equal(sha256(f), d.dequantized_f32_sha256_le_c_order, `${where}: dequantized`);
      d.dequantized_first_values.forEach((x, i) => sameFloat(f[i], x, `${where}: dq[${i}]`));
      return;
    }
    case "string":
      assert.equal(v.kind, "string", where);
      if (d.strings.every((s) => typeof s === "string") && v.dtype === "string") assert.deepEqual(v.strings, d.strings, where);
      assert.equal(v.strings.length, d.count);
      return;
    case "ragged":
      assert.equal(v.kind, "ragged", where);
      assert.deepEqual(Array.from(v.splits, Number), d.row_splits, where);
      assert.equal(v.splits.constructor.name, "BigUint64Array");
      return checkDense(v.flat, d.flat, where + ".flat");
    case "bundle":
      assert.equal(v.kind, "bundle", where);
      assert.equal(v.entries.length, d.count ?? d.entries.length, where);
      d.entries.forEach((e, i) => {
        assert.equal(v.entries[i].key, e.key, where);
        checkValue(v.entries[i].value, e, `${where}.${e.key}`);
      });
      return;
    case "sparse_coo":
    case "sparse_csr":
    case "sparse_csc": {
      assert.equal(v.kind, "sparse", where);
      assert.equal(v.format, d.kind.slice(7));
      assert.deepEqual(v.shape, d.shape);
      for (const c of d.components) checkDense(v[c.name], c, `${where}.${c.name}`);
      assert.equal(v.data.dtype, d.components[0].dtype);
      return;
    }
  }
  assert.fail(`${where}: unknown manifest kind ${d.kind}`);
}

function options(f) {
  const o = f.options || {};
  return { integrity: !!o.check_integrity, compress: !!o.compress, alignment: o.alignment || 0 };
}

const m = manifest();

test("manifest has the whole corpus", () => {
  assert.equal(m.files.length, m.count);
  assert.equal(m.count, 93);
});

for (const f of m.files) {
  test(`golden ${f.file}`, () => {
    const pkt = golden(f.file);
    const v = decode(pkt);
    checkValue(v, f, f.file);
    const info = inspect(pkt);
    assert.equal(info.version, f.layout.version);
    assert.equal(info.flags, f.layout.flags);
    if (f.byte_exact) {
      const o = options(f);
      const out = encode(v, o);
      assert.equal(hex(out), hex(pkt), `${f.file}: re-encoded bytes differ`);
      const dst = new Uint8Array(pkt.length + 2);
      assert.equal(encodeInto(dst.subarray(1), v, o), pkt.length, `${f.file}: encodeInto length`);
      assert.equal(hex(dst.subarray(1, 1 + pkt.length)), hex(pkt), `${f.file}: encodeInto bytes differ`);
      if (o.compress) {
        // Go's EncodedLen: known without compressing only when no dense body is compressed.
        try {
          assert.equal(encodedLength(v, o), pkt.length, `${f.file}: encodedLength`);
        } catch (e) {
          assert.match(e.message, /known only after compressing/, f.file);
        }
      } else {
        assert.equal(encodedLength(v, o), pkt.length, `${f.file}: encodedLength`);
      }
    } else {
      // Content round trip through the encoder.
      const again = decode(encode(v, options(f)));
      checkValue(again, f, f.file + " (round trip)");
    }
  });
}

test("80 byte_exact packets", () => {
  assert.equal(m.files.filter((f) => f.byte_exact).length, 80);
});
