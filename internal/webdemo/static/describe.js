// The canonical description of a decoded value (see Describe in
// web-demo/describe.go): the page's side of the end-to-end check.

const NAMES = {
  Float32Array: "float32", Float64Array: "float64", Int8Array: "int8", Int16Array: "int16",
  Int32Array: "int32", Uint8Array: "uint8", Uint16Array: "uint16", Uint32Array: "uint32",
  BigInt64Array: "int64", BigUint64Array: "uint64", Float16Array: "float16",
};

function bytes(a) {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function hex(u8) {
  let s = "";
  for (const b of u8) s += b.toString(16).padStart(2, "0");
  return s;
}

async function sha256(a) {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes(a))));
}

async function typed(a, dtype) {
  return { dtype: dtype || NAMES[a.constructor.name], sha256: await sha256(a) };
}

export async function describe(v) {
  switch (v.kind) {
    case "dense":
      return { kind: "dense", dtype: v.dtype, shape: v.shape, sha256: await sha256(v.data) };
    case "quantized": {
      const d = {
        kind: "quantized", dtype: v.dtype, shape: v.shape, scheme: v.scheme, axis: v.axis,
        group_size: v.groupSize, scales: hex(bytes(v.scales)), zero_points: hex(bytes(v.zeroPoints)),
        sha256: await sha256(v.data),
      };
      try {
        d.dequantized = await sha256(v.dequantize());
      } catch {
        // as on the server: no dequantized digest for an invalid tensor
      }
      return d;
    }
    case "string": {
      const enc = new TextEncoder();
      const parts = v.strings.map((s) => (typeof s === "string" ? enc.encode(s) : s));
      const total = parts.reduce((n, p) => n + p.length, 0);
      const buf = new Uint8Array(8 * (parts.length + 1) + total);
      const dv = new DataView(buf.buffer);
      let off = 0;
      parts.forEach((p, i) => {
        off += p.length;
        dv.setBigUint64(8 * (i + 1), BigInt(off), true);
      });
      let at = 8 * (parts.length + 1);
      for (const p of parts) {
        buf.set(p, at);
        at += p.length;
      }
      return { kind: "string", count: parts.length, sha256: await sha256(buf) };
    }
    case "ragged": {
      const d = { kind: "ragged", splits: await typed(v.splits), flat: await describe(v.flat) };
      if (v.framed) d.framed = true;
      return d;
    }
    case "bundle": {
      const entries = [];
      for (const e of v.entries) entries.push({ key: e.key, value: await describe(e.value) });
      return { kind: "bundle", entries };
    }
    case "sparse": {
      // Each component is a dense value (js/ decodes them with their dtype).
      const d = { kind: "sparse", format: v.format, shape: v.shape, data: await typed(v.data.data, v.data.dtype) };
      for (const k of v.format === "coo" ? ["row", "col"] : ["indices", "indptr"]) d[k] = await typed(v[k].data, v[k].dtype);
      return d;
    }
    case "ipc_ref":
      return {
        kind: "ipc_ref", handle: hex(v.handle), offset: v.offset.toString(), nbytes: v.nbytes.toString(),
        device_uuid: hex(v.deviceUUID),
      };
  }
  return { kind: "unknown" };
}
