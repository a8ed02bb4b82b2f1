import type { Clock, TimerHandle } from "../common/clock.js";
import type { Logger } from "../log/logger.js";
import type { ChildHandle, ProcessSpawner } from "./process-spawner.js";
import { redact } from "./redact.js";
import type { StderrTail } from "./stderr-tail.js";

/** design.md: SIGKILL when ffmpeg has not quit 5 s after SIGTERM. */
export const killAfterMs = 5_000;

export interface FfmpegRunOptions {
  command: string;
  args: readonly string[];
  /** Values blanked out of the logged argv (camera passwords). */
  secrets: readonly (string | undefined)[];
  /** Where stdout goes (the fMP4 box reader); a throw means the output is unusable. */
  output: { push(chunk: Buffer): void };
  /** Where stderr lines go, redacted there. */
  stderr: StderrTail;
}

export interface FfmpegRunEvents {
  /** stdout could not be read; the run delivers nothing more and its owner decides what follows. */
  onOutputError(err: Error): void;
  /** Once, when the process has exited or could not start (then `error` is set). */
  onExit(code: number | null, signal: NodeJS.Signals | null, error?: Error): void;
}

/**
 * One ffmpeg process, from spawn to exit: stdout into its reader, stderr lines into the tail, and the stop
 * design.md asks for (SIGTERM, ffmpeg's own clean quit; SIGKILL after 5 s). Knows nothing of states or
 * retries: that is the supervisor's.
 */
export class FfmpegRun {
  private killTimer: TimerHandle | undefined;
  private delivering = true;
  private exited = false;

  private constructor(
    private readonly child: ChildHandle,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  static spawn(
    spawner: ProcessSpawner,
    clock: Clock,
    log: Logger,
    o: FfmpegRunOptions,
    events: FfmpegRunEvents,
  ): FfmpegRun {
    log.debug({ argv: o.args.map((a) => redact(a, o.secrets)) }, "spawning ffmpeg");
    const run = new FfmpegRun(spawner.spawn(o.command, o.args), clock, log);
    run.wire(o, events);
    return run;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Graceful stop: SIGTERM now, SIGKILL if it is still running 5 s later. Output keeps flowing until exit. */
  stop(): void {
    this.child.kill("SIGTERM");
    if (this.killTimer || this.exited) return;
    this.killTimer = this.clock.setTimeout(() => {
      this.killTimer = undefined;
      this.log.warn("ffmpeg ignored SIGTERM for 5 s; sending SIGKILL");
      this.child.kill("SIGKILL");
    }, killAfterMs);
  }

  /** Gives the run up: SIGKILL now, and nothing it still writes is delivered (only its exit). */
  kill(): void {
    this.delivering = false;
    this.child.kill("SIGKILL");
  }

  private wire(o: FfmpegRunOptions, events: FfmpegRunEvents): void {
    const { child } = this;
    child.stdout.on("data", (chunk: Buffer) => {
      if (!this.delivering) return;
      try {
        o.output.push(chunk);
      } catch (err) {
        this.delivering = false;
        events.onOutputError(err as Error);
      }
    });
    child.stdout.on("error", (err) => {
      this.log.warn({ err }, "ffmpeg stdout error");
    });
    let partial = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      const lines = (partial + text).split(/\r?\n|\r/);
      partial = lines.pop() ?? "";
      for (const line of lines) o.stderr.add(line);
    });
    child.stderr.on("error", (err) => {
      this.log.warn({ err }, "ffmpeg stderr error");
    });
    child.onExit((code, signal, error) => {
      this.exited = true;
      // Whatever a test's fake (or a late pipe) still writes belongs to no run.
      this.delivering = false;
      if (this.killTimer) this.clock.clearTimeout(this.killTimer);
      this.killTimer = undefined;
      if (partial !== "") o.stderr.add(partial);
      events.onExit(code, signal, error);
    });
  }
}
