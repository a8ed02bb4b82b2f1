import { WorkerPool } from "./worker-pool.js";
import type { FromWsWorker, ToWsWorker, WsViewerWindow } from "./ws-viewer-protocol.js";

/** What a window's viewers of one group (a camera) got, together. */
export interface WsGroupStats {
  viewers: number;
  fragments: number;
  frames: number;
  bytes: number;
  missed: number;
  /** Viewers whose socket closed, and the close codes seen. */
  closed: number;
  closeCodes: Record<string, number>;
  /** Viewers that ended the window more than `behindFragments` behind the group's newest fragment. */
  behind: number;
  /** Viewers that missed nothing, stayed open and kept up. */
  held: number;
  /** Fragments received of those sent: received / (received + missed + what the behind ones lack). */
  delivered: number;
}

/** Sums one group's viewers; `behindFragments` is how far behind the newest counts as not keeping up. */
export function groupStats(viewers: readonly WsViewerWindow[], behindFragments: number): WsGroupStats {
  const newest = Math.max(-1, ...viewers.map((v) => v.lastSequence ?? -1));
  let fragments = 0;
  let frames = 0;
  let bytes = 0;
  let missed = 0;
  let closed = 0;
  let behind = 0;
  let held = 0;
  let lacking = 0;
  const closeCodes: Record<string, number> = {};
  for (const v of viewers) {
    fragments += v.fragments;
    frames += v.frames;
    bytes += v.bytes;
    missed += v.missed;
    // A fragment or two apart is when each process read its counts; further is a viewer not keeping up.
    const lag = newest - (v.lastSequence ?? newest);
    const isBehind = lag > behindFragments;
    if (isBehind) {
      behind++;
      lacking += lag;
    }
    if (!v.open) {
      closed++;
      const code = String(v.closeCode ?? "none");
      closeCodes[code] = (closeCodes[code] ?? 0) + 1;
    }
    if (v.open && v.missed === 0 && !isBehind && v.fragments > 0) held++;
  }
  const expected = fragments + missed + lacking;
  return {
    viewers: viewers.length,
    fragments,
    frames,
    bytes,
    missed,
    closed,
    closeCodes,
    behind,
    held,
    delivered: expected > 0 ? fragments / expected : 0,
  };
}

/**
 * WebSocket viewers spread over a few forked processes (bench/lib/ws-viewer-worker.ts), so parsing every
 * fragment of a thousand sockets does not sit in the benchmark's own event loop.
 */
export class WsViewers {
  private readonly pool: WorkerPool<ToWsWorker, FromWsWorker>;
  private next = 0;
  private count = 0;

  constructor(processes: number) {
    this.pool = new WorkerPool("bench/lib/ws-viewer-worker.ts", processes, "websocket viewers", {
      type: "stop",
    });
  }

  get pids(): number[] {
    return this.pool.pids;
  }

  get viewers(): number {
    return this.count;
  }

  /** Opens the viewers round-robin over the processes; resolves once each got a fragment or failed. */
  async add(
    viewers: readonly { url: string; group: string }[],
    rampMs: number,
  ): Promise<{ ok: number; failed: number; errors: string[] }> {
    const share = this.pool.procs.map(() => [] as { url: string; group: string }[]);
    for (const v of viewers) share[this.next++ % share.length]!.push(v);
    this.count += viewers.length;
    const replies = await this.pool.askAll((i) => ({ type: "add", viewers: share[i]!, rampMs }), "added");
    const out = { ok: 0, failed: 0, errors: [] as string[] };
    for (const r of replies) {
      out.ok += r.ok;
      out.failed += r.failed;
      out.errors.push(...r.errors);
    }
    return out;
  }

  open(): void {
    this.pool.broadcast({ type: "open" });
  }

  /** Closes the window: every viewer's counts. */
  async close(): Promise<WsViewerWindow[]> {
    const replies = await this.pool.askAll(() => ({ type: "close" }), "stats");
    return replies.flatMap((r) => r.viewers);
  }

  stop(): Promise<void> {
    return this.pool.stop();
  }
}
