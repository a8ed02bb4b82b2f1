import { describe, expect, it } from "vitest";

import {
  FMP4_OUTPUT,
  TEST_VIDEO,
  expectWellFormed,
  probe,
  readAll,
  runFfmpeg,
  topLevelBoxes,
} from "../helpers/fmp4-fixtures.js";

describe("Fmp4BoxReader on HEVC and CMAF output", () => {
  it("builds ISO/IEC 14496-15 Annex E strings under both sample entry names", () => {
    const hev1 = runFfmpeg([
      ...TEST_VIDEO,
      "-t",
      "1",
      "-c:v",
      "libx265",
      "-x265-params",
      "log-level=error",
      "-preset",
      "ultrafast",
      "-g",
      "25",
      "-bf",
      "0",
      ...FMP4_OUTPUT,
      "pipe:1",
    ]);
    const [video] = probe(hev1);
    expect(video).toMatchObject({
      codec_tag_string: "hev1",
      profile: "Main",
      level: 60,
    });
    const r = readAll(hev1);
    // Main (1), compatible with Main and Main 10 (flags 1,2 reversed = 6), Main tier level 2 (60),
    // progressive_source and frame_only constraint bits (0x90).
    expect(r.inits[0]!.codecs).toBe("hev1.1.6.L60.90");
    expectWellFormed(hev1, r, 1, 25);

    const hvc1 = runFfmpeg(["-i", "pipe:0", "-c", "copy", "-tag:v", "hvc1", ...FMP4_OUTPUT, "pipe:1"], hev1);
    expect(readAll(hvc1).inits[0]!.codecs).toBe("hvc1.1.6.L60.90");
  });

  it("keeps prft boxes with the fragment they precede (CMAF, trun v1)", () => {
    const output = FMP4_OUTPUT.map((arg) => (arg.startsWith("+frag_keyframe") ? `${arg}+cmaf` : arg));
    const stream = runFfmpeg([
      ...TEST_VIDEO,
      "-t",
      "1",
      "-c:v",
      "libx264",
      "-g",
      "10",
      "-threads",
      "1",
      "-bf",
      "0",
      "-an",
      "-write_prft",
      "wallclock",
      ...output,
      "pipe:1",
    ]);
    const r = readAll(stream);
    for (const f of r.fragments) {
      expect(topLevelBoxes(f.data).map((b) => b.type)).toEqual(["prft", "moof", "mdat"]);
    }
    expectWellFormed(stream, r, 1, 10);
  });
});
