import { isTextKey } from "../i18n.js";
import { standardSource, type MediaSourceKind } from "../media-source.js";
import { MsePlayer } from "../mse-player.js";
import type { RenditionChoice, Watch } from "../watch-client.js";
import { listen, renditionOf, type Engine, type EngineEvents, type EngineName } from "./engine.js";

/** The gateway closes a socket it no longer authorizes with this code and the reason code as reason. */
const wsDenied = 4403;

/**
 * WebSocket fMP4 into Media Source Extensions: the sub-second path. The same engine plays into a
 * ManagedMediaSource (ws-mms-engine.ts); only the kind of source differs.
 */
export class WsMseEngine implements Engine {
  readonly name: EngineName;
  readonly renews = false;
  private events: EngineEvents | undefined;
  private unlisten: (() => void) | undefined;
  private readonly mse: MsePlayer;

  constructor(
    private readonly video: HTMLVideoElement,
    source: MediaSourceKind = standardSource,
  ) {
    this.name = source.name === "mms" ? "ws-mms" : "ws-mse";
    this.mse = new MsePlayer(
      video,
      {
        onStatus: (code) => {
          this.events?.status(code !== undefined && isTextKey(code) ? code : undefined);
        },
        onClosed: (code, reason) => {
          if (code === wsDenied) this.events?.refused(reason || undefined);
          // A refused upgrade arrives as 1006 without a reason; the next watch call tells why.
          else this.events?.fatal(isTextKey(reason) ? reason : undefined);
        },
      },
      source,
    );
  }

  static supported(): boolean {
    return standardSource.available();
  }

  play(w: Watch, rendition: RenditionChoice, events: EngineEvents): void {
    this.stop();
    this.events = events;
    this.unlisten = listen(this.video, "playing", () => {
      events.playing();
    });
    this.mse.play(renditionOf(w.ws, w, rendition));
    void this.video.play().catch(() => undefined);
  }

  renewed(): void {
    // The open socket goes on; a reconnect asks for fresh URLs anyway.
  }

  stop(): void {
    this.events = undefined;
    this.unlisten?.();
    this.unlisten = undefined;
    this.mse.stop();
  }
}
