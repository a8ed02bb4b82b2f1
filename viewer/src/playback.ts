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
  /** Where playback is now, in the words the page shows (a status badge); told on every change. */
  phase?(phase: PlaybackPhase): void;
}

/** What the page shows as the player's state (the policy's states, with "playing" split by a moving picture). */
export type PlaybackPhase =
  "idle" | "connecting" | "live" | "retrying" | "suspended" | "offline" | "unsupported";

export const retryMinMs = 2000;
export const retryMaxMs = 30_000;
export const rateLimitedRetryMs = 15_000;
/** A renewal that failed for a reason other than a refusal: the old token lives on for a fifth of its life. */
export const renewRetryMs = 10_000;
/** A gateway that keeps refusing fresh tokens (clock or key trouble) must not be hammered. */
export const maxReauthorizePerMinute = 3;
/** A page hidden this long stops streaming (a parent's data plan) and starts again when it is shown. */
export const hiddenDropMs = 15_000;
/** How often the picture's position is looked at while playing. */
export const progressCheckMs = 1000;
/**
 * A picture that stood still this long (visible, online) is taken for a dead connection: after a network
 * change a phone's socket can stay open for minutes without a byte and without a close.
 */
export const stallMs = 8000;
/** Before the first picture, the camera may be starting (a cold start on demand) and says so itself. */
export const firstPictureMs = 20_000;
/** After the page is shown again, a picture must move within this time or playback starts anew. */
export const resumeGraceMs = 2000;

type Timer = ReturnType<typeof setTimeout>;

/**
 * Where playback is. Each state is a fresh object holding its own timer: leaving it cancels the timer,
 * and a late answer or engine event that finds another state than the one it belongs to does nothing.
 */
type State =
  | { name: "idle" }
  /** Asking the gateway for stream URLs. */
  | { name: "authorizing"; cameraId: string }
  /**
   * An engine plays; `renewal` asks for fresh URLs before the token expires (engines that need it);
   * `watchdog` looks at the picture's position, which last moved at `movedAt` (`live` once it has).
   */
  | {
      name: "playing";
      cameraId: string;
      engine: Engine;
      renewal?: Timer;
      watchdog?: ReturnType<typeof setInterval>;
      position: number;
      movedAt: number;
      live: boolean;
    }
  /** Waiting to start again after a failure, a rate limit (`patient`: not cut short) or too many re-authorizations. */
  | { name: "retrying"; cameraId: string; timer: Timer; patient: boolean }
  /** Stopped while the page is hidden or the device offline; starts again when both are over. */
  | { name: "suspended"; cameraId: string; why: "hidden" | "offline" }
  /** This browser plays neither way; the camera stays chosen. */
  | { name: "unsupported"; cameraId: string };

/**
 * The one player policy of every page: it asks for stream URLs, hands them to the engine the browser
 * can play (engines/), renews their token before it expires, retries with backoff, and turns every
 * refusal (watch call, playlist or part 403, WebSocket 4403) into one `refused` event with the gateway's
 * reason code. It recovers by itself: a picture that stands still restarts it, a page hidden for long or a
 * device offline stops it, and being shown again or back online starts it at once instead of waiting out
 * a backoff (the page reports these with setVisible and setOnline).
 */
export class Playback {
  mode: Mode = "ws";
  rendition: RenditionChoice = "auto";
  private state: State = { name: "idle" };
  private current: Watch | undefined;
  private retryDelayMs = retryMinMs;
  private reauthorizedAt: number[] = [];
  private hidden = false;
  private online = true;
  private hiddenTimer: Timer | undefined;
  private shownPhase: PlaybackPhase = "idle";

  constructor(
    private readonly events: PlaybackEvents,
    private readonly client: WatchClient,
    private readonly engines: EngineChoice,
    /** The picture's position in seconds (the video's currentTime); without it no stall is noticed. */
    private readonly position?: () => number,
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

  /**
   * The page was shown or hidden (document.visibilityState). Hidden for `hiddenDropMs`, playback stops;
   * shown again, a stopped or waiting playback starts at once and a playing one must move within
   * `resumeGraceMs`.
   */
  setVisible(visible: boolean): void {
    if (!visible) {
      this.hidden = true;
      this.hiddenTimer ??= setTimeout(() => {
        this.hiddenTimer = undefined;
        this.suspend("hidden");
      }, hiddenDropMs);
      return;
    }
    this.hidden = false;
    if (this.hiddenTimer !== undefined) clearTimeout(this.hiddenTimer);
    this.hiddenTimer = undefined;
    this.wake();
  }

  /** The device lost or regained its network (the online and offline events). */
  setOnline(online: boolean): void {
    this.online = online;
    if (online) this.wake();
    else this.suspend("offline");
  }

  /** Stops what runs but keeps the camera, to start again when the page is shown and online. */
  private suspend(why: "hidden" | "offline"): void {
    const s = this.state;
    if (s.name === "idle" || s.name === "unsupported") return;
    if (s.name === "suspended" && (s.why === why || why === "hidden")) return;
    this.enter({ name: "suspended", cameraId: s.cameraId, why });
    this.engines.clear();
    this.events.status(why === "offline" ? "offline" : undefined);
  }

  /** Shown and online again: no waiting out a backoff, and a picture that does not move is replaced. */
  private wake(): void {
    if (this.hidden || !this.online) return;
    const s = this.state;
    if (s.name === "suspended" || (s.name === "retrying" && !s.patient)) {
      this.retryDelayMs = retryMinMs;
      void this.start(s.cameraId);
    } else if (s.name === "playing") {
      s.movedAt = Math.min(s.movedAt, Date.now() - (s.live ? stallMs : firstPictureMs) + resumeGraceMs);
    }
  }

  /** Leaves the current state: its engine stops and its timers are cancelled. */
  private enter(next: State): void {
    const s = this.state;
    if (s.name === "playing") {
      s.engine.stop();
      if (s.renewal !== undefined) clearTimeout(s.renewal);
      if (s.watchdog !== undefined) clearInterval(s.watchdog);
    } else if (s.name === "retrying") {
      clearTimeout(s.timer);
    }
    this.state = next;
    this.showPhase();
  }

  /** Tells the page the phase when it changed. */
  private showPhase(): void {
    const s = this.state;
    const phase: PlaybackPhase =
      s.name === "authorizing"
        ? "connecting"
        : s.name === "playing"
          ? s.live
            ? "live"
            : "connecting"
          : s.name === "suspended"
            ? s.why === "offline"
              ? "offline"
              : "suspended"
            : s.name;
    if (phase === this.shownPhase) return;
    this.shownPhase = phase;
    this.events.phase?.(phase);
  }

  /** Whether `s` is still where playback is (a function: TypeScript must not narrow it across awaits). */
  private isCurrent(s: State): boolean {
    return this.state === s;
  }

  private prefer(): "main" | "sub" | undefined {
    return this.rendition === "auto" ? undefined : this.rendition;
  }

  private async start(cameraId: string): Promise<void> {
    if (!this.online) {
      this.enter({ name: "suspended", cameraId, why: "offline" });
      this.events.status("offline");
      return;
    }
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
    const playing: State & { name: "playing" } = {
      name: "playing",
      cameraId,
      engine,
      position: this.position?.() ?? 0,
      movedAt: Date.now(),
      live: false,
    };
    this.enter(playing);
    engine.play(grant.watch, this.rendition, this.engineEvents(playing));
    if (!this.isCurrent(playing)) return;
    if (engine.renews) this.scheduleRenewal(playing, grant.renewInMs);
    this.guard(playing);
  }

  /**
   * Restarts a run whose picture stopped moving: after a network change the socket or the playlist
   * requests may hang without an error. Nothing is judged while the page is hidden (browsers pause
   * hidden video).
   */
  private guard(run: State & { name: "playing" }): void {
    const position = this.position;
    if (position === undefined) return;
    run.watchdog = setInterval(() => {
      const now = Date.now();
      const at = position();
      if (at !== run.position || this.hidden) {
        run.position = at;
        run.movedAt = now;
        return;
      }
      if (now - run.movedAt < (run.live ? stallMs : firstPictureMs)) return;
      // A picture that was live (the backoff is reset) comes back at once; a failing one backs off.
      this.retry(run.cameraId, "reconnecting", run.live && this.retryDelayMs === retryMinMs ? 0 : undefined);
    }, progressCheckMs);
  }

  /** The events of one engine run: heard only while that run is the current state. */
  private engineEvents(run: State & { name: "playing" }): EngineEvents {
    const live = () => this.isCurrent(run);
    return {
      playing: () => {
        if (!live()) return;
        this.retryDelayMs = retryMinMs;
        run.live = true;
        run.movedAt = Date.now();
        this.showPhase();
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
    if (refusalAction(code) === "backoff") this.retry(cameraId, undefined, rateLimitedRetryMs, true);
    else this.stop();
    this.events.refused(code, cameraId);
  }

  /**
   * Stops what runs and starts again later: after `delayMs` (a rate limit: `patient`), else after the next
   * backoff step.
   */
  private retry(cameraId: string, status: TextKey | undefined, delayMs?: number, patient = false): void {
    const ms = delayMs ?? this.retryDelayMs;
    this.retryDelayMs = Math.min(retryMaxMs, this.retryDelayMs * 2);
    const retrying: State = {
      name: "retrying",
      cameraId,
      patient,
      timer: setTimeout(() => {
        if (this.isCurrent(retrying)) void this.start(cameraId);
      }, ms),
    };
    this.enter(retrying);
    if (status !== undefined) this.events.status(status);
  }
}
