// Helpers shared by the tests: the golden manifest and canonical checks.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const goldenDir = path.join(root, "testdata");

export function manifest() {
  return JSON.parse(readFileSync(path.join(goldenDir, "manifest.json"), "utf8"));
}

export function golden(name) {
  return new Uint8Array(readFileSync(path.join(goldenDir, name)));
}

export function bytesOf(a) {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function sha256(a) {
  return createHash("sha256").update(bytesOf(a)).digest("hex");
}

export function hex(a) {
  return Buffer.from(bytesOf(a)).toString("hex");
}
