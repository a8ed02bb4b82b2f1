import { describe, expect, it } from "vitest";

import { expectWellFormed, fmp4Fixture, readAll } from "../helpers/fmp4-fixtures.js";

describe("Fmp4BoxReader on other ffmpeg outputs", () => {
  // B-frames too, so the video trun carries composition offsets between the other columns.
  it("lists AAC after H.264 and keeps the video timeline when audio and B-frames are muxed in", () => {
    const { bytes: stream } = fmp4Fixture("h264-aac-bframes");
    const r = readAll(stream);
    // ffmpeg's native encoder only writes AAC-LC (audioObjectType 2).
    expect(r.inits[0]).toMatchObject({
      codecs: "avc1.64001e,mp4a.40.2",
      hasAudio: true,
    });
    expectWellFormed(stream, r, 1, 10);
  });

  it("describes a constrained-baseline stream remuxed with -c copy", () => {
    const { bytes: stream, streams } = fmp4Fixture("h264-baseline-remux");
    const r = readAll(stream);
    const [video] = streams;
    expect(video).toMatchObject({ profile: "Constrained Baseline", level: 30 });
    // x264 sets constraint_set0 and set1 (0xc0); set1 marks Constrained Baseline (H.264 A.2.1.1).
    expect(r.inits[0]!.codecs).toBe("avc1.42c01e");
    expect(r.inits[0]!.videoTimescale).toBe(Number(video!.time_base.split("/")[1]));
    expectWellFormed(stream, r, 1, 10);
  });
});
