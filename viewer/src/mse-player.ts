import { preferredSource, type MediaSourceKind } from "./media-source.js";

/**
 * WebSocket fMP4 into Media Source Extensions: the sub-second path. The gateway sends a JSON header, the
 * init segment, the GOP cache and live fragments; SourceBuffer "sequence" mode lays fragments end to end,
 * so a camera restart (timestamps from zero) or a skipped GOP needs no timestamp arithmetic here. The same
 * code feeds a standard MediaSource or a ManagedMediaSource (media-source.ts).
 */
export interface MsePlayerEvents {
  onStatus(code: string | undefined): void;
  onClosed(code: number, reason: string): void;
}

/**
 * How far behind the newest buffered frame playback aims to be (seconds). Frames arrive one by one (a
 * fragment per frame), so two frames of slack absorb the jitter without stalling.
 */
const targetLag = 0.08;
const jumpLag = 1.5;

/**
 * Catching up to the live edge. WebKitGTK turns every playbackRate change into a flushing seek of its
 * GStreamer pipeline (MediaPlayerPrivateGStreamer::updatePlaybackRate → doSeek(position, rate, FLUSH)):
 * a rate switched between 1, 1.05 and 1.15 a few times a second, as this player did, kept WebKit's
 * pipeline re-prerolling and its playhead ~0.25 s behind the newest frame instead of 0.08 s (glass to
 * glass ~0.4 s against Chromium's ~0.2 s). So one faster rate, entered when clearly behind, left when
 * caught up, and not entered again for a while: two changes per catch-up, in any browser.
 */
export const catchUp = {
  rate: 1.25,
  /** Behind the target by more than this (s): start catching up. */
  enterAbove: 0.1,
  /** Behind the target by no more than this (s): back to normal speed. */
  leaveBelow: 0.02,
  /** At least this long at normal speed between two catch-ups (ms). */
  restMs: 1000,
} as const;

/** The playback rate for a playhead `lag` seconds behind the newest frame; pure, for the unit tests. */
export function rateFor(current: number, lag: number, msSinceChange: number): number {
  if (current > 1) return lag <= targetLag + catchUp.leaveBelow ? 1 : current;
  return lag > targetLag + catchUp.enterAbove && msSinceChange >= catchUp.restMs ? catchUp.rate : 1;
}

export class MsePlayer {
  private url: string | undefined;
  private ws: WebSocket | undefined;
  private ms: MediaSource | undefined;
  private sb: SourceBuffer | undefined;
  private queue: ArrayBuffer[] = [];
  private codecs = "";
  private timer: number | undefined;
  private rateChangedAt = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: MsePlayerEvents,
    private readonly source: MediaSourceKind,
  ) {}

  /** Whether this browser has either kind of Media Source for the WebSocket path. */
  static supported(): boolean {
    return preferredSource() !== undefined;
  }

  play(wsUrl: string): void {
    this.stop();
    this.url = wsUrl;
    this.connect();
    this.timer = window.setInterval(() => {
      this.followLiveEdge();
    }, 100);
  }

  stop(): void {
    this.disconnect();
    this.url = undefined;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.ms) this.source.detach(this.video, this.ms);
    this.sb = undefined;
    this.ms = undefined;
    this.codecs = "";
  }

  private connect(): void {
    if (this.url === undefined) return;
    const url = new URL(this.url, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onmessage = (ev: MessageEvent<string | ArrayBuffer>) => {
      if (typeof ev.data === "string") {
        const header = JSON.parse(ev.data) as { type: string; codecs: string };
        if (header.type === "init") this.setup(header.codecs);
      } else {
        this.queue.push(ev.data);
        this.pump();
      }
    };
    ws.onclose = (ev) => {
      if (this.ws === ws) this.events.onClosed(ev.code, ev.reason);
    };
  }

  private disconnect(): void {
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close();
    }
    this.ws = undefined;
    this.queue = [];
  }

  private setup(codecs: string): void {
    const type = `video/mp4; codecs="${codecs}"`;
    if (!this.source.isTypeSupported(type)) {
      this.events.onStatus("unsupported");
      return;
    }
    if (this.sb && this.codecs === codecs) return;
    if (this.sb && "changeType" in this.sb) {
      this.sb.changeType(type);
      this.codecs = codecs;
      return;
    }
    this.codecs = codecs;
    this.queue = [];
    const ms = this.source.create();
    this.ms = ms;
    // A managed source asks the page to stop fetching (enough buffered, memory pressure, a hidden page) and
    // to start again. A live stream cannot pause at a point and resume there: the socket closes, and a new
    // one starts from the gateway's last keyframe, appended end to end in sequence mode.
    ms.addEventListener("endstreaming", () => {
      if (this.ms === ms && this.ws) this.disconnect();
    });
    ms.addEventListener("startstreaming", () => {
      if (this.ms === ms && !this.ws) this.connect();
    });
    this.source.attach(this.video, ms, () => {
      if (this.ms !== ms) return;
      const sb = ms.addSourceBuffer(type);
      sb.mode = "sequence";
      sb.addEventListener("updateend", () => {
        this.pump();
      });
      this.sb = sb;
      this.pump();
    });
  }

  private pump(): void {
    const sb = this.sb;
    if (!sb || sb.updating || this.queue.length === 0) return;
    const next = this.queue.shift() as ArrayBuffer;
    try {
      sb.appendBuffer(next);
    } catch (err) {
      if ((err as DOMException).name === "QuotaExceededError") {
        this.queue.unshift(next);
        this.trim(true);
      } else {
        throw err;
      }
    }
  }

  /** Stay near the newest frame: jump when far behind, play faster for a while when a little behind. */
  private followLiveEdge(): void {
    const v = this.video;
    const b = v.buffered;
    if (b.length === 0) return;
    const end = b.end(b.length - 1);
    const lag = end - v.currentTime;
    if (lag > jumpLag || v.currentTime < b.start(b.length - 1)) {
      v.currentTime = Math.max(b.start(b.length - 1), end - targetLag);
    }
    const now = performance.now();
    const rate = rateFor(v.playbackRate, lag, now - this.rateChangedAt);
    if (rate !== v.playbackRate) {
      v.playbackRate = rate;
      this.rateChangedAt = now;
    }
    if (v.paused) void v.play().catch(() => undefined);
    this.trim(false);
  }

  private trim(force: boolean): void {
    const sb = this.sb;
    if (!sb || sb.updating || sb.buffered.length === 0) return;
    const keepFrom = this.video.currentTime - (force ? 2 : 10);
    if (sb.buffered.start(0) < keepFrom - 5 || (force && sb.buffered.start(0) < keepFrom))
      sb.remove(0, keepFrom);
  }
}
