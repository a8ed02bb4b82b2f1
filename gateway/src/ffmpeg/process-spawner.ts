import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";

/** A running child process, reduced to what the supervisor needs; a fake one drives the unit tests. */
export interface ChildHandle {
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The child's stdin, only when spawned with `{ stdin: "pipe" }` (ffmpeg reading `pipe:0`). */
  readonly stdin?: Writable;
  /** Called once, when the process has exited or could not start (then `error` is set). */
  onExit(cb: (code: number | null, signal: NodeJS.Signals | null, error?: Error) => void): void;
  kill(signal: NodeJS.Signals): void;
}

export interface SpawnOptions {
  /** "ignore" (the default: stdin closed) or "pipe", for a child that reads its input from the gateway. */
  stdin?: "ignore" | "pipe";
}

export interface ProcessSpawner {
  spawn(command: string, args: readonly string[], opts?: SpawnOptions): ChildHandle;
}

/**
 * Spawns with an argv array (no shell) and stdin closed unless asked for as a pipe. Every live child is tracked so the gateway can
 * SIGKILL stragglers when it exits; a child whose parent died anyway gets EPIPE on its next write to stdout
 * and exits, so no ffmpeg survives the gateway.
 */
export class NodeProcessSpawner implements ProcessSpawner {
  private readonly live = new Set<import("node:child_process").ChildProcess>();

  spawn(command: string, args: readonly string[], opts: SpawnOptions = {}): ChildHandle {
    const child =
      opts.stdin === "pipe"
        ? spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] })
        : spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.live.add(child);
    let exited = false;
    const callbacks: ((code: number | null, signal: NodeJS.Signals | null, error?: Error) => void)[] = [];
    const finish = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (exited) return;
      exited = true;
      this.live.delete(child);
      for (const cb of callbacks) cb(code, signal, error);
    };
    child.once("error", (err) => {
      finish(null, null, err);
    });
    child.once("close", (code, signal) => {
      finish(code, signal);
    });
    return {
      pid: child.pid,
      stdout: child.stdout,
      stderr: child.stderr,
      ...(child.stdin !== null && { stdin: child.stdin }),
      onExit: (cb) => callbacks.push(cb),
      kill: (signal) => {
        if (!exited) child.kill(signal);
      },
    };
  }

  /** Last resort at process exit: synchronous, so it works inside an `exit` handler. */
  killAll(): void {
    for (const child of this.live) child.kill("SIGKILL");
  }

  get count(): number {
    return this.live.size;
  }
}
