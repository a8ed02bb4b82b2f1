import type { Engine, EngineEvents } from "./engines/engine.js";
import type { EngineChoice, Mode } from "./engines/engine-choice.js";
import { isTextKey, type TextKey } from "./i18n.js";
import { refusalAction } from "./stream-url.js";
import { RefusedError, type RenditionChoice, type Watch, type WatchClient } from "./watch-client.js";

export type { Mode } from "./engines/engine-choice.js";

export interface PlaybackEvents {
  /** A passing state to show over the video (loading, reconnecting…); undefined clears it. */
  status(key: TextKey | undefined): void;
  /** Playback stopped because the gateway refused or cut it; `code` is its reason (error.code). */
  refused(code: string, cameraId: string): void;
  /** Fresh stream URLs: on every start and every renewal. */
  watch(w: Watch): void;
}

export const retryMinMs = 2000;
export const retryMaxMs = 30_000;
export const rateLimitedRetryMs = 15_000;
/** A renewal that failed for a reason other than a refusal: the old token lives on for a fifth of its life. */
export const renewRetryMs = 10_000;
/** A gateway that keeps refusing fresh tokens (clock or key trouble) must not be hammered. */
export const maxReauthorizePerMinute = 3;

type Timer = ReturnType<typeof setTimeout>;

/**
 * Where playback is. Each state is a fresh object holding its own timer: leaving it cancels the timer,
 * and a late answer or engine event that finds another state than the one it belongs to does nothing.
 */
type State =
  | { name: "idle" }
  /** Asking the gateway for stream URLs. */
  | { name: "authorizing"; cameraId: string }
  /** An engine plays; `renewal` asks for fresh URLs before the token expires (engines that need it). */
  | { name: "playing"; cameraId: string; engine: Engine; renewal?: Timer }
  /** Waiting to start again after a failure, a rate limit or too many re-authorizations. */
  | { name: "retrying"; cameraId: string; timer: Timer }
  /** This browser plays neither way; the camera stays chosen. */
  | { name: "unsupported"; cameraId: string };

/**
 * The one player policy of every page: it asks for stream URLs, hands them to the engine the browser
 * can play (engines/), renews their token before it expires, retries with backoff, and turns every
 * refusal (watch call, playlist or part 403, WebSocket 4403) into one `refused` event with the gateway's
 * reason code.
 */
export class Playback {
  mode: Mode = "ws";
  rendition: RenditionChoice = "auto";
  private state: State = { name: "idle" };
  private current: Watch | undefined;
  private retryDelayMs = retryMinMs;
  private reauthorizedAt: number[] = [];

  constructor(
    private readonly events: PlaybackEvents,
    private readonly client: WatchClient,
    private readonly engines: EngineChoice,
  ) {}

  /** The camera being played (or being retried), if any. */
  get watching(): string | undefined {
    return this.state.name === "idle" ? undefined : this.state.cameraId;
  }

  /** The token-bearing URLs in use now (after renewals). */
  get urls(): Watch | undefined {
    return this.current;
  }

  /** The state's name, for tests and diagnostics. */
  get phase(): State["name"] {
    return this.state.name;
  }

  play(cameraId: string): void {
    this.reauthorizedAt = [];
    this.retryDelayMs = retryMinMs;
    void this.start(cameraId);
  }

  stop(): void {
    this.enter({ name: "idle" });
    this.current = undefined;
    this.engines.clear();
  }

  /** Leaves the current state: its engine stops and its timers are cancelled. */
  private enter(next: State): void {
    const s = this.state;
    if (s.name === "playing") {
      s.engine.stop();
      if (s.renewal !== undefined) clearTimeout(s.renewal);
    } else if (s.name === "retrying") {
      clearTimeout(s.timer);
    }
    this.state = next;
  }

  /** Whether `s` is still where playback is (a function: TypeScript must not narrow it across awaits). */
  private isCurrent(s: State): boolean {
    return this.state === s;
  }

  private prefer(): "main" | "sub" | undefined {
    return this.rendition === "auto" ? undefined : this.rendition;
  }

  private async start(cameraId: string): Promise<void> {
    const authorizing: State = { name: "authorizing", cameraId };
    this.enter(authorizing);
    this.events.status("loading");
    let grant;
    try {
      grant = await this.client.watch(cameraId, this.prefer());
    } catch (err) {
      if (!this.isCurrent(authorizing)) return;
      if (err instanceof RefusedError) this.refuse(cameraId, err.code);
      else this.retry(cameraId, "reconnecting");
      return;
    }
    if (!this.isCurrent(authorizing)) return;
    this.current = grant.watch;
    this.events.watch(grant.watch);
    const engine = await this.engines.choose(this.mode);
    if (!this.isCurrent(authorizing)) return;
    if (engine === undefined) {
      this.enter({ name: "unsupported", cameraId });
      this.events.status("unsupported");
      return;
    }
    const playing: State & { name: "playing" } = { name: "playing", cameraId, engine };
    this.enter(playing);
    engine.play(grant.watch, this.rendition, this.engineEvents(playing));
    if (engine.renews && this.isCurrent(playing)) this.scheduleRenewal(playing, grant.renewInMs);
  }

  /** The events of one engine run: heard only while that run is the current state. */
  private engineEvents(run: State & { name: "playing" }): EngineEvents {
    const live = () => this.isCurrent(run);
    return {
      playing: () => {
        if (!live()) return;
        this.retryDelayMs = retryMinMs;
        this.events.status(undefined);
      },
      status: (key) => {
        if (live()) this.events.status(key);
      },
      refused: (code) => {
        if (live()) this.denied(run.cameraId, code);
      },
      fatal: (status) => {
        if (live()) this.retry(run.cameraId, status ?? "reconnecting");
      },
    };
  }

  /**
   * New URLs before the token expires. hls.js sends the new token from its next request on; native HLS
   * keeps playing on the old one and switches when the gateway refuses it.
   */
  private scheduleRenewal(run: State & { name: "playing" }, ms: number): void {
    run.renewal = setTimeout(() => {
      void this.renew(run);
    }, ms);
  }

  private async renew(run: State & { name: "playing" }): Promise<void> {
    run.renewal = undefined;
    try {
      const grant = await this.client.watch(run.cameraId, this.prefer());
      if (!this.isCurrent(run)) return;
      this.current = grant.watch;
      this.events.watch(grant.watch);
      run.engine.renewed(grant.watch);
      this.scheduleRenewal(run, grant.renewInMs);
    } catch (err) {
      if (!this.isCurrent(run)) return;
      const action = err instanceof RefusedError ? refusalAction(err.code) : "reauthorize";
      if (err instanceof RefusedError && (action === "wait" || action === "blocked"))
        this.refuse(run.cameraId, err.code);
      else this.scheduleRenewal(run, renewRetryMs);
    }
  }

  /** A media request or the socket was refused with `code` (undefined when the reason is not known). */
  private denied(cameraId: string, code: string | undefined): void {
    if (refusalAction(code) !== "reauthorize") {
      this.refuse(cameraId, code ?? "not_authorized");
      return;
    }
    const now = Date.now();
    this.reauthorizedAt = this.reauthorizedAt.filter((at) => now - at < 60_000);
    if (this.reauthorizedAt.length >= maxReauthorizePerMinute) {
      this.retry(cameraId, code !== undefined && isTextKey(code) ? code : "reconnecting");
      return;
    }
    this.reauthorizedAt.push(now);
    void this.start(cameraId);
  }

  /** The gateway said no: stop (or, when rate-limited, wait and try again) and say why. */
  private refuse(cameraId: string, code: string): void {
    if (refusalAction(code) === "backoff") this.retry(cameraId, undefined, rateLimitedRetryMs);
    else this.stop();
    this.events.refused(code, cameraId);
  }

  /** Stops what runs and starts again later: after `delayMs`, else after the next backoff step. */
  private retry(cameraId: string, status: TextKey | undefined, delayMs?: number): void {
    const ms = delayMs ?? this.retryDelayMs;
    this.retryDelayMs = Math.min(retryMaxMs, this.retryDelayMs * 2);
    const retrying: State = {
      name: "retrying",
      cameraId,
      timer: setTimeout(() => {
        if (this.isCurrent(retrying)) void this.start(cameraId);
      }, ms),
    };
    this.enter(retrying);
    if (status !== undefined) this.events.status(status);
  }
}
