import { describe, expect, it } from "vitest";

import {
  FMP4_OUTPUT,
  expectWellFormed,
  TEST_AUDIO,
  TEST_VIDEO,
  probe,
  readAll,
  runFfmpeg,
} from "../helpers/fmp4-fixtures.js";

const X264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "10", "-threads", "1"];

describe("Fmp4BoxReader on other ffmpeg outputs", () => {
  // B-frames too, so the video trun carries composition offsets between the other columns.
  it("lists AAC after H.264 and keeps the video timeline when audio and B-frames are muxed in", () => {
    const stream = runFfmpeg([
      ...TEST_VIDEO,
      ...TEST_AUDIO,
      "-t",
      "1",
      ...X264,
      "-profile:v",
      "high",
      "-level:v",
      "3.0",
      "-bf",
      "2",
      "-c:a",
      "aac",
      "-b:a",
      "64k",
      ...FMP4_OUTPUT,
      "pipe:1",
    ]);
    const r = readAll(stream);
    // ffmpeg's native encoder only writes AAC-LC (audioObjectType 2).
    expect(r.inits[0]).toMatchObject({
      codecs: "avc1.64001e,mp4a.40.2",
      hasAudio: true,
    });
    expectWellFormed(stream, r, 1, 10);
  });

  it("describes a constrained-baseline stream remuxed with -c copy", () => {
    const ts = runFfmpeg([
      ...TEST_VIDEO,
      "-t",
      "1",
      ...X264,
      "-profile:v",
      "baseline",
      "-level:v",
      "3.0",
      "-f",
      "mpegts",
      "pipe:1",
    ]);
    const stream = runFfmpeg(["-f", "mpegts", "-i", "pipe:0", "-c", "copy", ...FMP4_OUTPUT, "pipe:1"], ts);
    const r = readAll(stream);
    const [video] = probe(stream);
    expect(video).toMatchObject({ profile: "Constrained Baseline", level: 30 });
    // x264 sets constraint_set0 and set1 (0xc0); set1 marks Constrained Baseline (H.264 A.2.1.1).
    expect(r.inits[0]!.codecs).toBe("avc1.42c01e");
    expect(r.inits[0]!.videoTimescale).toBe(Number(video!.time_base.split("/")[1]));
    expectWellFormed(stream, r, 1, 10);
  });
});
