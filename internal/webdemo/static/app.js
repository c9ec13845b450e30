import { init, decode, float16ToFloat32 } from "/js/index.js";
import { describe } from "/static/describe.js";

const $ = (sel, el = document) => el.querySelector(sel);
window.__tenso = { ready: false };

// ---- formatting ----
const fmtBytes = (n) =>
  n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KB` : `${(n / (1 << 20)).toFixed(2)} MB`;
const fmtTime = (ms) =>
  ms < 0.001 ? `${(ms * 1e6).toFixed(0)} ns` : ms < 1 ? `${(ms * 1000).toFixed(ms < 0.01 ? 2 : 1)} µs` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;

// timeit: mean per call over repeated runs (at least `min` calls, ~budget ms).
function timeit(fn, budget = 40, min = 5, warm = 150) {
  // warm up (JIT tiers, wasm tier-up) before measuring
  const w0 = performance.now();
  for (let i = 0; i < 3 || performance.now() - w0 < warm; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (n < min || t - t0 < budget) {
    fn();
    n++;
    if ((n & 7) === 0 || n < 16) t = performance.now();
  }
  return (performance.now() - t0) / n;
}

// ---- colour maps ----
function viridis(t) {
  // polynomial fit of matplotlib's viridis
  t = Math.min(1, Math.max(0, t));
  const r = 0.2777 + t * (0.1051 + t * (-0.3308 + t * (-4.6342 + t * (6.2283 + t * (4.7764 + t * -5.4355)))));
  const g = 0.0054 + t * (1.4046 + t * (0.2148 + t * (-5.7991 + t * (14.1799 + t * (-13.7451 + t * 4.6459)))));
  const b = 0.3341 + t * (1.3846 + t * (0.095 + t * (-19.3324 + t * (56.6906 + t * (-65.3530 + t * 26.3124)))));
  return [r * 255, g * 255, b * 255];
}
function coolwarm(t) {
  // t in [-1, 1]: blue — near-black — orange/red, for signed weights on a dark page
  const a = Math.min(1, Math.abs(t)) ** 0.8;
  const lo = [22, 26, 38];
  const hi = t < 0 ? [64, 156, 255] : [255, 120, 72];
  return lo.map((c, i) => c + (hi[i] - c) * a);
}

// paintHeat draws an H×W float tensor colour-mapped between its least and
// greatest values, and returns [least, greatest].
function paintHeat(canvas, v, scale = 1) {
  const [h, w] = v.shape;
  const d = v.data;
  let lo = Infinity, hi = -Infinity;
  for (const x of d) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  paint(canvas, w, h, (i) => viridis((d[i] - lo) / (hi - lo || 1)), scale);
  return [lo, hi];
}

function paint(canvas, w, h, pixel, scale = 1) {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(w, h);
  const d = img.data;
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = pixel(i);
    d[4 * i] = r;
    d[4 * i + 1] = g;
    d[4 * i + 2] = b;
    d[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  canvas.style.width = `${w * scale}px`;
  if (scale > 1) canvas.classList.add("pixelated");
}

function legend(label, lo, hi, cmap, signed) {
  const wrap = document.createElement("div");
  wrap.innerHTML = `<div class="label">${label}</div>`;
  const row = document.createElement("div");
  row.className = "legend";
  const c = document.createElement("canvas");
  c.width = 128;
  c.height = 1;
  const ctx = c.getContext("2d");
  for (let x = 0; x < 128; x++) {
    const t = x / 127;
    const [r, g, b] = cmap(signed ? 2 * t - 1 : t);
    ctx.fillStyle = `rgb(${r | 0},${g | 0},${b | 0})`;
    ctx.fillRect(x, 0, 1, 1);
  }
  row.append(Object.assign(document.createElement("code"), { textContent: lo }), c,
    Object.assign(document.createElement("code"), { textContent: hi }));
  wrap.append(row);
  return wrap;
}

function sparkline(values, color) {
  const c = document.createElement("canvas");
  const w = 260, h = 46;
  c.width = w * 2;
  c.height = h * 2;
  c.style.width = "100%";
  c.style.height = `${h}px`;
  const ctx = c.getContext("2d");
  ctx.scale(2, 2);
  const max = Math.max(...values);
  const bw = w / values.length;
  values.forEach((v, i) => {
    const bh = (v / max) * (h - 4);
    ctx.fillStyle = color;
    ctx.globalAlpha = 0.35 + 0.65 * (v / max);
    ctx.fillRect(i * bw + 0.5, h - bh, Math.max(1, bw - 1), bh);
  });
  return c;
}

function info(rows) {
  const t = document.createElement("table");
  for (const r of rows) {
    const tr = t.insertRow();
    r.forEach((cell, i) => {
      const td = tr.insertCell();
      td.textContent = cell;
      td.title = cell;
      if (i > 0) td.className = "mono";
    });
  }
  return t;
}

// ---- one renderer per demo tensor ----
const renderers = {
  image(v, canvas) {
    const [h, w] = v.shape;
    const d = v.data;
    paint(canvas, w, h, (i) => [d[3 * i], d[3 * i + 1], d[3 * i + 2]]);
    canvas.style.width = "";
    canvas.parentElement.classList.add("full");
    return null;
  },
  heatmap(v, canvas) {
    paintHeat(canvas, v);
    canvas.style.width = "";
    canvas.parentElement.classList.add("full");
    return null;
  },
  weights(v, canvas, extra) {
    const [rows, cols] = v.shape;
    const f = v.dequantize();
    let m = 0;
    for (const x of f) m = Math.max(m, Math.abs(x));
    paint(canvas, cols, rows, (i) => coolwarm(f[i] / m), 2);
    extra.append(
      legend("dequantized value", (-m).toFixed(2), m.toFixed(2), coolwarm, true),
      Object.assign(document.createElement("div"), { className: "label", textContent: `per-channel scales (${v.scales.length})` }),
      sparkline(Array.from(v.scales), "#22d3ee"),
      info([
        ["scheme", `${v.scheme}, axis ${v.axis}`],
        ["scales", `${Math.min(...v.scales).toExponential(2)} – ${Math.max(...v.scales).toExponential(2)}`],
        ["packed", `${v.data.length} B int8`],
      ]),
    );
  },
  checkpoint(v, canvas, extra) {
    const get = (k) => v.entries.find((e) => e.key === k).value;
    const emb = get("embeddings");
    const [n, d] = emb.shape;
    const f = emb.data instanceof Float32Array ? emb.data : float16ToFloat32(emb.data);
    paint(canvas, d, n, (i) => coolwarm(f[i]), 3);
    const rows = v.entries.map((e) => {
      const x = e.value;
      let preview = "";
      if (x.kind === "ragged") {
        const len = [];
        for (let i = 1; i < x.splits.length; i++) len.push(Number(x.splits[i] - x.splits[i - 1]));
        preview = `row lengths ${len.join(", ")}`;
      } else if (x.kind === "string") preview = x.strings.join(", ");
      else if (x.dtype === "bool") preview = `${x.data.reduce((a, b) => a + b, 0)} of ${x.data.length} set`;
      else if (x.dtype === "int64") preview = x.data[0].toLocaleString();
      else if (x.dtype === "float32") preview = Array.from(x.data.slice(0, 3), (y) => y.toFixed(3)).join(" ") + " …";
      else if (x.dtype === "float16") preview = "drawn on the left";
      const kind = x.kind === "ragged" ? `ragged ${x.flat.dtype}[${x.splits.length - 1}][…]`
        : x.kind === "string" ? `string[${x.strings.length}]` : `${x.dtype}[${x.shape.join("×")}]`;
      return [e.key, kind, preview];
    });
    extra.append(
      Object.assign(document.createElement("div"), { className: "label", textContent: `${v.entries.length} entries, one packet` }),
      info(rows),
    );
  },
};

function describeShape(v) {
  if (v.kind === "bundle") return [`bundle · ${v.entries.length} entries`];
  return [`${v.dtype}`, `[${v.shape.join(" × ")}]`];
}

async function demoCard(item) {
  const el = $("#card").content.firstElementChild.cloneNode(true);
  $(".title", el).textContent = item.title;
  $(".caption", el).textContent = item.caption;
  $("#cards").append(el);

  const [buf, text] = await Promise.all([
    fetch(item.url).then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b)),
    fetch(item.jsonUrl).then((r) => r.text()),
  ]);
  const v = decode(buf);
  const tTenso = timeit(() => decode(buf));
  const tJSON = timeit(() => JSON.parse(text), 60, 3);

  const tags = $(".tags", el);
  for (const t of describeShape(v)) tags.append(Object.assign(document.createElement("span"), { className: "tag", textContent: t }));
  if (v.data && v.data.buffer === buf.buffer) {
    tags.append(Object.assign(document.createElement("span"), { className: "tag zc", textContent: "zero-copy view" }));
  }

  renderers[item.name](v, $("canvas", el), $(".extra", el));

  const maxB = Math.max(buf.length, text.length);
  const rowT = $(".row.tenso", el), rowJ = $(".row.json", el);
  $(".bytes", rowT).textContent = fmtBytes(buf.length);
  $(".bytes", rowJ).textContent = fmtBytes(text.length);
  $(".time", rowT).textContent = fmtTime(tTenso);
  $(".time", rowJ).textContent = fmtTime(tJSON);
  requestAnimationFrame(() => {
    $(".bar i", rowT).style.width = `${Math.max(2, (100 * buf.length) / maxB)}%`;
    $(".bar i", rowJ).style.width = `${(100 * text.length) / maxB}%`;
  });
  const speed = tJSON / tTenso;
  const x = (r) => (r >= 100 ? Math.round(r).toLocaleString() : r.toFixed(1));
  const how = v.data && v.data.buffer === buf.buffer
    ? "header parsed in wasm, data viewed in place"
    : "validated and copied out of wasm memory";
  $(".verdict", el).innerHTML = (speed >= 1
    ? `decode <b>${x(speed)}× faster</b> than <code>JSON.parse</code>`
    : `decode ${x(1 / speed)}× the time of <code>JSON.parse</code>`) +
    `, <b>${(text.length / buf.length).toFixed(1)}×</b> fewer bytes <span class="dim">· ${how}</span>`;

  const got = await describe(v);
  const ok = JSON.stringify(canon(got)) === JSON.stringify(canon(item.expect));
  tags.append(Object.assign(document.createElement("span"), { className: `tag ${ok ? "ok" : "bad"}`, textContent: ok ? "digest = server" : "digest ≠ server" }));
  return { name: item.name, got, tensoMs: tTenso, jsonMs: tJSON };
}

// canon sorts object keys, for display-side comparison only (the e2e test
// compares structurally).
function canon(x) {
  if (Array.isArray(x)) return x.map(canon);
  if (x && typeof x === "object") return Object.fromEntries(Object.keys(x).sort().map((k) => [k, canon(x[k])]));
  return x;
}

async function goldenCorpus() {
  const list = await fetch("/api/golden").then((r) => r.json());
  const box = $("#golden");
  const out = [];
  let ok = 0;
  for (const g of list) {
    const chip = Object.assign(document.createElement("span"), { className: "chip", textContent: g.file.replace(/\.tenso$/, "") });
    box.append(chip);
    const buf = new Uint8Array(await fetch(g.url).then((r) => r.arrayBuffer()));
    const res = { file: g.file };
    try {
      res.got = await describe(decode(buf));
    } catch (e) {
      res.error = e.message;
    }
    const good = g.error ? res.error === g.error : JSON.stringify(canon(res.got)) === JSON.stringify(canon(g.expect));
    chip.classList.add(good ? "ok" : "bad");
    chip.title = `${g.bytes} bytes${res.error ? " · " + res.error : ""}`;
    if (good) ok++;
    out.push(res);
  }
  const s = $("#golden-summary");
  s.textContent = `${ok} / ${list.length} match native Go`;
  s.classList.add(ok === list.length ? "ok" : "bad");
  return out;
}

// ---- live panel: tensors pushed over NATS (WebSocket), decoded as they arrive ----
// window.__tensoLive: { state, frames (count decoded), seen: the last frames
// decoded ({ frame, got: describe() of the value }), error }.
async function livePanel() {
  const live = (window.__tensoLive = { state: "starting", frames: 0, seen: [] });
  const status = $("#live-status");
  const cfg = await fetch("/api/live").then((r) => r.json());
  if (!cfg.websocket) {
    live.state = "off";
    status.textContent = `off: ${cfg.note || "no NATS server"}`;
    status.classList.add("off");
    return;
  }
  $("#live-subject").textContent = cfg.subject;
  const { wsconnect } = await import(cfg.client);
  const nc = await wsconnect({ servers: cfg.websocket, maxReconnectAttempts: -1 });
  live.state = "connected";
  status.textContent = `connected to ${cfg.websocket}`;
  status.classList.add("ok");
  nc.closed().then((err) => {
    live.state = "closed";
    status.textContent = `disconnected${err ? ": " + err.message : ""}`;
    status.classList.replace("ok", "bad");
  });
  const canvas = $("#live-canvas");
  const sub = nc.subscribe(cfg.subject);
  let pending = false;
  for await (const m of sub) {
    let v;
    const t0 = performance.now();
    try {
      v = decode(m.data);
    } catch (e) {
      live.error = e.message;
      status.textContent = `bad message: ${e.message}`;
      continue;
    }
    const ms = performance.now() - t0;
    const get = (k) => v.entries.find((e) => e.key === k).value;
    const heat = get("heat");
    const frame = Number(get("frame").data[0]);
    live.frames++;
    describe(v).then((got) => {
      live.seen.push({ frame, got });
      if (live.seen.length > 50) live.seen.shift();
    });
    $("#live-frame").textContent = frame;
    $("#live-count").textContent = live.frames;
    $("#live-shape").textContent = `bundle: frame int64, heat ${heat.dtype}[${heat.shape.join(" × ")}] · ${fmtBytes(m.data.length)}`;
    $("#live-decode").textContent = fmtTime(ms);
    if (pending) continue; // draw at most once per animation frame
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const [lo, hi] = paintHeat(canvas, heat, 6);
      $("#live-range").textContent = `${lo.toFixed(3)} … ${hi.toFixed(3)}`;
    });
  }
}

async function main() {
  const t0 = performance.now();
  await init();
  const initMs = performance.now() - t0;
  const wasm = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/tenso.wasm"));
  $("#b-module").innerHTML = wasm && wasm.decodedBodySize
    ? `tenso.wasm <b>${fmtBytes(wasm.decodedBodySize)}</b>`
    : "tenso.wasm";
  $("#b-init").innerHTML = `load + compile + init <b>${fmtTime(initMs)}</b>`;
  $("#b-runtime").innerHTML = `Float16Array <b>${globalThis.Float16Array ? "native" : "as Uint16Array"}</b>`;

  livePanel().catch((e) => {
    console.error(e);
    window.__tensoLive.state = "failed";
    window.__tensoLive.error = String(e && e.stack || e);
    $("#live-status").textContent = `failed: ${e.message}`;
    $("#live-status").classList.add("bad");
  });

  const items = await fetch("/api/demo").then((r) => r.json());
  const demo = [];
  for (const item of items) {
    try {
      demo.push(await demoCard(item));
    } catch (e) {
      console.error(e);
      demo.push({ name: item.name, error: String(e && e.stack || e) });
    }
  }
  const golden = await goldenCorpus();
  window.__tenso = { ready: true, initMs, demo, golden };
  document.body.dataset.ready = "1";
}

main().catch((e) => {
  console.error(e);
  window.__tenso = { ready: true, fatal: String(e && e.stack || e) };
  document.body.dataset.ready = "1";
});
