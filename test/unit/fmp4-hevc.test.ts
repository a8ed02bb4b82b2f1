import { describe, expect, it } from "vitest";

import { expectWellFormed, fmp4Fixture, readAll, topLevelBoxes } from "../helpers/fmp4-fixtures.js";

describe("Fmp4BoxReader on HEVC and CMAF output", () => {
  it("builds ISO/IEC 14496-15 Annex E strings under both sample entry names", () => {
    const { bytes: hev1, streams } = fmp4Fixture("hevc-hev1");
    const [video] = streams;
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

    // The same stream remuxed with -tag:v hvc1.
    const { bytes: hvc1 } = fmp4Fixture("hevc-hvc1");
    expect(readAll(hvc1).inits[0]!.codecs).toBe("hvc1.1.6.L60.90");
  });

  it("keeps prft boxes with the fragment they precede (CMAF, trun v1)", () => {
    const { bytes: stream } = fmp4Fixture("h264-cmaf-prft");
    const r = readAll(stream);
    for (const f of r.fragments) {
      expect(topLevelBoxes(f.data).map((b) => b.type)).toEqual(["prft", "moof", "mdat"]);
    }
    expectWellFormed(stream, r, 1, 10);
  });
});
