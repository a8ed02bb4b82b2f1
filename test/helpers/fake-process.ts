import { PassThrough } from "node:stream";
import type { ChildHandle, ProcessSpawner, SpawnOptions } from "../../gateway/src/ffmpeg/process-spawner.js";

/** A child process the test drives by hand: write to stdout/stderr, exit when it decides. */
export class FakeChild implements ChildHandle {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  /** Present when spawned with `{ stdin: "pipe" }`; what the gateway wrote is in `written`. */
  readonly stdin: PassThrough | undefined;
  /** Everything written to stdin, in order. */
  written = "";
  readonly signals: NodeJS.Signals[] = [];
  exited = false;
  private cb: ((code: number | null, signal: NodeJS.Signals | null, error?: Error) => void) | undefined;

  constructor(
    readonly pid: number,
    readonly args: readonly string[],
    pipeStdin = false,
  ) {
    this.stdin = pipeStdin ? new PassThrough() : undefined;
    this.stdin?.on("data", (chunk: Buffer) => {
      this.written += chunk.toString();
    });
  }

  /** The complete lines written to stdin so far, each parsed as JSON. */
  stdinJson(): unknown[] {
    return this.written
      .split("\n")
      .slice(0, -1)
      .map((l) => JSON.parse(l) as unknown);
  }

  onExit(cb: (code: number | null, signal: NodeJS.Signals | null, error?: Error) => void): void {
    this.cb = cb;
  }

  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exited) return;
    this.exited = true;
    this.cb?.(code, signal);
  }

  /** The process could not start (spawn's `error`, e.g. ENOENT): onExit gets (null, null, error). */
  fail(error: Error): void {
    if (this.exited) return;
    this.exited = true;
    this.cb?.(null, null, error);
  }
}

export class FakeSpawner implements ProcessSpawner {
  readonly children: FakeChild[] = [];

  spawn(_command: string, args: readonly string[], opts: SpawnOptions = {}): FakeChild {
    const child = new FakeChild(1000 + this.children.length, args, opts.stdin === "pipe");
    this.children.push(child);
    return child;
  }

  get last(): FakeChild {
    const c = this.children.at(-1);
    if (!c) throw new Error("nothing spawned");
    return c;
  }
}

/** Lets stream 'data' events (delivered on the next tick) reach their listeners. */
export const flush = () => new Promise<void>((r) => setImmediate(r));
