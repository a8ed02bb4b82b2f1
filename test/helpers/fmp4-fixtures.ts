import { spawnSync } from "node:child_process";

import { expect } from "vitest";

import { Fmp4BoxReader } from "../../gateway/src/streaming/fmp4/box-reader.js";
import type { Fragment, InitSegment } from "../../gateway/src/streaming/fmp4/fmp4-types.js";

/** The fragmenting flags the gateway gives ffmpeg (design.md "Data flow"). */
export const FMP4_OUTPUT = [
  "-f",
  "mp4",
  "-movflags",
  "+frag_keyframe+empty_moov+default_base_moof",
  "-frag_duration",
  "200000",
] as const;

/** 320x180 test pattern at 25 fps. */
export const TEST_VIDEO = ["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25"] as const;
export const TEST_AUDIO = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] as const;

/** Runs ffmpeg with `args` (output goes to stdout) and returns stdout; `input` feeds stdin. */
export function runFfmpeg(args: readonly string[], input?: Buffer): Buffer {
  const result = spawnSync(
    "ffmpeg",
    ["-hide_banner", "-loglevel", "error", "-nostdin", ...args],
    input ? { input, maxBuffer: 64 << 20 } : { maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "pipe"] },
  );
  if (result.status !== 0) {
    throw new Error(`ffmpeg ${args.join(" ")} exited ${result.status}: ${result.stderr.toString()}`);
  }
  return result.stdout;
}

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

/** ffprobe -show_streams on in-memory MP4 bytes (read from stdin, so non-seekable like a pipe). */
export function probe(data: Buffer, countFrames = false): ProbedStream[] {
  const result = spawnSync(
    "ffprobe",
    [
      "-v",
      "error",
      ...(countFrames ? ["-count_frames"] : []),
      "-show_streams",
      "-of",
      "json",
      "-i",
      "pipe:0",
    ],
    { input: data, maxBuffer: 16 << 20 },
  );
  if (result.status !== 0) throw new Error(`ffprobe exited ${result.status}: ${result.stderr.toString()}`);
  return (JSON.parse(result.stdout.toString()) as { streams: ProbedStream[] }).streams;
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
