import { performance } from "node:perf_hooks";
import { BusyError, ConcurrencyLimit } from "../common/concurrency-limit.js";
import { buildFfprobeArgs } from "../ffmpeg/ffprobe-args.js";
import { NodeProcessSpawner, type ProcessSpawner } from "../ffmpeg/process-spawner.js";
import { redact } from "../ffmpeg/redact.js";
import type { Logger } from "../log/logger.js";
import { AddressNotAllowedError, UnknownHostError, type NetworkGuard } from "../net/network-guard.js";
import { separateCredentials } from "./camera.schema.js";
import { classifyProbe, explanations, type StreamTestResult } from "./stream-test-result.js";

export type { StreamTestResult } from "./stream-test-result.js";

/** A stream to test: an RTSP URL (credentials may sit in it) and credentials beside it, which win. */
export interface StreamTestInput {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
}

export interface StreamTestOptions {
  /** Also read this long from the stream and count its frame rate and bitrate (video.measured). */
  measureSeconds?: number;
  /** ffprobe's socket timeout (-timeout); the probe is killed at probeDeadlineMs of it. Default 5 s. */
  timeoutSeconds?: number;
  ffprobePath?: string;
  spawner?: ProcessSpawner;
  log?: Logger;
  /** Aborting kills the probe and rejects with the signal's reason (the gateway is closing). */
  signal?: AbortSignal;
  /** Monotonic milliseconds; tests drive it with fake timers. */
  now?: () => number;
  /**
   * Checks the camera's address against the allowed networks and gives ffprobe the checked address, not
   * the name (the gateway's StreamTester always passes its own).
   */
  network?: NetworkGuard;
}

// -show_streams of a camera is 2–4 KiB; a reply past these caps is not a camera's. A measured packet is
// ~110 bytes of JSON: 256 KiB holds a few seconds of 60 fps video with its audio.
const maxStdoutBytes = 64 * 1024;
const maxMeasuredStdoutBytes = 256 * 1024;
const maxStderrChars = 16 * 1024;

/**
 * When a probe is killed however it is doing: the socket timeout bounds each wait, and a probe waits twice
 * (the RTSP exchange, then the first frames), plus 2 s for ffprobe to start and print.
 */
export function probeDeadlineMs(timeoutSeconds: number): number {
  return (2 * timeoutSeconds + 2) * 1000;
}

let defaultSpawner: NodeProcessSpawner | undefined;

/**
 * Runs ffprobe once against an RTSP stream (no shell, same protocol allow-list as ingest) and says what it
 * found: codec, size and frame rate, or a reason in Bahasa Indonesia and English. The password reaches only
 * ffprobe's argv; the result, the log and the returned detail never hold it. Not capped: a gateway calls
 * its StreamTester instead, which limits how many run at once.
 */
export async function testStream(
  input: StreamTestInput,
  opts: StreamTestOptions = {},
): Promise<StreamTestResult> {
  const timeoutSeconds = opts.timeoutSeconds ?? 5;
  let parsed: URL;
  try {
    parsed = new URL(input.url);
  } catch {
    return { ok: false, code: "not_rtsp", messages: explanations.notRtsp, detail: "not a URL" };
  }
  if (parsed.protocol !== "rtsp:" && parsed.protocol !== "rtsps:") {
    return {
      ok: false,
      code: "not_rtsp",
      messages: explanations.notRtsp,
      detail: `scheme ${parsed.protocol}`,
    };
  }
  const inUrl = separateCredentials(input.url);
  const username = input.username ?? inUrl.username;
  const password = input.password ?? inUrl.password;
  let target = inUrl.url;
  if (opts.network) {
    try {
      target = await opts.network.pinUrl(inUrl.url);
    } catch (e) {
      // Refused before ffprobe starts: the same answer whatever listens (or not) at that address.
      if (e instanceof AddressNotAllowedError) {
        opts.log?.info(`[stream test] ${redact(inUrl.url, [password])} refused: ${e.detail}`);
        return { ok: false, code: "address_not_allowed", messages: e.messages, detail: e.detail };
      }
      if (e instanceof UnknownHostError) {
        return { ok: false, code: "unreachable", messages: explanations.unknownHost, detail: e.message };
      }
      throw e;
    }
  }
  const measureSeconds = opts.measureSeconds;
  const args = buildFfprobeArgs({
    url: target,
    username,
    password,
    timeoutSeconds,
    ...(measureSeconds !== undefined && { measureSeconds }),
  });
  const stdoutCap = measureSeconds === undefined ? maxStdoutBytes : maxMeasuredStdoutBytes;
  const spawner = opts.spawner ?? (defaultSpawner ??= new NodeProcessSpawner());
  const now = opts.now ?? (() => performance.now());
  const clean = (text: string) => redact(text, [password]);
  opts.signal?.throwIfAborted();

  const started = now();
  const child = spawner.spawn(opts.ffprobePath ?? "ffprobe", args);
  let stdout = "";
  let stdoutBytes = 0;
  let stderr = "";
  let killed: "deadline" | "output" | undefined;
  const stop = (why: "deadline" | "output") => {
    killed ??= why;
    child.kill("SIGKILL");
  };
  child.stdout.on("data", (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    if (stdoutBytes > stdoutCap) stop("output");
    else stdout += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-maxStderrChars);
  });
  const deadline = setTimeout(
    () => stop("deadline"),
    probeDeadlineMs(timeoutSeconds) + (measureSeconds ?? 0) * 1000,
  );
  const onAbort = () => child.kill("SIGKILL");
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>(
    (resolve) => {
      child.onExit((code, signal, error) => resolve({ code, signal, ...(error && { error }) }));
    },
  );
  clearTimeout(deadline);
  opts.signal?.removeEventListener("abort", onAbort);
  opts.signal?.throwIfAborted();
  if (exit.error) throw new Error(`ffprobe could not start: ${exit.error.message}`);

  const elapsedMs = now() - started;
  const result = classifyProbe({
    exitCode: exit.code,
    signal: exit.signal,
    stderr: clean(stderr),
    stdout,
    elapsedMs,
    timeoutSeconds,
    withCredentials: username !== undefined || password !== undefined,
    ...(killed && { killed }),
  });
  const m = result.ok ? result.video.measured : undefined;
  const outcome = result.ok
    ? `${result.video.codec} ${String(result.video.width)}x${String(result.video.height)}` +
      (m === undefined ? "" : ` ${String(m.fps)} fps ${String(m.bitrateKbps)} kbit/s`)
    : `${result.code}${result.detail === undefined ? "" : ` (${result.detail})`}`;
  opts.log?.info(
    `[stream test] ${clean(inUrl.url)}${username === undefined ? "" : ` as ${username}`} → ${outcome} in ${(elapsedMs / 1000).toFixed(1)} s`,
  );
  return result;
}

export interface StreamTesterOptions {
  ffprobePath: string;
  /** Where cameras may be (network.allowedNetworks). */
  network: NetworkGuard;
  timeoutSeconds: number;
  /** Probes at once; more wait in line (up to maxQueued) or are told the gateway is busy. */
  maxConcurrent: number;
  maxQueued: number;
}

/**
 * The gateway's stream tests: testStream with the configured ffprobe and timeout, at most maxConcurrent at
 * once (a burst of "Test" clicks, or an ONVIF scan of many cameras, cannot fork a process each), and every
 * running probe killed when the gateway closes.
 */
export class StreamTester {
  private readonly limit: ConcurrencyLimit;
  private readonly closing = new AbortController();

  constructor(
    private readonly spawner: ProcessSpawner,
    private readonly log: Logger,
    private readonly opts: StreamTesterOptions,
  ) {
    this.limit = new ConcurrencyLimit(opts.maxConcurrent, opts.maxQueued);
  }

  async test(
    input: StreamTestInput,
    opts: { timeoutSeconds?: number; measureSeconds?: number } = {},
  ): Promise<StreamTestResult> {
    try {
      return await this.limit.run(() =>
        testStream(input, {
          timeoutSeconds: opts.timeoutSeconds ?? this.opts.timeoutSeconds,
          ...(opts.measureSeconds !== undefined && { measureSeconds: opts.measureSeconds }),
          ffprobePath: this.opts.ffprobePath,
          spawner: this.spawner,
          log: this.log,
          signal: this.closing.signal,
          network: this.opts.network,
        }),
      );
    } catch (err) {
      if (!(err instanceof BusyError)) throw err;
      this.log.warn(
        `[stream test] refused: ${String(this.limit.active)} running, ${String(this.limit.queued)} waiting`,
      );
      return { ok: false, code: "busy", messages: explanations.busy };
    }
  }

  /** Kills running probes; their callers get a rejection. */
  close(): void {
    this.closing.abort(new Error("gateway closing"));
  }
}
