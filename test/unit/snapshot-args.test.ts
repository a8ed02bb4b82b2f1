import { describe, expect, it } from "vitest";
import { buildSnapshotArgs } from "../../gateway/src/ffmpeg/snapshot-args.js";

describe("buildSnapshotArgs", () => {
  it("reads fMP4 from stdin only (pipe protocol), writes one MJPEG frame to stdout", () => {
    expect(buildSnapshotArgs()).toEqual([
      "-hide_banner",
      "-nostdin",
      "-v",
      "error",
      "-threads",
      "1",
      "-protocol_whitelist",
      "pipe",
      "-f",
      "mp4",
      "-i",
      "pipe:0",
      "-an",
      "-frames:v",
      "1",
      "-c:v",
      "mjpeg",
      "-q:v",
      "4",
      "-f",
      "image2",
      "pipe:1",
    ]);
  });

  it("takes a quality", () => {
    const args = buildSnapshotArgs({ quality: 2 });
    expect(args[args.indexOf("-q:v") + 1]).toBe("2");
  });
});
