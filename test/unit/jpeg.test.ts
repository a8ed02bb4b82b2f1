import { describe, expect, it } from "vitest";
import { isJpeg, jpegSize } from "../../gateway/src/common/jpeg.js";

// ffmpeg's 16x16 grey baseline JPEG (what the ONVIF simulator serves): APP0, COM, DQT, then SOF0.
const grey16 = Buffer.from(
  "/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgUFBcUFxsbGxsbGyAeICEhISAgICAhISEkJCQqKiokJCQhISQkKCgqKi4vLisrKisvLzIyMjw8OTlGRkhWVmf/xABKAAEAAAAAAAAAAAAAAAAAAAAAAQEAAAAAAAAAAAAAAAAAAAAAEAEAAAAAAAAAAAAAAAAAAAAAEQEAAAAAAAAAAAAAAAAAAAAA/8AAEQgAEAAQAwEiAAIRAAMRAP/aAAwDAQACEQMRAD8AAA//2Q==",
  "base64",
);

/** SOI, one SOFn segment of the given size, EOI. */
const withSof = (marker: number, width: number, height: number) =>
  Buffer.from([
    0xff,
    0xd8,
    0xff,
    marker,
    0,
    11,
    8,
    height >> 8,
    height & 255,
    width >> 8,
    width & 255,
    1,
    1,
    0x11,
    0,
    0xff,
    0xd9,
  ]);

describe("isJpeg", () => {
  it.each([
    ["a JPEG", grey16, true],
    ["an HTML page", Buffer.from("<html>"), false],
    ["SOI alone", Buffer.from([0xff, 0xd8]), false],
    ["empty", Buffer.alloc(0), false],
  ])("%s → %s", (_name, data, expected) => {
    expect(isJpeg(data)).toBe(expected);
  });
});

describe("jpegSize", () => {
  it("reads the frame header after the other segments", () => {
    expect(jpegSize(grey16)).toEqual({ width: 16, height: 16 });
  });

  it("takes progressive (SOF2) frames, and not DHT (C4) for one", () => {
    expect(jpegSize(withSof(0xc2, 1920, 1080))).toEqual({ width: 1920, height: 1080 });
    expect(jpegSize(withSof(0xc4, 1920, 1080))).toBeUndefined();
  });

  it("is undefined for a cut-off or non-JPEG buffer", () => {
    expect(jpegSize(grey16.subarray(0, 40))).toBeUndefined();
    expect(jpegSize(Buffer.from("not a jpeg"))).toBeUndefined();
  });
});
