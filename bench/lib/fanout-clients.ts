import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { onCleanup, stopChild, track } from "./cleanup.js";
import type { FromWorker, ToWorker, ViewerMode, WindowStats } from "./fanout-protocol.js";
import { repoRoot } from "./gateway-process.js";

const workerFile = join(repoRoot, "bench/lib/fanout-worker.ts");

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
  private readonly procs: ChildProcess[] = [];
  private readonly waiting = new Map<ChildProcess, (m: FromWorker) => void>();
  private count = 0;
  private readonly unregister: () => void;

  constructor(processes: number) {
    for (let i = 0; i < processes; i++) {
      const child = track(
        fork(workerFile, [], {
          cwd: repoRoot,
          execArgv: ["--import", "tsx"],
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        }),
      );
      child.on("message", (m: FromWorker) => {
        const w = this.waiting.get(child);
        this.waiting.delete(child);
        w?.(m);
      });
      this.procs.push(child);
    }
    this.unregister = onCleanup("fanout clients", () => this.stopAll());
  }

  get pids(): number[] {
    return this.procs.map((p) => p.pid!);
  }

  get viewers(): number {
    return this.count;
  }

  configure(mode: ViewerMode, url: string, base: string, pollMs: number): void {
    const u = new URL(url);
    this.broadcast({ type: "config", mode, host: u.hostname, port: Number(u.port), base, pollMs });
  }

  setBase(base: string): void {
    this.broadcast({ type: "base", base });
  }

  /** Adds viewers round-robin over the processes; resolves with how many got their first playlist. */
  async add(n: number, rampMs: number): Promise<{ ok: number; failed: number }> {
    const share = this.procs.map((_p, i) =>
      Math.floor((this.count + n) / this.procs.length + (i < (this.count + n) % this.procs.length ? 1 : 0)),
    );
    const current = this.procs.map((_p, i) =>
      Math.floor(this.count / this.procs.length + (i < this.count % this.procs.length ? 1 : 0)),
    );
    this.count += n;
    const replies = await Promise.all(
      this.procs.map((p, i) => this.ask(p, { type: "add", count: share[i]! - current[i]!, rampMs }, "added")),
    );
    return replies.reduce(
      (s, r) => (r.type === "added" ? { ok: s.ok + r.ok, failed: s.failed + r.failed } : s),
      { ok: 0, failed: 0 },
    );
  }

  open(): void {
    this.broadcast({ type: "open" });
  }

  /** Closes the window: merges the earliest advertisement of each part, then gathers the statistics. */
  async close(): Promise<FanoutStats> {
    const adverts = new Map<number, number>();
    for (const r of await Promise.all(this.procs.map((p) => this.ask(p, { type: "close" }, "adverts")))) {
      if (r.type !== "adverts") continue;
      for (const [seq, at] of r.adverts) {
        const prev = adverts.get(seq);
        if (prev === undefined || at < prev) adverts.set(seq, at);
      }
    }
    const list = [...adverts];
    const all = await Promise.all(
      this.procs.map((p) => this.ask(p, { type: "delays", adverts: list }, "stats")),
    );
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
      if (r.type !== "stats") continue;
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

  async stop(): Promise<void> {
    this.unregister();
    await this.stopAll();
  }

  private async stopAll(): Promise<void> {
    this.broadcast({ type: "stop" });
    await Promise.all(this.procs.map((p) => stopChild(p, "SIGTERM", 3000)));
  }

  private broadcast(m: ToWorker): void {
    for (const p of this.procs) if (p.connected) p.send(m);
  }

  private ask(p: ChildProcess, m: ToWorker, expect: FromWorker["type"]): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`load generator ${String(p.pid)} exited`));
      p.once("exit", onExit);
      this.waiting.set(p, (reply) => {
        p.off("exit", onExit);
        if (reply.type !== expect) reject(new Error(`expected ${expect}, got ${reply.type}`));
        else resolve(reply);
      });
      p.send(m);
    });
  }
}
