import type Hls from "hls.js/light";
import { reasonFromBody, tokenOf, withToken } from "../stream-url.js";
import type { RenditionChoice, Watch } from "../watch-client.js";
import { listen, type Engine, type EngineEvents } from "./engine.js";

type HlsClass = typeof Hls;

/** The reason code in a failed media response hls.js hands over (an XMLHttpRequest as networkDetails). */
function reasonOfXhr(details: unknown): string | undefined {
  if (!(details instanceof XMLHttpRequest) || details.readyState !== XMLHttpRequest.DONE) return undefined;
  const body: unknown = details.response;
  if (typeof body === "string") return reasonFromBody(body);
  if (body instanceof ArrayBuffer) return reasonFromBody(new TextDecoder().decode(body));
  return undefined;
}

/**
 * LL-HLS through hls.js (MSE, or ManagedMediaSource on iOS 17.1+). The class is handed in by whoever
 * loaded it lazily: it is most of the page's weight. Always through the master playlist: loading a
 * media playlist directly made hls.js fetch it twice at once, see no update, and wait two target
 * durations before its first blocking reload (measured on a cold start).
 */
export class HlsJsEngine implements Engine {
  readonly name = "hlsjs";
  readonly renews = true;
  private hls: Hls | undefined;
  private current: Watch | undefined;
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly HlsJs: HlsClass,
    private readonly debug = false,
  ) {}

  play(w: Watch, rendition: RenditionChoice, events: EngineEvents): void {
    this.stop();
    const HlsJs = this.HlsJs;
    this.current = w;
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
    this.unlisten = listen(this.video, "playing", () => {
      events.playing();
    });
    player.on(HlsJs.Events.MANIFEST_PARSED, (_e, data) => {
      const index = data.levels.findIndex((l) => l.url.some((u) => u.includes(`/${rendition}/`)));
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
          if (this.hls === player) events.refused(reason);
        }, 0);
        return;
      }
      if (data.fatal) events.fatal();
    });
    // `prefer` lets the gateway warm up the variant this player will ask for first.
    player.loadSource(rendition === "auto" ? w.hls : `${w.hls}?prefer=${rendition}`);
    player.attachMedia(this.video);
    void this.video.play().catch(() => undefined);
  }

  /** hls.js sends the new token from its next request on. */
  renewed(w: Watch): void {
    this.current = w;
  }

  stop(): void {
    this.unlisten?.();
    this.unlisten = undefined;
    this.hls?.destroy();
    this.hls = undefined;
  }

  /** Every request hls.js makes goes out with the newest token. */
  private rewrite(url: string): string {
    const token = this.current && tokenOf(this.current.hls);
    return token === undefined || tokenOf(url) === token ? url : withToken(url, token);
  }
}
