import type { Clock, TimerHandle } from "../common/clock.js";
import { FfmpegRun } from "../ffmpeg/ffmpeg-run.js";
import type { ProcessSpawner } from "../ffmpeg/process-spawner.js";
import { StderrTail } from "../ffmpeg/stderr-tail.js";
import type { Logger } from "../log/logger.js";
import { Fmp4BoxReader } from "./fmp4/box-reader.js";
import type { Fragment, InitSegment } from "./fmp4/fmp4-types.js";

export type RenditionState = "idle" | "starting" | "live" | "stalled" | "failed" | "backoff" | "stopping";

/** Backoff steps in seconds (design.md): grows, caps at 60 s, reset after 60 s live. */
export const backoffSteps = [1, 2, 5, 10, 30, 60] as const;
const resetAfterLiveMs = 60_000;

/**
 * The retry waits of a rendition's feed (this supervisor, a hub's relay): backoffSteps with ±20 % jitter,
 * back to the first step once a run stayed live for a minute.
 */
export class Backoff {
  private index = 0;

  constructor(private readonly random: () => number = Math.random) {}

  /** The next wait in ms; `liveForMs`: how long the run that just ended was live (undefined: never). */
  next(liveForMs: number | undefined): number {
    if (liveForMs !== undefined && liveForMs >= resetAfterLiveMs) this.index = 0;
    const step = backoffSteps[Math.min(this.index, backoffSteps.length - 1)] ?? 60;
    this.index++;
    return Math.round(step * 1000 * (0.8 + 0.4 * this.random()));
  }
}

/**
 * Thrown (rejected) by `args` when the source is known to be absent right now (an RTMP camera nobody pushes):
 * nothing is spawned, and `reason`, a code the health monitor and the console know, is the run's error as it is.
 */
export class SourceUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "SourceUnavailable";
  }
}

export interface SupervisorOptions {
  ffmpegPath: string;
  /**
   * Evaluated at every start, so camera edits and the transcode decision take effect on the next spawn.
   * A promise (the camera's address being resolved and checked) that rejects fails the start, logged.
   */
  args: () => string[] | Promise<string[]>;
  /** Values to blank out of stderr and logs (camera passwords). */
  secrets: () => readonly (string | undefined)[];
  stallSeconds: number;
  startTimeoutSeconds: number;
  onInit: (init: InitSegment) => void;
  onFragment: (f: Fragment) => void;
  /** Called when a run ends for any reason (the stream's waiters are woken). */
  onRunEnd: () => void;
  /** Told the size of every chunk of stdout read from ffmpeg (the camera's ingest counter). */
  onIngest?: (bytes: number) => void;
  /** Told of every start that follows a failure or a stall (a reconnect; edits and codec switches are not). */
  onReconnect?: () => void;
  random?: () => number;
}

export interface SupervisorHealth {
  state: RenditionState;
  since: number;
  restarts: number;
  lastError: string | undefined;
  lastFragmentAt: number | undefined;
  nextAttemptAt: number | undefined;
  pid: number | undefined;
  stderr: readonly string[];
}

/**
 * Keeps one ffmpeg running for one rendition: idle → starting → live → stalled|failed → backoff → starting,
 * and stopping → idle. Freshness of fragments is supervised, not only the process: ffmpeg 5.1 stalls
 * silently (alive, no output) when camera timestamps jump back, and exits 0 after an RTSP timeout.
 * Every callback carries the generation it was made for; a stale one is ignored. The process itself
 * (pipes, stderr, kill escalation) is an FfmpegRun; this class holds states, timers, backoff and the watchdog.
 */
export class RenditionSupervisor {
  private st: RenditionState = "idle";
  private sinceMs: number;
  private generation = 0;
  private run: FfmpegRun | undefined;
  private timer: TimerHandle | undefined;
  private readonly backoffs: Backoff;
  private liveSince: number | undefined;
  private lastFragment: number | undefined;
  private nextAttempt: number | undefined;
  private restartCount = 0;
  private error: string | undefined;
  private readonly tail: StderrTail;
  private stopWaiters: (() => void)[] = [];
  private readonly stateListeners = new Set<(s: RenditionState) => void>();
  private restartPending = false;
  /** Seconds of video received in this run, and (wall, media) samples taken by the watchdog each second. */
  private mediaSeconds = 0;
  private progress: { wall: number; media: number }[] = [];

  constructor(
    private readonly spawner: ProcessSpawner,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: SupervisorOptions,
  ) {
    this.sinceMs = clock.now();
    this.tail = new StderrTail(opts.secrets);
    this.backoffs = new Backoff(() => (opts.random ?? Math.random)());
  }

  get state(): RenditionState {
    return this.st;
  }

  /** Starts ffmpeg unless it is already running or about to; from backoff it starts at once. */
  start(reason = "start requested"): void {
    switch (this.st) {
      case "idle":
        this.spawn(reason);
        return;
      case "backoff":
        this.opts.onReconnect?.();
        this.spawn(reason);
        return;
      case "stopping":
        // Restart as soon as the old process has exited.
        this.restartPending = true;
        return;
      case "starting":
      case "live":
      case "stalled":
      case "failed":
        return;
    }
  }

  /** Stops ffmpeg gracefully (SIGTERM, SIGKILL after 5 s); resolves once it has exited. */
  stop(reason = "stop requested"): Promise<void> {
    this.restartPending = false;
    if (this.st === "idle") return Promise.resolve();
    const done = new Promise<void>((resolve) => this.stopWaiters.push(resolve));
    if (this.st === "stopping") return done;
    this.clearTimer();
    if (this.run) {
      this.transition("stopping", reason);
      this.run.stop();
    } else {
      this.transition("idle", reason);
      this.settleStop();
    }
    return done;
  }

  /** Kills the running ffmpeg and starts a new one at once (no backoff): for a changed camera or codec. */
  restart(reason: string): void {
    if (this.st === "idle") return;
    if (!this.run) {
      this.clearTimer();
      this.spawn(reason);
      return;
    }
    this.restartPending = true;
    this.clearTimer();
    this.transition("stopping", reason);
    this.run.stop();
  }

  onStateChange(listener: (s: RenditionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  health(): SupervisorHealth {
    return {
      state: this.st,
      since: this.sinceMs,
      restarts: this.restartCount,
      lastError: this.error,
      lastFragmentAt: this.lastFragment,
      nextAttemptAt: this.st === "backoff" ? this.nextAttempt : undefined,
      pid: this.run?.pid,
      stderr: this.tail.lines(),
    };
  }

  private spawn(reason: string): void {
    const gen = ++this.generation;
    const args = this.opts.args();
    this.transition("starting", reason);
    if (Array.isArray(args)) {
      this.launch(gen, args);
      return;
    }
    args.then(
      (a) => {
        // A stop or restart while the address was being resolved made this start stale.
        if (gen === this.generation && this.st === "starting") this.launch(gen, a);
      },
      (err: unknown) => {
        if (gen !== this.generation || this.st !== "starting") return;
        // Nothing was spawned, so no exit will come: back off from here.
        this.error = err instanceof SourceUnavailable ? err.reason : `not started: ${(err as Error).message}`;
        this.transition("failed", this.error);
        this.endRun();
        this.backoff();
      },
    );
  }

  private launch(gen: number, args: string[]): void {
    this.lastFragment = undefined;
    this.mediaSeconds = 0;
    this.progress = [];
    const reader = new Fmp4BoxReader({
      onInit: (init) => {
        if (gen === this.generation) this.opts.onInit(init);
      },
      onFragment: (f) => {
        if (gen !== this.generation) return;
        this.lastFragment = this.clock.now();
        this.mediaSeconds += f.durationSeconds;
        if (this.st === "starting") this.becomeLive(gen);
        this.opts.onFragment(f);
      },
    });
    // Counted as read, before parsing: bytes of a run that turns out unreadable were ingested all the same.
    const output = {
      push: (chunk: Buffer) => {
        this.opts.onIngest?.(chunk.length);
        reader.push(chunk);
      },
    };
    const command = this.opts.ffmpegPath;
    const run = { command, args, secrets: this.opts.secrets(), output, stderr: this.tail };
    this.run = FfmpegRun.spawn(this.spawner, this.clock, this.log, run, {
      onOutputError: (err) => {
        this.fail(gen, `unreadable output from ffmpeg: ${err.message}`);
      },
      onExit: (code, signal, error) => {
        this.exited(gen, code, signal, error);
      },
    });
    this.setTimer(gen, this.opts.startTimeoutSeconds * 1000, () => {
      if (this.st === "starting")
        this.fail(gen, `no video from the camera within ${String(this.opts.startTimeoutSeconds)} s`);
    });
  }

  private becomeLive(gen: number): void {
    // lastError stays: an operator wants to see why it restarted, after it recovered too.
    this.liveSince = this.clock.now();
    this.transition("live", "first fragment");
    this.watch(gen);
  }

  /**
   * The stall watchdog, every second while live. Two kinds of stall: no fragment at all for stallSeconds
   * (ffmpeg alive but silent), or fragments whose timestamps stopped advancing — when a camera's clock
   * jumps back, ffmpeg 5.1 with -c copy keeps writing but rewrites every DTS to previous+1 ("Non-monotonous
   * DTS … changing to"), so the picture freezes while bytes keep flowing.
   */
  private watch(gen: number): void {
    this.setTimer(gen, 1000, () => {
      if (this.st !== "live") return;
      const now = this.clock.now();
      const stallMs = this.opts.stallSeconds * 1000;
      this.progress.push({ wall: now, media: this.mediaSeconds });
      while (this.progress.length > 0 && now - (this.progress[0]?.wall ?? now) > stallMs)
        this.progress.shift();
      const oldest = this.progress[0];
      const age = now - (this.lastFragment ?? 0);
      let reason: string | undefined;
      if (age > stallMs) {
        reason = `no fragment for ${String(this.opts.stallSeconds)} s while ffmpeg was running`;
      } else if (
        age < 2000 &&
        oldest &&
        now - oldest.wall >= stallMs - 1000 &&
        this.mediaSeconds - oldest.media < 0.25 * ((now - oldest.wall) / 1000)
      ) {
        reason = `video timestamps stopped advancing for ${String(this.opts.stallSeconds)} s (camera clock jumped back?)`;
      }
      if (reason !== undefined) {
        this.error = reason;
        this.transition("stalled", reason);
        this.endRun();
        this.run?.kill();
      } else {
        this.watch(gen);
      }
    });
  }

  private fail(gen: number, message: string): void {
    if (gen !== this.generation) return;
    this.error = message;
    this.transition("failed", message);
    this.endRun();
    this.run?.kill();
  }

  private exited(gen: number, code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    if (gen !== this.generation) return;
    this.run = undefined;
    const how = error
      ? `could not start ffmpeg: ${error.message}`
      : `ffmpeg exited (${signal ?? `code ${String(code)}`})`;
    switch (this.st) {
      case "stopping":
        this.clearTimer();
        this.endRun();
        if (this.restartPending) {
          this.restartPending = false;
          this.restartCount++;
          this.spawn("restart");
        } else {
          this.transition("idle", how);
          this.settleStop();
        }
        return;
      case "starting":
      case "live": {
        const last = this.tail.last;
        this.error = last !== undefined ? `${how}: ${last}` : how;
        this.transition("failed", this.error);
        this.endRun();
        this.backoff();
        return;
      }
      case "stalled":
      case "failed":
        this.backoff();
        return;
      case "idle":
      case "backoff":
        return;
    }
  }

  private backoff(): void {
    this.clearTimer();
    const delay = this.backoffs.next(
      this.liveSince === undefined ? undefined : this.clock.now() - this.liveSince,
    );
    this.liveSince = undefined;
    this.nextAttempt = this.clock.now() + delay;
    this.transition("backoff", `retry in ${(delay / 1000).toFixed(1)} s`);
    const gen = this.generation;
    this.setTimer(gen, delay, () => {
      if (this.st === "backoff") {
        this.restartCount++;
        this.opts.onReconnect?.();
        this.spawn("backoff elapsed");
      }
    });
  }

  private endRun(): void {
    this.opts.onRunEnd();
  }

  private settleStop(): void {
    const waiters = this.stopWaiters;
    this.stopWaiters = [];
    for (const w of waiters) w();
  }

  private transition(to: RenditionState, reason: string): void {
    const from = this.st;
    this.st = to;
    this.sinceMs = this.clock.now();
    const level = to === "failed" || to === "stalled" ? "warn" : "info";
    this.log[level](`${from} → ${to}: ${reason}`);
    for (const l of this.stateListeners) l(to);
  }

  private setTimer(gen: number, ms: number, fn: () => void): void {
    this.clearTimer();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (gen === this.generation) fn();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
