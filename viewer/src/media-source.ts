/**
 * The two kinds of Media Source a browser may offer the WebSocket fMP4 path: the standard MediaSource, and
 * ManagedMediaSource (Safari 17, iOS 17.1+, where iPhones have no MediaSource at all). The SourceBuffer
 * work is the same (mse-player.ts); what differs is the constructor, how it attaches to the video, and that
 * a managed source tells the page when to stop and start fetching.
 */
export interface MediaSourceKind {
  readonly name: "mse" | "mms";
  available(): boolean;
  isTypeSupported(type: string): boolean;
  create(): MediaSource;
  /** Plays `ms` in `video`; `opened` runs once it is open (its object URL, if any, is then let go). */
  attach(video: HTMLVideoElement, ms: MediaSource, opened: () => void): void;
  /** Leaves the video without `ms`, if it still has it (a source object outranks any src). */
  detach(video: HTMLVideoElement, ms: MediaSource): void;
}

/** ManagedMediaSource as WebKit ships it (not in TypeScript's DOM library yet). */
interface ManagedMediaSourceClass {
  new (): MediaSource & { readonly streaming?: boolean };
  isTypeSupported(type: string): boolean;
}

declare global {
  interface Window {
    ManagedMediaSource?: ManagedMediaSourceClass;
  }
}

/** The standard MediaSource, attached through an object URL. */
export const standardSource: MediaSourceKind = {
  name: "mse",
  available: () => typeof window !== "undefined" && typeof window.MediaSource === "function",
  isTypeSupported: (type) => MediaSource.isTypeSupported(type),
  create: () => new MediaSource(),
  attach(video, ms, opened) {
    const url = URL.createObjectURL(ms);
    ms.addEventListener(
      "sourceopen",
      () => {
        URL.revokeObjectURL(url);
        opened();
      },
      { once: true },
    );
    video.src = url;
  },
  detach() {
    // The next src replaces it; the object URL was revoked when it opened.
  },
};

/**
 * ManagedMediaSource, attached as go2rtc's video-rtc.js and Frigate's MSE player do it: remote playback
 * disabled (WebKit opens a managed source only when the element cannot hand playback to AirPlay, or
 * has an AirPlay alternative, which a live socket cannot offer) and the source itself as `srcObject`.
 */
export const managedSource: MediaSourceKind = {
  name: "mms",
  available: () => typeof window !== "undefined" && typeof window.ManagedMediaSource === "function",
  isTypeSupported: (type) => window.ManagedMediaSource?.isTypeSupported(type) ?? false,
  create() {
    const Managed = window.ManagedMediaSource;
    if (Managed === undefined) throw new Error("no ManagedMediaSource");
    return new Managed();
  },
  attach(video, ms, opened) {
    ms.addEventListener("sourceopen", opened, { once: true });
    video.disableRemotePlayback = true;
    video.srcObject = ms;
  },
  detach(video, ms) {
    if (video.srcObject === ms) video.srcObject = null;
  },
};

/** The kind the WebSocket path uses in this browser: the standard one first, else the managed one. */
export function preferredSource(): MediaSourceKind | undefined {
  return [standardSource, managedSource].find((k) => k.available());
}
