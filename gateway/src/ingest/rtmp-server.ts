import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Clock, TimerHandle } from "../common/clock.js";
import type { ChildHandle, ProcessSpawner } from "../ffmpeg/process-spawner.js";
import type { Logger } from "../log/logger.js";
import { rtmpStreamPath } from "./rtmp-publish-sign.js";
import type { RtmpChildEvent, RtmpChildSettings, RtmpGenerationUpdate } from "./rtmp-server-child.js";

export interface RtmpServerOptions {
  host: string;
  /** 0 picks a free port (tests); a restart then asks for the port the first run got. */
  port: number;
  /** The publish key (SecretKeys.derive("rtmp-publish")); handed to the child on stdin, never logged. */
  key: Buffer;
  /**
   * Every camera of kind rtmp and its current publish generation, read at each child start (the first one
   * and every restart); later changes arrive through setGeneration().
   */
  generations: () => Record<string, number>;
  maxConnections?: number;
  /** How the child is run: node with tsx, like the gateway itself (`npm start`). */
  command?: { path: string; args: readonly string[] };
  random?: () => number;
}

/** The rendition supervisor's steps (rendition-supervisor.ts), in seconds; ingest sits below streaming. */
const backoffSteps = [1, 2, 5, 10, 30, 60] as const;
const childScript = fileURLToPath(new URL("./rtmp-server-child.ts", import.meta.url));
const resetAfterRunningMs = 60_000;
const killAfterMs = 5_000;

/**
 * The address the gateway's ffmpeg pulls from: loopback behind a wildcard bind, else the bound address
 * itself (a connection from this machine to it comes from it, which the child lets play too).
 */
function pullHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Runs and supervises the RTMP listener child (rtmp-server-child.ts): started with the gateway, restarted
 * with backoff (1, 2, 5, 10, 30, 60 s, jittered; reset after a minute running) when it exits, stopped with
 * SIGTERM then SIGKILL. Knows which cameras are being pushed right now, for health and for ffmpeg.
 */
export class RtmpServer {
  private child: ChildHandle | undefined;
  private readonly pushing = new Map<string, string>();
  private boundPort: number | undefined;
  private closed = false;
  private generation = 0;
  private backoffIndex = 0;
  private runningSince: number | undefined;
  private timer: TimerHandle | undefined;
  private readonly publishListeners = new Set<(cameraId: string) => void>();
  /** The generations the running child was told (its settings line, then each update). */
  private told = new Map<string, number>();

  constructor(
    private readonly spawner: ProcessSpawner,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: RtmpServerOptions,
  ) {}

  /** Resolves with the bound port once the child listens; rejects when the first run cannot listen. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.spawn({ resolve, reject });
    });
  }

  /** The port the listener is bound to (the configured one, or the free one it got). */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Tells `listener` of every push that begins (the camera's id); returns how to stop telling. */
  onPublish(listener: (cameraId: string) => void): () => void {
    this.publishListeners.add(listener);
    return () => this.publishListeners.delete(listener);
  }

  /** Whether the child is listening now (false while it is restarting). */
  get listening(): boolean {
    return this.runningSince !== undefined;
  }

  /** The child's process id while it runs (ops, and the restart test). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether someone is pushing this camera's stream right now. */
  isPublishing(cameraId: string): boolean {
    return this.pushing.has(cameraId);
  }

  /** Where the gateway's ffmpeg plays a camera's pushed stream: loopback, unsigned (the child allows only it). */
  pullUrl(cameraId: string): string | undefined {
    if (this.boundPort === undefined) return undefined;
    return `rtmp://${pullHost(this.opts.host)}:${String(this.boundPort)}${rtmpStreamPath(cameraId)}`;
  }

  /**
   * A camera's publish generation changed (a new URL was issued), or it is no longer a pushed camera (null):
   * the child refuses earlier URLs from now on and cuts a push live on one. A child that is restarting
   * reads every generation afresh when it starts.
   */
  setGeneration(cameraId: string, generation: number | null): void {
    // Most camera changes (a name, a classroom, any pulled camera) leave what the child knows as it is.
    if (generation === null ? !this.told.has(cameraId) : this.told.get(cameraId) === generation) return;
    if (generation === null) this.told.delete(cameraId);
    else this.told.set(cameraId, generation);
    const update: RtmpGenerationUpdate = { cameraId, generation };
    this.child?.stdin?.write(JSON.stringify(update) + "\n");
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const kill = this.clock.setTimeout(() => {
        child.kill("SIGKILL");
      }, killAfterMs);
      child.onExit(() => {
        this.clock.clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }

  private spawn(first?: { resolve: (port: number) => void; reject: (err: Error) => void }): void {
    const gen = ++this.generation;
    const command = this.opts.command ?? { path: process.execPath, args: ["--import", "tsx"] };
    const child = this.spawner.spawn(command.path, [...command.args, childScript], { stdin: "pipe" });
    this.child = child;
    let lastError: string | undefined;
    const settings: RtmpChildSettings = {
      host: this.opts.host,
      port: this.boundPort ?? this.opts.port,
      key: this.opts.key.toString("base64"),
      maxConnections: this.opts.maxConnections ?? 64,
      idleSeconds: 10,
      generations: this.opts.generations(),
    };
    this.told = new Map(Object.entries(settings.generations));
    child.stdin?.on("error", () => {
      // The child exited before reading its settings: its exit is reported below.
    });
    child.stdin?.write(JSON.stringify(settings) + "\n");
    // node-media-server's own lines; one about a malformed URL may quote it, signature and all.
    createInterface({ input: child.stderr }).on("line", (line) => {
      this.log.debug(line.replace(/sign=[^\s&,]*/g, "sign=[redacted]"));
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (gen !== this.generation) return;
      let e: RtmpChildEvent;
      try {
        e = JSON.parse(line) as RtmpChildEvent;
      } catch {
        this.log.debug(line);
        return;
      }
      switch (e.event) {
        case "listening":
          this.boundPort = e.port;
          this.runningSince = this.clock.now();
          this.log.info(`listening on ${this.opts.host}:${String(e.port)}`);
          first?.resolve(e.port);
          first = undefined;
          return;
        case "publish":
          this.pushing.set(e.cameraId, e.address);
          this.log.info(`[cam ${e.cameraId}] push started from ${e.address}`);
          for (const l of this.publishListeners) l(e.cameraId);
          return;
        case "unpublish":
          this.pushing.delete(e.cameraId);
          this.log.info(`[cam ${e.cameraId}] push ended`);
          return;
        case "cut":
          this.log.warn(`[cam ${e.cameraId}] push from ${e.address} cut: ${e.reason}`);
          return;
        case "refused":
          // The path and the reason only: the query (the signature) never reaches a log.
          this.log.warn(
            `${e.action} ${e.path === "" ? "(no path)" : e.path} from ${e.address} refused: ${e.reason}`,
          );
          return;
        case "error":
          lastError = e.message;
          this.log.error(e.message);
          return;
      }
    });
    child.onExit((code, signal, error) => {
      if (gen !== this.generation) return;
      this.child = undefined;
      this.pushing.clear();
      const why = error?.message ?? lastError ?? `exited (${signal ?? `code ${String(code)}`})`;
      if (first) {
        first.reject(new Error(`RTMP listener did not start: ${why}`));
        return;
      }
      if (this.closed) return;
      if (this.runningSince !== undefined && this.clock.now() - this.runningSince >= resetAfterRunningMs)
        this.backoffIndex = 0;
      this.runningSince = undefined;
      const step = backoffSteps[Math.min(this.backoffIndex, backoffSteps.length - 1)] ?? 60;
      this.backoffIndex++;
      const delay = Math.round(step * 1000 * (0.8 + 0.4 * (this.opts.random ?? Math.random)()));
      this.log.warn(`${why}; restarting in ${(delay / 1000).toFixed(1)} s`);
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) this.spawn();
      }, delay);
    });
  }
}
