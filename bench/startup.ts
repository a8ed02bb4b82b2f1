// bench:startup — time to first frame in headless Chromium (design.md, "Performance budgets"), BENCH_RUNS
// (default 8) times per variant: Pantau with the rendition live (alwaysOn: GOP cache) and cold (a camera
// added just before the run, so its rendition is idle and the viewer starts it), over WebSocket and LL-HLS,
// and the baseline (ffmpeg's HLS folder already populated, hls.js defaults). The headline is navigation
// start (performance.timeOrigin) to the first presented frame: what a parent waits after tapping. Script
// start to first frame (window.__pantau.startedAt) is reported beside it.
import type { Browser } from "playwright-core";
import { startBaseline } from "./lib/baseline.js";
import { holdCamera, startCamera } from "./lib/camera.js";
import { startChromium } from "./lib/chromium.js";
import { runBench } from "./lib/cleanup.js";
import { envNumber, sleep } from "./lib/env.js";
import { startGatewayProcess } from "./lib/gateway-process.js";
import { loadCell, meanLoad, startLoadMeter, type Load } from "./lib/proc.js";
import { readStats, waitFirstFrame } from "./lib/page-stats.js";
import { environment, writeResults } from "./lib/results.js";
import { sec, summarize, type Summary } from "./lib/stats.js";
import { printTable, verdict } from "./lib/table.js";

const runs = envNumber("BENCH_RUNS", 8, 1);

interface Run {
  /** performance.timeOrigin (navigation start) → first presented frame. */
  navToFrameMs: number;
  /** The player script's start (window.__pantau.startedAt) → first presented frame. */
  scriptToFrameMs: number;
  /** page.goto() called in the harness → first presented frame (includes Playwright's own overhead). */
  harnessToFrameMs: number;
  /** How busy the machine was during the run, and how much of that was other work. */
  load: Load;
}

interface Variant {
  key: string;
  label: string;
  budgetMs: number | undefined;
  /** Prepares one run and returns the page to open. */
  prepare: () => Promise<string>;
  /** Undoes what prepare() did. */
  after: () => Promise<void>;
  runs: Run[];
}

async function firstFrame(browser: Browser, url: string): Promise<Run> {
  const meter = startLoadMeter();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(url, { waitUntil: "commit" });
    await waitFirstFrame(page, 20_000);
    const s = await readStats(page);
    if (s.firstFrameAt === undefined || s.startedAt === undefined) throw new Error("no first frame");
    return {
      navToFrameMs: s.firstFrameAt - s.timeOrigin,
      scriptToFrameMs: s.firstFrameAt - s.startedAt,
      harnessToFrameMs: s.firstFrameAt - t0,
      load: meter.stop(),
    };
  } finally {
    await context.close();
  }
}

async function runVariant(browser: Browser, v: Variant, i: number): Promise<void> {
  const url = await v.prepare();
  try {
    v.runs.push(await firstFrame(browser, url));
  } finally {
    await v.after();
  }
  process.stderr.write(`${v.label} #${String(i + 1)}: ${sec(v.runs.at(-1)!.navToFrameMs, 3)} s\n`);
}

async function main(): Promise<void> {
  // Two cameras: the live rendition pulls one; cold runs join the other, which a permanent client keeps
  // running (a real camera's encoder never stops, so a new client joins mid-GOP), and their joins cannot
  // disturb the live rendition's RTSP session.
  const liveCamera = await startCamera();
  const coldCamera = await startCamera();
  holdCamera(coldCamera.url("main"));
  const browser = await startChromium();

  const gw = await startGatewayProcess();
  const live = await gw.addCamera({
    name: "Bench live",
    source: { kind: "rtsp", url: liveCamera.url("main") },
    alwaysOn: true,
  });
  await gw.waitLive([live.id]);
  const player = (id: string, mode: string) =>
    `${gw.url}/dev/player?camera=${id}&mode=${mode}&rendition=main&measure=1`;
  const liveVariant = (mode: string, label: string): Variant => ({
    key: `live-${mode}`,
    label,
    budgetMs: 500,
    prepare: async () => {
      await sleep(500);
      return player(live.id, mode);
    },
    after: () => Promise.resolve(),
    runs: [],
  });
  // A fresh camera per cold run (deleted afterwards, which stops its ffmpeg): its rendition has never run.
  let coldId: string | undefined;
  const coldVariant = (mode: string, label: string): Variant => ({
    key: `cold-${mode}`,
    label,
    budgetMs: 2000,
    prepare: async () => {
      await sleep(500);
      coldId = (
        await gw.addCamera({ name: "Bench cold", source: { kind: "rtsp", url: coldCamera.url("main") } })
      ).id;
      return player(coldId, mode);
    },
    after: async () => {
      if (coldId !== undefined) await gw.deleteCamera(coldId);
      coldId = undefined;
    },
    runs: [],
  });
  const pantau = [
    liveVariant("ws", "Pantau live, WebSocket"),
    liveVariant("hls", "Pantau live, LL-HLS"),
    coldVariant("ws", "Pantau cold, WebSocket"),
    coldVariant("hls", "Pantau cold, LL-HLS"),
  ];
  // Round-robin, so a burst of load from elsewhere on the machine hits every variant alike.
  for (let i = 0; i < runs; i++) for (const v of pantau) await runVariant(browser, v, i);
  const restarts = (await gw.health()).find((h) => h.cameraId === live.id)?.restarts ?? 0;
  await gw.stop();

  const baseline = await startBaseline(liveCamera.url("main"));
  await baseline.ffmpeg.waitSegments(6, 30_000, true);
  const base: Variant = {
    key: "baseline",
    label: "Baseline ffmpeg HLS, hls.js defaults",
    budgetMs: undefined,
    prepare: async () => {
      await sleep(500);
      return baseline.pageUrl(false);
    },
    after: () => Promise.resolve(),
    runs: [],
  };
  for (let i = 0; i < runs; i++) await runVariant(browser, base, i);
  await baseline.stop();

  const variants = [...pantau, base];
  const summaries = variants.map((v) => ({
    v,
    nav: summarize(v.runs.map((r) => r.navToFrameMs)),
    script: summarize(v.runs.map((r) => r.scriptToFrameMs)),
  }));
  printTable(
    `Time to first frame, ${String(runs)} runs per variant (seconds; nav = navigation start → first presented frame)`,
    [
      "variant",
      "nav median",
      "nav p90",
      "nav min",
      "nav max",
      "script median",
      "script p90",
      "load: others / host",
    ],
    summaries.map(({ v, nav, script }) => [
      v.label,
      sec(nav.median, 3),
      sec(nav.p90, 3),
      sec(nav.min, 3),
      sec(nav.max, 3),
      sec(script.median, 3),
      sec(script.p90, 3),
      loadCell(meanLoad(v.runs.map((r) => r.load))),
    ]),
  );
  // Judged on both bases: navigation start is what a parent waits; script start leaves out loading the
  // page itself (which the baseline page pays too), so it isolates the streaming path.
  const budgets = summaries
    .filter(({ v }) => v.budgetMs !== undefined)
    .flatMap(({ v, nav, script }) =>
      (
        [
          ["nav", nav],
          ["script", script],
        ] as const
      ).map(([basis, m]) => {
        const b = v.budgetMs!;
        return {
          budget: `${v.label} ≤ ${sec(b, 1)} s (median, ${basis})`,
          value: `${sec(m.median, 3)} s (p90 ${sec(m.p90, 3)} s)`,
          ok: m.median <= b,
          miss: `${sec(m.median - b, 3)} s over`,
        };
      }),
    );
  printTable(
    "Budgets (design.md)",
    ["budget", "measured", "verdict"],
    budgets.map((b) => [b.budget, b.value, verdict(b.ok, b.miss)]),
  );
  if (restarts > 0)
    process.stdout.write(`note: the live rendition restarted ${String(restarts)} time(s) during the runs\n`);

  const file = writeResults("startup", {
    environment: { ...environment(), chromium: browser.version() },
    settings: { runs, camera: "GStreamer test camera 640x360 25 fps, 1 s GOP, main" },
    budgets: budgets.map(({ budget, value, ok }) => ({ budget, value, ok })),
    liveRenditionRestarts: restarts,
    variants: summaries.map(({ v, nav, script }) => ({
      key: v.key,
      label: v.label,
      navToFrame: nav,
      scriptToFrame: script,
      runs: v.runs,
    })) satisfies { key: string; label: string; navToFrame: Summary; scriptToFrame: Summary; runs: Run[] }[],
  });
  process.stdout.write(`results: ${file}\n`);
}

runBench(main);
