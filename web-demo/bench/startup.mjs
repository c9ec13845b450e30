// Chromium start-up benchmark (make bench-startup-js): a page that
// imports js/index.js, init()s it and decodes one golden packet, against a
// page that instantiates the floor module (bin/floor.wasm, an empty Go
// wasip1 reactor built as tenso.wasm is) with the package's WASI shim, in the
// same run. Each round launches Debian's Chromium (playwright-core, the e2e
// tests' flags) on a fresh --user-data-dir per page kind and loads the page
// L times in that profile, each in a new tab of the same browser (or of a
// relaunched one, -restart): load 1 is a fresh profile,
// loads 2.. find the HTTP cache and whatever code cache V8 wrote. The
// figure is performance.now() in the page when the first tensor is decoded
// (ms since navigation start: HTML, module script, wasm fetch and compile).
//
// The pages are served by a small HTTP server here, with the headers the demo
// server's serveAsset sends (web-demo/server.go): application/wasm, a strong
// ETag of the content, Cache-Control: no-cache, 304 on If-None-Match. The
// packet is inlined in the page, so neither page fetches more than its code.
// Medians over rounds; not a test (it checks only the decoded values).
//
//   node bench/startup.mjs [-rounds 5] [-loads 5] [-settle 2500] [-restart] [-work 0] [-js-flags F] [-floor ../bin/floor.wasm] [-json]
//   -work K: after the timed first result, K more calls into the module
//   (inspectTree of the packet; floor_nop for the floor), untimed, so that V8
//   tiers hot functions up, as a page that goes on decoding would.
//   -js-flags F: passed to V8 (a diagnostic, e.g. --wasm-caching-threshold=1).
//   -restart: close and relaunch Chromium on the same profile before each
//   load after the first (a new renderer process, only the on-disk caches).
//   -settle: ms each tab stays open after decoding (V8 writes a wasm code
//   cache only some time after compiling).
import http from "node:http";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "../e2e/browser.js";
import { root, packetFile, checkDecoded, median, formatRow } from "../../js/bench/startup-common.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i < 0 ? def : args[i + 1];
};
const int = (name, def) => {
  const v = Number(opt(name, def));
  if (!Number.isInteger(v) || v < 0) throw new Error(`startup: ${name} must be a non-negative integer, got ${opt(name)}`);
  return v;
};
const rounds = Math.max(1, int("-rounds", "5"));
const loads = Math.max(1, int("-loads", "5"));
const settle = int("-settle", "2500");
const floorFile = path.resolve(opt("-floor", path.join(root, "bin", "floor.wasm")));
const json = args.includes("-json");
const restart = args.includes("-restart");
const work = int("-work", "0");
const jsFlags = opt("-js-flags", "");
for (const f of [floorFile, path.join(root, "js", "tenso.wasm")]) {
  if (!existsSync(f)) throw new Error(`startup: ${f} is missing (make wasm bin/floor.wasm)`);
}

const packet = readFileSync(packetFile);

const pages = {
  "/tenso.html": `import { init, decode, inspectTree } from "/js/index.js";
await init();
const p = new Uint8Array([${[...packet].join(",")}]);
const v = decode(p);
const t = performance.now();
for (let i = 0; i < ${work}; i++) inspectTree(p);
window.__startup = { t, dtype: v.dtype, shape: v.shape, values: Array.from(v.data) };`,
  "/floor.html": `import { wasiImports } from "/js/wasi.js";
let memory = null;
const { instance } = await WebAssembly.instantiateStreaming(fetch("/floor/floor.wasm"),
  { wasi_snapshot_preview1: wasiImports(() => memory) });
memory = instance.exports.memory;
instance.exports._initialize();
const nop = instance.exports.floor_nop();
const t = performance.now();
for (let i = 0; i < ${work}; i++) instance.exports.floor_nop();
window.__startup = { t, nop };`,
};
const files = {
  "/js/index.js": path.join(root, "js", "index.js"),
  "/js/wasi.js": path.join(root, "js", "wasi.js"),
  "/js/tenso.wasm": path.join(root, "js", "tenso.wasm"),
  "/floor/floor.wasm": floorFile,
};

function asset(body, type) {
  const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"`;
  return { body, type, etag };
}
const assets = {};
for (const [p, src] of Object.entries(pages)) {
  assets[p] = asset(Buffer.from(`<!doctype html><meta charset="utf-8"><script type="module">\n${src}\n</script>\n`), "text/html; charset=utf-8");
}
for (const [p, f] of Object.entries(files)) {
  assets[p] = asset(readFileSync(f), f.endsWith(".wasm") ? "application/wasm" : "text/javascript; charset=utf-8");
}
const hits = { 200: 0, 304: 0 };
const server = http.createServer((req, res) => {
  const a = assets[new URL(req.url, "http://x").pathname];
  if (!a) {
    res.writeHead(404).end();
    return;
  }
  const h = { "Content-Type": a.type, ETag: a.etag, "Cache-Control": "no-cache" };
  if (req.headers["if-none-match"] === a.etag) {
    hits[304]++;
    res.writeHead(304, h).end();
    return;
  }
  hits[200]++;
  res.writeHead(200, { ...h, "Content-Length": a.body.length }).end(a.body);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;

function check(kind, r) {
  if (kind === "floor") {
    if (r.nop !== 0) throw new Error(`startup: floor_nop returned ${r.nop}`);
    return;
  }
  checkDecoded(r);
}

// Bytes of the entries in the profile's wasm code cache (Default/Code
// Cache/wasm, its index files left out): shows whether V8 wrote compiled
// code that a later load can use.
function codeCacheBytes(dir) {
  const d = path.join(dir, "Default", "Code Cache", "wasm");
  if (!existsSync(d)) return 0;
  let n = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) {
    if (e.isFile() && e.name !== "index") n += statSync(path.join(d, e.name)).size;
  }
  return n;
}

// times[kind][load] = one figure per round; cache[kind][load] likewise, the
// wasm code cache's bytes after that load
const times = { tenso: [], floor: [] };
const cache = { tenso: [], floor: [] };
for (const k in times) {
  for (let l = 0; l < loads; l++) {
    times[k].push([]);
    cache[k].push([]);
  }
}
let version = "";
try {
  for (let round = 0; round < rounds; round++) {
    for (const kind of round % 2 ? ["floor", "tenso"] : ["tenso", "floor"]) {
      const dir = mkdtempSync(path.join(os.tmpdir(), "tenso-startup-chromium-"));
      const launch = () =>
        chromium.launchPersistentContext(dir, {
          executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
          args: jsFlags ? [...CHROMIUM_ARGS, `--js-flags=${jsFlags}`] : CHROMIUM_ARGS,
        });
      let ctx = await launch();
      try {
        version ||= ctx.browser()?.version() ?? "";
        for (let l = 0; l < loads; l++) {
          if (restart && l > 0) {
            await ctx.close();
            ctx = await launch();
          }
          const page = await ctx.newPage();
          const errors = [];
          page.on("pageerror", (e) => errors.push(String(e)));
          await page.goto(`${base}/${kind}.html`);
          await page
            .waitForFunction(() => window.__startup, null, { timeout: 60000 })
            .catch((e) => {
              throw new Error(`startup: ${kind} page did not finish: ${errors.join("; ") || e.message}`);
            });
          const r = await page.evaluate(() => window.__startup);
          check(kind, r);
          times[kind][l].push(r.t);
          if (settle) await page.waitForTimeout(settle);
          await page.close();
          cache[kind][l].push(codeCacheBytes(dir));
        }
      } finally {
        await ctx.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
} finally {
  server.close();
}

const rows = [];
for (let l = 0; l < loads; l++) {
  const t = median(times.tenso[l]);
  const f = median(times.floor[l]);
  rows.push({
    runtime: `Chromium ${version.split(".")[0]}, page load ${l + 1}${l === 0 ? " (fresh profile)" : restart ? " (same profile, relaunched)" : " (same profile, new tab)"}`,
    tensoMs: t,
    floorMs: f,
    ratio: t / f,
  });
}
if (json) console.log(JSON.stringify({ rounds, loads, settle, restart, work, jsFlags, version, times, cache, hits, rows }));
else {
  console.error(
    `Chromium ${version}: median of ${rounds} fresh profiles, ${loads} loads each (${settle} ms open after decoding${restart ? ", Chromium relaunched between loads" : ""}${work ? `, ${work} untimed calls after the first result` : ""}${jsFlags ? `, --js-flags=${jsFlags}` : ""}); ` +
      `performance.now() at the first decoded tensor / at the floor's _initialize done; HTTP 200: ${hits[200]}, 304: ${hits[304]}`,
  );
  const kb = (k) => cache[k].map((c) => Math.round(median(c) / 1024)).join(", ");
  console.error(`wasm code cache in the profile after loads 1..${loads} (KiB, median): tenso ${kb("tenso")}; floor ${kb("floor")}`);
  for (const r of rows) {
    console.log(formatRow(r));
  }
}
