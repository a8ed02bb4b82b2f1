import { describe, expect, it } from "vitest";

import {
  avcCodecString,
  hevcCodecString,
  mp4aCodecString,
} from "../../gateway/src/streaming/fmp4/codec-string.js";
import { Fmp4Error } from "../../gateway/src/streaming/fmp4/fmp4-types.js";
import { parseInit, parseMoof } from "../../gateway/src/streaming/fmp4/mp4-parse.js";
import type { ParsedInit } from "../../gateway/src/streaming/fmp4/mp4-parse.js";
import { box, u32 } from "../helpers/fmp4-fixtures.js";

/** A FullBox (ISO/IEC 14496-12 §4.2): version and 24-bit flags before the payload. */
function fullBox(type: string, version: number, flags: number, ...payload: Buffer[]): Buffer {
  return box(type, u32(((version << 24) | flags) >>> 0), ...payload);
}

function u64(value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(value);
  return out;
}

const zeros = (n: number): Buffer => Buffer.alloc(n);
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ""), "hex");

const NON_SYNC = 0x01010000;
const SYNC_I = 0x02000000;

/** A version-1 moov (64-bit times) like long recordings get, which ffmpeg's empty_moov never writes. */
function initV1(trex: { duration: number; flags: number }): Buffer {
  const tkhd = fullBox("tkhd", 1, 3, zeros(16), u32(7, 0), zeros(8 + 8 + 8 + 36), u32(1280 << 16, 720 << 16));
  const mdhd = fullBox("mdhd", 1, 0, zeros(16), u32(90000), zeros(8), zeros(4));
  const hdlr = fullBox("hdlr", 0, 0, u32(0), Buffer.from("vide"), zeros(12), zeros(1));
  const avcC = box("avcC", hex("01 4d 40 28 ff e1 00 00 01 00 00"));
  const avc1 = box("avc1", zeros(24), Buffer.from([5, 0, 2, 208]), zeros(50), avcC);
  const stsd = fullBox("stsd", 0, 0, u32(1), avc1);
  const moov = box(
    "moov",
    box("trak", tkhd, box("mdia", mdhd, hdlr, box("minf", box("stbl", stsd)))),
    box("mvex", fullBox("trex", 0, 0, u32(7, 1, trex.duration, 0, trex.flags))),
  );
  return Buffer.concat([box("ftyp", Buffer.from("iso6"), u32(0)), moov]);
}

describe("parseInit", () => {
  it("reads version-1 tkhd/mdhd, the avc1 entry and trex defaults", () => {
    const init = parseInit(initV1({ duration: 3000, flags: NON_SYNC }));
    expect(init).toMatchObject({
      codecs: "avc1.4d4028",
      videoTrackId: 7,
      videoTimescale: 90000,
      width: 1280,
      height: 720,
      hasAudio: false,
    });
    expect(init.tracks[0]!.defaults).toEqual({
      sampleDuration: 3000,
      sampleSize: 0,
      sampleFlags: NON_SYNC,
    });
  });

  it("accepts the QuickTime zero terminator at the end of a box list", () => {
    const data = initV1({ duration: 0, flags: 0 });
    const moov = data.indexOf("moov") - 4;
    const padded = Buffer.concat([data, u32(0)]);
    padded.writeUInt32BE(padded.readUInt32BE(moov) + 4, moov);
    expect(parseInit(padded).codecs).toBe("avc1.4d4028");
  });

  it("throws bad_box when a field runs past its box", () => {
    const data = initV1({ duration: 0, flags: 0 });
    // Shrink mdhd (and its parents) by 8 bytes so the timescale read overruns it.
    const truncated = Buffer.concat([
      data.subarray(0, data.indexOf("mdhd") + 4 + 16),
      data.subarray(data.indexOf("mdhd") + 4 + 24),
    ]);
    for (const type of ["moov", "trak", "mdia", "mdhd"]) {
      const at = truncated.indexOf(type) - 4;
      truncated.writeUInt32BE(truncated.readUInt32BE(at) - 8, at);
    }
    expect(() => parseInit(truncated)).toThrow(Fmp4Error);
  });
});

describe("parseMoof", () => {
  const init: ParsedInit = parseInit(initV1({ duration: 3000, flags: NON_SYNC }));

  function moof(tfhd: Buffer, trun: Buffer, tfdt?: Buffer): Buffer {
    return box("moof", fullBox("mfhd", 0, 0, u32(42)), box("traf", tfhd, ...(tfdt ? [tfdt] : []), trun));
  }

  it("falls back to trex for duration and flags when tfhd and trun carry none", () => {
    const parsed = parseMoof(
      moof(
        fullBox("tfhd", 0, 0x20000, u32(7)),
        fullBox("trun", 0, 0x201, u32(3, 0, 100, 200, 300)),
        fullBox("tfdt", 1, 0, u64(2n ** 40n)),
      ),
      init,
    );
    expect(parsed).toMatchObject({
      sequenceNumber: 42,
      keyframe: false,
      baseDecodeTime: 2 ** 40,
      duration: 9000,
      sampleCount: 3,
    });
  });

  it("prefers first_sample_flags, then per-sample flags, then tfhd defaults", () => {
    const tfhd = fullBox("tfhd", 0, 0x20028, u32(7, 1000, NON_SYNC));
    const withFirst = fullBox("trun", 0, 0x405, u32(2, 0, SYNC_I, NON_SYNC, NON_SYNC));
    expect(parseMoof(moof(tfhd, withFirst), init).keyframe).toBe(true);
    const perSample = fullBox("trun", 0, 0x500, u32(2, 40, SYNC_I, 60, NON_SYNC));
    expect(parseMoof(moof(tfhd, perSample), init)).toMatchObject({ keyframe: true, duration: 100 });
    const defaults = fullBox("trun", 0, 0, u32(4));
    expect(parseMoof(moof(tfhd, defaults), init)).toMatchObject({
      keyframe: false,
      duration: 4000,
      baseDecodeTime: undefined,
    });
  });

  it("reads signed composition offsets (trun v1) without confusing the columns", () => {
    const tfhd = fullBox("tfhd", 0, 0x20008, u32(7, 512));
    const trun = fullBox("trun", 1, 0xa05, u32(2, 0, SYNC_I, 10, 0xfffffe00, 20, 512));
    expect(parseMoof(moof(tfhd, trun), init)).toMatchObject({
      keyframe: true,
      duration: 1024,
      sampleCount: 2,
    });
  });

  it("ignores trafs of other tracks for the video summary", () => {
    const audio = box("traf", fullBox("tfhd", 0, 0x20008, u32(2, 1024)), fullBox("trun", 0, 0, u32(10)));
    const data = box(
      "moof",
      fullBox("mfhd", 0, 0, u32(1)),
      audio,
      box("traf", fullBox("tfhd", 0, 0x20000, u32(7)), fullBox("trun", 0, 0, u32(5))),
    );
    const parsed = parseMoof(data, init);
    expect(parsed).toMatchObject({ duration: 15000, sampleCount: 5 });
    expect(parsed.trafs.map((t) => [t.trackId, t.duration])).toEqual([
      [2, 10240],
      [7, 15000],
    ]);
  });

  it("rejects a sample_count its table cannot hold before looping over it", () => {
    const trun = fullBox("trun", 0, 0x100, u32(0xffffffff, 1));
    const err = (() => {
      try {
        parseMoof(moof(fullBox("tfhd", 0, 0, u32(7)), trun), init);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(Fmp4Error);
    expect((err as Fmp4Error).code).toBe("bad_box");
  });

  it("rejects a moof without mfhd", () => {
    expect(() => parseMoof(box("moof"), init)).toThrow(/mfhd/);
  });
});

describe("codec strings", () => {
  it.each([
    ["avc1", "01 64 00 1f ff", "avc1.64001f"],
    ["avc1", "01 42 c0 1e ff", "avc1.42c01e"],
    ["avc3", "01 4d 40 28 ff", "avc3.4d4028"],
  ])("%s %s → %s", (entry, bytes, expected) => {
    expect(avcCodecString(entry, hex(bytes))).toBe(expected);
  });

  // Examples from ISO/IEC 14496-15 Annex E.3 and Apple's HLS authoring spec.
  it.each([
    ["hvc1", "01 01 60000000 900000000000 5d", "hvc1.1.6.L93.90"],
    ["hev1", "01 01 60000000 b00000000000 5d", "hev1.1.6.L93.B0"],
    ["hvc1", "01 02 20000000 b00000000000 99", "hvc1.2.4.L153.B0"],
    ["hev1", "01 64 82000000 b02300000000 78", "hev1.A4.41.H120.B0.23"],
    ["hvc1", "01 01 60000000 000000000000 5a", "hvc1.1.6.L90"],
  ])("%s %s → %s", (entry, bytes, expected) => {
    expect(hevcCodecString(entry, hex(bytes))).toBe(expected);
  });

  // esds payloads after the FullBox header; the first is ffmpeg 5.1's own.
  it.each([
    [
      "03808080250002000480808017401500000000 00fa000000fa00 05808080051188 56e5 00 068080800102",
      "mp4a.40.2",
    ],
    ["0316 0001 00 0411 40150000000000fa000000fa00 0502 2b92 060102", "mp4a.40.5"],
    ["0317 0001 00 0412 40150000000000fa000000fa00 0503 f94000 060102", "mp4a.40.42"],
    ["0312 0001 00 040d 6b150000000000fa000000fa00 060102", "mp4a.6b"],
    ["0312 0001", "mp4a.40.2"],
  ])("esds %s → %s", (bytes, expected) => {
    expect(mp4aCodecString(hex(bytes))).toBe(expected);
  });

  it("refuses a config record too short to hold profile and level", () => {
    expect(() => avcCodecString("avc1", hex("01 64"))).toThrow(Fmp4Error);
    expect(() => hevcCodecString("hvc1", hex("01 01 60"))).toThrow(Fmp4Error);
  });
});
