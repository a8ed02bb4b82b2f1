import { managedSource } from "../media-source.js";
import { WsMseEngine } from "./ws-mse-engine.js";

/**
 * The WebSocket fMP4 path where there is no MediaSource but a ManagedMediaSource (iPhones, iOS 17.1+):
 * sub-second instead of LL-HLS's second and more.
 */
export class WsMmsEngine extends WsMseEngine {
  constructor(video: HTMLVideoElement) {
    super(video, managedSource);
  }

  static override supported(): boolean {
    return managedSource.available();
  }
}
