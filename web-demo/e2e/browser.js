// Shared by the e2e tests and the screenshot script: start the demo server
// (bin/tenso from `make`) on a free loopback port, with its live panel
// (embedded NATS server, WebSocket on a free port, a frame every 100 ms), and launch Debian's
// Chromium headless through playwright-core.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function startServer() {
  const bin = process.env.TENSO_BIN || path.join(root, "bin", "tenso");
  const args = ["demo", "-addr", "127.0.0.1:0", "-js", path.join(root, "js"), "-golden", path.join(root, "testdata"),
    "-vendor", path.join(root, "web-demo", "build"), "-live-every", "100ms"];
  const proc = spawn(bin, args, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`demo server did not start: ${out}`)), 20000);
    proc.on("error", reject);
    proc.on("exit", (code) => reject(new Error(`demo server exited with ${code}: ${out}`)));
    proc.stdout.on("data", (d) => {
      out += d;
      const m = /serving on (http:\/\/[^ ]+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop: () => proc.kill("SIGTERM") });
      }
    });
  });
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
  });
}
