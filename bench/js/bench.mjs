// Node benchmarks: Tenso (the wasm package in ../../js) against apache-arrow,
// msgpackr, @msgpack/msgpack, npyjs and lz4js on the cases of the Go
// benchmarks (same shapes and dtypes; values from a seeded PRNG here).
// Writes results.json (read by ../cmd/report) and prints one line per figure.
//
//   node bench.mjs [--time MS] [--small] [--out results.json]
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { createRequire } from "node:module";

import * as arrow from "apache-arrow";
import { pack, unpack } from "msgpackr";
import * as msgpack from "@msgpack/msgpack";
import { dump as npyDump, parse as npyParse } from "npyjs";
import lz4 from "lz4js";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const TIME_MS = Number(opt("--time", "200"));
const SMALL = args.includes("--small");
const OUT = opt("--out", new URL("results.json", import.meta.url).pathname);

const require = createRequire(import.meta.url);
const version = (pkg) => {
  try {
    return require(`${pkg}/package.json`).version;
  } catch {
    try {
      // packages whose exports map hides package.json
      const p = new URL(`node_modules/${pkg}/package.json`, import.meta.url);
      return JSON.parse(readFileSync(p, "utf8")).version;
    } catch {
      return "unknown";
    }
  }
};

// ---- cases ----
let seed = 42;
const rnd = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const normal = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
function f32(name, shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = normal() * 0.02;
  return { name, dtype: "float32", shape, data: d };
}
function image(name, h, w, c) {
  const d = new Uint8Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++)
        d[(y * w + x) * c + k] = (((x * 255) / w + (y * 255) / h) / 2 + k * 40 + Math.floor(rnd() * 16)) & 255;
  return { name, dtype: "uint8", shape: [h, w, c], data: d };
}
const llm = SMALL ? 64 : 4096;
const [fh, fw] = SMALL ? [72, 128] : [720, 1280];
const bundle = [];
for (let i = 0; i < 100; i++) {
  if (i % 2 === 0) bundle.push(f32(`layer.${String(i / 2).padStart(2, "0")}.weight`, [16, 16]));
  else {
    const t = image(`layer.${String((i - 1) / 2).padStart(2, "0")}.mask`, 32, 32, 1);
    t.shape = [32, 32];
    bundle.push(t);
  }
}
const cases = [
  { name: "sensor", tensors: [f32("x", [256])] },
  { name: "tinyml", tensors: [image("x", 96, 96, 3)] },
  { name: "frame720p", tensors: [image("x", fh, fw, 3)] },
  { name: "llm64mib", tensors: [f32("x", [llm, llm])] },
  { name: "bundle100", tensors: bundle, bundle: true },
];
const bytesOf = (a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

// ---- timing ----
let sink = 0;
function time(fn) {
  // Warm up (JIT, lazy init) for a quarter of the budget, calibrate a batch
  // of about a fifth of it, then report the median of five batches.
  const now = () => Number(process.hrtime.bigint());
  let t0 = now();
  let warm = 0;
  do {
    fn();
    warm++;
  } while (now() - t0 < TIME_MS * 0.25e6 && warm < 1e6);
  const per = (now() - t0) / warm;
  const n = Math.max(1, Math.min(1e7, Math.round((TIME_MS * 0.2e6) / Math.max(per, 1))));
  const batches = [];
  for (let b = 0; b < 5; b++) {
    t0 = now();
    for (let i = 0; i < n; i++) fn();
    batches.push((now() - t0) / n);
  }
  batches.sort((a, b) => a - b);
  return { ns: batches[2], n: 5 * n };
}

// ---- codecs: encode(case) -> Uint8Array, decode(case, bytes) -> calls visit(i, typedArray) ----
const codecs = [];
const notes = [];
const skipped = [];

let tenso = null;
try {
  tenso = await import("@tenso-go/tenso");
  await tenso.init();
} catch (e) {
  skipped.push(`tenso (../../js): ${e.message.split("\n")[0]} — run \`make wasm\` first`);
  tenso = null;
}

if (tenso) {
  const value = (c) =>
    c.bundle
      ? { kind: "bundle", entries: c.tensors.map((t) => ({ key: t.name, value: { kind: "dense", dtype: t.dtype, shape: t.shape, data: t.data } })) }
      : { kind: "dense", dtype: c.tensors[0].dtype, shape: c.tensors[0].shape, data: c.tensors[0].data };
  const dec = (c, b, visit) => {
    const v = tenso.decode(b);
    if (v.kind === "bundle") v.entries.forEach((e, i) => visit(i, e.value.data));
    else visit(0, v.data);
  };
  const mk = (name, o, note) => codecs.push({ name, note, encode: (c) => { const v = value(c); return () => tenso.encode(v, o); }, decode: dec });
  mk("tenso", {}, "`encode` (a dense tensor: the header written by the wasm module, cached per dtype and shape, and the body copied once into the packet; a bundle: through wasm memory) / `decode` (header parsed in wasm, data a typed-array view on the input when aligned)");
  codecs.push({
    name: "tenso encodeInto",
    note: "`encodeInto` a reused buffer sized once by `encodedLength` (compare with copy)",
    encode: (c) => {
      const v = value(c);
      const out = new Uint8Array(tenso.encodedLength(v));
      return () => {
        tenso.encodeInto(out, v);
        return out;
      };
    },
  });
  codecs.push({
    name: "tenso decode+touch",
    note: "`decode`, then every element read",
    decode: (c, b, visit) =>
      dec(c, b, (i, d) => {
        let s = 0;
        for (let j = 0; j < d.length; j++) s += d[j];
        sink += s;
        visit(i, d);
      }),
  });
  mk("tenso integrity", { integrity: true }, "XXH3-64 footer written and verified");
  mk("tenso lz4", { compress: true }, "LZ4 frame body, compressed and decompressed in wasm");
}

const arrowType = (t) => (t.dtype === "float32" ? new arrow.Float32() : new arrow.Uint8());
codecs.push({
  name: "arrow ipc",
  note: "apache-arrow: `tableToIPC` of a one-column table (a bundle: 100 fixed-size-list columns of one row) / `tableFromIPC` (values are views on the input)",
  encode: (c) => () => {
    const cols = {};
    for (const t of c.tensors) {
      const child = arrow.makeData({ type: arrowType(t), length: t.data.length, data: t.data });
      cols[t.name] = c.bundle
        ? arrow.makeVector(arrow.makeData({ type: new arrow.FixedSizeList(t.data.length, new arrow.Field("item", arrowType(t))), length: 1, nullCount: 0, child }))
        : arrow.makeVector(child);
    }
    return arrow.tableToIPC(new arrow.Table(cols));
  },
  decode: (c, b, visit) => {
    const table = arrow.tableFromIPC(b);
    for (let i = 0; i < c.tensors.length; i++) {
      const d = table.getChildAt(i).data[0];
      visit(i, c.bundle ? d.children[0].values : d.values);
    }
  },
});

const wire = (c) =>
  c.bundle
    ? c.tensors.map((t) => ({ key: t.name, value: { dtype: t.dtype, shape: t.shape, data: bytesOf(t.data) } }))
    : { dtype: c.tensors[0].dtype, shape: c.tensors[0].shape, data: bytesOf(c.tensors[0].data) };
// typed gives the caller the array type Tenso's decode returns: a view when
// the bytes sit at an offset aligned for the element type, else a copy.
const typed = (dtype, u8) => {
  if (dtype !== "float32") return u8;
  if (u8.byteOffset % 4 === 0) return new Float32Array(u8.buffer, u8.byteOffset, u8.byteLength / 4);
  return new Float32Array(u8.slice().buffer);
};
const wireVisit = (c, v, visit) => {
  if (c.bundle) v.forEach((e, i) => visit(i, typed(e.value.dtype, e.value.data)));
  else visit(0, typed(v.dtype, v.data));
};
codecs.push({
  name: "msgpackr",
  note: "msgpackr `pack` / `unpack` of {dtype, shape, data: Uint8Array} (pure JS: the optional native msgpackr-extract addon is not built); decode ends with a Float32Array for float32 data, a view when the bin field happens to be 4-byte aligned, else a copy",
  encode: (c) => { const v = wire(c); return () => pack(v); },
  decode: (c, b, visit) => wireVisit(c, unpack(b), visit),
});
codecs.push({
  name: "@msgpack/msgpack",
  note: "`encode` / `decode` of the same object, typed the same way",
  encode: (c) => { const v = wire(c); return () => msgpack.encode(v); },
  decode: (c, b, visit) => wireVisit(c, msgpack.decode(b), visit),
});
codecs.push({
  name: "npy (npyjs)",
  note: "npyjs `dump` / `parse` (single tensors only: npyjs has no .npz)",
  singleOnly: true,
  encode: (c) => () => new Uint8Array(npyDump(c.tensors[0].data, c.tensors[0].shape)),
  decode: (c, b, visit) => {
    const ab = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer;
    visit(0, npyParse(ab).data);
  },
});
codecs.push({
  name: "lz4js",
  note: "lz4js `compress` / `decompress` of the raw bytes (compare with tenso lz4; no shape or dtype carried)",
  singleOnly: true,
  encode: (c) => () => lz4.compress(bytesOf(c.tensors[0].data)),
  decode: (c, b, visit) => visit(0, typed(c.tensors[0].dtype, lz4.decompress(b))),
});
codecs.push({
  name: "copy",
  note: "baseline: `Uint8Array.prototype.set` of every tensor into a reused buffer, and out of it",
  encode: (c) => {
    const total = c.tensors.reduce((a, t) => a + t.data.byteLength, 0);
    const out = new Uint8Array(total);
    return () => {
      let off = 0;
      for (const t of c.tensors) { out.set(bytesOf(t.data), off); off += t.data.byteLength; }
      return out;
    };
  },
  decode: (c, b, visit) => {
    c.copyOut ??= new Uint8Array(b.byteLength);
    let off = 0;
    c.tensors.forEach((t, i) => {
      const d = c.copyOut.subarray(off, off + t.data.byteLength);
      d.set(b.subarray(off, off + t.data.byteLength));
      off += t.data.byteLength;
      visit(i, d);
    });
  },
});

// ---- run ----
const results = [];
const same = (a, b) => {
  const x = bytesOf(a), y = bytesOf(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i += 97) if (x[i] !== y[i]) return false;
  return x[x.length - 1] === y[y.length - 1];
};
for (const c of cases) {
  let tensoPacket = null;
  for (const k of codecs) {
    if (k.singleOnly && c.bundle) continue;
    let enc = null;
    try {
      if (k.encode) {
        const op = k.encode(c);
        enc = op();
        enc = new Uint8Array(enc); // own copy, offset 0 (the codec may reuse its buffer)
        if (k.name === "tenso") tensoPacket = enc;
        const r = time(op);
        results.push({ case: c.name, codec: k.name, op: "encode", ns_per_op: r.ns, size: enc.byteLength, n: r.n });
        console.log(`${c.name.padEnd(10)} ${k.name.padEnd(20)} encode ${r.ns.toFixed(0).padStart(12)} ns/op ${String(enc.byteLength).padStart(9)} B`);
      }
      if (k.decode) {
        const input = enc ?? tensoPacket;
        let ok = 0;
        k.decode(c, input, (i, d) => { if (same(d, c.tensors[i].data)) ok++; });
        if (ok !== c.tensors.length) throw new Error(`decoded data differs from the input (${ok}/${c.tensors.length} tensors equal)`);
        const r = time(() => k.decode(c, input, () => {}));
        results.push({ case: c.name, codec: k.name, op: "decode", ns_per_op: r.ns, size: input.byteLength, n: r.n });
        console.log(`${c.name.padEnd(10)} ${k.name.padEnd(20)} decode ${r.ns.toFixed(0).padStart(12)} ns/op ${String(input.byteLength).padStart(9)} B`);
      }
    } catch (e) {
      skipped.push(`${k.name} on ${c.name}: ${e.message.split("\n")[0]}`);
      console.log(`${c.name.padEnd(10)} ${k.name.padEnd(20)} FAILED: ${e.message.split("\n")[0]}`);
    }
  }
}

const versions = {};
for (const p of ["apache-arrow", "msgpackr", "@msgpack/msgpack", "npyjs", "lz4js", "@tenso-go/tenso"]) versions[p] = version(p);
writeFileSync(
  OUT,
  JSON.stringify(
    {
      date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      node: `Node.js ${process.version}`,
      cpu: `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} logical cores`,
      versions,
      notes: codecs.map((k) => [k.name, k.note]),
      skipped,
      results,
      sink,
    },
    null,
    1,
  ),
);
console.log(`wrote ${OUT}`);
