import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { onCleanup, stopChild, track } from "./cleanup.js";
import { repoRoot } from "./gateway-process.js";

/**
 * A few forked load-generator processes (a worker file under bench/lib/) spoken to over IPC: one question
 * to each at a time, answered by a message of the expected type. Stopped with `stop` and SIGTERM, on
 * cleanup too.
 */
export class WorkerPool<To extends { type: string }, From extends { type: string }> {
  readonly procs: ChildProcess[] = [];
  private readonly waiting = new Map<ChildProcess, (m: From) => void>();
  private readonly unregister: () => void;

  constructor(
    worker: string,
    processes: number,
    private readonly what: string,
    private readonly stopMessage: To,
  ) {
    for (let i = 0; i < processes; i++) {
      const child = track(
        fork(join(repoRoot, worker), [], {
          cwd: repoRoot,
          execArgv: ["--import", "tsx"],
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        }),
      );
      child.on("message", (m: From) => {
        const w = this.waiting.get(child);
        this.waiting.delete(child);
        w?.(m);
      });
      this.procs.push(child);
    }
    this.unregister = onCleanup(what, () => this.stopAll());
  }

  get pids(): number[] {
    return this.procs.map((p) => p.pid!);
  }

  broadcast(m: To): void {
    for (const p of this.procs) if (p.connected) p.send(m);
  }

  /** Asks every process; resolves with their answers in process order. */
  askAll<T extends From["type"]>(m: (i: number) => To, expect: T): Promise<Extract<From, { type: T }>[]> {
    return Promise.all(this.procs.map((p, i) => this.ask(p, m(i), expect)));
  }

  async stop(): Promise<void> {
    this.unregister();
    await this.stopAll();
  }

  private async stopAll(): Promise<void> {
    this.broadcast(this.stopMessage);
    await Promise.all(this.procs.map((p) => stopChild(p, "SIGTERM", 3000)));
  }

  private ask<T extends From["type"]>(
    p: ChildProcess,
    m: To,
    expect: T,
  ): Promise<Extract<From, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`${this.what} process ${String(p.pid)} exited`));
      p.once("exit", onExit);
      this.waiting.set(p, (reply) => {
        p.off("exit", onExit);
        if (reply.type !== expect) reject(new Error(`expected ${expect}, got ${reply.type}`));
        else resolve(reply as Extract<From, { type: T }>);
      });
      p.send(m);
    });
  }
}
