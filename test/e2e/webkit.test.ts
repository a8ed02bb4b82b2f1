import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { injectedScriptPath, startInjectingProxy, type InjectingProxy } from "../helpers/injecting-proxy.js";
import { waitFor } from "../helpers/media.js";
import { launchWebKit, type WebKit } from "../helpers/webkit.js";

// The parent page in a real WebKit engine (WebKitGTK's MiniBrowser under WebKitWebDriver and Xvfb), against
// a real gateway with its demo camera and demo parent link: as it is (MediaSource), and in the iPhone shape
// (no MediaSource, only ManagedMediaSource, as iOS 17.1+), where it must play over the WebSocket and not
// fall back to LL-HLS. No skip: a missing WebKitWebDriver or Xvfb fails the file (launchWebKit says which).

/** What iOS Safari lacks, removed before any script of the page runs (served by the proxy, same origin). */
const iphoneShape = `// The iPhone shape: Safari on iOS 17.1+ has ManagedMediaSource and no MediaSource.
delete window.MediaSource;
`;

let gw: TestGateway | undefined;
let wk: WebKit | undefined;
let proxy: InjectingProxy | undefined;

beforeAll(async () => {
  gw = await startTestGateway({ demo: true });
  proxy = await startInjectingProxy(gw.url, iphoneShape);
  wk = await launchWebKit();
});

afterAll(async () => {
  await wk?.close();
  await proxy?.close();
  await gw?.close();
});

interface Seen {
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

const seen = () => wk!.execute<Seen>(readPage);

/** Opens the demo parent link at `origin`, registers the phone if the link page asks, taps the camera. */
async function openParentPage(origin: string): Promise<void> {
  const link = new URL(gw!.demoUrl!);
  await wk!.navigate(`${origin}${link.pathname}`);
  // A phone already registered (the cookie is per host, not per port) goes straight on to /watch.
  if ((await seen()).path !== "/watch") {
    await wk!.click("form button[type=submit]");
    await waitFor("the parent page", async () => (await seen()).path === "/watch");
  }
  await waitFor("the camera list", () =>
    wk!.execute<boolean>(`return document.querySelector("#cameras button.camera") !== null;`),
  );
  await wk!.click("#cameras button.camera");
}

/** Frames decoded and playback time moving on. */
async function playing(): Promise<Seen> {
  const first = await waitFor(
    "decoded frames",
    async () => {
      const s = await seen();
      return s.decoded > 25 ? s : undefined;
    },
    30_000,
  );
  return waitFor("playback time to advance", async () => {
    const s = await seen();
    return s.currentTime > first.currentTime + 1 ? s : undefined;
  });
}

describe("the parent page in WebKit", () => {
  it("plays as it is, through MediaSource", async () => {
    expect(gw!.demoUrl).toContain("/a/");
    await openParentPage(gw!.url);
    const s = await playing();
    expect(s.mediaSource).toBe("function");
    expect(s.feed).toBe("blob-url");
    expect(s.status).toBe("");
  });

  it("plays over the WebSocket through ManagedMediaSource, not LL-HLS, when there is no MediaSource (the iPhone shape)", async () => {
    proxy!.seen.length = 0;
    await openParentPage(proxy!.url);
    const s = await playing();
    // The script ran before the page's, on the page's own origin, under the gateway's CSP.
    expect(proxy!.seen.some((r) => r.path === injectedScriptPath)).toBe(true);
    expect(s.mediaSource).toBe("undefined");
    expect(s.managedMediaSource).toBe("function");
    expect(s.feed).toBe("managed-source-object");
    expect(s.remotePlaybackDisabled).toBe(true);
    expect(s.status).toBe("");
    const sockets = proxy!.seen.filter((r) => r.upgrade).map((r) => r.path);
    expect(sockets.some((p) => /^\/live\/[^/]+\/(main\/|sub\/)?ws$/.test(p))).toBe(true);
    expect(proxy!.seen.filter((r) => r.path.includes(".m3u8"))).toEqual([]);

    const dir = join("test-results", "screenshots");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "parent-webkit-iphone-shape.png"), await wk!.screenshot());
  });
});
