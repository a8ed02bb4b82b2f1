import { describe, expect, it } from "vitest";
import type { Fragment, InitSegment } from "../../gateway/src/streaming/fmp4/fmp4-types.js";
import { mediaView } from "../../gateway/src/streaming/hls/hls-view.js";
import { LiveStream } from "../../gateway/src/streaming/live-stream.js";

const init: InitSegment = {
  data: Buffer.from("init"),
  codecs: "avc1.64001e",
  videoTrackId: 1,
  videoTimescale: 90000,
  width: 640,
  height: 360,
  hasAudio: false,
};
const frag = (keyframe: boolean, seconds = 0.2): Fragment => ({
  data: Buffer.alloc(1000, keyframe ? 1 : 0),
  sequenceNumber: 0,
  keyframe,
  baseDecodeTime: 0,
  duration: seconds * 90000,
  durationSeconds: seconds,
  sampleCount: 5,
});

function streamWith(gops: number, partsPerGop = 5, windowSeconds = 10) {
  let now = 1_000_000;
  const s = new LiveStream({
    windowSeconds,
    partTargetSeconds: 0.2,
    maxSegmentSeconds: 6,
    firstSegmentSeconds: 6,
    now: () => now,
  });
  s.pushInit(init);
  for (let g = 0; g < gops; g++) {
    for (let p = 0; p < partsPerGop; p++) {
      now += 200;
      s.pushFragment(frag(p === 0));
    }
  }
  return { s, advance: (ms: number) => (now += ms) };
}

describe("LiveStream", () => {
  it("starts a segment at every keyframe and numbers parts globally", () => {
    const { s } = streamWith(3);
    expect(s.segments.map((x) => [x.msn, x.parts.length, x.complete])).toEqual([
      [0, 5, true],
      [1, 5, true],
      [2, 5, false],
    ]);
    expect(s.segments[1]?.parts.map((p) => [p.seq, p.index, p.independent])).toEqual([
      [5, 0, true],
      [6, 1, false],
      [7, 2, false],
      [8, 3, false],
      [9, 4, false],
    ]);
    expect(s.nextPartSeq).toBe(15);
  });

  it("groups per-frame fragments into parts of the part target, sending every frame at once", () => {
    const s = new LiveStream({
      windowSeconds: 10,
      partTargetSeconds: 0.2,
      maxSegmentSeconds: 6,
      firstSegmentSeconds: 6,
      now: () => 0,
    });
    const frames: boolean[] = [];
    s.subscribe((e) => {
      if (e.type === "fragment") frames.push(e.keyframe);
    });
    s.pushInit(init);
    for (let i = 0; i < 27; i++) s.pushFragment({ ...frag(i % 25 === 0, 0.04), sampleCount: 1 });
    expect(frames).toHaveLength(27);
    expect(s.segments.map((x) => x.parts.map((p) => [p.sampleCount, p.independent]))).toEqual([
      [
        [5, true],
        [5, false],
        [5, false],
        [5, false],
        [5, false],
      ],
      [],
    ]);
    expect(s.part(0)?.data.length).toBe(5000);
    expect(s.part(0)?.duration).toBeCloseTo(0.2);
    // The two frames of the part being filled are in the GOP cache already, though no part holds them yet.
    expect(s.gop()?.data).toHaveLength(2);
    expect(s.nextPartSeq).toBe(5);
  });

  it("drops leading fragments until the first keyframe", () => {
    const s = new LiveStream({
      windowSeconds: 10,
      partTargetSeconds: 0.2,
      maxSegmentSeconds: 6,
      firstSegmentSeconds: 6,
      now: () => 0,
    });
    s.pushInit(init);
    s.pushFragment(frag(false));
    expect(s.lastPart()).toBeUndefined();
    s.pushFragment(frag(true));
    expect(s.lastPart()?.independent).toBe(true);
  });

  it("keeps a bounded window and forgets what fell out of it", () => {
    const { s } = streamWith(30);
    const complete = s.segments.filter((x) => x.complete);
    expect(complete.reduce((a, x) => a + x.duration, 0)).toBeLessThanOrEqual(10.0001);
    expect(s.segments[0]?.msn).toBe(19);
    expect(s.part(0)).toBeUndefined();
    expect(s.segmentBytes(5)).toBeUndefined();
    expect(s.segmentBytes(20)?.length).toBe(5000);
    expect(s.memoryBytes).toBeLessThan(80_000);
  });

  it("hands a new viewer the GOP cache from the last keyframe", () => {
    const { s } = streamWith(2, 5);
    s.pushFragment(frag(true));
    s.pushFragment(frag(false));
    const gop = s.gop();
    expect(gop?.data).toEqual([s.part(10)?.data, s.part(11)?.data]);
    expect(gop?.init.codecs).toBe("avc1.64001e");
  });

  it("answers the blocking-reload condition across a segment boundary", () => {
    const { s } = streamWith(1, 5);
    expect(s.hasReached(0, 4)).toBe(true);
    expect(s.hasReached(0, 5)).toBe(false);
    s.pushFragment(frag(true));
    // Segment 0 closed with 5 parts: a client waiting for part 5 of it is served by part 0 of segment 1.
    expect(s.hasReached(0, 5)).toBe(true);
  });

  it("knows its newest part while a new segment's first part is still open", () => {
    // Regression (bench:fanout): from a keyframe until the new segment's first part closed (~200 ms), the
    // newest part was "none", so a correct blocking reload (_HLS_msn=N&_HLS_part=5) was answered 400.
    const { s } = streamWith(1, 5);
    s.pushFragment(frag(true, 0.04));
    expect(s.lastPart()).toMatchObject({ msn: 0, index: 4 });
    expect(s.hasReached(0, 4)).toBe(true);
    expect(s.hasReached(1, 0)).toBe(false);
  });

  it("wakes waiters on a new part and on end", async () => {
    const { s } = streamWith(1, 2);
    const waiting = s.waitUntil(() => s.hasReached(0, 2), 5000);
    s.pushFragment(frag(false));
    expect(await waiting).toBe(true);
    const ended = s.waitUntil(() => s.hasReached(5, 0), 5000);
    s.end();
    expect(await ended).toBe(false);
  });

  it("marks the first segment after a new init as a discontinuity with its own map", () => {
    const { s } = streamWith(2);
    s.pushInit({ ...init, codecs: "avc1.640028" });
    s.pushFragment(frag(true));
    const last = s.segments.at(-1);
    expect(last?.discontinuity).toBe(true);
    expect(last?.initId).toBe(2);
    expect(s.segments.at(-2)?.complete).toBe(true);
  });

  it("reset forgets old media but never reuses a part number", () => {
    const { s } = streamWith(2);
    s.reset();
    expect(s.lastPart()).toBeUndefined();
    s.pushInit(init);
    s.pushFragment(frag(true));
    expect(s.lastPart()?.seq).toBe(10);
    expect(s.segments[0]?.discontinuity).toBe(false);
  });

  it("lists parts only near the live edge in the playlist view", () => {
    const { s } = streamWith(8);
    const v = mediaView(s, { partTargetSeconds: 0.2, partHoldBackFactor: 3 });
    expect(v.targetDuration).toBe(1);
    expect(v.partHoldBack).toBeCloseTo(0.6);
    const withParts = v.segments.filter((x) => x.parts !== undefined).map((x) => x.msn);
    expect(withParts).toEqual([5, 6, 7]);
    expect(v.preloadHintSeq).toBe(40);
  });
});
