// Tenso for JavaScript: the Go codec compiled to WebAssembly (tenso.wasm,
// beside this file), with zero-copy typed-array views on the caller's buffer.
// One module for browsers, Node and edge runtimes; see index.d.ts for the API.

import { wasiImports } from "./wasi.js";

const DTYPES = [
  null,
  ["float32", Float32Array, 4],
  ["int32", Int32Array, 4],
  ["float64", Float64Array, 8],
  ["int64", BigInt64Array, 8],
  ["uint8", Uint8Array, 1],
  ["uint16", Uint16Array, 2],
  ["bool", Uint8Array, 1],
  ["float16", globalThis.Float16Array || Uint16Array, 2],
  ["int8", Int8Array, 1],
  ["int16", Int16Array, 2],
  ["uint32", Uint32Array, 4],
  ["uint64", BigUint64Array, 8],
  ["complex64", Float32Array, 8],
  ["complex128", Float64Array, 16],
  ["bfloat16", Uint16Array, 2],
  ["qint8", Uint8Array, 1],
  ["quint8", Uint8Array, 1],
  ["qint4", Uint8Array, 1],
  ["quint4", Uint8Array, 1],
  ["string", null, 0],
  ["bytes", null, 0],
];
// One view factory per typed-array class keeps each construction site
// monomorphic (a shared `new ctor(...)` is megamorphic and slow).
// (No eval or new Function: edge runtimes forbid them.)
const FACTORIES = new Map([
  [Float32Array, (b, o, n) => new Float32Array(b, o, n)],
  [Float64Array, (b, o, n) => new Float64Array(b, o, n)],
  [Int8Array, (b, o, n) => new Int8Array(b, o, n)],
  [Int16Array, (b, o, n) => new Int16Array(b, o, n)],
  [Int32Array, (b, o, n) => new Int32Array(b, o, n)],
  [Uint8Array, (b, o, n) => new Uint8Array(b, o, n)],
  [Uint16Array, (b, o, n) => new Uint16Array(b, o, n)],
  [Uint32Array, (b, o, n) => new Uint32Array(b, o, n)],
  [BigInt64Array, (b, o, n) => new BigInt64Array(b, o, n)],
  [BigUint64Array, (b, o, n) => new BigUint64Array(b, o, n)],
]);
if (globalThis.Float16Array) {
  const F16 = globalThis.Float16Array;
  FACTORIES.set(F16, (b, o, n) => new F16(b, o, n));
}
// (No prototype: a dtype such as "constructor" is unknown, not a function.)
const DTYPE_CODE = Object.assign(
  Object.create(null),
  Object.fromEntries(DTYPES.map((d, i) => [d && d[0], i]).filter((e) => e[0])),
);
const SCHEMES = ["per_tensor", "per_channel", "per_group"];
const KIND = {
  dense: 1,
  quantized: 2,
  string: 3,
  ragged_frame: 4,
  ragged: 5,
  bundle: 6,
  sparse_coo: 7,
  sparse_csr: 8,
  sparse_csc: 9,
  ipc_ref: 10,
};
const ERROR_CODES = [
  "",
  "corrupt",
  "too_large",
  "checksum",
  "unsupported",
  "unframed",
  "invalid",
  "other",
];

/** An error reported by the codec; `message` is the Go error text. */
export class TensoError extends Error {
  constructor(message, code, offset) {
    super(message);
    this.name = "TensoError";
    /** "corrupt" | "too_large" | "checksum" | "unsupported" | "unframed" | "invalid" | "other" */
    this.code = code;
    /** byte offset of the bad field in the packet, or -1 */
    this.offset = offset;
  }
}

let ready = null; // Promise of the instance
let ex = null; // the instance's exports
let memory = null;
let stateAddr = 0;
let prefixMax = 0;
let prefixPtr = 0; // a fixed buffer of max(prefixMax, SMALL) bytes
// Packets up to SMALL bytes are copied whole into the fixed buffer and
// decoded in one call.
const SMALL = 1024;
let crossings = 0;
let m8 = new Uint8Array(0);
const utf8 = new TextDecoder();
let m32 = new Uint32Array(0);

function views() {
  // Growing the memory detaches its old buffer (length 0): no need to ask
  // memory.buffer (a slow getter) on every call.
  if (m8.length === 0) {
    m8 = new Uint8Array(memory.buffer);
    m32 = new Uint32Array(memory.buffer);
  }
}

const isNode =
  typeof process !== "undefined" && process.versions != null && process.versions.node != null;

async function instantiate(source) {
  const imports = { wasi_snapshot_preview1: wasiImports(() => memory) };
  let instance;
  if (source instanceof WebAssembly.Module) {
    instance = await WebAssembly.instantiate(source, imports);
  } else if (source instanceof WebAssembly.Instance) {
    instance = source;
  } else {
    let bytes = source;
    if (source === undefined || source instanceof URL || typeof source === "string") {
      const url = source === undefined ? new URL("./tenso.wasm", import.meta.url) : source;
      const isFile = isNode && (typeof url === "string" ? !/^https?:/.test(url) : url.protocol === "file:");
      if (isFile) {
        const fs = await import("node:fs/promises");
        bytes = await fs.readFile(url);
      } else {
        bytes = fetch(url);
      }
    }
    if (bytes && typeof bytes.then === "function") bytes = await bytes;
    // Bytes go straight to instantiate. Only anything else is asked whether
    // it is a Response: in Node the first mention of the global Response
    // loads its fetch implementation (undici), ~50 ms of start-up.
    const isBytes = bytes instanceof ArrayBuffer || ArrayBuffer.isView(bytes);
    if (!isBytes && typeof Response !== "undefined" && bytes instanceof Response) {
      if (WebAssembly.instantiateStreaming && bytes.headers.get("content-type") === "application/wasm") {
        ({ instance } = await WebAssembly.instantiateStreaming(bytes, imports));
      } else {
        if (!bytes.ok) throw new Error(`tenso: fetching the wasm module failed: HTTP ${bytes.status}`);
        bytes = await bytes.arrayBuffer();
      }
    }
    if (!instance) ({ instance } = await WebAssembly.instantiate(bytes, imports));
  }
  ex = instance.exports;
  memory = ex.memory;
  ex._initialize();
  stateAddr = ex.tenso_state();
  prefixMax = ex.tenso_prefix_max();
  prefixPtr = ex.tenso_alloc(Math.max(prefixMax, SMALL));
  memoPtr = ex.tenso_alloc(prefixMax);
  return instance;
}

/**
 * Loads the module. Without an argument: Node reads tenso.wasm beside this
 * file, browsers stream-compile it from `new URL("tenso.wasm", import.meta.url)`.
 * Edge runtimes pass a compiled WebAssembly.Module (or bytes, a URL, a Response).
 */
export function init(source) {
  if (!ready) {
    ready = instantiate(source).catch((e) => {
      ready = null;
      throw e;
    });
  }
  return ready.then(() => undefined);
}

function need() {
  if (!ex) throw new Error("tenso: call and await init() first");
}

function toBytes(input) {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && input instanceof SharedArrayBuffer))
    return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError("tenso: expected a Uint8Array, an ArrayBuffer or an ArrayBufferView");
}

function fail() {
  views();
  const s = stateAddr >>> 2;
  const ptr = m32[s + 2];
  const len = m32[s + 3];
  const msg = utf8.decode(m8.subarray(ptr, ptr + len));
  const lo = m32[s + 5];
  const hi = m32[s + 6] | 0;
  const offset = hi < 0 ? -1 : hi * 4294967296 + lo;
  return new TensoError(msg, ERROR_CODES[m32[s + 4]] || "other", offset);
}

/** Number of calls from JS into the wasm module so far (for measurements). */
export function boundaryCrossings() {
  return crossings;
}

// The module's verdict on the last header it accepted on the fast path:
// the bytes of the packet it read, [0, min(body offset, prefixMax)), and
// what they decode to. A packet starting with the very same bytes (a stream
// of same-shaped tensors) gets the same verdict, so it is served without
// calling into wasm. This is a memo of the Go parser's answer, not a second
// parser. The bytes are kept in the module's memory at memoPtr (copied there
// with copyWithin from the prefix the module just read: no allocation).
let memo = null;
let memoPtr = 0;

class Memo {
  constructor(hlen, off, len, per, make, dtype, shape) {
    this.hlen = hlen;
    this.end = off + len;
    this.off = off;
    this.len = len;
    this.count = len / per;
    this.per = per;
    this.make = make;
    this.dtype = dtype;
    this.shape = shape;
  }
}

function memoHit(bytes, total) {
  const m = memo;
  if (m === null || total < m.end) return null;
  views();
  const h = m8;
  const n = m.hlen;
  for (let i = 0, j = memoPtr; i < n; i++, j++) if (bytes[i] !== h[j]) return null;
  return memoValue(m, bytes);
}

function memoValue(m, bytes) {
  const abs = bytes.byteOffset + m.off;
  const data =
    abs % m.per === 0
      ? m.make(bytes.buffer, abs, m.count)
      : m.make(bytes.slice(m.off, m.off + m.len).buffer, 0, m.count);
  return { kind: "dense", dtype: m.dtype, shape: m.shape.slice(), data };
}

// The view factory of each dtype code.
const MAKERS = DTYPES.map((d) => (d && d[1] ? FACTORIES.get(d[1]) : null));

// remember memoizes a fast-path result whose prefix is at prefixPtr (no
// allocation beyond its shape array and the memo record) and returns the
// memo.
function remember() {
  // Layout of a fast-path result: kind, dtype, ndim, dims..., src, off, len.
  let w = m32[stateAddr >>> 2] >>> 2;
  if (m32[w] !== KIND.dense) return (memo = null);
  const code = m32[w + 1];
  const dt = DTYPES[code];
  const ndim = m32[w + 2];
  const shape = new Array(ndim);
  for (let i = 0; i < ndim; i++) shape[i] = m32[w + 3 + i];
  w += 3 + ndim;
  const off = m32[w + 1];
  const hlen = off < prefixMax ? off : prefixMax;
  m8.copyWithin(memoPtr, prefixPtr, prefixPtr + hlen);
  return (memo = new Memo(hlen, off, m32[w + 2], dt[1].BYTES_PER_ELEMENT, MAKERS[code], dt[0], shape));
}

/**
 * Decodes one packet. Uncompressed dense bodies whose offset in `bytes` is
 * aligned for their element type are views on `bytes` (no copy); everything
 * else is copied out of the module's memory.
 */
export function decode(input) {
  need();
  const bytes = toBytes(input);
  const total = bytes.length;
  let rc = -2;
  if (total > SMALL) {
    const hit = memoHit(bytes, total);
    if (hit !== null) return hit;
    views();
    m8.set(bytes.subarray(0, prefixMax), prefixPtr);
    crossings++;
    rc = ex.tenso_decode(prefixPtr, prefixMax, total);
    if (rc === 0) {
      views();
      const m = remember();
      if (m !== null) return memoValue(m, bytes);
    }
  }
  let big = false;
  if (total <= SMALL) {
    // A small packet fits the fixed buffer: one call, no reserve.
    views();
    m8.set(bytes, prefixPtr);
    crossings++;
    rc = ex.tenso_decode(prefixPtr, total, total);
  } else if (rc === -2) {
    crossings++;
    const ptr = ex.tenso_reserve(total);
    views();
    m8.set(bytes, ptr);
    crossings++;
    rc = ex.tenso_decode(ptr, total, total);
    big = total > 1 << 20;
  }
  if (rc !== 0) throw fail();
  views();
  const r = new Reader(bytes, m32[(stateAddr >>> 2)] >>> 2);
  const v = r.value();
  if (big) {
    crossings++;
    ex.tenso_release();
  }
  return v;
}

class Reader {
  constructor(bytes, w) {
    this.bytes = bytes;
    this.w = w; // word index into m32
  }
  word() {
    return m32[this.w++];
  }
  shape() {
    const n = this.word();
    const s = new Array(n);
    for (let i = 0; i < n; i++) s[i] = this.word();
    return s;
  }
  // ref reads (src, off, len) and returns a typed array of ctor.
  ref(ctor, copy) {
    const src = this.word();
    const off = this.word();
    const len = this.word();
    const per = ctor.BYTES_PER_ELEMENT;
    const make = FACTORIES.get(ctor);
    if (src === 0) {
      const abs = this.bytes.byteOffset + off;
      if (!copy && abs % per === 0) return make(this.bytes.buffer, abs, len / per);
      return make(this.bytes.slice(off, off + len).buffer, 0, len / per);
    }
    return make(m8.slice(off, off + len).buffer, 0, len / per);
  }
  // text decodes a UTF-8 ref without an intermediate copy.
  text() {
    const src = this.word();
    const off = this.word();
    const len = this.word();
    if (len === 0) return "";
    return utf8.decode(src === 0 ? this.bytes.subarray(off, off + len) : m8.subarray(off, off + len));
  }
  dense() {
    const dt = DTYPES[this.word()];
    const shape = this.shape();
    return { kind: "dense", dtype: dt[0], shape, data: this.ref(dt[1]) };
  }
  value() {
    const kind = this.word();
    switch (kind) {
      case KIND.dense:
        return this.dense();
      case KIND.quantized: {
        const dt = DTYPES[this.word()];
        const shape = this.shape();
        const scheme = SCHEMES[this.word()];
        const axis = this.word() | 0;
        const groupSize = this.word();
        this.word(); // num_scales
        const scales = this.ref(Float32Array, true);
        const zeroPoints = this.ref(Float32Array, true);
        const data = this.ref(Uint8Array);
        return quantized({ dtype: dt[0], shape, scheme, axis, groupSize, scales, zeroPoints, data });
      }
      case KIND.string: {
        const dtype = this.word() === 21 ? "bytes" : "string";
        const count = this.word();
        const offsets = this.ref(Uint8Array);
        const payload = this.ref(Uint8Array);
        const dv = new DataView(offsets.buffer, offsets.byteOffset, offsets.byteLength);
        const dec = utf8;
        const strings = new Array(count);
        for (let i = 0; i < count; i++) {
          const a = Number(dv.getBigUint64(8 * i, true));
          const b = Number(dv.getBigUint64(8 * i + 8, true));
          strings[i] = dtype === "string" ? dec.decode(payload.subarray(a, b)) : payload.slice(a, b);
        }
        return { kind: "string", dtype, strings };
      }
      case KIND.ragged:
      case KIND.ragged_frame: {
        const frameDtype = this.word();
        this.word(); // splits node kind (dense)
        const splits = this.dense().data;
        this.word();
        const flat = this.dense();
        const v = { kind: "ragged", splits, flat };
        if (kind === KIND.ragged_frame) {
          v.framed = true;
          v.frameDtype = frameDtype;
        }
        return v;
      }
      case KIND.bundle: {
        const n = this.word();
        const entries = new Array(n);
        for (let i = 0; i < n; i++) {
          const key = this.text();
          entries[i] = { key, value: this.value() };
        }
        return { kind: "bundle", entries };
      }
      case KIND.sparse_coo:
      case KIND.sparse_csr:
      case KIND.sparse_csc: {
        const format = ["coo", "csr", "csc"][kind - KIND.sparse_coo];
        const shape = [this.word(), this.word()];
        // Each component a dense value, as bundle entries are: its dtype
        // (uint16 vs float16 vs bfloat16) travels with it.
        this.word();
        const d = this.dense();
        this.word();
        const a = this.dense();
        this.word();
        const b = this.dense();
        const v = { kind: "sparse", format, shape, data: d };
        if (format === "coo") {
          v.row = a;
          v.col = b;
        } else {
          v.indices = a;
          v.indptr = b;
        }
        return v;
      }
      case KIND.ipc_ref: {
        const handle = this.ref(Uint8Array, true);
        const offset = BigInt(this.word()) | (BigInt(this.word()) << 32n);
        const nbytes = BigInt(this.word()) | (BigInt(this.word()) << 32n);
        const deviceUUID = this.ref(Uint8Array, true);
        return { kind: "ipc_ref", handle, offset, nbytes, deviceUUID };
      }
    }
    throw new TensoError(`tenso: unexpected layout kind ${kind}`, "other", -1);
  }
}

// Quantized values carry dequantize() on their prototype, so that their
// own enumerable properties are exactly the data fields.
class QuantizedValue {
  constructor(q) {
    this.kind = "quantized";
    this.dtype = q.dtype;
    this.shape = q.shape;
    this.scheme = q.scheme;
    this.axis = q.axis;
    this.groupSize = q.groupSize;
    this.scales = q.scales;
    this.zeroPoints = q.zeroPoints;
    this.data = q.data;
  }
  /** (q − zero_point) × scale in float32, computed by the wasm module. */
  dequantize() {
    return dequantize(this);
  }
}

function quantized(q) {
  return new QuantizedValue(q);
}

// ---- encoding: a region of layout words followed by the data bytes ----

class Builder {
  constructor() {
    this.words = [];
    this.blobs = []; // [word index of the ref, bytes]
  }
  ref(bytes) {
    this.blobs.push([this.words.length, bytes]);
    this.words.push(0, 0, bytes.byteLength);
  }
  shape(s) {
    this.words.push(s.length);
    for (const d of s) {
      if (!Number.isInteger(d) || d < 0 || d > 0xffffffff)
        throw new TensoError(`tenso: invalid argument: bad dimension ${d}`, "invalid", -1);
      this.words.push(d);
    }
  }
  value(v, depth = 0) {
    if (depth > 64) throw new TensoError("tenso: invalid argument: nesting too deep", "invalid", -1);
    if (ArrayBuffer.isView(v)) v = { kind: "dense", data: v, shape: [v.length] };
    const kind = v.kind || (v.entries ? "bundle" : v.strings ? "string" : "dense");
    switch (kind) {
      case "dense": {
        const dtype = v.dtype || dtypeOf(v.data);
        const code = DTYPE_CODE[dtype];
        // A known dtype that is not dense is Go's to refuse (Encode's text).
        if (code === undefined) throw new TensoError(`tenso: invalid argument: unknown dtype ${dtype}`, "invalid", -1);
        this.words.push(KIND.dense, code);
        this.shape(v.shape || [v.data.length]);
        this.ref(bytesOf(v.data));
        return;
      }
      case "quantized": {
        const code = DTYPE_CODE[v.dtype];
        if (!(code >= 16 && code <= 19)) throw new TensoError(`tenso: invalid argument: dtype ${v.dtype} is not quantized`, "invalid", -1);
        const scheme = SCHEMES.indexOf(v.scheme || "per_tensor");
        if (scheme < 0) throw new TensoError(`tenso: invalid argument: scheme ${v.scheme}`, "invalid", -1);
        const scales = Float32Array.from(v.scales);
        const zeroPoints = Float32Array.from(v.zeroPoints);
        this.words.push(KIND.quantized, code);
        this.shape(v.shape);
        this.words.push(scheme, (v.axis || 0) >>> 0, v.groupSize || 0, scales.length);
        this.ref(bytesOf(scales));
        this.ref(bytesOf(zeroPoints));
        this.ref(bytesOf(v.data));
        return;
      }
      case "string": {
        const enc = new TextEncoder();
        const parts = v.strings.map((s) => (typeof s === "string" ? enc.encode(s) : bytesOf(s)));
        const offsets = new BigUint64Array(parts.length + 1);
        let n = 0;
        parts.forEach((p, i) => {
          n += p.length;
          offsets[i + 1] = BigInt(n);
        });
        const payload = new Uint8Array(n);
        n = 0;
        for (const p of parts) {
          payload.set(p, n);
          n += p.length;
        }
        this.words.push(KIND.string, v.dtype === "bytes" ? 21 : 20, parts.length);
        this.ref(bytesOf(offsets));
        this.ref(payload);
        return;
      }
      case "ragged": {
        if (v.framed) throw new TensoError("tenso: invalid argument: the RAGGED flag framing is decode-only", "invalid", -1);
        this.words.push(KIND.ragged, 0);
        const splits = ArrayBuffer.isView(v.splits) ? v.splits : BigUint64Array.from(v.splits, BigInt);
        this.value({ kind: "dense", data: splits, shape: [splits.length], dtype: dtypeOf(splits) }, depth + 1);
        this.value(v.flat, depth + 1);
        return;
      }
      case "bundle": {
        const entries = v.entries || Object.entries(v).map(([key, value]) => ({ key, value }));
        this.words.push(KIND.bundle, entries.length);
        const enc = new TextEncoder();
        for (const e of entries) {
          this.ref(enc.encode(e.key));
          this.value(e.value, depth + 1);
        }
        return;
      }
      case "sparse": {
        const format = v.format || "coo";
        this.words.push(KIND["sparse_" + format], v.shape[0], v.shape[1]);
        // A component is a dense value, or (as before) a bare typed array:
        // a 1-D tensor of its own dtype (data's given by v.dtype).
        const comp = (c, dtype) =>
          this.value(ArrayBuffer.isView(c) ? { kind: "dense", dtype: dtype || dtypeOf(c), shape: [c.length], data: c } : c, depth + 1);
        comp(v.data, v.dtype);
        if (format === "coo") {
          comp(v.row);
          comp(v.col);
        } else {
          comp(v.indices);
          comp(v.indptr);
        }
        return;
      }
      case "ipc_ref": {
        this.words.push(KIND.ipc_ref);
        this.ref(bytesOf(v.handle));
        const o = BigInt(v.offset);
        const nb = BigInt(v.nbytes);
        this.words.push(Number(o & 0xffffffffn), Number(o >> 32n), Number(nb & 0xffffffffn), Number(nb >> 32n));
        this.ref(bytesOf(v.deviceUUID));
        return;
      }
    }
    throw new TensoError(`tenso: invalid argument: unknown kind ${kind}`, "invalid", -1);
  }
  // place copies the description into the module and returns [ptr, size].
  place() {
    let size = 4 * this.words.length;
    for (const [i, b] of this.blobs) {
      size = (size + 7) & ~7;
      this.words[i + 1] = size;
      size += b.byteLength;
    }
    crossings++;
    const ptr = ex.tenso_reserve(size);
    views();
    m32.set(this.words, ptr >>> 2);
    for (const [i, b] of this.blobs) m8.set(b, ptr + this.words[i + 1]);
    return [ptr, size];
  }
}

function bytesOf(a) {
  if (a instanceof Uint8Array) return a;
  if (ArrayBuffer.isView(a)) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (a instanceof ArrayBuffer) return new Uint8Array(a);
  if (Array.isArray(a)) return Uint8Array.from(a);
  throw new TensoError("tenso: invalid argument: expected a typed array", "invalid", -1);
}

function dtypeOf(a) {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Uint32Array) return "uint32";
  if (a instanceof Int16Array) return "int16";
  if (a instanceof Uint16Array) return "uint16";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return "uint8";
  if (a instanceof BigInt64Array) return "int64";
  if (a instanceof BigUint64Array) return "uint64";
  if (globalThis.Float16Array && a instanceof globalThis.Float16Array) return "float16";
  throw new TensoError("tenso: invalid argument: cannot infer the dtype; give dtype", "invalid", -1);
}

function takeResult() {
  views();
  const s = stateAddr >>> 2;
  const ptr = m32[s];
  const len = m32[s + 1];
  return new Uint8Array(memory.buffer.slice(ptr, ptr + len));
}

const NO_OPTIONS = Object.freeze({});

function flagsOf(o) {
  return (o.integrity ? 1 : 0) | (o.compress ? 2 : 0);
}

// alignOf is options.alignment as the integer Go's Options.Alignment takes
// (0: the default, 64); Go judges its value.
function alignOf(o) {
  const a = o.alignment;
  if (a === undefined || a === null || a === 0) return 0;
  if (!Number.isSafeInteger(a)) throw new TensoError(`tenso: invalid argument: alignment ${a} is not an integer`, "invalid", -1);
  return a;
}

// ---- dense packets: the header from the module, the body copied once ----
//
// An uncompressed dense packet is the header Go's writer produces
// (tenso_dense_header), the body, and with integrity the body's XXH3-64
// (tenso_xxh3). The header bytes are cached per dtype, shape and options
// (bounded; headers over HEADER_KEEP_MAX bytes, from huge alignments, are
// not kept), so a stream of same-shaped tensors calls into wasm only to
// hash. Every check is the module's: a header is cached only once Go has
// accepted its dtype, shape and options, and a body whose length is not the
// one Go computed goes through tenso_encode for Encode's own error.

const HEADER_CACHE_MAX = 128;
const HEADER_KEEP_MAX = 4096;
const headerCache = new Map();
let lastHeader = null;

// moduleHeader asks the module for the header of (code, shape, flags,
// align): the record, null when Encode must give the error (tenso_encode's
// path), or throws the module's error for a bad dtype or shape.
function moduleHeader(code, shape, flags, align) {
  const nd = shape.length;
  let ptr = prefixPtr;
  if (8 * nd > Math.max(prefixMax, SMALL)) {
    crossings++;
    ptr = ex.tenso_reserve(8 * nd);
  }
  views();
  // Signed 64-bit dims (safe integers): low word, then the high word.
  for (let i = 0, w = ptr >>> 2; i < nd; i++, w += 2) {
    const d = shape[i];
    m32[w] = d >>> 0;
    m32[w + 1] = Math.floor(d / 4294967296) >>> 0;
  }
  crossings++;
  const rc = ex.tenso_dense_header(code, nd, ptr, flags, align);
  if (rc === -2) return null;
  if (rc !== 0) throw fail();
  views();
  const s = stateAddr >>> 2;
  const p = m32[s];
  const len = m32[s + 1];
  let size = 0;
  for (let i = 7; i >= 0; i--) size = size * 256 + m8[p + i];
  return { code, flags, align, shape: shape.slice(), bytes: m8.slice(p + 8, p + len), hlen: len - 8, size };
}

// denseHeader returns the cached header record, or the module's.
function denseHeader(dtype, shape, flags, align) {
  const code = DTYPE_CODE[dtype];
  if (code === undefined) return null;
  let key = code + ":" + flags + ":" + align;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isSafeInteger(d)) return null;
    key += "," + d;
  }
  let h = headerCache.get(key);
  if (h === undefined) {
    h = moduleHeader(code, shape, flags, align);
    if (h === null) return null;
    h.dtype = dtype;
    if (h.hlen <= HEADER_KEEP_MAX) {
      if (headerCache.size >= HEADER_CACHE_MAX) headerCache.delete(headerCache.keys().next().value);
      headerCache.set(key, h);
    }
  }
  return h;
}

// The byte view of the last small non-Uint8Array body encoded (a view is
// dearer than copying a 1 KiB body; views of large bodies are not kept, so
// at most VIEW_KEEP_MAX bytes of the caller's stay reachable).
const VIEW_KEEP_MAX = 64 << 10;
let lastData = null;
let lastView = null;

// fastDense returns the header record of value when it is a dense tensor
// for the direct path (its body in fastBody), else null: tenso_encode's path.
let fastBody = null;
function fastDense(value, o) {
  if (o.compress) return null;
  let data = value;
  let shape;
  let dtype;
  if (!ArrayBuffer.isView(value)) {
    if (value === null || typeof value !== "object") return null;
    const k = value.kind;
    if (k !== undefined ? k !== "dense" : value.entries !== undefined || value.strings !== undefined) return null;
    data = value.data;
    if (!ArrayBuffer.isView(data)) return null;
    shape = value.shape;
    dtype = value.dtype;
  }
  if (!shape) shape = [data.length];
  else if (!Array.isArray(shape)) return null;
  if (!dtype) dtype = dtypeOf(data);
  const flags = o.integrity ? 1 : 0;
  const align = alignOf(o);
  let h = lastHeader;
  if (h === null || h.dtype !== dtype || h.flags !== flags || h.align !== align || !sameDims(h.shape, shape)) {
    h = denseHeader(dtype, shape, flags, align);
    if (h === null) return null;
    lastHeader = h;
  }
  let body;
  if (data instanceof Uint8Array) body = data;
  else if (data === lastData) body = lastView;
  else {
    body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (body.length <= VIEW_KEEP_MAX) {
      lastData = data;
      lastView = body;
    }
  }
  // (A cached view of a detached or shrunk buffer has the buffer's new
  // length, as data does. A typed array's length × BYTES_PER_ELEMENT is
  // its byteLength, whose getter costs V8 about as much as the rest of
  // this function; a DataView has neither and asks byteLength.)
  if (body.length !== h.size) return null;
  if (body !== data) {
    const per = data.BYTES_PER_ELEMENT;
    if (body.length !== (per === undefined ? data.byteLength : data.length * per)) return null;
  }
  fastBody = body;
  return h;
}

function sameDims(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// writeDense writes header, body and footer into out at 0.
function writeDense(out, h, body) {
  const hl = h.hlen;
  out.set(h.bytes);
  out.set(body, hl);
  if (h.flags & 1) {
    const n = body.length;
    crossings++;
    const ptr = ex.tenso_reserve(n + 8);
    views();
    m8.set(body, ptr);
    crossings++;
    ex.tenso_xxh3(ptr, n, ptr + n);
    views();
    for (let i = 0; i < 8; i++) out[hl + n + i] = m8[ptr + n + i];
  }
}

// Packets of up to POOL_MAX bytes are carved from a shared POOL_SIZE-byte
// ArrayBuffer (8-byte aligned, never reused), as msgpackr's pack and Node's
// Buffer.allocUnsafe do: a fresh ArrayBuffer costs more than encoding a
// small tensor. A pool whose buffer was transferred (detached) is replaced.
const POOL_SIZE = 32 << 10;
const POOL_MAX = 4 << 10;
let pool = null;
let poolAt = POOL_SIZE;

function packetBuffer(n) {
  if (n > POOL_MAX) return new Uint8Array(n);
  if (poolAt + n > POOL_SIZE || pool.byteLength === 0) {
    pool = new ArrayBuffer(POOL_SIZE);
    poolAt = 0;
  }
  const out = new Uint8Array(pool, poolAt, n);
  poolAt = (poolAt + n + 7) & ~7;
  return out;
}

// packetLength is the length of the packet h describes.
function packetLength(h) {
  return h.hlen + h.size + (h.flags & 1 ? 8 : 0);
}

// moduleEncode encodes value through tenso_encode; the packet is at
// [ptr, ptr + len) of the module's memory until the next call into it.
function moduleEncode(value, o) {
  const [ptr, size, align] = place(value, o);
  crossings++;
  const rc = ex.tenso_encode(ptr, size, flagsOf(o), align);
  if (rc !== 0) throw fail();
  views();
}

// place describes value in the module's memory for tenso_encode and
// tenso_encoded_len, whose alignment argument is 32-bit: an alignment
// outside that range gets the module's verdict on it first.
function place(value, o) {
  const align = alignOf(o);
  if (align < 0 || align > 0xffffffff) {
    moduleHeader(DTYPE_CODE.uint8, [], 0, align);
    throw fail();
  }
  const b = new Builder();
  b.value(value);
  return [...b.place(), align];
}

function releaseBig(n) {
  if (n > 1 << 20) {
    crossings++;
    ex.tenso_release();
  }
}

/**
 * Encodes a value (the shapes decode returns; a bare typed array is a 1-D
 * dense tensor) into a packet. Options: integrity, compress, alignment.
 */
export function encode(value, options) {
  need();
  const o = options || NO_OPTIONS;
  const h = fastDense(value, o);
  if (h !== null) {
    const body = fastBody;
    fastBody = null;
    const out = packetBuffer(packetLength(h));
    writeDense(out, h, body);
    return out;
  }
  moduleEncode(value, o);
  const out = takeResult();
  releaseBig(out.length);
  return out;
}

function tooSmall(have, need) {
  const e = new TensoError(`tenso: invalid argument: the destination has ${have} bytes, the packet needs ${need}`, "invalid", -1);
  e.needed = need;
  return e;
}

/**
 * Encodes value into dst from its start and returns the packet's length.
 * A dst shorter than the packet is a TensoError (code "invalid", `needed`
 * the length) and dst is left unchanged.
 */
export function encodeInto(dst, value, options) {
  need();
  const out = toBytes(dst);
  const o = options || NO_OPTIONS;
  const h = fastDense(value, o);
  if (h !== null) {
    const body = fastBody;
    fastBody = null;
    const n = packetLength(h);
    if (out.length < n) throw tooSmall(out.length, n);
    writeDense(out, h, body);
    return n;
  }
  moduleEncode(value, o);
  const s = stateAddr >>> 2;
  const ptr = m32[s];
  const n = m32[s + 1];
  if (out.length < n) {
    releaseBig(n);
    throw tooSmall(out.length, n);
  }
  out.set(m8.subarray(ptr, ptr + n));
  releaseBig(n);
  return n;
}

/**
 * The exact length of encode(value, options) (Go's EncodedLen): with
 * compress set, a value holding a dense tensor is an error, since its
 * length is known only by compressing.
 */
export function encodedLength(value, options) {
  need();
  const o = options || NO_OPTIONS;
  const h = fastDense(value, o);
  if (h !== null) {
    fastBody = null;
    return packetLength(h);
  }
  const [ptr, size, align] = place(value, o);
  crossings++;
  const n = ex.tenso_encoded_len(ptr, size, flagsOf(o), align);
  if (n < 0) throw fail();
  return n;
}

/** Dequantizes a quantized value to float32: (q − zero_point) × scale. */
export function dequantize(q) {
  need();
  const b = new Builder();
  b.value({ ...q, kind: "quantized" });
  const [ptr, size] = b.place();
  crossings++;
  if (ex.tenso_dequantize(ptr, size) !== 0) throw fail();
  const out = takeResult();
  return new Float32Array(out.buffer, 0, out.length / 4);
}

function convert(fn, src) {
  need();
  const u16 = src instanceof Uint16Array ? src : new Uint16Array(bytesOf(src).slice().buffer);
  const n = u16.length;
  const inBytes = (2 * n + 7) & ~7;
  crossings++;
  const ptr = ex.tenso_reserve(inBytes + 4 * n);
  views();
  m8.set(new Uint8Array(u16.buffer, u16.byteOffset, 2 * n), ptr);
  crossings++;
  fn(ptr, ptr + inBytes, n);
  views();
  return new Float32Array(memory.buffer.slice(ptr + inBytes, ptr + inBytes + 4 * n));
}

/** float16 bits (Uint16Array or Float16Array) to Float32Array. */
export function float16ToFloat32(src) {
  return convert((a, b, n) => ex.tenso_f16_to_f32(a, b, n), src);
}

/** bfloat16 bits (Uint16Array) to Float32Array. */
export function bfloat16ToFloat32(src) {
  return convert((a, b, n) => ex.tenso_bf16_to_f32(a, b, n), src);
}

/** Describes a packet from its header (Go's Inspect). */
export function inspect(input) {
  need();
  const bytes = toBytes(input);
  let n = Math.min(bytes.length, 1 << 16);
  for (;;) {
    crossings++;
    const ptr = ex.tenso_reserve(n);
    views();
    m8.set(bytes.subarray(0, n), ptr);
    crossings++;
    const rc = ex.tenso_inspect(ptr, n);
    if (rc !== 0) {
      if (n < bytes.length) {
        n = bytes.length;
        continue;
      }
      throw fail();
    }
    break;
  }
  views();
  return readInfo(m32[stateAddr >>> 2] >>> 2).info;
}

const KIND_NAMES = ["", "dense", "quantized", "string", "ragged_frame", "ragged", "bundle", "sparse_coo", "sparse_csr", "sparse_csc", "ipc_ref"];

// readInfo reads the Info words of tenso_inspect at word index w (the
// module's appendInfoWords): the Info and the index after it.
function readInfo(w) {
  const word = (i) => m32[w + i];
  const ndim = word(15);
  const shape = new Array(ndim);
  for (let i = 0; i < ndim; i++) shape[i] = word(16 + i);
  const dt = DTYPES[word(3)];
  const info = {
    version: word(0),
    flags: word(1),
    kind: KIND_NAMES[word(2)] || "unknown",
    dtype: dt ? dt[0] : null,
    shape,
    count: word(4),
    elements: word(11) + word(12) * 4294967296,
    aligned: word(5) === 1,
    alignment: word(6),
    integrity: word(7) === 1,
    compressed: word(8) === 1,
    headerLen: word(9),
    bodyOffset: word(10),
    dataSize: word(13) + word(14) * 4294967296,
  };
  return { info, next: w + 16 + ndim };
}

// readTree reads tenso_inspect_tree's words: an Info, then its parts.
function readTree(w) {
  const { info, next } = readInfo(w);
  let x = next;
  const n = m32[x++];
  const parts = new Array(n);
  for (let i = 0; i < n; i++) {
    const offset = m32[x];
    const length = m32[x + 1];
    const klen = m32[x + 2];
    x += 3;
    const key = utf8.decode(m8.subarray(4 * x, 4 * x + klen));
    x += (klen + 3) >>> 2;
    const sub = readTree(x);
    x = sub.next;
    parts[i] = { key, offset, length, info: sub.info };
  }
  info.parts = parts;
  return { info, next: x };
}

// placeInput copies the whole input into the module's memory.
function placeInput(bytes) {
  let ptr = prefixPtr;
  if (bytes.length > Math.max(prefixMax, SMALL)) {
    crossings++;
    ptr = ex.tenso_reserve(bytes.length);
  }
  views();
  m8.set(bytes, ptr);
  return ptr;
}

/**
 * Go's InspectTree: inspect, plus for a bundle every entry and for a sparse
 * matrix its components, each with its own Info (version, alignment,
 * integrity, compression, shape…) and, when it is a container, its parts.
 * Reads headers and length prefixes only, of the whole packet.
 */
export function inspectTree(input) {
  need();
  const bytes = toBytes(input);
  const ptr = placeInput(bytes);
  crossings++;
  if (ex.tenso_inspect_tree(ptr, bytes.length) !== 0) throw fail();
  views();
  return readTree(m32[stateAddr >>> 2] >>> 2).info;
}

// headerLen is the packet's length when its header alone fixes it (an
// uncompressed dense, a quantized packet, an IPC reference) and input holds
// more than the prefix the module reads; else -1.
function headerLen(bytes) {
  const total = bytes.length;
  if (total <= prefixMax) return -1;
  views();
  m8.set(bytes.subarray(0, prefixMax), prefixPtr);
  crossings++;
  return ex.tenso_packet_len(prefixPtr, prefixMax, total);
}

/**
 * Go's PacketLen: the exact length of the packet at the start of input,
 * from its own framing (never from input's length), to delimit back-to-back
 * packets. A packet whose header fixes its length costs its header only.
 */
export function packetLen(input) {
  need();
  const bytes = toBytes(input);
  const n = headerLen(bytes);
  if (n >= 0) return n;
  const total = bytes.length;
  const ptr = placeInput(bytes);
  crossings++;
  const len = ex.tenso_packet_len(ptr, total, total);
  if (len < 0) throw fail();
  return len;
}

/**
 * Go's DecodePrefix: decodes the packet at the start of input (more
 * packets may follow) and returns it with the number of bytes it occupies.
 * The value is what decode gives for those bytes (views on input where
 * decode's are); errors are DecodePrefix's. A packet whose header fixes its
 * length (uncompressed dense, quantized) costs what decode does; any other
 * copies the whole of input into the module, so walk a large buffer of
 * bundles or compressed packets in slices you bound.
 */
export function decodePrefix(input) {
  need();
  const bytes = toBytes(input);
  // A packet whose header fixes its length is decoded as those bytes
  // alone (decode's views and memo; its header is all that is copied into
  // the module). Any other packet, and any error, is Go's DecodePrefix of
  // the whole input: its framing decides where a compressed body ends,
  // and its errors are DecodePrefix's own.
  const n = headerLen(bytes);
  if (n >= 0) {
    try {
      return { value: decode(n === bytes.length ? bytes : bytes.subarray(0, n)), length: n };
    } catch (e) {
      if (!(e instanceof TensoError)) throw e;
    }
  }
  const ptr = placeInput(bytes);
  crossings++;
  const used = ex.tenso_decode_prefix(ptr, bytes.length);
  if (used < 0) throw fail();
  views();
  const v = new Reader(bytes, m32[stateAddr >>> 2] >>> 2).value();
  if (bytes.length > 1 << 20) {
    crossings++;
    ex.tenso_release();
  }
  return { value: v, length: used };
}

/** Fetches a URL and decodes its body (views on the fetched buffer). */
export async function fetchTensor(url, fetchInit) {
  await init();
  const res = await fetch(url, fetchInit);
  if (!res.ok) throw new Error(`tenso: GET ${url}: HTTP ${res.status}`);
  return decode(new Uint8Array(await res.arrayBuffer()));
}
