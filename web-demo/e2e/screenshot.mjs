// node e2e/screenshot.mjs [out.png]: a full-page screenshot of the demo.
import { startServer, launch } from "./browser.js";

const out = process.argv[2] || "demo.png";
const server = await startServer();
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
  page.on("console", (m) => console.log("page:", m.text()));
  await page.goto(server.url);
  await page.waitForFunction(() => window.__tenso && window.__tenso.ready, null, { timeout: 60000 });
  await page.waitForTimeout(800);
  await page.screenshot({ path: out, fullPage: true });
  console.log("wrote", out);
} finally {
  await browser.close();
  server.stop();
}
