import { describe, expect, it } from "vitest";
import {
  partWaitMs,
  playlistRequest,
  renditionReports,
  type LiveEdge,
  type PlaylistRequest,
} from "../../gateway/src/streaming/hls/llhls-request.js";

// The live edge: part 3 of segment 10 is the newest; 0.2 s parts (Advance Part Limit 15), 1 s segments.
const edge: LiveEdge = { lastPart: { msn: 10, index: 3 }, partTargetSeconds: 0.2, targetDurationSeconds: 1 };
const bad: PlaylistRequest = {
  kind: "refuse",
  message: "_HLS_msn and _HLS_part must be non-negative integers",
};
const ahead: PlaylistRequest = {
  kind: "refuse",
  message: "requested media sequence is too far ahead of the live edge",
};
const block = (msn: number, part: number, waitMs = 3000): PlaylistRequest => ({
  kind: "block",
  msn,
  part,
  waitMs,
});

describe("playlistRequest: _HLS_msn / _HLS_part (RFC 8216bis §6.2.5.2), blockingReloadMaxSeconds 3", () => {
  it.each<[string, PlaylistRequest]>([
    ["", { kind: "now" }],
    ["prefer=sub", { kind: "now" }],
    // A lone _HLS_part is no blocking request: the playlist as it is.
    ["_HLS_part=2", { kind: "now" }],
    ["_HLS_part=x&_HLS_part=y", { kind: "now" }],
    ["_HLS_msn=10&_HLS_part=4", block(10, 4)],
    ["_HLS_msn=10&_HLS_part=0", block(10, 0)],
    ["_HLS_msn=9", block(10, 0)],
    // Without _HLS_part: segment 10 complete, i.e. the first part of 11.
    ["_HLS_msn=10", block(11, 0)],
    ["_HLS_msn=0", block(1, 0)],
    // Two segments ahead is allowed, three are not.
    ["_HLS_msn=12", block(13, 0)],
    ["_HLS_msn=12&_HLS_part=40", block(12, 40)],
    ["_HLS_msn=13", ahead],
    ["_HLS_msn=13&_HLS_part=0", ahead],
    // Advance Part Limit within the last segment: 3 / 0.2 = 15 parts past the newest (3).
    ["_HLS_msn=10&_HLS_part=18", block(10, 18)],
    ["_HLS_msn=10&_HLS_part=19", ahead],
    ["_HLS_msn=11&_HLS_part=19", block(11, 19)],
    ["_HLS_msn=-1", bad],
    ["_HLS_msn=1.5", bad],
    ["_HLS_msn=", bad],
    ["_HLS_msn=abc", bad],
    ["_HLS_msn=1e3", bad],
    ["_HLS_msn=1234567890", bad],
    ["_HLS_msn=10&_HLS_part=", bad],
    ["_HLS_msn=10&_HLS_part=-2", bad],
    ["_HLS_msn=10&_HLS_msn=11", bad],
    ["_HLS_msn=10&_HLS_part=1&_HLS_part=2", bad],
  ])("?%s → %j", (query, expected) => {
    expect(playlistRequest(new URLSearchParams(query), edge, 3)).toEqual(expected);
  });
});

describe("playlistRequest: the wait and the live edge", () => {
  it.each<[string, LiveEdge, number, PlaylistRequest]>([
    // Three target durations bound the wait below blockingReloadMaxSeconds…
    ["1 s segments, cap 10 s", edge, 10, block(11, 0, 3000)],
    ["2 s segments, cap 10 s", { ...edge, targetDurationSeconds: 2 }, 10, block(11, 0, 6000)],
    // …and blockingReloadMaxSeconds bounds it below three target durations.
    ["2 s segments, cap 3 s", { ...edge, targetDurationSeconds: 2 }, 3, block(11, 0, 3000)],
    ["6 s segments, cap 1 s", { ...edge, targetDurationSeconds: 6 }, 1, block(11, 0, 1000)],
  ])("%s: wait %#", (_, e, cap, expected) => {
    expect(playlistRequest(new URLSearchParams("_HLS_msn=10"), e, cap)).toEqual(expected);
  });

  it.each<[string, PlaylistRequest]>([
    // Before the first part the edge counts as segment 0, and no part is too far ahead.
    ["_HLS_msn=0&_HLS_part=99", block(0, 99)],
    ["_HLS_msn=2", block(3, 0)],
    ["_HLS_msn=3", ahead],
  ])("no part yet: ?%s → %j", (query, expected) => {
    const empty: LiveEdge = { ...edge, lastPart: undefined };
    expect(playlistRequest(new URLSearchParams(query), empty, 3)).toEqual(expected);
  });

  it.each<[number, number, PlaylistRequest]>([
    // A part target of 1 s allows 3 parts past the newest; 0.333 s allows ceil(9.009) = 10.
    [1, 6, block(10, 6)],
    [1, 7, ahead],
    [0.333, 13, block(10, 13)],
    [0.333, 14, ahead],
  ])("part target %s s, _HLS_part=%s → %j", (partTargetSeconds, part, expected) => {
    const query = new URLSearchParams(`_HLS_msn=10&_HLS_part=${String(part)}`);
    expect(playlistRequest(query, { ...edge, partTargetSeconds }, 3)).toEqual(expected);
  });
});

describe("partWaitMs: a part that does not exist yet", () => {
  it.each<[number, number | undefined]>([
    [40, undefined],
    // The preload hint (next part 41) and one beyond wait up to blockingReloadMaxSeconds.
    [41, 3000],
    [42, 3000],
    [43, undefined],
  ])("part %s with the next part 41 → %s", (seq, expected) => {
    expect(partWaitMs(seq, 41, 3)).toBe(expected);
  });
});

describe("renditionReports", () => {
  it("reports live siblings with a part, by relative URI and their newest part", () => {
    expect(
      renditionReports([
        { name: "sub", live: true, lastPart: { msn: 7, index: 2 } },
        { name: "main", live: true, lastPart: undefined },
        { name: "main", live: false, lastPart: { msn: 3, index: 0 } },
      ]),
    ).toEqual([{ uri: "../sub/index.m3u8", lastMsn: 7, lastPart: 2 }]);
  });

  it("reports nothing without siblings", () => {
    expect(renditionReports([])).toEqual([]);
  });
});
