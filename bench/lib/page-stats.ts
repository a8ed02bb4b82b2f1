/** A page the stats are read from: a playwright Page, or a WebDriver session wrapped (bench/latency.ts). */
export interface StatsPage {
  evaluate<R>(expression: string): Promise<R>;
}

/** What the measuring code (viewer/src/measure.ts) recorded, plus the page's own timing and frame counts. */
export interface BenchStats {
  /** performance.timeOrigin: navigation start, epoch ms. */
  timeOrigin: number;
  /** When the player script started measuring, epoch ms. */
  startedAt: number | undefined;
  firstFrameAt: number | undefined;
  frames: number;
  latencyCount: number;
  waiting: number;
  errors: string[];
  droppedFrames: number;
  totalFrames: number;
  playbackRate: number;
}

/** Reads `window.__pantau` without copying the latency array (latenciesFrom copies it from an index). */
const script = `(() => {
  const m = window.__pantau;
  const v = document.querySelector("video");
  const q = v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : undefined;
  return {
    timeOrigin: performance.timeOrigin,
    startedAt: m ? m.startedAt : undefined,
    firstFrameAt: m ? m.firstFrameAt : undefined,
    frames: m ? m.frames : 0,
    latencyCount: m ? m.latenciesMs.length : 0,
    waiting: m ? m.waiting : 0,
    errors: m ? m.errors.slice(-20) : [],
    droppedFrames: q ? q.droppedVideoFrames : 0,
    totalFrames: q ? q.totalVideoFrames : 0,
    playbackRate: v ? v.playbackRate : 1,
  };
})()`;

export const readStats = (page: StatsPage): Promise<BenchStats> => page.evaluate<BenchStats>(script);

export const latenciesFrom = (page: StatsPage, from: number): Promise<number[]> =>
  page.evaluate<number[]>(`window.__pantau.latenciesMs.slice(${String(from)})`);

/**
 * Waits for the first presented frame. Polls with evaluate() rather than waitForFunction(), whose string
 * predicates run through eval and are refused by the player's CSP (script-src 'self'); the time of the
 * frame itself is recorded inside the page, so the polling interval does not change the figures.
 */
export async function waitFirstFrame(page: StatsPage, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ready = await page.evaluate<boolean>(
      "window.__pantau !== undefined && window.__pantau.firstFrameAt !== undefined",
    );
    if (ready) return;
    if (Date.now() > end) {
      const s = await readStats(page);
      throw new Error(`no frame after ${String(timeoutMs)} ms (errors: ${s.errors.join(", ") || "none"})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
