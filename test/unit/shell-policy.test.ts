import { describe, expect, it } from "vitest";
import { shellRequest } from "../../viewer/src/shell-policy.js";

// The service worker caches the parent page's shell and nothing else: never media, the API or a link.
const origin = "https://pantau.example";
const shell = (path: string, method = "GET", base = origin) =>
  shellRequest(method, new URL(path, base), origin);

describe("the service worker's shell policy", () => {
  it.each([
    "/watch",
    "/watch?mode=hls",
    "/demo",
    "/assets/player.js",
    "/assets/chunk-AB12.js",
    "/assets/viewer.css",
    "/icons/icon-192.png",
    "/manifest.webmanifest",
  ])("keeps %s", (path) => {
    expect(shell(path)).toBe(true);
  });

  it.each([
    "/live/tok/index.m3u8",
    "/live/tok/ws",
    "/live/tok/sub/part-3.m4s",
    "/api/viewer/me",
    "/api/watch/cam-1",
    "/a/linktoken",
    "/admin",
    "/admin/assets/main.js",
    "/sw.js",
    "/",
    "/watchers",
  ])("passes %s through", (path) => {
    expect(shell(path)).toBe(false);
  });

  it("passes other methods and other origins through", () => {
    expect(shell("/watch", "POST")).toBe(false);
    expect(shell("/assets/player.js", "GET", "https://elsewhere.example")).toBe(false);
  });
});
