// Types for @tenso-go/tenso. Decoded shapes follow the design document.

export type DenseDType =
  | "float32" | "int32" | "float64" | "int64" | "uint8" | "uint16" | "bool"
  | "float16" | "int8" | "int16" | "uint32" | "uint64" | "complex64"
  | "complex128" | "bfloat16";
export type QuantDType = "qint8" | "quint8" | "qint4" | "quint4";
export type Scheme = "per_tensor" | "per_channel" | "per_group";

/**
 * Element storage by dtype: bool → Uint8Array; float16 → Float16Array where
 * the runtime has it, else Uint16Array (raw bits); bfloat16 → Uint16Array
 * (raw bits); complex64/complex128 → interleaved Float32Array/Float64Array;
 * int64/uint64 → BigInt64Array/BigUint64Array.
 */
export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array
  | Uint8Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface Dense {
  kind: "dense";
  dtype: DenseDType;
  shape: number[];
  /**
   * A view on the caller's buffer when the body is uncompressed and its
   * offset is aligned for the element type; otherwise a copy.
   */
  data: TypedArray;
}

export interface Quantized {
  kind: "quantized";
  dtype: QuantDType;
  shape: number[];
  scheme: Scheme;
  axis: number;
  groupSize: number;
  scales: Float32Array;
  zeroPoints: Float32Array;
  /** packed values: one byte each for 8-bit types, two per byte for 4-bit types (low nibble first) */
  data: Uint8Array;
  /** (q − zero_point) × scale in float32, computed by the wasm module */
  dequantize(): Float32Array;
}

export interface StringTensor {
  kind: "string";
  /** "bytes" (dtype 21) gives Uint8Array elements */
  dtype?: "string" | "bytes";
  strings: string[] | Uint8Array[];
}

export interface Ragged {
  kind: "ragged";
  /** row i is flat[splits[i] .. splits[i+1]) */
  splits: TypedArray;
  flat: Dense;
  /** set for the decode-only RAGGED flag framing: splits are byte offsets into a uint8 flat */
  framed?: boolean;
  frameDtype?: number;
}

export interface Bundle {
  kind: "bundle";
  entries: { key: string; value: Value }[];
}

export interface Sparse {
  kind: "sparse";
  format: "coo" | "csr" | "csc";
  shape: [number, number];
  /**
   * Each component is a dense value with its own dtype and shape, as bundle
   * entries are (a Uint16Array alone cannot tell uint16 from float16 from
   * bfloat16). encode also takes bare typed arrays (1-D, dtype inferred;
   * data's dtype from `dtype`).
   */
  data: Dense;
  row?: Dense;
  col?: Dense;
  indices?: Dense;
  indptr?: Dense;
}

/** What encode takes for a sparse matrix: components as dense values or bare typed arrays. */
export interface SparseInput {
  kind: "sparse";
  format?: "coo" | "csr" | "csc";
  shape: [number, number];
  /** the dtype of a bare typed-array data */
  dtype?: DenseDType;
  data: Dense | TypedArray;
  row?: Dense | TypedArray;
  col?: Dense | TypedArray;
  indices?: Dense | TypedArray;
  indptr?: Dense | TypedArray;
}

export interface IPCRef {
  kind: "ipc_ref";
  handle: Uint8Array;
  offset: bigint;
  nbytes: bigint;
  deviceUUID: Uint8Array;
}

export type Value = Dense | Quantized | StringTensor | Ragged | Bundle | Sparse | IPCRef;

/** What encode accepts: a Value (dequantize may be absent), or a bare typed array (1-D dense). */
export type EncodeInput =
  | Value
  | SparseInput
  | Omit<Quantized, "dequantize">
  | (Omit<Dense, "kind" | "dtype"> & { kind?: "dense"; dtype?: DenseDType })
  | TypedArray;

export interface EncodeOptions {
  /** add an XXH3-64 footer (default false) */
  integrity?: boolean;
  /** LZ4-compress dense bodies (default false) */
  compress?: boolean;
  /** body alignment, a power of two from 1 to 2^31 (0 or absent: 64) */
  alignment?: number;
}

export interface Info {
  version: number;
  flags: number;
  kind: "dense" | "quantized" | "string" | "ragged_frame" | "ragged" | "bundle"
    | "sparse_coo" | "sparse_csr" | "sparse_csc" | "ipc_ref";
  dtype: string | null;
  shape: number[];
  count: number;
  elements: number;
  aligned: boolean;
  alignment: number;
  integrity: boolean;
  compressed: boolean;
  headerLen: number;
  bodyOffset: number;
  dataSize: number;
}

/** One value inside a container, as inspectTree describes it (Go's Part). */
export interface Part {
  /** the bundle key, or the sparse component's name (data, row, col, indices, indptr) */
  key: string;
  /** where the value's own packet starts in the packet given to inspectTree */
  offset: number;
  length: number;
  info: TreeInfo;
}

/** Info with what a container holds: every bundle entry or sparse component (empty for other kinds). */
export interface TreeInfo extends Info {
  parts: Part[];
}

/** An error from the codec; message is exactly the Go error's text. */
export class TensoError extends Error {
  code: "corrupt" | "too_large" | "checksum" | "unsupported" | "unframed" | "invalid" | "other";
  /** byte offset of the bad field, or -1 */
  offset: number;
  /** encodeInto: the packet's length, when dst was too short */
  needed?: number;
}

export type ModuleSource =
  | WebAssembly.Module
  | WebAssembly.Instance
  | BufferSource
  | URL
  | string
  | Response
  | Promise<Response>;

/**
 * Loads the wasm module once. Node reads tenso.wasm beside index.js;
 * browsers stream-compile `new URL("tenso.wasm", import.meta.url)`; edge
 * runtimes pass a compiled WebAssembly.Module.
 */
export function init(source?: ModuleSource): Promise<void>;
export function decode(bytes: BufferSource): Value;
/**
 * The packet for value, byte for byte what Go's Encode writes. A dense
 * tensor without compression costs one header written by the wasm module
 * (cached per dtype, shape and options) and one copy of the body into the
 * packet; with integrity the module also hashes the body. Packets of up to
 * 4 KiB are views into a shared 32 KiB ArrayBuffer (as msgpackr's pack and
 * Node's Buffer.allocUnsafe do): use byteOffset/byteLength, and send
 * `packet.slice()` to transfer a buffer of its own.
 */
export function encode(value: EncodeInput, options?: EncodeOptions): Uint8Array;
/**
 * Writes the packet for value at the start of dst and returns its length.
 * A dst shorter than the packet throws a TensoError (code "invalid",
 * `needed` the packet's length) and is left unchanged.
 */
export function encodeInto(dst: BufferSource, value: EncodeInput, options?: EncodeOptions): number;
/**
 * The exact length encode gives for value (Go's EncodedLen). With compress,
 * a value holding a dense tensor is an error: its length is known only by
 * compressing.
 */
export function encodedLength(value: EncodeInput, options?: EncodeOptions): number;
export function inspect(bytes: BufferSource): Info;
/**
 * Go's InspectTree: inspect, plus every bundle entry and sparse component
 * with its own Info (version, alignment, integrity, compression, shape…),
 * nested containers included. Reads headers and length prefixes of the
 * whole packet; no body is verified or decompressed.
 */
export function inspectTree(bytes: BufferSource): TreeInfo;
/**
 * Go's PacketLen: the exact length of the packet at the start of bytes,
 * from its own framing, to delimit back-to-back packets.
 */
export function packetLen(bytes: BufferSource): number;
/**
 * Go's DecodePrefix: the packet at the start of bytes (more may follow)
 * and how many bytes it occupies. Uncompressed dense and quantized packets
 * cost what decode does; any other packet copies all of bytes into the
 * module.
 */
export function decodePrefix(bytes: BufferSource): { value: Value; length: number };
export function dequantize(q: Omit<Quantized, "dequantize" | "kind"> & { kind?: "quantized" }): Float32Array;
export function float16ToFloat32(bits: Uint16Array | TypedArray): Float32Array;
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array;
/** Fetches a URL and decodes the body (views on the fetched buffer). */
export function fetchTensor(url: string | URL, init?: RequestInit): Promise<Value>;
/** Calls from JS into the module so far, to measure boundary crossings. */
export function boundaryCrossings(): number;
