import type Hls from "hls.js";
import { isTextKey, type TextKey } from "./i18n.js";
import { MsePlayer } from "./mse-player.js";
import {
  reasonFromBody,
  refusalAction,
  renewDelayMs,
  renditionUrl,
  tokenOf,
  withToken,
} from "./stream-url.js";

/** `POST /api/watch/:cameraId`. */
export interface Watch {
  cameraId: string;
  name: string;
  demo: boolean;
  renditions: string[];
  hls: string;
  ws: string;
  expiresAt: string;
  /** The guardian's name to draw over the video; absent for dev and demo viewers. */
  watermark?: string;
}

export type Mode = "ws" | "hls";
export type RenditionChoice = "auto" | "main" | "sub";

export interface PlaybackEvents {
  /** A passing state to show over the video (loading, reconnecting…); undefined clears it. */
  status(key: TextKey | undefined): void;
  /** Playback stopped because the gateway refused or cut it; `code` is its reason (error.code). */
  refused(code: string, cameraId: string): void;
  /** Fresh stream URLs: on every start and every renewal. */
  watch(w: Watch): void;
}

/** The gateway said no: an HTTP status and its error.code. */
export class RefusedError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

const wsDenied = 4403;
const retryMinMs = 2000;
const retryMaxMs = 30_000;
const rateLimitedRetryMs = 15_000;
// A gateway that keeps refusing fresh tokens (clock or key trouble) must not be hammered.
const maxReauthorizePerMinute = 3;

async function requestWatch(
  cameraId: string,
  prefer: string | undefined,
): Promise<{ watch: Watch; renewInMs: number }> {
  const query = prefer === undefined ? "" : `?prefer=${prefer}`;
  const res = await fetch(`/api/watch/${encodeURIComponent(cameraId)}${query}`, {
    method: "POST",
    credentials: "same-origin",
  });
  const text = await res.text();
  if (!res.ok) {
    const code = reasonFromBody(text);
    if (res.status === 401 || res.status === 403 || res.status === 404 || res.status === 429) {
      throw new RefusedError(res.status, code ?? (res.status === 429 ? "rate_limited" : "not_authorized"));
    }
    throw new Error(code ?? `HTTP ${String(res.status)}`);
  }
  const watch = JSON.parse(text) as Watch;
  return { watch, renewInMs: renewDelayMs(watch.expiresAt, res.headers.get("date"), Date.now()) };
}

/** The reason code in a failed media response hls.js hands over (an XMLHttpRequest as networkDetails). */
function reasonOfXhr(details: unknown): string | undefined {
  if (!(details instanceof XMLHttpRequest) || details.readyState !== XMLHttpRequest.DONE) return undefined;
  const body: unknown = details.response;
  if (typeof body === "string") return reasonFromBody(body);
  if (body instanceof ArrayBuffer) return reasonFromBody(new TextDecoder().decode(body));
  return undefined;
}

/**
 * One player for every page: WebSocket fMP4 into MSE, LL-HLS through hls.js (loaded lazily), or the
 * browser's own HLS (iOS Safari without MSE). It asks for stream URLs, renews their token before it
 * expires, and turns every refusal (watch call, playlist or part 403, WebSocket 4403) into one `refused`
 * event with the gateway's reason code.
 */
export class Playback {
  mode: Mode = MsePlayer.supported() ? "ws" : "hls";
  rendition: RenditionChoice = "auto";
  private cameraId: string | undefined;
  private current: Watch | undefined;
  private engine: "ws" | "hlsjs" | "native" | undefined;
  private hls: Hls | undefined;
  /** Bumped on every start and stop: callbacks of an older attempt see a different number and do nothing. */
  private generation = 0;
  private renewTimer: number | undefined;
  private retryTimer: number | undefined;
  private stallTimer: number | undefined;
  private retryDelayMs = retryMinMs;
  private reauthorizedAt: number[] = [];
  private readonly mse: MsePlayer;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: PlaybackEvents,
    private readonly debug = false,
  ) {
    this.mse = new MsePlayer(video, {
      onStatus: (code) => {
        events.status(code !== undefined && isTextKey(code) ? code : undefined);
      },
      onClosed: (code, reason) => {
        if (code === wsDenied) {
          this.denied(reason || undefined);
          return;
        }
        // A refused upgrade arrives as 1006 without a reason; the next watch call tells why.
        events.status(isTextKey(reason) ? reason : "reconnecting");
        this.scheduleRetry();
      },
    });
    video.addEventListener("playing", () => {
      this.retryDelayMs = retryMinMs;
      events.status(undefined);
    });
    // Native HLS reports a refused playlist only as a media error: fresh URLs tell whether and why.
    video.addEventListener("error", () => {
      if (this.engine === "native") this.denied(undefined);
    });
  }

  /** The camera being played (or being retried), if any. */
  get watching(): string | undefined {
    return this.cameraId;
  }

  /** The token-bearing URLs in use now (after renewals). */
  get urls(): Watch | undefined {
    return this.current;
  }

  play(cameraId: string): void {
    this.cameraId = cameraId;
    this.reauthorizedAt = [];
    this.retryDelayMs = retryMinMs;
    void this.start();
  }

  stop(): void {
    this.cameraId = undefined;
    this.current = undefined;
    this.halt();
    this.video.removeAttribute("src");
    this.video.load();
  }

  /** Stops the engines and timers, keeps the camera (for a restart). */
  private halt(): void {
    this.generation++;
    this.mse.stop();
    this.hls?.destroy();
    this.hls = undefined;
    this.engine = undefined;
    if (this.renewTimer !== undefined) clearTimeout(this.renewTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.stallTimer !== undefined) clearInterval(this.stallTimer);
    this.renewTimer = this.retryTimer = this.stallTimer = undefined;
  }

  private prefer(): "main" | "sub" | undefined {
    return this.rendition === "auto" ? undefined : this.rendition;
  }

  private pick(w: Watch, kind: "hls" | "ws"): string {
    const base = kind === "hls" ? w.hls : w.ws;
    const r = this.rendition;
    return r === "auto" || !w.renditions.includes(r) ? base : renditionUrl(base, r);
  }

  private async start(): Promise<void> {
    const cameraId = this.cameraId;
    if (cameraId === undefined) return;
    this.halt();
    const gen = this.generation;
    this.events.status("loading");
    let got: Awaited<ReturnType<typeof requestWatch>>;
    try {
      got = await requestWatch(cameraId, this.prefer());
    } catch (err) {
      if (gen !== this.generation) return;
      if (err instanceof RefusedError) this.refuse(err.code);
      else {
        this.events.status("reconnecting");
        this.scheduleRetry();
      }
      return;
    }
    if (gen !== this.generation) return;
    const w = got.watch;
    this.current = w;
    this.events.watch(w);
    if (this.mode === "ws" && MsePlayer.supported()) {
      // An open socket is re-authorized by the gateway every second: no renewal; a reconnect asks anew.
      this.engine = "ws";
      this.mse.play(this.pick(w, "ws"));
    } else if (await this.startHlsJs(w, gen)) {
      // hls.js plays it (MSE or, on iOS 17.1+, ManagedMediaSource).
      this.engine = "hlsjs";
      this.scheduleRenew(got.renewInMs, gen);
    } else if (gen !== this.generation) {
      return;
    } else if (this.video.canPlayType("application/vnd.apple.mpegurl")) {
      this.engine = "native";
      this.video.src = this.pick(w, "hls");
      this.scheduleRenew(got.renewInMs, gen);
      this.watchNativeStall();
    } else {
      this.events.status("unsupported");
      return;
    }
    void this.video.play().catch(() => undefined);
  }

  /**
   * Safari may retry a refused playlist for a while and stall without an `error` event: a picture stuck
   * for 8 s once playing gets fresh URLs (and, if the gateway says no, its reason).
   */
  private watchNativeStall(): void {
    let last = -1;
    let stuckSince = Date.now();
    this.stallTimer = window.setInterval(() => {
      const t = this.video.currentTime;
      if (t !== last || t === 0 || this.video.paused) {
        last = t;
        stuckSince = Date.now();
      } else if (Date.now() - stuckSince > 8000) {
        this.denied(undefined);
      }
    }, 1000);
  }

  /**
   * New URLs before the token expires. hls.js sends the new token from its next request on (xhrSetup);
   * native HLS keeps playing on the old one and switches when the gateway refuses it (the `error` event).
   */
  private scheduleRenew(ms: number, gen: number): void {
    if (this.renewTimer !== undefined) clearTimeout(this.renewTimer);
    this.renewTimer = window.setTimeout(() => {
      void this.renew(gen);
    }, ms);
  }

  private async renew(gen: number): Promise<void> {
    const cameraId = this.cameraId;
    if (cameraId === undefined || gen !== this.generation) return;
    try {
      const got = await requestWatch(cameraId, this.prefer());
      if (gen !== this.generation) return;
      this.current = got.watch;
      this.events.watch(got.watch);
      this.scheduleRenew(got.renewInMs, gen);
    } catch (err) {
      if (gen !== this.generation) return;
      const action = err instanceof RefusedError ? refusalAction(err.code) : "reauthorize";
      if (err instanceof RefusedError && (action === "wait" || action === "blocked")) this.refuse(err.code);
      // The old token lives on for a fifth of its life: try again soon.
      else this.scheduleRenew(10_000, gen);
    }
  }

  /** A media request or the socket was refused with `code` (undefined when the reason is not known). */
  private denied(code: string | undefined): void {
    if (this.cameraId === undefined) return;
    const action = refusalAction(code);
    if (action !== "reauthorize") {
      this.refuse(code ?? "not_authorized");
      return;
    }
    const now = Date.now();
    this.reauthorizedAt = this.reauthorizedAt.filter((at) => now - at < 60_000);
    if (this.reauthorizedAt.length >= maxReauthorizePerMinute) {
      this.halt();
      this.events.status(code !== undefined && isTextKey(code) ? code : "reconnecting");
      this.scheduleRetry();
      return;
    }
    this.reauthorizedAt.push(now);
    void this.start();
  }

  private refuse(code: string): void {
    const cameraId = this.cameraId;
    if (cameraId === undefined) return;
    if (refusalAction(code) === "backoff") {
      this.halt();
      this.scheduleRetry(rateLimitedRetryMs);
    } else {
      this.stop();
    }
    this.events.refused(code, cameraId);
  }

  private scheduleRetry(delayMs?: number): void {
    if (this.retryTimer !== undefined) return;
    const ms = delayMs ?? this.retryDelayMs;
    this.retryDelayMs = Math.min(retryMaxMs, this.retryDelayMs * 2);
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = undefined;
      void this.start();
    }, ms);
  }

  /** Every request hls.js makes goes out with the newest token. */
  private rewrite(url: string): string {
    const token = this.current && tokenOf(this.current.hls);
    return token === undefined || tokenOf(url) === token ? url : withToken(url, token);
  }

  /**
   * LL-HLS through hls.js, loaded only when needed (it is most of the page's weight). Always through the
   * master playlist: loading a media playlist directly made hls.js fetch it twice at once, see no update,
   * and wait two target durations before its first blocking reload (measured on a cold start).
   */
  private async startHlsJs(w: Watch, gen: number): Promise<boolean> {
    const { default: HlsJs } = await import("hls.js");
    if (gen !== this.generation || !HlsJs.isSupported()) return false;
    const wanted = this.rendition;
    const player = new HlsJs({
      lowLatencyMode: true,
      autoStartLoad: false,
      // Our fMP4 needs no transmuxing; the worker would re-parse all of hls.js first (~0.5 s measured).
      enableWorker: false,
      debug: this.debug,
      backBufferLength: 10,
      maxLiveSyncPlaybackRate: 1.5,
      // The token lives in the path and playlists are relative to it: after a renewal, rewrite every
      // request (xhrSetup may reopen the request with another URL; fetchSetup serves the fetch loader).
      xhrSetup: (xhr, url) => {
        const next = this.rewrite(url);
        if (next !== url) xhr.open("GET", next, true);
      },
      fetchSetup: (context, init: RequestInit) => new Request(this.rewrite(context.url), init),
    });
    this.hls = player;
    player.on(HlsJs.Events.MANIFEST_PARSED, (_e, data) => {
      const index = data.levels.findIndex((l) => l.url.some((u) => u.includes(`/${wanted}/`)));
      if (index >= 0) {
        player.startLevel = index;
        player.loadLevel = index;
      }
      player.startLoad(-1);
    });
    let denied = false;
    player.on(HlsJs.Events.ERROR, (_e, data) => {
      if (this.hls !== player || denied) return;
      const status = data.response?.code;
      const reason = reasonOfXhr(data.networkDetails);
      // A 403 (or a camera gone) is never retried by hls.js; it may first try the other variant, which
      // would be refused too. React to the first one, after hls.js has finished handling it.
      if (status === 401 || status === 403 || reason === "camera_unavailable") {
        denied = true;
        window.setTimeout(() => {
          if (this.hls === player) this.denied(reason);
        }, 0);
        return;
      }
      if (!data.fatal) return;
      this.events.status("reconnecting");
      this.scheduleRetry();
    });
    // `prefer` lets the gateway warm up the variant this player will ask for first.
    player.loadSource(wanted === "auto" ? w.hls : `${w.hls}?prefer=${wanted}`);
    player.attachMedia(this.video);
    return true;
  }
}
