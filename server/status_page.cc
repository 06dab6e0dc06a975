// The status page: HTML, CSS and JS in one string, so the binary serves it
// with no files on disk and the browser fetches nothing but the JSON API.
//
// What the page reads from GET /v1/status (every field optional; the page
// shows what is there and derives the rest):
//   height          u64     tip height (fallback: /v1/blocks/latest header.height)
//   tip_hash        hex     tip block hash (fallback: /v1/blocks/latest hash)
//   backend         string  "cpu", "gpu", "kernels-on-cpu", ...
//   backend_description string  shown as the backend's tooltip
//   backend_active  string  the backend answering now (cpu while a failed
//                           device is re-created); shown when it differs
//   batch_size      object  {"p50","p99"} signatures per verify call
//   counters.verify_batches_in_flight, counters.backend_fallbacks
//                           shown on the verification card
//   ready           bool    false shows "not ready" and not_ready_reason
//   uptime_s        number
//   tx_per_s        number  committed tx/s over the server's recent window
//                           (fallback: the page's own delta of a counter whose
//                           name contains "committed", else of block tx_counts)
//   blocks_per_s    number  (fallback: from the recent blocks' timestamps)
//   latency_ms      object  {"p50","p99","p999"} commit latency, milliseconds
//                           (also read: commit_latency_ms, latencies_ms)
//   counters        object  name -> number, all shown in a table
//   follower        object  serve --follow: upstream, tip, upstream_tip, lag_blocks,
//                           lag_seconds, blocks_per_second, seal_to_commit_ms, reconnects, connected,
//                           failed (+ failed_height, failed_code, error)
//   publisher       object  serve --publish: url, stream, state, published_height,
//                           lag_blocks, errors, reconnects, stopped
// Nested objects under "rates" or "latency" with the same names also work.
#include "server/status_page.h"

namespace bg::server {
namespace {

constexpr std::string_view kPage = R"BGHTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>blockgate status</title>
<style>
  :root { --bg:#0f1419; --panel:#172029; --line:#25313d; --fg:#d8e1ea; --dim:#8595a6;
          --accent:#4fb3ff; --ok:#5ed18a; --warn:#f0b455; --bad:#ef6b6b; }
  * { box-sizing: border-box; }
  body { margin:0; background:var(--bg); color:var(--fg);
         font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  header { display:flex; align-items:center; gap:14px; padding:14px 24px;
           border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; letter-spacing:.5px; }
  header h1 span { color:var(--accent); }
  #conn { font-size:12px; padding:2px 8px; border-radius:10px; background:var(--line); }
  #conn.ok { color:var(--ok); } #conn.bad { color:var(--bad); }
  #meta { margin-left:auto; color:var(--dim); font-size:12px; }
  main { padding:18px 24px; display:grid; gap:16px; grid-template-columns:repeat(5, 1fr); }
  .card { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
  .card .k { color:var(--dim); font-size:11px; text-transform:uppercase; letter-spacing:.8px; }
  .card .v { font-size:28px; font-variant-numeric:tabular-nums; margin-top:2px; }
  .card .s { color:var(--dim); font-size:12px; font-variant-numeric:tabular-nums; }
  .wide { grid-column:span 2; } .full { grid-column:1 / -1; }
  svg { width:100%; height:46px; display:block; margin-top:6px; }
  table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
  th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { color:var(--dim); font-weight:normal; font-size:11px; text-transform:uppercase; letter-spacing:.8px; }
  td.hash { font-family:ui-monospace, Menlo, Consolas, monospace; font-size:12px; color:var(--accent); }
  td.num, th.num { text-align:right; }
  tr.fresh td { animation:flash 1.2s ease-out; }
  @keyframes flash { from { background:#24445f; } to { background:transparent; } }
  .kvs { display:grid; grid-template-columns:repeat(3, 1fr); column-gap:24px; margin-top:6px; }
  .kv { display:flex; justify-content:space-between; padding:5px 8px; border-bottom:1px solid var(--line);
        font-variant-numeric:tabular-nums; }
  .kv span { color:var(--dim); }
  #err { color:var(--bad); font-size:12px; }
  @media (max-width: 800px) { main { grid-template-columns:1fr 1fr; } .kvs { grid-template-columns:1fr; } }
</style>
</head>
<body>
<header>
  <h1>block<span>gate</span></h1>
  <span id="conn">connecting</span>
  <span id="meta">backend <b id="backend">-</b> · up <span id="uptime">-</span></span>
</header>
<main>
  <div class="card"><div class="k">Height</div><div class="v" id="height">-</div>
    <div class="s" id="tip">-</div></div>
  <div class="card"><div class="k">Committed tx/s</div><div class="v" id="txps">-</div>
    <svg id="spark" viewBox="0 0 120 46" preserveAspectRatio="none"></svg></div>
  <div class="card"><div class="k">Blocks/s</div><div class="v" id="bps">-</div>
    <div class="s" id="avgtx">-</div></div>
  <div class="card"><div class="k">Verify batches in flight</div><div class="v" id="inflight">-</div>
    <div class="s">batch p50 <span id="bp50">-</span> · p99 <span id="bp99">-</span> · fallbacks <span id="fallbacks">-</span></div></div>
  <div class="card"><div class="k">Commit latency</div><div class="v" id="p50">-</div>
    <div class="s">p99 <span id="p99">-</span> · p99.9 <span id="p999">-</span></div></div>
  <div class="card wide full">
    <div class="k">Latest blocks</div>
    <table><thead><tr><th class="num">Height</th><th>Hash</th><th class="num">Txs</th>
      <th>Timestamp (UTC)</th><th>Merkle root</th></tr></thead>
      <tbody id="blocks"><tr><td colspan="5">waiting for blocks...</td></tr></tbody></table>
  </div>
  <div class="card wide full" id="downstream" style="display:none">
    <div class="k">Downstream</div>
    <div id="downstream-kv" class="kvs"></div>
  </div>
  <div class="card wide full">
    <div class="k">Counters</div>
    <div id="counters" class="kvs"><div class="kv"><span>-</span></div></div>
    <div id="err"></div>
  </div>
</main>
<script>
"use strict";
// Polls the JSON API once a second. Everything here tolerates missing fields:
// the server decides what /v1/status carries, the page shows what it finds.
const POLL_MS = 1000, KEEP_BLOCKS = 10, SPARK_POINTS = 60;
const $ = (id) => document.getElementById(id);
const blocks = new Map();          // height -> {hash, header}
let prev = null;                   // previous sample for derived rates
const history = [];                // tx/s samples for the sparkline

function pick(o, ...paths) {
  for (const p of paths) {
    let v = o;
    for (const k of p.split(".")) { v = (v && typeof v === "object") ? v[k] : undefined; }
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}
function fmtNum(x, digits) {
  if (typeof x !== "number" || !isFinite(x)) return "-";
  return x.toLocaleString("en-US", { maximumFractionDigits: digits ?? 0 });
}
function fmtMs(x) {
  if (typeof x !== "number" || !isFinite(x)) return "-";
  return x < 10 ? x.toFixed(2) + " ms" : x < 1000 ? x.toFixed(1) + " ms" : (x / 1000).toFixed(2) + " s";
}
function fmtDur(s) {
  if (typeof s !== "number") return "-";
  const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = Math.floor(s % 60);
  return (h ? h + "h " : "") + (h || m ? m + "m " : "") + sec + "s";
}
const short = (h) => typeof h === "string" ? h.slice(0, 16) + "\u2026" : "-";

async function getJson(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

function remember(b) {
  if (!b || !b.header) return false;
  const h = b.header.height;
  if (blocks.has(h)) return false;
  blocks.set(h, { hash: b.hash, header: b.header, seen: Date.now() });
  const keys = [...blocks.keys()].sort((a, c) => c - a);
  for (const k of keys.slice(KEEP_BLOCKS)) blocks.delete(k);
  return true;
}

function renderBlocks() {
  const rows = [...blocks.entries()].sort((a, c) => c[0] - a[0]);
  if (!rows.length) return;
  const now = Date.now();
  $("blocks").innerHTML = rows.map(([h, b]) => {
    const ts = b.header.timestamp_ms ? new Date(b.header.timestamp_ms).toISOString().replace("T", " ").slice(0, 23) : "genesis";
    const fresh = now - b.seen < 1500 ? ' class="fresh"' : "";
    return `<tr${fresh}><td class="num">${h}</td><td class="hash" title="${b.hash}">${short(b.hash)}</td>` +
           `<td class="num">${fmtNum(b.header.tx_count)}</td><td>${ts}</td>` +
           `<td class="hash" title="${b.header.merkle_root}">${short(b.header.merkle_root)}</td></tr>`;
  }).join("");
}

function renderCounters(c) {
  if (!c || typeof c !== "object") return;
  const rows = Object.entries(c).filter(([, v]) => typeof v === "number" || typeof v === "string");
  if (!rows.length) return;
  $("counters").innerHTML = rows.map(([k, v]) =>
    `<div class="kv"><span>${k.replace(/_/g, " ")}</span><b>${typeof v === "number" ? fmtNum(v, 3) : v}</b></div>`).join("");
}

function renderSpark() {
  const pts = history.slice(-SPARK_POINTS), max = Math.max(1, ...pts);
  const step = 120 / Math.max(1, SPARK_POINTS - 1);
  const d = pts.map((v, i) => `${(i * step).toFixed(1)},${(44 - v / max * 40).toFixed(1)}`).join(" ");
  $("spark").innerHTML = pts.length > 1
    ? `<polyline fill="none" stroke="#4fb3ff" stroke-width="1.5" points="${d}"/>` : "";
}

async function poll() {
  let status = {}, latest = null, errors = [];
  const [s, l] = await Promise.allSettled([getJson("/v1/status"), getJson("/v1/blocks/latest")]);
  if (s.status === "fulfilled") status = s.value; else errors.push(s.reason.message);
  if (l.status === "fulfilled") latest = l.value; else errors.push(l.reason.message);

  const height = pick(status, "height", "tip.height") ?? (latest && latest.header ? latest.header.height : undefined);
  const tipHash = pick(status, "tip_hash", "tip.hash") ?? (latest ? latest.hash : undefined);

  // Fill in blocks we have not seen (first load, or several sealed per poll).
  let fresh = false;
  if (latest) {
    fresh = remember(latest) || fresh;
    const h = latest.header.height, known = [...blocks.keys()];
    const wants = [];
    for (let k = h - 1; k >= 0 && k > h - KEEP_BLOCKS; --k) if (!known.includes(k)) wants.push(k);
    const got = await Promise.allSettled(wants.map((k) => getJson("/v1/blocks/" + k)));
    for (const g of got) if (g.status === "fulfilled") fresh = remember(g.value) || fresh;
  }

  // Rates: the server's own when given, else derived from this poll and the last.
  const now = performance.now();
  const committed = (() => {
    const c = pick(status, "counters") || {};
    for (const [k, v] of Object.entries(c)) if (/committed/.test(k) && typeof v === "number") return v;
    return undefined;
  })();
  let txps = pick(status, "tx_per_s", "rates.tx_per_s", "tx_per_second");
  let bps = pick(status, "blocks_per_s", "rates.blocks_per_s");
  if (prev && now > prev.t) {
    const dt = (now - prev.t) / 1000;
    if (txps === undefined && committed !== undefined && prev.committed !== undefined) txps = (committed - prev.committed) / dt;
    if (txps === undefined && height !== undefined && prev.height !== undefined) {
      let n = 0;
      for (const [h, b] of blocks) if (h > prev.height && h <= height) n += b.header.tx_count;
      txps = n / dt;
    }
  }
  // Blocks/s from the recent blocks' own timestamps: independent of how
  // often (or, in a headless browser, how fast in virtual time) we poll.
  if (bps === undefined) {
    const ts = [...blocks.values()].filter((b) => b.header.height > 0).map((b) => b.header.timestamp_ms).sort((a, c) => a - c);
    if (ts.length >= 2 && ts[ts.length - 1] > ts[0]) bps = (ts.length - 1) * 1000 / (ts[ts.length - 1] - ts[0]);
  }
  prev = { t: now, height, committed };
  if (typeof txps === "number") { history.push(txps); if (history.length > SPARK_POINTS) history.shift(); }

  $("height").textContent = height !== undefined ? String(height) : "-";
  $("tip").textContent = tipHash ? "tip " + short(tipHash) : "-";
  const configured = pick(status, "backend"), active = pick(status, "backend_active");
  $("backend").textContent = (active && configured && active !== configured)
      ? active + " (" + configured + " failed, re-creating)" : (active ?? configured ?? "-");
  $("inflight").textContent = fmtNum(pick(status, "counters.verify_batches_in_flight"), 0);
  $("bp50").textContent = fmtNum(pick(status, "batch_size.p50"), 0);
  $("bp99").textContent = fmtNum(pick(status, "batch_size.p99"), 0);
  $("fallbacks").textContent = fmtNum(pick(status, "counters.backend_fallbacks"), 0);
  $("backend").title = pick(status, "backend_description") ?? "";
  $("uptime").textContent = fmtDur(pick(status, "uptime_s"));
  $("txps").textContent = fmtNum(txps, txps < 10 ? 1 : 0);
  $("bps").textContent = fmtNum(bps, 2);
  const lat = pick(status, "latency_ms", "commit_latency_ms", "latencies_ms", "latency") || {};
  $("p50").textContent = fmtMs(pick(lat, "p50", "p50_ms"));
  $("p99").textContent = fmtMs(pick(lat, "p99", "p99_ms"));
  $("p999").textContent = fmtMs(pick(lat, "p999", "p999_ms"));
  let total = 0, n = 0;
  for (const b of blocks.values()) if (b.header.height > 0) { total += b.header.tx_count; n++; }
  $("avgtx").textContent = n ? fmtNum(total / n, 1) + " tx/block (recent)" : "-";
  renderCounters(pick(status, "counters"));
  renderDownstream(pick(status, "follower"), pick(status, "publisher"));
  renderSpark();
  if (fresh) renderBlocks();
  $("err").textContent = errors.join(" · ");
  const conn = $("conn"), notReady = status.ready === false;
  conn.textContent = !latest ? "unreachable" : notReady ? "not ready" : "live";
  conn.className = latest && !notReady ? "ok" : "bad";
  conn.title = notReady ? (status.not_ready_reason ?? "") : "";
}

// Follower and publisher state, when the server has either.
function renderDownstream(f, p) {
  const rows = [];
  if (f) {
    rows.push(["following", f.upstream]);
    rows.push(["follower tip / upstream tip", fmtNum(f.tip) + " / " + (f.upstream_tip !== undefined ? fmtNum(f.upstream_tip) : "?")]);
    rows.push(["lag", fmtNum(f.lag_blocks) + " blocks, " + fmtNum(f.lag_seconds, 1) + " s"]);
    rows.push(["blocks verified/s", fmtNum(f.blocks_per_second, 1)]);
    const sc = f.seal_to_commit_ms;
    rows.push(["sealed upstream → durable here", sc && sc.samples > 0
        ? "p50 " + fmtNum(sc.p50, 1) + " ms, p99 " + fmtNum(sc.p99, 1) + " ms" : "-"]);
    rows.push(["reconnects", fmtNum(f.reconnects)]);
    rows.push(["follower state", f.failed ? "stopped at " + f.failed_height + ": " + f.failed_code
                                          : f.connected ? "connected" : "reconnecting"]);
  }
  if (p) {
    rows.push(["publishing to", p.url + " (" + p.stream + ")"]);
    rows.push(["published height", p.published_height !== undefined ? fmtNum(p.published_height) : "-"]);
    rows.push(["publish lag", p.lag_blocks !== undefined ? fmtNum(p.lag_blocks) + " blocks" : "-"]);
    rows.push(["publisher state", p.state + (p.errors ? " (" + p.errors + " errors)" : "")]);
  }
  $("downstream").style.display = rows.length ? "" : "none";
  const box = $("downstream-kv");
  box.replaceChildren(...rows.map(([k, v]) => {
    const d = document.createElement("div");
    d.className = "kv";
    const s = document.createElement("span");
    s.textContent = k;
    const b = document.createElement("b");
    b.textContent = v;
    d.append(s, b);
    return d;
  }));
}

async function loop() {
  try { await poll(); } catch (e) { $("err").textContent = String(e); }
  setTimeout(loop, POLL_MS);
}
loop();
</script>
</body>
</html>
)BGHTML";

}  // namespace

std::string_view status_page_html() { return kPage; }

}  // namespace bg::server
