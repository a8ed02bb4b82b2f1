// One glass-to-glass latency measurement in a real browser (bench:latency, bench:relay): the player page with
// `measure=1` reads the clock the test camera draws into every frame back from each presented frame
// (viewer/src/measure.ts), and these helpers open the page, wait out a warm-up and summarize a window.
import type { Browser } from "playwright-core";
import type { WebKit } from "../../test/helpers/webkit.js";
import { sleep } from "./env.js";
import { latenciesFrom, readStats, waitFirstFrame, type StatsPage } from "./page-stats.js";
import { loadCell, startLoadMeter, type Load } from "./proc.js";
import { sec, summarize, type Summary } from "./stats.js";
import { printTable } from "./table.js";
import { webkitStatsPage } from "./webkit.js";

/** A decoded stamp outside this range is a misread band (e.g. a frame torn by the scaler), not a latency. */
const plausibleMs = { min: -100, max: 30_000 };

export interface VariantResult {
  key: string;
  label: string;
  latency: Summary;
  misreads: number;
  /** `waiting` events during the measured window, and since the first frame (warm-up included). */
  stalls: number;
  stallsSinceFirstFrame: number;
  firstFrameMs: number | undefined;
  /** Baseline only: hls.js's own estimate (playhead to playlist edge), which does not see glass-to-glass. */
  hlsJsLatencyMs: number | undefined;
  presentedFps: number;
  /** How busy the machine was during the window, and how much of that was other work. */
  load: Load;
  droppedFrames: number;
  errors: string[];
  latenciesMs: number[];
}

/** One variant's page: a fresh Chromium context, or the one WebKit session (its driver runs one at a time). */
export interface BenchPage extends StatsPage {
  goto(url: string): Promise<void>;
  readonly pageErrors: string[];
  close(): Promise<void>;
}

export interface MeasureTiming {
  warmupSeconds: number;
  seconds: number;
  /** Called as the measured window opens; what it returns is called as the window closes. */
  onWindow?: () => () => void;
}

export async function chromiumPage(browser: Browser): Promise<BenchPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  return {
    pageErrors,
    goto: async (url) => {
      await page.goto(url);
    },
    evaluate: <R>(expression: string) => page.evaluate<R>(expression),
    close: () => context.close(),
  };
}

export function webkitPage(wk: WebKit): BenchPage {
  return {
    ...webkitStatsPage(wk),
    // WebDriver reports no page errors; the player's own ones land in window.__pantau.errors.
    pageErrors: [],
    goto: (url) => wk.navigate(url),
    // Leaving the page closes its socket or stops hls.js before the next variant.
    close: () => wk.navigate("about:blank"),
  };
}

/** One page to measure: how to open it, and the player URL it loads. */
export interface Variant {
  open: () => Promise<BenchPage>;
  key: string;
  label: string;
  url: string;
}

/** Opens `url` in a fresh page, warms up, and measures one window of read-back clock stamps. */
export async function measure(
  open: () => Promise<BenchPage>,
  key: string,
  label: string,
  url: string,
  timing: MeasureTiming,
): Promise<VariantResult> {
  const [r] = await measureTogether([{ open, key, label, url }], timing);
  return r!;
}

/**
 * Several pages playing at once through the same warm-up and the same window (side by side: the same
 * frames, the same load on the machine), each page's figures apart.
 */
export async function measureTogether(
  variants: readonly Variant[],
  timing: MeasureTiming,
): Promise<VariantResult[]> {
  const { seconds, warmupSeconds } = timing;
  const pages: BenchPage[] = [];
  try {
    for (const v of variants) {
      process.stderr.write(
        `${v.label}: warming up ${String(warmupSeconds)} s, measuring ${String(seconds)} s\n`,
      );
      const page = await v.open();
      pages.push(page);
      await page.goto(v.url);
    }
    await Promise.all(pages.map((p) => waitFirstFrame(p, 30_000)));
    await sleep(warmupSeconds * 1000);
    const before = await Promise.all(pages.map((p) => readStats(p)));
    const meter = startLoadMeter();
    const closeWindow = timing.onWindow?.();
    await sleep(seconds * 1000);
    closeWindow?.();
    const load = meter.stop();
    return await Promise.all(
      variants.map(async (v, i) => {
        const page = pages[i]!;
        const a = before[i]!;
        const b = await readStats(page);
        const all = await latenciesFrom(page, a.latencyCount);
        const hlsJsLatency = await page.evaluate<number | null>("window.__hls ? window.__hls.latency : null");
        const ok = all.filter((x) => x >= plausibleMs.min && x <= plausibleMs.max);
        if (ok.length === 0)
          throw new Error(`${v.label}: no clock stamp could be read (errors: ${b.errors.join(", ")})`);
        return {
          key: v.key,
          label: v.label,
          latency: summarize(ok),
          misreads: all.length - ok.length,
          stalls: b.waiting - a.waiting,
          stallsSinceFirstFrame: b.waiting,
          firstFrameMs:
            b.firstFrameAt !== undefined && b.startedAt !== undefined
              ? b.firstFrameAt - b.startedAt
              : undefined,
          hlsJsLatencyMs: hlsJsLatency === null ? undefined : hlsJsLatency * 1000,
          presentedFps: (b.frames - a.frames) / seconds,
          load,
          droppedFrames: b.droppedFrames - a.droppedFrames,
          errors: [...page.pageErrors, ...b.errors],
          latenciesMs: all,
        };
      }),
    );
  } finally {
    for (const p of pages) await p.close();
  }
}

/** Every variant's figures, one row each. */
export function latencyTable(
  results: readonly VariantResult[],
  timing: Pick<MeasureTiming, "seconds" | "warmupSeconds">,
): void {
  printTable(
    `Glass-to-glass latency, ${String(timing.seconds)} s per variant after ${String(timing.warmupSeconds)} s warm-up (seconds)`,
    [
      "variant",
      "median",
      "p10",
      "p90",
      "max",
      "samples",
      "misreads",
      "fps",
      "dropped",
      "stalls",
      "stalls+warm-up",
      "hls.js est.",
      "load: others / host",
    ],
    results.map((r) => [
      r.label,
      sec(r.latency.median),
      sec(r.latency.p10),
      sec(r.latency.p90),
      sec(r.latency.max),
      String(r.latency.n),
      String(r.misreads),
      r.presentedFps.toFixed(1),
      String(r.droppedFrames),
      String(r.stalls),
      String(r.stallsSinceFirstFrame),
      r.hlsJsLatencyMs === undefined ? "–" : sec(r.hlsJsLatencyMs),
      loadCell(r.load),
    ]),
  );
}
