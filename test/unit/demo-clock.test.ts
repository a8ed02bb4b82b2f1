import { describe, expect, it } from "vitest";
import {
  buildFfmpegArgs,
  testPatternClockText,
  utcOffsetSeconds,
} from "../../gateway/src/ffmpeg/ffmpeg-args.js";
import { watermarkTime } from "../../viewer/src/watermark.js";

// The demo camera drew its clock with ffmpeg's %{localtime}, the gateway host's zone (UTC on a server),
// while the watermark over the same picture showed the school's (Asia/Jakarta): seven hours apart.

const at = Date.UTC(2026, 11, 3, 11, 52, 38, 250); // 18:52:38.250 WIB

/** What drawtext's %{pts:gmtime:BASE:%T} shows `seconds` into the stream, BASE read from the filter text. */
function drawnAt(text: string, seconds: number): string {
  const m = /%\{pts\\:gmtime\\:([\d.]+)\\:%T\}/.exec(text);
  if (!m?.[1]) throw new Error(`no pts clock in ${text}`);
  return new Date((Number(m[1]) + seconds) * 1000).toISOString().slice(11, 19);
}

describe("the demo camera's clock", () => {
  it("is drawn in the school's zone, named, from the frame's timestamp", () => {
    const text = testPatternClockText({ atMs: at, timeZone: "Asia/Jakarta" });
    expect(text).toBe(`DEMO  %{pts\\:gmtime\\:${((at + 7 * 3600_000) / 1000).toFixed(3)}\\:%T} WIB`);
    expect(drawnAt(text, 0)).toBe("18:52:38");
    expect(testPatternClockText({ atMs: at, timeZone: "Asia/Makassar" })).toMatch(/ WITA$/);
  });

  it("reads as the watermark over it does, at the start and an hour later", () => {
    for (const timeZone of ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Europe/Berlin"]) {
      const text = testPatternClockText({ atMs: at, timeZone });
      for (const seconds of [0, 61, 3600]) {
        const wall = new Date(at + seconds * 1000);
        expect(drawnAt(text, seconds), `${timeZone} +${String(seconds)} s`).toBe(
          watermarkTime(wall, "en", timeZone),
        );
        // The Indonesian watermark writes the same time with dots.
        expect(watermarkTime(wall, "id", timeZone).replace(/\./g, ":")).toBe(drawnAt(text, seconds));
      }
    }
  });

  it("knows the zones' offsets, and takes an unknown zone for UTC", () => {
    expect(utcOffsetSeconds(at, "Asia/Jakarta")).toBe(7 * 3600);
    expect(utcOffsetSeconds(at, "Asia/Jayapura")).toBe(9 * 3600);
    expect(utcOffsetSeconds(at, "UTC")).toBe(0);
    expect(utcOffsetSeconds(Date.UTC(2026, 6, 1), "Europe/Berlin")).toBe(2 * 3600);
    expect(utcOffsetSeconds(at, "Mars/Olympus")).toBe(0);
    expect(testPatternClockText({ atMs: at, timeZone: "Mars/Olympus" })).toMatch(/ UTC$/);
  });

  it("goes into the test pattern's filter", () => {
    const args = buildFfmpegArgs({
      source: { kind: "test-pattern" },
      rendition: "main",
      video: { mode: "transcode", encoder: "libx264" },
      audio: false,
      rtspTimeoutSeconds: 5,
      clock: { atMs: at, timeZone: "Asia/Jakarta" },
    });
    const filter = args[args.indexOf("-i") + 1] ?? "";
    expect(filter).toContain(
      `drawtext=text='${testPatternClockText({ atMs: at, timeZone: "Asia/Jakarta" })}'`,
    );
    expect(filter).not.toContain("localtime");
  });
});
