import { readFileSync } from "node:fs";

import { expect } from "vitest";

import { Fmp4BoxReader } from "../../gateway/src/streaming/fmp4/box-reader.js";
import type { Fragment, InitSegment } from "../../gateway/src/streaming/fmp4/fmp4-types.js";

/** The kept ffmpeg outputs in test/fixtures/fmp4/; make-fixtures.ts there says how each was made. */
export type Fmp4FixtureName =
  | "h264-high-l30-3s"
  | "h264-aac-bframes"
  | "h264-baseline-remux"
  | "hevc-hev1"
  | "hevc-hvc1"
  | "h264-cmaf-prft";

/** The fields of ffprobe -show_streams the tests compare the reader with. */
export interface ProbedStream {
  codec_type: string;
  codec_tag_string: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  time_base: string;
  nb_read_frames?: string;
}

/** A kept ffmpeg output and what ffprobe -count_frames said of it when it was made. */
export interface Fmp4Fixture {
  bytes: Buffer;
  streams: ProbedStream[];
}

const FIXTURES = new URL("../fixtures/fmp4/", import.meta.url);

/** Reads a kept fixture: real ffmpeg output without starting ffmpeg (the unit tier starts no processes). */
export function fmp4Fixture(name: Fmp4FixtureName): Fmp4Fixture {
  const probed = readFileSync(new URL(`${name}.ffprobe.json`, FIXTURES), "utf8");
  return {
    bytes: readFileSync(new URL(`${name}.mp4`, FIXTURES)),
    streams: (JSON.parse(probed) as { streams: ProbedStream[] }).streams,
  };
}

export interface ReadResult {
  inits: InitSegment[];
  fragments: Fragment[];
}

/** Feeds `data` to a fresh reader in the chunk sizes `chunkSizes` yields, then ends it. */
export function readAll(data: Buffer, chunkSizes: () => number = () => data.length): ReadResult {
  const result: ReadResult = { inits: [], fragments: [] };
  const reader = new Fmp4BoxReader({
    onInit: (init) => result.inits.push(init),
    onFragment: (fragment) => result.fragments.push(fragment),
  });
  for (let pos = 0; pos < data.length;) {
    const size = Math.max(1, chunkSizes());
    // Copy each chunk so nothing the reader emits can alias the source buffer by accident.
    reader.push(Buffer.from(data.subarray(pos, pos + size)));
    pos += size;
  }
  reader.end();
  return result;
}

/** Deterministic chunk sizes in [1, max] (mulberry32), so a failure replays. */
export function randomSizes(seed: number, max: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return 1 + (((t ^ (t >>> 14)) >>> 0) % max);
  };
}

/** A box with a 32-bit size header around `payload` (ISO/IEC 14496-12 §4.2). */
export function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, "latin1");
  return Buffer.concat([header, body]);
}

/** Big-endian unsigned 32-bit words as bytes. */
export function u32(...values: number[]): Buffer {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => out.writeUInt32BE(v >>> 0, 4 * i));
  return out;
}

/** The top-level box types and sizes of an MP4 byte string. */
export function topLevelBoxes(data: Buffer): { type: string; size: number }[] {
  const boxes: { type: string; size: number }[] = [];
  for (let p = 0; p + 8 <= data.length;) {
    const size = data.readUInt32BE(p);
    boxes.push({ type: data.toString("latin1", p + 4, p + 8), size });
    if (size < 8) break;
    p += size;
  }
  return boxes;
}

/** The invariants every variant must keep: keyframes per GOP, 0.2 s parts, a gapless timeline. */
export function expectWellFormed(stream: Buffer, r: ReadResult, seconds: number, gop: number): void {
  expect(r.inits).toHaveLength(1);
  let frame = 0;
  const keyframesAt: number[] = [];
  for (const [i, f] of r.fragments.entries()) {
    if (f.keyframe) keyframesAt.push(frame);
    frame += f.sampleCount;
    if (f.sampleCount === 0) {
      // ffmpeg flushes audio left over after the last video frame as a fragment of its own.
      expect(f).toMatchObject({ keyframe: false, duration: 0 });
      expect(i).toBe(r.fragments.length - 1);
    } else {
      expect(f.durationSeconds).toBeGreaterThan(0.17);
      expect(f.durationSeconds).toBeLessThan(0.23);
    }
    const next = r.fragments[i + 1];
    if (next) expect(next.baseDecodeTime).toBe(f.baseDecodeTime + f.duration);
  }
  expect(frame).toBe(seconds * 25);
  expect(keyframesAt).toEqual(Array.from({ length: Math.ceil((seconds * 25) / gop) }, (_, i) => i * gop));
  const total = r.fragments.reduce((s, f) => s + f.durationSeconds, 0);
  expect(total).toBeCloseTo(seconds, 1);
  const joined = Buffer.concat([r.inits[0]!.data, ...r.fragments.map((f) => f.data)]);
  expect(joined.equals(stream.subarray(0, joined.length))).toBe(true);
}
