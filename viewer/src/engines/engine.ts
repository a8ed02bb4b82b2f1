import type { TextKey } from "../i18n.js";
import { renditionUrl } from "../stream-url.js";
import type { RenditionChoice, Watch } from "../watch-client.js";

/** What an engine tells the playback policy; nothing more arrives after its `stop()`. */
export interface EngineEvents {
  /** The picture moves. */
  playing(): void;
  /** A passing state of the engine's own to show over the video; undefined clears it. */
  status(key: TextKey | undefined): void;
  /** The gateway refused a media request or the socket; `code` is its reason when the engine can tell. */
  refused(code: string | undefined): void;
  /** The engine broke for another reason (network, socket closed, a fatal player error): retry later. */
  fatal(status?: TextKey): void;
}

export type EngineName = "ws-mse" | "ws-mms" | "hlsjs" | "native-hls";

/**
 * One way of playing a camera's stream into the page's video element. The policy (Playback) decides
 * when to play, renew and retry; an engine only plays and reports.
 */
export interface Engine {
  readonly name: EngineName;
  /**
   * Whether the stream URLs must be renewed before their token expires. An open socket is re-authorized
   * by the gateway every second and needs none (a reconnect asks anew); HLS requests carry the token.
   */
  readonly renews: boolean;
  play(w: Watch, rendition: RenditionChoice, events: EngineEvents): void;
  /** Fresh URLs for the stream being played: the same stream under a new token. */
  renewed(w: Watch): void;
  stop(): void;
}

/** The URL of the chosen rendition, or the default one when the camera has no such rendition. */
export function renditionOf(base: string, w: Watch, rendition: RenditionChoice): string {
  return rendition === "auto" || !w.renditions.includes(rendition) ? base : renditionUrl(base, rendition);
}

/** Listens to `type` on the video until the returned function is called. */
export function listen(video: HTMLVideoElement, type: string, fn: () => void): () => void {
  video.addEventListener(type, fn);
  return () => {
    video.removeEventListener(type, fn);
  };
}
