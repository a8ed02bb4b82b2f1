// bench:dashboard — the Diskominfo dashboard (/admin#/dashboard) with a regency's fleet seeded (500 schools ×
// 20 cameras, test/helpers/fleet-seed.ts), in headless Chromium against the gateway as its own process
// (probes off: the seeded cameras are at addresses nobody answers). Measured BENCH_RUNS (default 7) times,
// each in a fresh browser context:
// - first paint: navigation start (performance.timeOrigin) to the tiles and counts painted (the page's own
//   `pantau-dashboard-ready` mark, set a frame and a task after the render with the fleet);
// - a filter change, from the input event (its timeStamp) to the filtered tiles painted (the page's
//   `pantau-dashboard-filter` measure): a click on the "offline" count, then a school name typed in the search;
// - the API answers the page reads, fetched from Node: GET /api/fleet, and GET /api/health as the raw baseline.
// The same page and fetches at BENCH_BASELINE_SCHOOLS (50) × 20 cameras run in the same process as the
// baseline. Budget (issue 12): usable in under 2 s on this machine, first paint and filter change alike.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { ApiClient } from "../test/helpers/api-client.js";
import { seedFleet } from "../test/helpers/fleet-seed.js";
import { startChromium } from "./lib/chromium.js";
import { onCleanup, runBench } from "./lib/cleanup.js";
import { envNumber, sleep } from "./lib/env.js";
import { benchAdmin, startGatewayProcess } from "./lib/gateway-process.js";
import { loadCell, meanLoad, startLoadMeter, type Load } from "./lib/proc.js";
import { environment, writeResults } from "./lib/results.js";
import { summarize, type Summary } from "./lib/stats.js";
import { printTable, verdict } from "./lib/table.js";

const runs = envNumber("BENCH_RUNS", 7, 5);
const schools = envNumber("BENCH_SCHOOLS", 500, 1);
const baselineSchools = envNumber("BENCH_BASELINE_SCHOOLS", 50, 1);
const camerasPerSchool = envNumber("BENCH_CAMERAS_PER_SCHOOL", 20, 1);
const budgetMs = 2000;

interface Fleet {
  label: string;
  schools: number;
  cameras: number;
}

interface Measured {
  fleet: Fleet;
  seedMs: number;
  firstPaintMs: Summary;
  /** page.goto() in the harness to the tiles visible (Playwright's own overhead included). */
  harnessMs: Summary;
  stateFilterMs: Summary;
  searchMs: Summary;
  fleetApi: { ms: Summary; bytes: number };
  healthApi: { ms: Summary; bytes: number };
  tiles: number;
  load: Load;
}

/** Polls the page (its CSP forbids eval, so no waitForFunction) until `expr` is not null. */
async function until<T>(page: Page, expr: string, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await page.evaluate<T | null>(expr);
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const lastMeasure = (n: number) =>
  `(() => { const m = performance.getEntriesByName("pantau-dashboard-filter"); return m.length > ${String(n)} ? m[m.length - 1].duration : null; })()`;

async function timeFetch(api: ApiClient, path: string): Promise<{ ms: Summary; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await api.request("GET", path);
    times.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`${path}: ${String(r.status)}`);
    bytes = Buffer.byteLength(r.text);
  }
  return { ms: summarize(times), bytes };
}

async function measure(browser: Browser, fleet: Fleet): Promise<Measured> {
  const dataDir = mkdtempSync(join(tmpdir(), "pantau-bench-dashboard-"));
  onCleanup(`data ${dataDir}`, () => {
    rmSync(dataDir, { recursive: true, force: true });
    return Promise.resolve();
  });
  const t0 = performance.now();
  const seed = seedFleet(dataDir, { schools: fleet.schools, camerasPerSchool: camerasPerSchool });
  const seedMs = performance.now() - t0;
  const gw = await startGatewayProcess({ PANTAU_DATA_DIR: dataDir, PANTAU_HEALTH_PROBE_SECONDS: "0" });
  try {
    const api = await new ApiClient(gw.url).login(benchAdmin.user, benchAdmin.password);
    const meter = startLoadMeter();
    const fleetApi = await timeFetch(api, "/api/fleet");
    const healthApi = await timeFetch(api, "/api/health");
    const firstPaint: number[] = [];
    const harness: number[] = [];
    const stateFilter: number[] = [];
    const search: number[] = [];
    let tiles = 0;
    const searched = seed.schools[Math.floor(seed.schools.length / 2)]?.name ?? "";
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        const signIn = await context.newPage();
        await signIn.goto(`${gw.url}/admin`);
        await signIn.locator('input[name="username"]').fill(benchAdmin.user);
        await signIn.locator('input[name="password"]').fill(benchAdmin.password);
        await signIn.locator('button[type="submit"]').click();
        await signIn.locator("nav.menu").waitFor();
        await signIn.close();
        // A fresh page load of the dashboard, signed in: what an operator opening the bookmark waits for.
        const page = await context.newPage();
        const h0 = performance.now();
        await page.goto(`${gw.url}/admin#/dashboard`);
        await page.locator(".fleet-tiles .fleet-tile").first().waitFor();
        await page.locator(".fleet-counts .count").first().waitFor();
        harness.push(performance.now() - h0);
        firstPaint.push(
          await until<number>(
            page,
            `(() => { const m = performance.getEntriesByName("pantau-dashboard-ready")[0]; return m ? m.startTime : null; })()`,
            "the ready mark",
          ),
        );
        tiles = await page.locator(".fleet-tile").count();
        await page.locator('.count[data-state="offline"]').click();
        await page.locator('.fleet-tiles[data-filter="offline|||0"]').waitFor();
        stateFilter.push(await until<number>(page, lastMeasure(0), "the state filter"));
        await page.locator('input[name="q"]').fill(searched);
        await page
          .locator(`.fleet-tiles[data-filter="offline||${searched}|0"]`)
          .waitFor({ state: "attached" });
        search.push(await until<number>(page, lastMeasure(1), "the school search"));
      } finally {
        await context.close();
      }
    }
    return {
      fleet,
      seedMs,
      firstPaintMs: summarize(firstPaint),
      harnessMs: summarize(harness),
      stateFilterMs: summarize(stateFilter),
      searchMs: summarize(search),
      fleetApi,
      healthApi,
      tiles,
      load: meanLoad([meter.stop()]),
    };
  } finally {
    await gw.stop();
  }
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : "–");
const medMax = (s: Summary) => `${ms(s.median)} / ${ms(s.max)}`;
const mb = (b: number) => (b / 1e6).toFixed(2);

async function main(): Promise<void> {
  const cpu = cpus();
  process.stdout.write(
    `Machine: ${cpu[0]?.model ?? "?"}, ${String(cpu.length)} cores; Node ${process.version}; ` +
      `${String(runs)} runs per fleet\n`,
  );
  const browser = await startChromium();
  const fleets: Fleet[] = [
    { label: "baseline", schools: baselineSchools, cameras: baselineSchools * camerasPerSchool },
    { label: "regency", schools, cameras: schools * camerasPerSchool },
  ];
  const rows: Measured[] = [];
  for (const f of fleets) rows.push(await measure(browser, f));

  printTable(
    "Dashboard in headless Chromium, 1280×800, fresh context per run (ms, median / max)",
    [
      "fleet",
      "schools × cameras",
      "first paint",
      "goto→tiles (harness)",
      "state filter",
      "school search",
      "tiles drawn",
      "load: others / host",
    ],
    rows.map((r) => [
      r.fleet.label,
      `${String(r.fleet.schools)} × ${String(camerasPerSchool)}`,
      medMax(r.firstPaintMs),
      medMax(r.harnessMs),
      medMax(r.stateFilterMs),
      medMax(r.searchMs),
      String(r.tiles),
      loadCell(r.load),
    ]),
  );
  printTable(
    "The API answers behind it, fetched from Node (ms median / max, MB)",
    ["fleet", "cameras", "GET /api/fleet", "MB", "GET /api/health (baseline)", "MB", "seed ms"],
    rows.map((r) => [
      r.fleet.label,
      String(r.fleet.cameras),
      medMax(r.fleetApi.ms),
      mb(r.fleetApi.bytes),
      medMax(r.healthApi.ms),
      mb(r.healthApi.bytes),
      ms(r.seedMs),
    ]),
  );
  const big = rows.find((r) => r.fleet.label === "regency");
  if (big) {
    const lines = [
      { what: "first paint", s: big.firstPaintMs },
      { what: "state filter", s: big.stateFilterMs },
      { what: "school search", s: big.searchMs },
    ];
    printTable(
      "Budgets (issue 12)",
      ["budget", "measured (max)", "verdict"],
      lines.map((l) => [
        `${String(big.fleet.cameras)} cameras: ${l.what} < ${String(budgetMs)} ms`,
        ms(l.s.max),
        verdict(l.s.max < budgetMs, `${ms(l.s.max - budgetMs)} ms over`),
      ]),
    );
  }
  const file = writeResults("dashboard", {
    environment: environment(),
    settings: { runs, schools, baselineSchools, camerasPerSchool, budgetMs },
    rows,
  });
  process.stdout.write(`results: ${file}\n`);
}

runBench(main);
