// bench:latency — glass-to-glass latency in headless Chromium (design.md, "Performance budgets"): Pantau
// LL-HLS and WebSocket MSE against ffmpeg's own HLS muxer played by hls.js (defaults, and pushed to the
// edge), one after another against the same test camera. BENCH_SECONDS (default 60) per variant after
// BENCH_WARMUP_SECONDS (default 10) of warm-up.
// `-- --browser webkit`: Pantau in a real WebKit (WebKitGTK's MiniBrowser, test/helpers/webkit.ts) over
// the WebSocket through MSE, through ManagedMediaSource with MediaSource removed (the iPhone shape), and
// over LL-HLS with hls.js, beside Chromium's WebSocket MSE, in one run.
import { startInjectingProxy } from "../test/helpers/injecting-proxy.js";
import { startChromium } from "./lib/chromium.js";
import { startBaseline } from "./lib/baseline.js";
import { startCamera } from "./lib/camera.js";
import { onCleanup, runBench } from "./lib/cleanup.js";
import { envNumber } from "./lib/env.js";
import { startGatewayProcess } from "./lib/gateway-process.js";
import {
  chromiumPage,
  latencyTable,
  measure,
  webkitPage,
  type VariantResult,
} from "./lib/latency-variant.js";
import { environment, writeResults } from "./lib/results.js";
import { sec } from "./lib/stats.js";
import { printTable, verdict } from "./lib/table.js";
import { startWebKit } from "./lib/webkit.js";

const seconds = envNumber("BENCH_SECONDS", 60, 1);
const warmupSeconds = envNumber("BENCH_WARMUP_SECONDS", 10, 0);
const timing = { seconds, warmupSeconds };

async function main(): Promise<void> {
  const camera = await startCamera();
  const browser = await startChromium();
  const results: VariantResult[] = [];

  // Pantau, as its own process; the camera is alwaysOn so both variants join a running rendition.
  const gw = await startGatewayProcess();
  const { id } = await gw.addCamera({
    name: "Bench latency",
    source: { kind: "rtsp", url: camera.url("main") },
    alwaysOn: true,
  });
  await gw.waitLive([id]);
  const player = (mode: string) => `${gw.url}/dev/player?camera=${id}&mode=${mode}&rendition=main&measure=1`;
  const chromium = () => chromiumPage(browser);
  results.push(await measure(chromium, "pantau-llhls", "Pantau LL-HLS (hls.js)", player("hls"), timing));
  results.push(await measure(chromium, "pantau-ws", "Pantau WebSocket MSE", player("ws"), timing));
  const restarts = (await gw.health()).reduce((s, r) => s + r.restarts, 0);
  await gw.stop();

  // Baseline: ffmpeg's HLS muxer into a folder, a static server, hls.js.
  const baseline = await startBaseline(camera.url("main"));
  await baseline.ffmpeg.waitSegments(6, 30_000, true);
  results.push(
    await measure(
      chromium,
      "baseline",
      "Baseline ffmpeg HLS, hls.js defaults",
      baseline.pageUrl(false),
      timing,
    ),
  );
  results.push(
    await measure(
      chromium,
      "baseline-edge",
      "Baseline ffmpeg HLS, hls.js at edge",
      baseline.pageUrl(true),
      timing,
    ),
  );
  await baseline.stop();

  latencyTable(results, timing);
  const by = (key: string) => results.find((r) => r.key === key)!;
  const llhls = by("pantau-llhls");
  const ws = by("pantau-ws");
  const base = by("baseline");
  const edge = by("baseline-edge");
  const over = (v: number, budget: number) => `${sec(v - budget)} s over`;
  const budgets = [
    {
      budget: "LL-HLS median ≤ 1.0 s",
      value: `${sec(llhls.latency.median)} s`,
      ok: llhls.latency.median <= 1000,
      miss: over(llhls.latency.median, 1000),
    },
    {
      budget: "WebSocket median ≤ 0.4 s",
      value: `${sec(ws.latency.median)} s`,
      ok: ws.latency.median <= 400,
      miss: over(ws.latency.median, 400),
    },
    ...[llhls, ws].map((r) => ({
      budget: `${r.label} stalls ≤ baseline (defaults ${String(base.stalls)}, edge ${String(edge.stalls)})`,
      value: String(r.stalls),
      ok: r.stalls <= base.stalls,
      miss: `${String(r.stalls - base.stalls)} more`,
    })),
  ];
  printTable(
    "Budgets (design.md)",
    ["budget", "measured", "verdict"],
    budgets.map((b) => [b.budget, b.value, verdict(b.ok, b.miss)]),
  );
  if (restarts > 0)
    process.stdout.write(`note: Pantau renditions restarted ${String(restarts)} time(s) during the run\n`);
  for (const r of results)
    if (r.errors.length > 0) process.stdout.write(`${r.label}: page errors: ${r.errors.join("; ")}\n`);

  const file = writeResults("latency", {
    environment: { ...environment(), chromium: browser.version() },
    settings: { seconds, warmupSeconds, camera: "GStreamer test camera 640x360 25 fps, 1 s GOP, main" },
    budgets: budgets.map(({ budget, value, ok }) => ({ budget, value, ok })),
    pantauRestarts: restarts,
    variants: results,
  });
  process.stdout.write(`results: ${file}\n`);
}

/**
 * WebKit beside Chromium on one gateway and camera. Every WebKit variant goes through the same proxy hop
 * (test/helpers/injecting-proxy.ts), the iPhone shape's with a script that removes MediaSource before the
 * page's own run, so the hop is no difference between them.
 */
async function mainWebKit(): Promise<void> {
  const camera = await startCamera();
  const browser = await startChromium();
  const wk = await startWebKit();
  const gw = await startGatewayProcess();
  const { id } = await gw.addCamera({
    name: "Bench latency",
    source: { kind: "rtsp", url: camera.url("main") },
    alwaysOn: true,
  });
  await gw.waitLive([id]);
  const asIs = await startInjectingProxy(gw.url, "// the page as it is\n");
  onCleanup("proxy", () => asIs.close());
  const iphone = await startInjectingProxy(gw.url, "delete window.MediaSource;\n");
  onCleanup("proxy (iPhone shape)", () => iphone.close());
  const player = (origin: string, mode: string) =>
    `${origin}/dev/player?camera=${id}&mode=${mode}&rendition=main&measure=1`;
  const webkit = () => Promise.resolve(webkitPage(wk));
  const results: VariantResult[] = [];
  results.push(
    await measure(
      () => chromiumPage(browser),
      "chromium-ws",
      "Chromium WebSocket MSE",
      player(gw.url, "ws"),
      timing,
    ),
  );
  results.push(await measure(webkit, "webkit-ws", "WebKit WebSocket MSE", player(asIs.url, "ws"), timing));
  results.push(
    await measure(
      webkit,
      "webkit-mms",
      "WebKit WebSocket ManagedMediaSource (no MediaSource)",
      player(iphone.url, "ws"),
      timing,
    ),
  );
  results.push(
    await measure(webkit, "webkit-llhls", "WebKit LL-HLS (hls.js)", player(asIs.url, "hls"), timing),
  );
  const iphoneRequests = iphone.seen.filter((r) => r.path.includes(".m3u8")).length;
  const restarts = (await gw.health()).reduce((s, r) => s + r.restarts, 0);
  latencyTable(results, timing);
  const by = (key: string) => results.find((r) => r.key === key)!;
  const budgets = ["webkit-ws", "webkit-mms"].map((key) => {
    const r = by(key);
    return {
      budget: `${r.label} median ≤ 0.4 s`,
      value: `${sec(r.latency.median)} s`,
      ok: r.latency.median <= 400,
      miss: `${sec(r.latency.median - 400)} s over`,
    };
  });
  budgets.push({
    budget: "iPhone shape requests no playlist (WebSocket, not LL-HLS)",
    value: String(iphoneRequests),
    ok: iphoneRequests === 0,
    miss: `${String(iphoneRequests)} playlist requests`,
  });
  printTable(
    "Budgets (design.md)",
    ["budget", "measured", "verdict"],
    budgets.map((b) => [b.budget, b.value, verdict(b.ok, b.miss)]),
  );
  if (restarts > 0)
    process.stdout.write(`note: Pantau renditions restarted ${String(restarts)} time(s) during the run\n`);
  for (const r of results)
    if (r.errors.length > 0) process.stdout.write(`${r.label}: page errors: ${r.errors.join("; ")}\n`);
  const file = writeResults("latency-webkit", {
    environment: { ...environment(), chromium: browser.version(), webkit: wk.version },
    settings: { seconds, warmupSeconds, camera: "GStreamer test camera 640x360 25 fps, 1 s GOP, main" },
    budgets: budgets.map(({ budget, value, ok }) => ({ budget, value, ok })),
    pantauRestarts: restarts,
    variants: results,
  });
  process.stdout.write(`results: ${file}\n`);
}

/** `--browser webkit` picks the WebKit run; Chromium against the baseline otherwise. */
function browserArg(argv: readonly string[]): "chromium" | "webkit" {
  const i = argv.indexOf("--browser");
  const v = i >= 0 ? argv[i + 1] : "chromium";
  if (v !== "chromium" && v !== "webkit") throw new Error(`--browser: chromium or webkit, not ${String(v)}`);
  return v;
}

runBench(browserArg(process.argv.slice(2)) === "webkit" ? mainWebKit : main);
