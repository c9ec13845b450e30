// End to end: the demo page in headless Chromium decodes every demo tensor
// and every golden packet through js/ (the wasm module), and the digests it
// computes equal those the Go server computed natively.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch } from "./browser.js";

let server, browser, page, results;
const consoleErrors = [];

before(async () => {
  server = await startServer();
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on("console", (m) => {
    if (m.type() === "error" && !/favicon/.test(m.text())) consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(server.url);
  await page.waitForFunction(() => window.__tenso && window.__tenso.ready, null, { timeout: 120000 });
  results = await page.evaluate(() => window.__tenso);
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function api(path) {
  const r = await fetch(new URL(path, server.url));
  assert.equal(r.status, 200, path);
  return r.json();
}

test("page loaded the module without errors", () => {
  assert.equal(results.fatal, undefined, results.fatal);
  assert.deepEqual(consoleErrors, []);
  assert.ok(results.initMs > 0);
});

test("demo tensors: page digests equal the server's", async () => {
  const items = await api("/api/demo");
  assert.deepEqual(items.map((i) => i.name), ["image", "heatmap", "weights", "checkpoint"]);
  assert.equal(results.demo.length, items.length);
  for (const [i, item] of items.entries()) {
    const got = results.demo[i];
    assert.equal(got.error, undefined, `${item.name}: ${got.error}`);
    assert.deepStrictEqual(got.got, item.expect, item.name);
    assert.ok(got.tensoMs > 0 && got.jsonMs > 0);
  }
  assert.equal(items[0].expect.dtype, "uint8");
  assert.equal(items[0].expect.shape.length, 3);
  assert.equal(items[1].expect.dtype, "float32");
  assert.equal(items[2].expect.dtype, "qint8");
  assert.equal(items[3].expect.kind, "bundle");
});

test("every golden packet: page digests equal the server's", async () => {
  const list = await api("/api/golden");
  assert.equal(list.length, 93);
  assert.equal(results.golden.length, list.length);
  for (const [i, g] of list.entries()) {
    const got = results.golden[i];
    assert.equal(got.file, g.file);
    if (g.error) {
      assert.equal(got.error, g.error, g.file);
    } else {
      assert.equal(got.error, undefined, `${g.file}: ${got.error}`);
      assert.deepStrictEqual(got.got, g.expect, g.file);
    }
  }
});

test("the page shows it: 93 / 93 and four cards", async () => {
  assert.equal(await page.textContent("#golden-summary"), "93 / 93 match native Go");
  assert.equal(await page.locator(".card").count(), 4);
  assert.equal(await page.locator(".tag.bad, .chip.bad").count(), 0);
});
