// The module itself: size budget, exports kept by wasm-opt, WASI imports
// covered by the shim; zero-copy views and memory-growth safety.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { WASI_FUNCTIONS } from "../wasi.js";
import {
  init, decode, encode, inspect, dequantize, float16ToFloat32, bfloat16ToFloat32, boundaryCrossings, TensoError,
} from "../index.js";
import { execFileSync } from "node:child_process";
import { golden, sha256, root } from "./util.js";

const wasmPath = fileURLToPath(new URL("../tenso.wasm", import.meta.url));

before(async () => {
  await init();
});

// The size budget, a hard check at what has been reached (2,951,347 B raw,
// 879,091 B through Node's zlib at level 9, with Go 1.26 and binaryen's
// wasm-opt -Oz), with about 0.5% of room: a change that grows the module
// must be a decision.
// The goal of 2.3 MB raw and 0.7 MB gzip is not reached: the README's
// WebAssembly section says why.
const RAW_BUDGET = 2_965_000;
const GZIP_BUDGET = 883_000;

test(`size budget: ≤ ${RAW_BUDGET} B raw, ≤ ${GZIP_BUDGET} B gzip (level 9)`, () => {
  const bin = readFileSync(wasmPath);
  const gz = gzipSync(bin, { level: 9 }).length;
  console.log(`tenso.wasm: ${bin.length} bytes raw, ${gz} bytes gzip (level 9)`);
  assert.ok(bin.length <= RAW_BUDGET, `raw size ${bin.length} > ${RAW_BUDGET}`);
  assert.ok(gz <= GZIP_BUDGET, `gzip size ${gz} > ${GZIP_BUDGET}`);
});

test("exports and imports", () => {
  const mod = new WebAssembly.Module(readFileSync(wasmPath));
  const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
  for (const name of [
    "_initialize", "memory", "tenso_state", "tenso_prefix_max", "tenso_reserve", "tenso_alloc", "tenso_free",
    "tenso_release", "tenso_decode", "tenso_inspect", "tenso_encode", "tenso_dequantize", "tenso_f16_to_f32",
    "tenso_bf16_to_f32", "tenso_dense_header", "tenso_xxh3", "tenso_encoded_len", "tenso_packet_len",
    "tenso_decode_prefix", "tenso_inspect_tree",
  ]) {
    assert.ok(exports.includes(name), `missing export ${name}`);
  }
  for (const imp of WebAssembly.Module.imports(mod)) {
    assert.equal(imp.module, "wasi_snapshot_preview1");
    assert.ok(WASI_FUNCTIONS.includes(imp.name), `WASI shim lacks ${imp.name}`);
  }
});

test("init twice and with a compiled Module (edge runtimes)", async () => {
  await init();
  const mod = await WebAssembly.compile(readFileSync(wasmPath));
  // A second package instance loading from a Module: import a fresh copy.
  const fresh = await import(`../index.js?edge=${Date.now()}`);
  await fresh.init(mod);
  assert.deepEqual(fresh.decode(golden("dense_f32.tenso")).shape, [3, 4]);
});

test("init in Node does not load the fetch implementation (undici, ~50 ms of start-up)", () => {
  const src = `const m = await import(${JSON.stringify(new URL("../index.js", import.meta.url).href)});
await m.init();
m.decode(new Uint8Array(${JSON.stringify(Array.from(golden("dense_f32.tenso")))}));
console.log(JSON.stringify(process.moduleLoadList.filter((x) => /undici/.test(x))));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", src], { encoding: "utf8", timeout: 60_000 });
  assert.deepEqual(JSON.parse(out), []);
});

function f32packet(n, options) {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = i * 0.5 - 7;
  return [data, encode({ kind: "dense", dtype: "float32", shape: [n], data }, options)];
}

test("uncompressed dense: a view on the caller's buffer, fast path", () => {
  const [data, pkt] = f32packet(1 << 16);
  const before = boundaryCrossings();
  const v = decode(pkt);
  assert.equal(boundaryCrossings() - before, 1, "one call into wasm per decode");
  assert.equal(v.data.buffer, pkt.buffer, "zero-copy view");
  assert.equal(v.data.byteOffset, pkt.byteOffset + 64);
  assert.deepEqual(v.data, data);
  // An unaligned placement gets a copy with the same content.
  const shifted = new Uint8Array(pkt.length + 1);
  shifted.set(pkt, 1);
  const u = decode(shifted.subarray(1));
  assert.notEqual(u.data.buffer, shifted.buffer);
  assert.deepEqual(u.data, data);
  // ArrayBuffer and DataView inputs.
  assert.deepEqual(decode(pkt.slice().buffer).data, data);
  assert.deepEqual(decode(new DataView(pkt.buffer)).data, data);
});

test("compressed and integrity bodies are copies that survive memory growth", () => {
  const [data, pkt] = f32packet(1 << 18, { compress: true, integrity: true });
  const v = decode(pkt);
  assert.notEqual(v.data.buffer, pkt.buffer);
  const want = sha256(data);
  assert.equal(sha256(v.data), want);
  // Grow the module's memory a lot: earlier results must stay intact.
  const [, big] = f32packet(8 << 20, { compress: true });
  const w = decode(big);
  assert.equal(w.data.length, 8 << 20);
  assert.equal(sha256(v.data), want);
  const [, i] = f32packet(1000, { integrity: true });
  const iv = decode(i);
  assert.equal(iv.data.buffer, i.buffer, "integrity-checked uncompressed bodies are still views");
});

test("round trips of every kind through encode/decode", () => {
  const cases = [
    { kind: "dense", dtype: "int64", shape: [2, 2], data: new BigInt64Array([1n, -2n, 3n, 1n << 60n]) },
    { kind: "dense", dtype: "bool", shape: [3], data: new Uint8Array([1, 0, 1]) },
    { kind: "dense", dtype: "complex64", shape: [2], data: new Float32Array([1, 2, 3, 4]) },
    { kind: "dense", dtype: "uint8", shape: [], data: new Uint8Array([7]) },
    { kind: "string", strings: ["a", "", "ünï ✓"] },
    { kind: "bundle", entries: [{ key: "x", value: { kind: "dense", dtype: "int8", shape: [2], data: new Int8Array([-1, 1]) } }] },
    { kind: "ragged", splits: new BigUint64Array([0n, 2n, 3n]), flat: { kind: "dense", dtype: "float32", shape: [3], data: new Float32Array([1, 2, 3]) } },
    { kind: "sparse", format: "csr", shape: [2, 3], data: new Float32Array([5, 6]), indices: new Int32Array([0, 2]), indptr: new Int32Array([0, 1, 2]) },
    { kind: "sparse", format: "coo", shape: [2, 3], data: new Float64Array([5]), row: new Int32Array([1]), col: new Int32Array([2]) },
  ];
  for (const c of cases) {
    for (const o of [{}, { integrity: true }, { compress: true, alignment: c.kind === "string" ? 64 : 16 }]) {
      const v = decode(encode(c, o));
      if (c.kind === "dense") {
        assert.deepEqual(Array.from(v.data), Array.from(c.data));
        assert.deepEqual(v.shape, c.shape);
      } else if (c.kind === "string") {
        assert.deepEqual(v.strings, c.strings);
      } else if (c.kind === "bundle") {
        assert.deepEqual(Array.from(v.entries[0].value.data), [-1, 1]);
      } else if (c.kind === "ragged") {
        assert.deepEqual(Array.from(v.splits), [0n, 2n, 3n]);
        assert.deepEqual(Array.from(v.flat.data), [1, 2, 3]);
      } else if (c.format === "csr") {
        assert.deepEqual(Array.from(v.indptr.data), [0, 1, 2]);
        assert.deepEqual(Array.from(v.data.data), [5, 6]);
        assert.equal(v.data.dtype, "float32");
      } else {
        assert.deepEqual(Array.from(v.col.data), [2]);
      }
    }
  }
  // Sparse components are dense values: a bfloat16 matrix stays bfloat16
  // (its Uint16Array alone would say nothing), and decode's output encodes
  // back to the same packet.
  const bf = {
    kind: "sparse", format: "coo", shape: [4, 4],
    data: { kind: "dense", dtype: "bfloat16", shape: [2], data: new Uint16Array([0x3f80, 0xbfc0]) },
    row: { kind: "dense", dtype: "int64", shape: [2], data: new BigInt64Array([0n, 3n]) },
    col: { kind: "dense", dtype: "int64", shape: [2], data: new BigInt64Array([1n, 2n]) },
  };
  const pbf = encode(bf);
  const dbf = decode(pbf);
  for (const k of ["data", "row", "col"]) {
    assert.equal(dbf[k].kind, "dense");
    assert.equal(dbf[k].dtype, bf[k].dtype);
    assert.deepEqual(dbf[k].shape, [2]);
    assert.deepEqual(Array.from(dbf[k].data), Array.from(bf[k].data));
  }
  assert.deepEqual(encode(dbf), pbf);
  assert.equal("dtype" in dbf, false);
  // The bare typed arrays of before still encode (data's dtype from dtype).
  const legacy = { kind: "sparse", format: "coo", shape: [4, 4], dtype: "bfloat16", data: bf.data.data, row: bf.row.data, col: bf.col.data };
  assert.deepEqual(encode(legacy), pbf);
  // A component of the wrong dimensionality is Go's error.
  assert.throws(() => encode({ ...bf, row: { kind: "dense", dtype: "int64", shape: [1, 2], data: new BigInt64Array(2) } }), TensoError);
  // A bare typed array is a 1-D dense tensor.
  assert.deepEqual(decode(encode(new Int16Array([1, -1]))).shape, [2]);
});

test("inspect, dequantize, half floats", () => {
  const info = inspect(golden("dense_f32.tenso"));
  assert.equal(info.kind, "dense");
  assert.equal(info.dtype, "float32");
  assert.deepEqual(info.shape, [3, 4]);
  assert.equal(info.bodyOffset, 64);
  assert.equal(info.dataSize, 48);
  const q = decode(golden("quant_qint8_per_tensor.tenso"));
  assert.deepEqual(dequantize(q), q.dequantize());
  assert.deepEqual(Array.from(float16ToFloat32(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00, 0xfc00]))), [1, -2, 2 ** -24, Infinity, -Infinity]);
  assert.ok(Number.isNaN(float16ToFloat32(new Uint16Array([0x7e00]))[0]));
  assert.deepEqual(Array.from(bfloat16ToFloat32(new Uint16Array([0x3f80, 0xbfc0, 0x3e80, 0x4070]))), [1, -1.5, 0.25, 3.75]);
  // The bfloat16 example of FORMAT.md §4 decodes.
  const bf = new Uint8Array(72);
  bf.set([0x54, 0x4e, 0x53, 0x4f, 4, 1, 0, 15, 1, 0, 4, 0, 0, 0]);
  bf.set([0x80, 0x3f, 0xc0, 0xbf, 0x80, 0x3e, 0x70, 0x40], 64);
  assert.equal(sha256(bf), "fc9615243289d8a3819f6f0a0494898f788287163800208169c8b982e45ac87f");
  const v = decode(bf);
  assert.equal(v.dtype, "bfloat16");
  assert.deepEqual(Array.from(bfloat16ToFloat32(v.data)), [1, -1.5, 0.25, 3.75]);
  assert.deepEqual(encode(v), bf);
});

test("the Node example runs", () => {
  const out = execFileSync(process.execPath, [fileURLToPath(new URL("../examples/node.mjs", import.meta.url))], { encoding: "utf8" });
  assert.match(out, /float32 \[ 3, 4 \]/);
  assert.match(out, /view on the file buffer: true/);
});

test("fetchTensor over HTTP", async () => {
  const { createServer } = await import("node:http");
  const pkt = golden("dense_f64_compressed.tenso");
  const srv = createServer((req, res) => {
    if (req.url === "/t.tenso") {
      res.writeHead(200, { "content-type": "application/x-tenso" });
      res.end(pkt);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${srv.address().port}`;
  try {
    const { fetchTensor } = await import("../index.js");
    const v = await fetchTensor(`${base}/t.tenso`);
    assert.equal(v.dtype, "float64");
    assert.equal(sha256(v.data), sha256(decode(pkt).data));
    await assert.rejects(fetchTensor(`${base}/missing`), /HTTP 404/);
  } finally {
    srv.close();
  }
});

test("header memo: same header served without wasm, anything else goes to wasm", () => {
  const [data, pkt] = f32packet(4096);
  decode(pkt);
  let c = boundaryCrossings();
  const v = decode(pkt);
  assert.equal(boundaryCrossings() - c, 0, "repeated header: no call into wasm");
  assert.equal(v.data.buffer, pkt.buffer);
  assert.deepEqual(v.data, data);
  // Same header, new body: a view of the new body.
  const other = pkt.slice();
  new Float32Array(other.buffer, 64, 4096).fill(3);
  assert.deepEqual(Array.from(decode(other).data.subarray(0, 2)), [3, 3]);
  // Truncated: not served from the memo; the Go error.
  c = boundaryCrossings();
  assert.throws(() => decode(pkt.subarray(0, pkt.length - 1)), (e) => e.code === "corrupt" && /truncated/.test(e.message));
  assert.ok(boundaryCrossings() > c);
  // A changed header byte (the shape) misses the memo.
  const [, pkt2] = f32packet(4097);
  c = boundaryCrossings();
  assert.deepEqual(decode(pkt2).shape, [4097]);
  assert.ok(boundaryCrossings() > c);
  // Unaligned placement with a memo hit: a copy.
  decode(pkt);
  const shifted = new Uint8Array(pkt.length + 2);
  shifted.set(pkt, 2);
  const u = decode(shifted.subarray(2));
  assert.notEqual(u.data.buffer, shifted.buffer);
  assert.deepEqual(u.data, data);
  // A header longer than the prefix the module reads (alignment 4096):
  // a full decode, a view all the same.
  const [d4, p4] = f32packet(1000, { alignment: 4096 });
  assert.deepEqual(decode(p4).data, d4);
  const v4 = decode(p4);
  assert.equal(v4.data.buffer, p4.buffer);
  assert.equal(v4.data.byteOffset, p4.byteOffset + 4096);
  assert.deepEqual(v4.data, d4);
  const q4 = p4.slice();
  q4[10] ^= 1; // the shape
  c = boundaryCrossings();
  assert.throws(() => decode(q4), TensoError);
  assert.ok(boundaryCrossings() > c);
  // Shapes are not shared between results.
  const a = decode(pkt);
  a.shape[0] = 1;
  assert.deepEqual(decode(pkt).shape, [4096]);
});
