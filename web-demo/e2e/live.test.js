// End to end: the live panel. The page connects to the demo's embedded NATS
// server over WebSocket (@nats-io/nats-core's wsconnect, bundled locally),
// decodes every pushed packet with the wasm module, and the description of
// what it decoded equals the one the Go publisher recorded for that frame
// number; the frames keep coming. Also: the module is served so that
// browsers stream-compile and cache it (application/wasm, ETag, 304).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch } from "./browser.js";

let server, browser, page;
const consoleErrors = [];
const requests = [];

before(async () => {
  server = await startServer();
  browser = await launch();
  page = await browser.newPage();
  page.on("console", (m) => {
    if (m.type() === "error" && !/favicon/.test(m.text())) consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("the live panel decodes frames pushed over NATS, and they change", { timeout: 60000 }, async () => {
  const cfg = await (await fetch(new URL("/api/live", server.url))).json();
  assert.match(cfg.websocket, /^ws:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(cfg.client, "/vendor/nats-core.js", cfg.note);
  // 10 frames at one per 100 ms: a second of publishing, well inside the bound.
  await page.waitForFunction(() => window.__tensoLive && (window.__tensoLive.seen.length >= 10 || window.__tensoLive.error),
    null, { timeout: 30000 });
  const live = await page.evaluate(() => window.__tensoLive);
  assert.equal(live.error, undefined, live.error);
  assert.equal(live.state, "connected");
  const frames = live.seen.map((s) => s.frame);
  for (let i = 1; i < frames.length; i++) assert.ok(frames[i] > frames[i - 1], `frames in order: ${frames}`);
  const digests = new Set();
  for (const s of live.seen) {
    const r = await fetch(new URL(`/api/live/expect/${s.frame}`, server.url));
    assert.equal(r.status, 200, `frame ${s.frame} no longer kept by the server`);
    assert.deepStrictEqual(s.got, await r.json(), `frame ${s.frame}: page's description ≠ publisher's`);
    const heat = s.got.entries.find((e) => e.key === "heat").value;
    assert.equal(heat.dtype, "float32");
    assert.deepEqual(heat.shape, [48, 64]);
    digests.add(heat.sha256);
  }
  assert.equal(digests.size, live.seen.length, "every frame's heatmap differs");
  // What the page shows moves on too.
  const f1 = Number(await page.textContent("#live-frame"));
  await page.waitForFunction((f) => Number(document.querySelector("#live-frame").textContent) > f, f1, { timeout: 10000 });
  assert.equal(await page.getAttribute("#live-canvas", "width"), "64");
  assert.equal(await page.getAttribute("#live-canvas", "height"), "48");
  assert.match(await page.textContent("#live-status"), /^connected to ws:\/\/127\.0\.0\.1:/);
  // Nothing was fetched from anywhere but the demo server and its NATS listener.
  const origin = new URL(server.url).origin;
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:")), []);
  assert.deepEqual(consoleErrors, []);
});

test("the wasm module is served for streaming compilation and caching", async () => {
  const url = new URL("/js/tenso.wasm", server.url);
  const r = await fetch(url);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "application/wasm");
  assert.equal(r.headers.get("cache-control"), "no-cache");
  const etag = r.headers.get("etag");
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  await r.arrayBuffer();
  const again = await fetch(url, { headers: { "If-None-Match": etag } });
  assert.equal(again.status, 304);
  const js = await fetch(new URL("/vendor/nats-core.js", server.url));
  assert.equal(js.status, 200);
  assert.match(js.headers.get("content-type"), /^text\/javascript/);
  assert.match(js.headers.get("etag"), /^"[0-9a-f]{32}"$/);
});
