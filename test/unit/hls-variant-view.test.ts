import { describe, expect, it } from "vitest";
import { variantView } from "../../gateway/src/streaming/hls/hls-view.js";
import { LiveStream } from "../../gateway/src/streaming/live-stream.js";

// Issue 9 item 12: a master playlist asked for while a rendition was not running listed a guessed BANDWIDTH
// only; what the rendition's last run showed (codec string, size, rate) is now used instead.

const stopped = () =>
  new LiveStream({
    windowSeconds: 10,
    partTargetSeconds: 0.2,
    maxSegmentSeconds: 6,
    firstSegmentSeconds: 0.4,
    now: () => 0,
  });

describe("variantView of a stopped rendition", () => {
  it("uses the last run's codec string, size and rate (with the same headroom as a measured one)", () => {
    const last = { codecs: "avc1.4d401e", width: 640, height: 360, bitrate: 800_000 };
    expect(variantView("sub/index.m3u8", stopped(), last, 500_000, undefined)).toEqual({
      uri: "sub/index.m3u8",
      bandwidth: 1_040_000,
      codecs: "avc1.4d401e",
      resolution: { width: 640, height: 360 },
      frameRate: undefined,
    });
  });

  it("a run that ended before any rate was measured keeps the guessed bandwidth", () => {
    const last = { codecs: "avc1.4d401e", width: 640, height: 360, bitrate: undefined };
    expect(variantView("main/index.m3u8", stopped(), last, 2_000_000, undefined)).toMatchObject({
      bandwidth: 2_000_000,
      codecs: "avc1.4d401e",
    });
  });

  it("with nothing known, only the guess (the master then waits for the init segment first)", () => {
    expect(variantView("main/index.m3u8", stopped(), undefined, 2_000_000, undefined)).toEqual({
      uri: "main/index.m3u8",
      bandwidth: 2_000_000,
      codecs: undefined,
      resolution: undefined,
      frameRate: undefined,
    });
  });
});
