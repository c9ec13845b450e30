// Node: node examples/node.mjs [file.tenso]
import { readFile } from "node:fs/promises";
import { init, decode, encode, inspect } from "../index.js";

await init(); // reads tenso.wasm beside index.js

const file = process.argv[2] ?? new URL("../../testdata/dense_f32.tenso", import.meta.url);
const bytes = new Uint8Array(await readFile(file));
console.log(inspect(bytes).kind, inspect(bytes).shape);

const t = decode(bytes); // {kind:"dense", dtype:"float32", shape:[3,4], data: Float32Array}
console.log(t.dtype, t.shape, t.data.slice(0, 4), "view on the file buffer:", t.data.buffer === bytes.buffer);

const packet = encode({ kind: "dense", dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, { integrity: true });
console.log("encoded", packet.length, "bytes:", decode(packet).data);
