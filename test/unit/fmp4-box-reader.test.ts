import { createHash } from "node:crypto";

import { beforeAll, describe, expect, it } from "vitest";

import { Fmp4BoxReader } from "../../gateway/src/streaming/fmp4/box-reader.js";
import { Fmp4Error } from "../../gateway/src/streaming/fmp4/fmp4-types.js";
import type { Fmp4ErrorCode } from "../../gateway/src/streaming/fmp4/fmp4-types.js";
import { box, fmp4Fixture, randomSizes, readAll, topLevelBoxes, u32 } from "../helpers/fmp4-fixtures.js";
import type { ProbedStream, ReadResult } from "../helpers/fmp4-fixtures.js";

// High profile forced to level 3.0, one keyframe a second, no B-frames: the gateway's transcode shape.
let stream: Buffer;
let probed: ProbedStream[];
let result: ReadResult;

beforeAll(() => {
  ({ bytes: stream, streams: probed } = fmp4Fixture("h264-high-l30-3s"));
  result = readAll(stream);
});

const H264_PROFILE_IDC: Record<string, number> = {
  High: 0x64,
  Main: 0x4d,
  Baseline: 0x42,
};

/** The reader's output with bytes as digests: deep-equal on Buffers is slow in vitest. */
function digest(r: ReadResult): unknown {
  const sha = (b: Buffer): string => createHash("sha1").update(b).digest("hex");
  return {
    inits: r.inits.map((i) => ({ ...i, data: sha(i.data) })),
    fragments: r.fragments.map((f) => ({ ...f, data: sha(f.data) })),
  };
}

function expectFmp4Error(fn: () => void, code: Fmp4ErrorCode): Fmp4Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Fmp4Error);
    expect((err as Fmp4Error).code).toBe(code);
    return err as Fmp4Error;
  }
  throw new Error(`expected Fmp4Error ${code}, nothing was thrown`);
}

describe("Fmp4BoxReader on ffmpeg 5.1 output", () => {
  it("describes the init segment as ffprobe does", () => {
    expect(result.inits).toHaveLength(1);
    const init = result.inits[0]!;
    const [video] = probed;
    const profile = H264_PROFILE_IDC[video!.profile!]!;
    const level = video!.level!;
    expect(init.codecs).toBe(`avc1.${profile.toString(16)}00${level.toString(16).padStart(2, "0")}`);
    expect(init.codecs).toBe("avc1.64001e");
    expect(init).toMatchObject({
      videoTrackId: 1,
      videoTimescale: Number(video!.time_base.split("/")[1]),
      width: 320,
      height: 180,
      hasAudio: false,
    });
    expect(topLevelBoxes(init.data).map((b) => b.type)).toEqual(["ftyp", "moov"]);
  });

  it("cuts 0.2 s parts with a keyframe every 25 frames and a contiguous timeline", () => {
    const { fragments } = result;
    expect(fragments.map((f) => f.sequenceNumber)).toEqual(fragments.map((_, i) => i + 1));
    let frame = 0;
    const keyframesAt: number[] = [];
    for (const [i, f] of fragments.entries()) {
      if (f.keyframe) keyframesAt.push(frame);
      frame += f.sampleCount;
      expect(f.durationSeconds).toBeCloseTo(0.2, 2);
      const next = fragments[i + 1];
      if (next) expect(next.baseDecodeTime).toBe(f.baseDecodeTime + f.duration);
      expect(topLevelBoxes(f.data).map((b) => b.type)).toEqual(["moof", "mdat"]);
    }
    expect(frame).toBe(75);
    expect(keyframesAt).toEqual([0, 25, 50]);
    expect(fragments[0]!.baseDecodeTime).toBe(0);
    const total = fragments.reduce((s, f) => s + f.durationSeconds, 0);
    expect(total).toBeCloseTo(3, 2);
  });

  it("reproduces the stream byte for byte except ffmpeg's trailing mfra", () => {
    const joined = Buffer.concat([
      ...result.inits.map((i) => i.data),
      ...result.fragments.map((f) => f.data),
    ]);
    expect(joined.equals(stream.subarray(0, joined.length))).toBe(true);
    expect(topLevelBoxes(stream.subarray(joined.length))).toEqual([
      { type: "mfra", size: stream.length - joined.length },
    ]);
    // ffprobe counted the fixture up to its mfra, which is `joined` byte for byte.
    expect(probed[0]!.nb_read_frames).toBe("75");
  });

  it("gives identical results for one chunk, 1-byte chunks and random chunks", () => {
    const expected = digest(result);
    expect(digest(readAll(stream, () => 1))).toEqual(expected);
    for (const seed of [1, 2, 3]) {
      expect(digest(readAll(stream, randomSizes(seed, 5000)))).toEqual(expected);
    }
  });

  it("emits onInit again when ffmpeg restarts the stream with a new ftyp/moov", () => {
    const once = stream.subarray(0, stream.length - topLevelBoxes(stream).at(-1)!.size);
    const twice = readAll(Buffer.concat([once, once]));
    expect(twice.inits).toHaveLength(2);
    expect(twice.fragments.map((f) => f.sequenceNumber)).toEqual([
      ...result.fragments.map((f) => f.sequenceNumber),
      ...result.fragments.map((f) => f.sequenceNumber),
    ]);
  });
});

describe("Fmp4BoxReader on malformed input", () => {
  function pushAll(...chunks: Buffer[]): Fmp4BoxReader {
    const reader = new Fmp4BoxReader({
      onInit: () => {},
      onFragment: () => {},
    });
    for (const c of chunks) reader.push(c);
    return reader;
  }

  const initLength = (): number => result.inits[0]!.data.length;

  it("rejects text on stdout as not MP4", () => {
    expectFmp4Error(() => pushAll(Buffer.from("Unrecognized option 'frag_duration'.\n")), "bad_box");
  });

  it("rejects binary garbage as lost framing", () => {
    const garbage = Buffer.from([0, 0, 0, 40, 0x47, 0x40, 0x11, 0x10, ...Array<number>(40).fill(0xff)]);
    expectFmp4Error(() => pushAll(garbage), "bad_box");
  });

  it("rejects a box smaller than its own header", () => {
    expectFmp4Error(() => pushAll(u32(3), Buffer.from("ftyp")), "bad_box");
  });

  it("rejects a largesize smaller than its header", () => {
    expectFmp4Error(() => pushAll(u32(1), Buffer.from("ftyp"), u32(0, 15)), "bad_box");
  });

  it("rejects size 0 (to end of stream), which a live stream cannot delimit", () => {
    expectFmp4Error(() => pushAll(u32(0), Buffer.from("ftyp")), "bad_box");
  });

  it("refuses a huge declared size before buffering it", () => {
    expectFmp4Error(() => pushAll(u32(0xfffffff0), Buffer.from("ftyp")), "box_too_large");
    const largesize = Buffer.concat([u32(1), Buffer.from("mdat"), u32(0x100, 0)]);
    const err = expectFmp4Error(
      () => pushAll(stream.subarray(0, initLength()), box("moof"), largesize),
      "box_too_large",
    );
    expect(err.message).toContain("1099511627776");
  });

  it("applies maxBoxBytes to real fragments", () => {
    const reader = new Fmp4BoxReader({ onInit: () => {}, onFragment: () => {} }, { maxBoxBytes: 4096 });
    expectFmp4Error(() => reader.push(stream), "box_too_large");
  });

  it("bounds the boxes that pile up in front of a fragment", () => {
    const reader = new Fmp4BoxReader({ onInit: () => {}, onFragment: () => {} }, { maxBoxBytes: 4096 });
    reader.push(stream.subarray(0, initLength()));
    const free = box("free", Buffer.alloc(8));
    expectFmp4Error(() => {
      for (let i = 0; i < 1000; i++) reader.push(free);
    }, "box_too_large");
  });

  it("reports a moov cut short only when the stream ends", () => {
    const reader = pushAll(stream.subarray(0, initLength() - 100));
    expectFmp4Error(() => reader.end(), "truncated");
  });

  it("rejects a moov whose children overrun it", () => {
    const init = Buffer.from(stream.subarray(0, initLength()));
    const mvhd = init.indexOf("mvhd") - 4;
    init.writeUInt32BE(0x10000, mvhd);
    expectFmp4Error(() => pushAll(init), "bad_box");
  });

  it("rejects fragments before any init", () => {
    expectFmp4Error(() => pushAll(stream.subarray(initLength())), "fragment_before_init");
  });

  it("rejects an mdat without a moof", () => {
    const init = stream.subarray(0, initLength());
    expectFmp4Error(() => pushAll(init, box("mdat", u32(1, 2))), "unexpected_box");
  });

  it("rejects a moov without a video track", () => {
    const init = Buffer.from(stream.subarray(0, initLength()));
    // hdlr: size, "hdlr", version+flags, pre_defined, then handler_type.
    init.write("soun", init.indexOf("hdlr") + 12, "latin1");
    expectFmp4Error(() => pushAll(init), "no_video_track");
  });

  it("keeps throwing the first error once framing is lost", () => {
    const reader = new Fmp4BoxReader({
      onInit: () => {},
      onFragment: () => {},
    });
    const first = expectFmp4Error(() => reader.push(Buffer.from("garbage!")), "bad_box");
    expect(() => reader.push(stream)).toThrow(first);
    expect(() => reader.end()).toThrow(first);
  });
});
