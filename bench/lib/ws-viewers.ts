import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { onCleanup, stopChild, track } from "./cleanup.js";
import { repoRoot } from "./gateway-process.js";
import type { FromWsWorker, ToWsWorker, WsViewerWindow } from "./ws-viewer-protocol.js";

const workerFile = join(repoRoot, "bench/lib/ws-viewer-worker.ts");

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
  private readonly procs: ChildProcess[] = [];
  private readonly waiting = new Map<ChildProcess, (m: FromWsWorker) => void>();
  private next = 0;
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
      child.on("message", (m: FromWsWorker) => {
        const w = this.waiting.get(child);
        this.waiting.delete(child);
        w?.(m);
      });
      this.procs.push(child);
    }
    this.unregister = onCleanup("websocket viewers", () => this.stopAll());
  }

  get pids(): number[] {
    return this.procs.map((p) => p.pid!);
  }

  get viewers(): number {
    return this.count;
  }

  /** Opens the viewers round-robin over the processes; resolves once each got a fragment or failed. */
  async add(
    viewers: readonly { url: string; group: string }[],
    rampMs: number,
  ): Promise<{ ok: number; failed: number; errors: string[] }> {
    const share = this.procs.map(() => [] as { url: string; group: string }[]);
    for (const v of viewers) share[this.next++ % this.procs.length]!.push(v);
    this.count += viewers.length;
    const replies = await Promise.all(
      this.procs.map((p, i) => this.ask(p, { type: "add", viewers: share[i]!, rampMs }, "added")),
    );
    const out = { ok: 0, failed: 0, errors: [] as string[] };
    for (const r of replies)
      if (r.type === "added") {
        out.ok += r.ok;
        out.failed += r.failed;
        out.errors.push(...r.errors);
      }
    return out;
  }

  open(): void {
    for (const p of this.procs) if (p.connected) p.send({ type: "open" } satisfies ToWsWorker);
  }

  /** Closes the window: every viewer's counts. */
  async close(): Promise<WsViewerWindow[]> {
    const replies = await Promise.all(this.procs.map((p) => this.ask(p, { type: "close" }, "stats")));
    return replies.flatMap((r) => (r.type === "stats" ? r.viewers : []));
  }

  async stop(): Promise<void> {
    this.unregister();
    await this.stopAll();
  }

  private async stopAll(): Promise<void> {
    for (const p of this.procs) if (p.connected) p.send({ type: "stop" } satisfies ToWsWorker);
    await Promise.all(this.procs.map((p) => stopChild(p, "SIGTERM", 3000)));
  }

  private ask(p: ChildProcess, m: ToWsWorker, expect: FromWsWorker["type"]): Promise<FromWsWorker> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`websocket viewer process ${String(p.pid)} exited`));
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
