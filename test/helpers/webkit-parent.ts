import { waitFor } from "./media.js";
import type { WebKitSession } from "./webkit.js";

// The parent page as a parent's phone uses it, in WebKit: open the guardian link, register the phone if the
// link page asks, tap the camera, and read what the video element shows. Shared by the WebKit tests (the
// gateway directly, through the injecting proxy, through the hub's nginx site).

export interface ParentPageSeen {
  path: string;
  decoded: number;
  currentTime: number;
  status: string;
  mediaSource: string;
  managedMediaSource: string;
  /** What feeds the video: a ManagedMediaSource as its srcObject, a blob: URL (MediaSource), or else. */
  feed: "managed-source-object" | "blob-url" | "other";
  remotePlaybackDisabled: boolean;
}

const readPage = `const v = document.querySelector("video");
const q = v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : undefined;
const status = document.getElementById("status");
const managed = typeof ManagedMediaSource === "function" && v && v.srcObject instanceof ManagedMediaSource;
return {
  path: location.pathname,
  decoded: q ? q.totalVideoFrames : 0,
  currentTime: v ? v.currentTime : 0,
  status: status ? status.textContent : "",
  mediaSource: typeof MediaSource,
  managedMediaSource: typeof ManagedMediaSource,
  feed: managed ? "managed-source-object" : v && v.src.startsWith("blob:") ? "blob-url" : "other",
  remotePlaybackDisabled: Boolean(v && v.disableRemotePlayback),
};`;

export const readParentPage = (wk: WebKitSession) => wk.execute<ParentPageSeen>(readPage);

/** Opens a guardian link (`linkUrl`, absolute) and taps the first camera on the parent page it leads to. */
export async function openParentPage(wk: WebKitSession, linkUrl: string): Promise<void> {
  await wk.navigate(linkUrl);
  const at = (await readParentPage(wk)).path;
  // A refused load (a certificate WebKit does not accept, say) leaves the previous page: say so here.
  if (at !== new URL(linkUrl).pathname && at !== "/watch")
    throw new Error(`the link ${linkUrl} did not open: the browser is at ${await wk.currentUrl()}`);
  // A phone already registered (the cookie is per host, not per port) goes straight on to /watch.
  if (at !== "/watch") {
    await wk.click("form button[type=submit]");
    await waitFor("the parent page", async () => (await readParentPage(wk)).path === "/watch");
  }
  await waitFor("the camera list", () =>
    wk.execute<boolean>(`return document.querySelector("#cameras button.camera") !== null;`),
  );
  await wk.click("#cameras button.camera");
}

/** Frames decoded and playback time moving on. */
export async function parentPagePlaying(wk: WebKitSession): Promise<ParentPageSeen> {
  const first = await waitFor(
    "decoded frames",
    async () => {
      const s = await readParentPage(wk);
      return s.decoded > 25 ? s : undefined;
    },
    30_000,
  );
  return waitFor("playback time to advance", async () => {
    const s = await readParentPage(wk);
    return s.currentTime > first.currentTime + 1 ? s : undefined;
  });
}
