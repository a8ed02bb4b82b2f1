import type { FromWorker, ToWorker, ViewerMode, WindowStats } from "./fanout-protocol.js";
import { WorkerPool } from "./worker-pool.js";

/** Merged window statistics of all load-generator processes, with the delay histogram as one map. */
export interface FanoutStats extends Omit<WindowStats, "histogram"> {
  histogram: Map<number, number>;
  /** Distinct parts (or segments) received by anyone in the window. */
  distinctItems: number;
}

/** The p-th percentile (0–100) of a 1 ms histogram, in ms (the bin's upper edge); NaN when empty. */
export function histogramPercentile(h: Map<number, number>, p: number): number {
  const bins = [...h].sort((a, b) => a[0] - b[0]);
  const total = bins.reduce((s, [, c]) => s + c, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const [bin, c] of bins) {
    seen += c;
    if (seen >= Math.max(1, rank)) return bin + 1;
  }
  return (bins.at(-1)?.[0] ?? 0) + 1;
}

/**
 * Simulated viewers spread over a few forked processes (bench/lib/fanout-worker.ts), so the load generator
 * uses both cores without a timer and a JSON parse per viewer in one event loop.
 */
export class FanoutClients {
  private readonly pool: WorkerPool<ToWorker, FromWorker>;
  private count = 0;

  constructor(processes: number) {
    this.pool = new WorkerPool("bench/lib/fanout-worker.ts", processes, "fanout clients", { type: "stop" });
  }

  get pids(): number[] {
    return this.pool.pids;
  }

  get viewers(): number {
    return this.count;
  }

  configure(mode: ViewerMode, url: string, base: string, pollMs: number): void {
    const u = new URL(url);
    this.pool.broadcast({ type: "config", mode, host: u.hostname, port: Number(u.port), base, pollMs });
  }

  setBase(base: string): void {
    this.pool.broadcast({ type: "base", base });
  }

  /** Adds viewers round-robin over the processes; resolves with how many got their first playlist. */
  async add(n: number, rampMs: number): Promise<{ ok: number; failed: number }> {
    const procs = this.pool.procs.length;
    const shareOf = (total: number, i: number) => Math.floor(total / procs + (i < total % procs ? 1 : 0));
    const before = this.count;
    this.count += n;
    const replies = await this.pool.askAll(
      (i) => ({ type: "add", count: shareOf(this.count, i) - shareOf(before, i), rampMs }),
      "added",
    );
    return replies.reduce((s, r) => ({ ok: s.ok + r.ok, failed: s.failed + r.failed }), { ok: 0, failed: 0 });
  }

  open(): void {
    this.pool.broadcast({ type: "open" });
  }

  /** Closes the window: merges the earliest advertisement of each part, then gathers the statistics. */
  async close(): Promise<FanoutStats> {
    const adverts = new Map<number, number>();
    for (const r of await this.pool.askAll(() => ({ type: "close" }), "adverts")) {
      for (const [seq, at] of r.adverts) {
        const prev = adverts.get(seq);
        if (prev === undefined || at < prev) adverts.set(seq, at);
      }
    }
    const list = [...adverts];
    const all = await this.pool.askAll(() => ({ type: "delays", adverts: list }), "stats");
    const merged: FanoutStats = {
      viewers: 0,
      held: 0,
      missed: 0,
      viewersMissing: 0,
      errors: 0,
      errorKinds: {},
      received: 0,
      bytes: 0,
      histogram: new Map(),
      unmatched: 0,
      playlistRequests: 0,
      distinctItems: adverts.size,
    };
    for (const r of all) {
      const s = r.stats;
      merged.viewers += s.viewers;
      merged.held += s.held;
      merged.missed += s.missed;
      merged.viewersMissing += s.viewersMissing;
      merged.errors += s.errors;
      merged.received += s.received;
      merged.bytes += s.bytes;
      merged.unmatched += s.unmatched;
      merged.playlistRequests += s.playlistRequests;
      for (const [k, v] of Object.entries(s.errorKinds))
        merged.errorKinds[k] = (merged.errorKinds[k] ?? 0) + v;
      for (const [bin, c] of s.histogram) merged.histogram.set(bin, (merged.histogram.get(bin) ?? 0) + c);
    }
    return merged;
  }

  stop(): Promise<void> {
    return this.pool.stop();
  }
}
