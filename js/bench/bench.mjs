// Node benchmarks of the wasm module, each beside its baseline, measured in
// the same run (ratios are what to compare; absolute times depend on the
// machine). Run: make bench-js (or node bench/bench.mjs [--quick]).
import { init, decode, encode, encodeInto, encodedLength, boundaryCrossings } from "../index.js";
import lz4 from "lz4js";
import xxhash from "xxhash-wasm";
import { parse as npyParse } from "npyjs";
import { pack, unpack } from "msgpackr";

const quick = process.argv.includes("--quick");
const BIG = quick ? 8 << 20 : 64 << 20;

// median ns/op over rounds of at least `ms` milliseconds each
function measure(fn, ms = quick ? 60 : 250, rounds = 5) {
  fn();
  const res = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    let t = t0;
    const limit = BigInt(ms * 1e6);
    while (t - t0 < limit) {
      fn();
      n++;
      t = process.hrtime.bigint();
    }
    res.push(Number(t - t0) / n);
  }
  res.sort((a, b) => a - b);
  return res[res.length >> 1];
}

const fmt = (ns) => (ns < 1e3 ? `${ns.toFixed(0)} ns` : ns < 1e6 ? `${(ns / 1e3).toFixed(2)} µs` : `${(ns / 1e6).toFixed(2)} ms`);
const gbps = (bytes, ns) => `${(bytes / ns).toFixed(2)} GB/s`;
const rows = [];
// ratios[name][baseline]: the medians of per-round ratios of the
// interleaved rows (not the ratio of their medians), for the JSON line.
const ratios = {};
function report(name, ns, extra = "", r = undefined) {
  rows.push([name, ns]);
  if (r) ratios[name.trim()] = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v.toFixed(4))]));
  console.log(`${name.padEnd(52)} ${fmt(ns).padStart(10)}  ${extra}`);
}

function f32(n, f) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = f(i);
  return a;
}

function npy(arr, shape) {
  // a v1.0 .npy file: magic, header (padded to 64), data
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")},), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += " ".repeat(pad) + "\n";
  const out = new Uint8Array(10 + header.length + arr.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), 10 + header.length);
  return out;
}

await init();
console.log(`node ${process.version}, ${quick ? "quick" : "full"} run, big = ${BIG >> 20} MiB\n`);

// 1. Zero-copy decode: flat in size; boundary crossings per decode.
const small = f32(256, (i) => i);
const big = f32(BIG / 4, (i) => (i % 1000) * 0.25);
const pSmall = encode({ kind: "dense", dtype: "float32", shape: [256], data: small });
const pBig = encode({ kind: "dense", dtype: "float32", shape: [big.length], data: big });
const calls = (f) => {
  const c0 = boundaryCrossings();
  f();
  return boundaryCrossings() - c0;
};
// Alternating two shapes defeats the header memo: every decode calls wasm.
const pSmall2 = encode({ kind: "dense", dtype: "float32", shape: [257], data: f32(257, (i) => i) });
let flip = false;
const alternate = () => decode((flip = !flip) ? pSmall : pSmall2);
const tAlt = measure(alternate);
const altCalls = calls(alternate);
decode(pSmall);
const tSmall = measure(() => decode(pSmall));
const memoCalls = calls(() => decode(pSmall));
const tBig = measure(() => decode(pBig));
const pBig2 = encode({ kind: "dense", dtype: "float32", shape: [big.length - 1], data: big.subarray(1) });
let flipBig = false;
const tBigMiss = measure(() => decode((flipBig = !flipBig) ? pBig : pBig2));
report("decode float32 1 KiB, header seen before (memo)", tSmall, `${memoCalls} calls into wasm per decode`);
report("decode float32 1 KiB, new header each time", tAlt, `${altCalls} call into wasm per decode`);
report(`decode float32 ${BIG >> 20} MiB, header seen before (memo)`, tBig, `ratio to 1 KiB: ${(tBig / tSmall).toFixed(2)}×`);
report(`decode float32 ${BIG >> 20} MiB, new header each time`, tBigMiss, `ratio to 1 KiB: ${(tBigMiss / tAlt).toFixed(2)}×`);
const npySmall = npy(small, [256]).buffer;
const npyBig = npy(big, [big.length]).buffer;
const tNpy = measure(() => npyParse(npySmall));
const tNpyBig = measure(() => npyParse(npyBig));
report("  baseline npyjs parse 1 KiB", tNpy, `tenso/npyjs: ${(tSmall / tNpy).toFixed(2)}× (memo), ${(tAlt / tNpy).toFixed(2)}× (new header)`);
report(`  baseline npyjs parse ${BIG >> 20} MiB`, tNpyBig, `tenso/npyjs: ${(tBig / tNpyBig).toFixed(2)}×`);
const mp = pack(new Uint8Array(small.buffer));
const tMp = measure(() => unpack(mp));
report("  baseline msgpackr unpack 1 KiB uint8 bin", tMp, `tenso/msgpackr: ${(tSmall / tMp).toFixed(2)}× (memo), ${(tAlt / tMp).toFixed(2)}× (new header)`);

// 2. LZ4 through the module vs lz4js on the same bytes.
const comp = f32(BIG / 4, (i) => Math.round(Math.sin(i / 300) * 64) / 4);
const compBytes = new Uint8Array(comp.buffer);
const tEnc = measure(() => encode({ kind: "dense", dtype: "float32", shape: [comp.length], data: comp }, { compress: true }), 1000, 3);
const packet = encode({ kind: "dense", dtype: "float32", shape: [comp.length], data: comp }, { compress: true });
const tDec = measure(() => decode(packet), 1000, 3);
const tLzC = measure(() => lz4.compress(compBytes), 1000, 3);
const frame = lz4.compress(compBytes);
const tLzD = measure(() => lz4.decompress(frame), 1000, 3);
console.log(`\nLZ4 on ${BIG >> 20} MiB (module frame ${packet.length} B, lz4js frame ${frame.length} B)`);
report("LZ4 compress through the module (encode)", tEnc, `${gbps(BIG, tEnc)}, ${(tLzC / tEnc).toFixed(2)}× lz4js`);
report("  baseline lz4js compress", tLzC, gbps(BIG, tLzC));
report("LZ4 decompress through the module (decode)", tDec, `${gbps(BIG, tDec)}, ${(tLzD / tDec).toFixed(2)}× lz4js`);
report("  baseline lz4js decompress", tLzD, gbps(BIG, tLzD));

// 3. XXH3 verification (copy into wasm memory included) vs xxhash-wasm h64.
const { h64Raw } = await xxhash();
const pInt = encode({ kind: "dense", dtype: "float32", shape: [big.length], data: big }, { integrity: true });
const bigBytes = new Uint8Array(big.buffer);
const tVer = measure(() => decode(pInt), 1000, 3);
const tH64 = measure(() => h64Raw(bigBytes), 1000, 3);
console.log("");
report(`XXH3 verify ${BIG >> 20} MiB through the module (decode)`, tVer, `${gbps(BIG, tVer)}, ${(tH64 / tVer).toFixed(2)}× xxhash-wasm h64 throughput`);
report("  baseline xxhash-wasm h64Raw", tH64, gbps(BIG, tH64));

// 4. Dense encode: the module writes the header (cached per dtype, shape and
// options), the body is copied once into the output. Baselines: a fresh
// .slice() of the body's bytes (the least any fresh packet costs), msgpackr
// pack({shape, data}), and .set() of the body into a reused buffer (the
// least encodeInto costs). Fresh allocations make these times swing with
// the garbage collector, so each candidate and its baselines run in
// alternating short rounds and the ratio is the median of the per-round
// ratios.
function interleaved(fns, rounds = quick ? 9 : 21, ms = quick ? 15 : 40) {
  const run = (fn) => {
    let n = 0;
    const t0 = process.hrtime.bigint();
    const limit = BigInt(ms * 1e6);
    let t = t0;
    while (t - t0 < limit) {
      fn();
      n++;
      t = process.hrtime.bigint();
    }
    return Number(t - t0) / n;
  };
  for (const f of fns) run(f);
  const res = fns.map(() => []);
  for (let r = 0; r < rounds; r++) fns.forEach((f, i) => res[i].push(run(f)));
  const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
  return res.map((a) => ({ ns: med(a), ratio: (j) => med(a.map((x, r) => x / res[j][r])) }));
}
console.log("");
const encCases = [
  ["float32 1 KiB", "float32", [256], new Uint8Array(small.buffer)],
  ["uint8 96×96×3 (27 KiB)", "uint8", [96, 96, 3], null],
  ["uint8 720×1280×3 (2.6 MiB)", "uint8", [720, 1280, 3], null],
];
for (const c of encCases) {
  if (c[3] === null) {
    const n = c[2].reduce((a, b) => a * b, 1);
    c[3] = new Uint8Array(n).map((_, i) => (i * 31) & 255);
  }
}
for (const [name, dtype, shape, bytes] of encCases) {
  const data = dtype === "float32" ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : bytes;
  const v = { kind: "dense", dtype, shape, data };
  const dst = new Uint8Array(encodedLength(v) + 64);
  const body = new Uint8Array(bytes.length);
  const encCalls = calls(() => encode(v));
  const [e, i, sl, st, pk] = interleaved([
    () => encode(v),
    () => encodeInto(dst, v),
    () => bytes.slice(),
    () => body.set(bytes),
    () => pack({ shape, data }),
  ]);
  report(`encode ${name}`, e.ns, `${e.ratio(2).toFixed(2)}× .slice(), ${e.ratio(4).toFixed(2)}× msgpackr pack; ${encCalls} calls into wasm`,
    { slice: e.ratio(2), msgpackr: e.ratio(4) });
  report(`encodeInto ${name}, reused buffer`, i.ns, `${i.ratio(3).toFixed(2)}× .set()`, { set: i.ratio(3) });
  report(`  baseline fresh .slice() ${name}`, sl.ns);
  report(`  baseline .set() into a reused buffer ${name}`, st.ns);
  report(`  baseline msgpackr pack({shape, data}) ${name}`, pk.ns);
}
{
  // Decoding a packet whose header is new against msgpackr's unpack of the
  // same 1 KiB, in alternating rounds (as the encode rows).
  let f = false;
  const [alt, memoHit, mpk] = interleaved([() => decode((f = !f) ? pSmall : pSmall2), () => decode(pSmall), () => unpack(mp)]);
  report("decode float32 1 KiB, new header each time (alternating rounds)", alt.ns, `${alt.ratio(2).toFixed(2)}× msgpackr unpack`, { msgpackr: alt.ratio(2) });
  report("decode float32 1 KiB, header seen before (alternating rounds)", memoHit.ns, `${memoHit.ratio(2).toFixed(2)}× msgpackr unpack`, { msgpackr: memoHit.ratio(2) });
  report("  baseline msgpackr unpack 1 KiB uint8 bin (alternating rounds)", mpk.ns);
}
{
  // Integrity: the module hashes the body (XXH3; the body is copied into
  // its memory once); compression: LZ4 in the module as before.
  const bytes = encCases[2][3];
  const v = { kind: "dense", dtype: "uint8", shape: [720, 1280, 3], data: bytes };
  const [ei, ec, sl] = interleaved([() => encode(v, { integrity: true }), () => encode(v, { compress: true }), () => bytes.slice()], quick ? 5 : 11, 60);
  report("encode uint8 720×1280×3 (2.6 MiB), integrity", ei.ns, `${ei.ratio(2).toFixed(2)}× .slice(), ${gbps(bytes.length, ei.ns)}`, { slice: ei.ratio(2) });
  report("encode uint8 720×1280×3 (2.6 MiB), compress", ec.ns, `${ec.ratio(2).toFixed(2)}× .slice(), ${gbps(bytes.length, ec.ns)}`, { slice: ec.ratio(2) });
}

// ns: each row's median time; ratio: the interleaved rows' ratios.
console.log(`\nJSON: ${JSON.stringify({ ns: Object.fromEntries(rows.map(([k, v]) => [k.trim(), Math.round(v)])), ratio: ratios })}`);
