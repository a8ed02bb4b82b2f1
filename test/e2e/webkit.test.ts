import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { injectedScriptPath, startInjectingProxy, type InjectingProxy } from "../helpers/injecting-proxy.js";
import { launchWebKit, type WebKit } from "../helpers/webkit.js";
import { openParentPage, parentPagePlaying } from "../helpers/webkit-parent.js";

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

describe("the parent page in WebKit", () => {
  it("plays as it is, through MediaSource", async () => {
    expect(gw!.demoUrl).toContain("/a/");
    await openParentPage(wk!, gw!.demoUrl!);
    const s = await parentPagePlaying(wk!);
    expect(s.mediaSource).toBe("function");
    expect(s.feed).toBe("blob-url");
    expect(s.status).toBe("");
  });

  it("plays over the WebSocket through ManagedMediaSource, not LL-HLS, when there is no MediaSource (the iPhone shape)", async () => {
    proxy!.seen.length = 0;
    await openParentPage(wk!, `${proxy!.url}${new URL(gw!.demoUrl!).pathname}`);
    const s = await parentPagePlaying(wk!);
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
