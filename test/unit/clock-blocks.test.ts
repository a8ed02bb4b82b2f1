import { describe, expect, it } from "vitest";
import { clockDeltaMs, decodeClockBlocks } from "../../viewer/src/clock-blocks.js";

const MOD32 = 2 ** 32;

/** A frame as the camera draws it: a grey-ish picture, then the 20 px band of 32 blocks. */
function frame(width: number, height: number, stamp: number, level = (bit: number) => bit * 255): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      let v = (x * 7 + y * 3) % 256;
      if (y >= height - 20) {
        const block = Math.floor((x * 32) / width);
        v = level(Math.floor(stamp / 2 ** (31 - block)) % 2);
      }
      rgba[i] = v;
      rgba[i + 1] = v;
      rgba[i + 2] = v;
      rgba[i + 3] = 255;
    }
  }
  return rgba;
}

describe("decodeClockBlocks", () => {
  it.each([
    [640, 360, 0x12345678],
    [320, 180, 0x80000001],
    [1280, 720, 0xfffffffe],
    [650, 100, 1],
    [333, 40, 0xdeadbeef],
  ])("reads back %ix%i stamped %i", (width, height, stamp) => {
    expect(decodeClockBlocks(frame(width, height, stamp), width, height)).toBe(stamp);
  });

  it("reads Date.now() mod 2^32 as an unsigned number", () => {
    const stamp = Date.now() % MOD32;
    const value = decodeClockBlocks(frame(640, 360, stamp), 640, 360);
    expect(value).toBe(stamp);
    expect(value).toBeGreaterThanOrEqual(0);
  });

  it("reads a band cropped to 20 rows, as the viewer's canvas passes it", () => {
    const width = 640;
    const full = frame(width, 360, 0x0badf00d);
    const band = full.subarray(width * 340 * 4);
    expect(decodeClockBlocks(new Uint8ClampedArray(band), width, 20)).toBe(0x0badf00d);
  });

  it("tolerates compression: blacks up to 60 and whites down to 200 with coloured noise", () => {
    const width = 640;
    const height = 360;
    const rgba = frame(width, height, 0x5a5aa5a5, (bit) => (bit ? 200 : 60));
    let seed = 7;
    for (let i = 0; i < rgba.length; i += 4) {
      for (let c = 0; c < 3; c++) {
        seed = (seed * 1103515245 + 12345) % MOD32;
        const noise = (seed % 21) - 10;
        rgba[i + c] = Math.min(255, Math.max(0, rgba[i + c]! + noise));
      }
    }
    expect(decodeClockBlocks(rgba, width, height)).toBe(0x5a5aa5a5);
  });

  it("ignores blurred block edges", () => {
    const width = 640;
    const height = 360;
    const rgba = frame(width, height, 0xaaaaaaaa);
    // Smear 3 px either side of every block boundary to mid-grey.
    for (let y = height - 20; y < height; y++) {
      for (let b = 1; b < 32; b++) {
        const edge = (b * width) / 32;
        for (let x = edge - 3; x < edge + 3; x++)
          rgba.fill(128, (y * width + x) * 4, (y * width + x) * 4 + 3);
      }
    }
    expect(decodeClockBlocks(rgba, width, height)).toBe(0xaaaaaaaa);
  });

  it("returns null when one block is mid-grey", () => {
    const rgba = frame(640, 360, 0x12345678, (bit) => bit * 255);
    for (let y = 340; y < 360; y++) rgba.fill(128, (y * 640 + 100) * 4, (y * 640 + 120) * 4);
    expect(decodeClockBlocks(rgba, 640, 360)).toBeNull();
  });

  it("returns null for a frame without a band", () => {
    const rgba = new Uint8Array(640 * 360 * 4).map((_, i) => (i % 4 === 3 ? 255 : 120));
    expect(decodeClockBlocks(rgba, 640, 360)).toBeNull();
  });

  it("returns null for an all-black or all-white band (a blank frame, not a clock)", () => {
    expect(decodeClockBlocks(frame(640, 360, 0), 640, 360)).toBeNull();
    expect(decodeClockBlocks(frame(640, 360, MOD32 - 1), 640, 360)).toBeNull();
    expect(decodeClockBlocks(new Uint8Array(640 * 360 * 4), 640, 360)).toBeNull();
  });

  it("returns null for frames too small to hold the band, or a buffer shorter than claimed", () => {
    expect(decodeClockBlocks(frame(40, 360, 0x12345678), 40, 360)).toBeNull();
    expect(decodeClockBlocks(frame(640, 19, 0x12345678), 640, 19)).toBeNull();
    expect(decodeClockBlocks(frame(640, 100, 0x12345678), 640, 360)).toBeNull();
    expect(decodeClockBlocks(new Uint8Array(0), 0, 0)).toBeNull();
  });
});

describe("clockDeltaMs", () => {
  it.each([
    ["a frame 120 ms old", 1_700_000_000_120, 1_700_000_000_000 % MOD32, 120],
    ["a stamp from 5 ms in the future", 1_700_000_000_000, 1_700_000_000_005 % MOD32, -5],
    ["now just past a wrap, stamp just before", 3 * MOD32 + 40, MOD32 - 60, 100],
    ["now just before a wrap, stamp just past it", 3 * MOD32 - 10, 20, -30],
    ["equal", 42, 42, 0],
    ["a fractional now from performance.timeOrigin", 1_700_000_000_250.5, 1_700_000_000_000 % MOD32, 250.5],
  ])("%s", (_name, now, stamp, expected) => {
    expect(clockDeltaMs(now, stamp)).toBeCloseTo(expected, 6);
  });
});
