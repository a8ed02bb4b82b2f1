import { describe, expect, it } from "vitest";
import {
  buildFfmpegArgs,
  testPatternFilters,
  utcOffsetSeconds,
} from "../../gateway/src/ffmpeg/ffmpeg-args.js";
import { watermarkTime } from "../../viewer/src/watermark.js";

// The demo camera drew its clock with ffmpeg's %{localtime}, the gateway host's zone (UTC on a server),
// while the watermark over the same picture showed the school's (Asia/Jakarta): seven hours apart.

const at = Date.UTC(2026, 11, 3, 11, 52, 38, 250); // 18:52:38.250 WIB

/**
 * What the filters draw for a frame made at wall time `wallMs`: setpts makes its timestamp the wall clock,
 * drawtext's %{pts:gmtime:OFFSET:%T} shows it as UTC shifted by OFFSET seconds.
 */
function drawnAt(filters: string, wallMs: number): string {
  expect(filters.startsWith("setpts=RTCTIME/(TB*1000000),")).toBe(true);
  const m = /%\{pts\\:gmtime\\:(-?\d+)\\:%T\}/.exec(filters);
  if (!m?.[1]) throw new Error(`no pts clock in ${filters}`);
  return new Date(wallMs + Number(m[1]) * 1000).toISOString().slice(11, 19);
}

describe("the demo camera's clock", () => {
  it("is drawn in the school's zone, named, and the stream's timestamps are set back", () => {
    expect(testPatternFilters({ atMs: at, timeZone: "Asia/Jakarta" })).toBe(
      "setpts=RTCTIME/(TB*1000000)," +
        "drawtext=text='DEMO  %{pts\\:gmtime\\:25200\\:%T} WIB':fontsize=32:fontcolor=white:box=1:boxcolor=black@0.6:x=16:y=16," +
        "setpts=N/FRAME_RATE/TB",
    );
    expect(testPatternFilters({ atMs: at, timeZone: "Asia/Makassar" })).toContain(" WITA'");
  });

  it("reads as the watermark over it does, in Indonesia's three zones and one with summer time", () => {
    for (const timeZone of ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Europe/Berlin"]) {
      const filters = testPatternFilters({ atMs: at, timeZone });
      for (const later of [0, 61_000, 3_600_000]) {
        const wall = at + later;
        expect(drawnAt(filters, wall), `${timeZone} +${String(later)} ms`).toBe(
          watermarkTime(new Date(wall), "en", timeZone),
        );
        // The Indonesian watermark writes the same time with dots.
        expect(watermarkTime(new Date(wall), "id", timeZone).replace(/\./g, ":")).toBe(
          drawnAt(filters, wall),
        );
      }
    }
  });

  it("knows the zones' offsets, and takes an unknown zone for UTC", () => {
    expect(utcOffsetSeconds(at, "Asia/Jakarta")).toBe(7 * 3600);
    expect(utcOffsetSeconds(at, "Asia/Jayapura")).toBe(9 * 3600);
    expect(utcOffsetSeconds(at, "UTC")).toBe(0);
    expect(utcOffsetSeconds(Date.UTC(2026, 6, 1), "Europe/Berlin")).toBe(2 * 3600);
    expect(utcOffsetSeconds(at, "America/Sao_Paulo")).toBe(-3 * 3600);
    expect(utcOffsetSeconds(at, "Mars/Olympus")).toBe(0);
    expect(testPatternFilters({ atMs: at, timeZone: "Mars/Olympus" })).toContain(" UTC'");
  });

  it("goes into the test pattern's input, with no %{localtime} left", () => {
    const args = buildFfmpegArgs({
      source: { kind: "test-pattern" },
      rendition: "main",
      video: { mode: "transcode", encoder: "libx264" },
      audio: false,
      rtspTimeoutSeconds: 5,
      clock: { atMs: at, timeZone: "Asia/Jakarta" },
    });
    expect(args[args.indexOf("-i") + 1]).toBe(
      `testsrc2=size=640x360:rate=25,${testPatternFilters({ atMs: at, timeZone: "Asia/Jakarta" })}`,
    );
    expect(args.join(" ")).not.toContain("localtime");
  });
});
