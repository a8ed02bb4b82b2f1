import type { Engine } from "./engine.js";
import { HlsJsEngine } from "./hls-engine.js";
import { NativeHlsEngine } from "./native-hls-engine.js";
import { WsMmsEngine } from "./ws-mms-engine.js";
import { WsMseEngine } from "./ws-mse-engine.js";

/** What the page asked for: the WebSocket path or LL-HLS. */
export type Mode = "ws" | "hls";

/** Picks the engine that plays `mode` in this browser; the policy never asks which browser it is. */
export interface EngineChoice {
  /** The engine to play `mode` with, or undefined when this browser plays neither way. */
  choose(mode: Mode): Promise<Engine | undefined>;
  /** Leaves the video element empty (after a stop). */
  clear(): void;
}

/**
 * The engines of this page, one instance each on the page's video element: WebSocket fMP4 into MSE when
 * asked for and possible, else into a ManagedMediaSource (iPhones); else hls.js, loaded only now; else
 * the browser's own HLS (older iOS Safari).
 * A new engine is a new file and a line here.
 */
export function browserEngines(video: HTMLVideoElement, debug: boolean): EngineChoice {
  let ws: WsMseEngine | undefined;
  let mms: WsMmsEngine | undefined;
  let hlsjs: HlsJsEngine | undefined;
  let native: NativeHlsEngine | undefined;
  return {
    async choose(mode) {
      if (mode === "ws" && WsMseEngine.supported()) return (ws ??= new WsMseEngine(video));
      if (mode === "ws" && WsMmsEngine.supported()) return (mms ??= new WsMmsEngine(video));
      const { default: HlsJs } = await import("hls.js/light");
      if (HlsJs.isSupported()) return (hlsjs ??= new HlsJsEngine(video, HlsJs, debug));
      if (NativeHlsEngine.supported(video)) return (native ??= new NativeHlsEngine(video));
      return undefined;
    },
    clear() {
      video.removeAttribute("src");
      video.load();
    },
  };
}
