// The package as a user gets it: `npm pack` (whose prepack builds the
// module), the tarball installed into an empty project without the
// registry, and a golden packet decoded there through the installed copy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { root, goldenDir, manifest } from "./util.js";

const jsDir = path.join(root, "js");

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

test("npm pack gives a package that installs and decodes", { timeout: 300_000 }, (t) => {
  const tmp = mkdtempSync(path.join(tmpdir(), "tenso-pack-"));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));

  run("npm", ["pack", "--silent", "--pack-destination", tmp], jsDir);
  const tarballs = readdirSync(tmp).filter((f) => f.endsWith(".tgz"));
  assert.equal(tarballs.length, 1, `npm pack wrote ${tarballs}`);
  const tarball = path.join(tmp, tarballs[0]);
  const files = run("tar", ["-tzf", tarball], tmp).split("\n").filter(Boolean).sort();
  for (const f of ["index.js", "index.d.ts", "wasi.js", "tenso.wasm", "package.json"]) {
    assert.ok(files.includes("package/" + f), `tarball lacks ${f}: ${files}`);
  }

  const project = path.join(tmp, "project");
  run("mkdir", ["-p", project], tmp);
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "tenso-pack-check", version: "0.0.0", private: true, type: "module" }));
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--silent", tarball], project);
  assert.ok(existsSync(path.join(project, "node_modules", "@tenso-go", "tenso", "tenso.wasm")), "installed package lacks tenso.wasm");

  const entry = manifest().files.find((e) => e.file === "dense_f32.tenso");
  writeFileSync(
    path.join(project, "check.mjs"),
    `import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { init, decode } from "@tenso-go/tenso";
await init();
const v = decode(new Uint8Array(readFileSync(process.argv[2])));
const d = new Uint8Array(v.data.buffer, v.data.byteOffset, v.data.byteLength);
console.log(JSON.stringify({ dtype: v.dtype, shape: Array.from(v.shape), sha256: createHash("sha256").update(d).digest("hex") }));
`,
  );
  const got = JSON.parse(run("node", ["check.mjs", path.join(goldenDir, entry.file)], project));
  assert.deepEqual(got, { dtype: entry.dtype, shape: entry.shape, sha256: entry.sha256_le_c_order });
});
