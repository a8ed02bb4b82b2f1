import type { RenditionChoice, Watch } from "../watch-client.js";
import { listen, renditionOf, type Engine, type EngineEvents } from "./engine.js";

/** A picture stuck this long once playing is taken for a refusal Safari did not report. */
const stuckMs = 8000;

/**
 * The browser's own HLS (iOS Safari without MSE). It reports a refused playlist only as a media error,
 * and may retry one for a while and stall without any event; both come out as `refused` with no
 * reason, and fresh URLs tell whether and why. After a renewal it keeps playing on the old token until
 * the gateway refuses it.
 */
export class NativeHlsEngine implements Engine {
  readonly name = "native-hls";
  readonly renews = true;
  private unlisten: (() => void)[] = [];
  private stallTimer: number | undefined;

  constructor(private readonly video: HTMLVideoElement) {}

  static supported(video: HTMLVideoElement): boolean {
    return video.canPlayType("application/vnd.apple.mpegurl") !== "";
  }

  play(w: Watch, rendition: RenditionChoice, events: EngineEvents): void {
    this.stop();
    const video = this.video;
    this.unlisten = [
      listen(video, "playing", () => {
        events.playing();
      }),
      listen(video, "error", () => {
        events.refused(undefined);
      }),
    ];
    let last = -1;
    let stuckSince = Date.now();
    this.stallTimer = window.setInterval(() => {
      const t = video.currentTime;
      if (t !== last || t === 0 || video.paused) {
        last = t;
        stuckSince = Date.now();
      } else if (Date.now() - stuckSince > stuckMs) {
        events.refused(undefined);
      }
    }, 1000);
    video.src = renditionOf(w.hls, w, rendition);
    void video.play().catch(() => undefined);
  }

  renewed(): void {
    // Safari keeps its playlist URL; the next refusal brings it onto fresh URLs.
  }

  stop(): void {
    for (const off of this.unlisten) off();
    this.unlisten = [];
    if (this.stallTimer !== undefined) clearInterval(this.stallTimer);
    this.stallTimer = undefined;
  }
}
