import { afterEach, describe, expect, it, vi } from "vitest";
import { browserEngines, type Mode } from "../../viewer/src/engines/engine-choice.js";

// The order engines are tried in (viewer/src/engines/engine-choice.ts), with the browser's Media Source
// constructors and HLS support as the only inputs: WebSocket MSE, WebSocket ManagedMediaSource, hls.js,
// native HLS. hls.js is the real one, deciding from the same stubbed constructors.

interface Browser {
  MediaSource?: boolean;
  ManagedMediaSource?: boolean;
  nativeHls?: boolean;
}

const fakeVideo = (nativeHls: boolean) =>
  ({
    canPlayType: (type: string) => (nativeHls && type === "application/vnd.apple.mpegurl" ? "maybe" : ""),
  }) as unknown as HTMLVideoElement;

async function chosen(b: Browser, mode: Mode): Promise<string | undefined> {
  const ctor = Object.assign(
    function () {
      return undefined;
    },
    { isTypeSupported: () => true },
  );
  const globals = {
    ...(b.MediaSource === true ? { MediaSource: ctor } : {}),
    ...(b.ManagedMediaSource === true ? { ManagedMediaSource: ctor } : {}),
  };
  // Our engines look at window, hls.js at self.
  vi.stubGlobal("window", globals);
  vi.stubGlobal("self", globals);
  const engine = await browserEngines(fakeVideo(b.nativeHls === true), false).choose(mode);
  return engine?.name;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("engine choice", () => {
  it.each<[string, Browser, Mode, string | undefined]>([
    [
      "MSE first (Chromium, Android, desktop Safari)",
      { MediaSource: true, ManagedMediaSource: true },
      "ws",
      "ws-mse",
    ],
    [
      "ManagedMediaSource where there is no MediaSource (iOS 17.1+)",
      { ManagedMediaSource: true, nativeHls: true },
      "ws",
      "ws-mms",
    ],
    ["native HLS where there is neither (older iOS)", { nativeHls: true }, "ws", "native-hls"],
    [
      "hls.js for LL-HLS where it can play, before native HLS",
      { ManagedMediaSource: true, nativeHls: true },
      "hls",
      "hlsjs",
    ],
    ["native HLS for LL-HLS where hls.js cannot play", { nativeHls: true }, "hls", "native-hls"],
    ["nothing in a browser that plays neither way", {}, "ws", undefined],
  ])("%s", async (_what, browser, mode, name) => {
    expect(await chosen(browser, mode)).toBe(name);
  });
});
