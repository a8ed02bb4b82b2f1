import { describe, expect, it } from "vitest";
import {
  writeMasterPlaylist,
  writeMediaPlaylist,
  type MediaPlaylistView,
} from "../../gateway/src/streaming/hls/playlist-writer.js";

const t0 = Date.parse("2026-11-28T01:00:00.000Z");
const parts = (from: number, n: number, firstIndependent = true) =>
  Array.from({ length: n }, (_, i) => ({
    seq: from + i,
    duration: 0.2,
    independent: firstIndependent && i === 0,
  }));

describe("writeMediaPlaylist", () => {
  it("writes LL-HLS tags, parts near the edge, a preload hint and plain EXTINF segments", () => {
    const view: MediaPlaylistView = {
      targetDuration: 1,
      partTarget: 0.2,
      partHoldBack: 0.6,
      mediaSequence: 7,
      discontinuitySequence: 0,
      segments: [
        {
          msn: 7,
          duration: 1,
          programDateTime: t0,
          initId: 1,
          discontinuity: false,
          complete: true,
          parts: undefined,
        },
        {
          msn: 8,
          duration: 1,
          programDateTime: t0 + 1000,
          initId: 1,
          discontinuity: false,
          complete: true,
          parts: parts(40, 5),
        },
        {
          msn: 9,
          duration: 0.4,
          programDateTime: t0 + 2000,
          initId: 1,
          discontinuity: false,
          complete: false,
          parts: parts(45, 2),
        },
      ],
      preloadHintSeq: 47,
      renditionReports: [{ uri: "../sub/index.m3u8", lastMsn: 9, lastPart: 1 }],
    };
    expect(writeMediaPlaylist(view)).toBe(
      [
        "#EXTM3U",
        "#EXT-X-VERSION:9",
        "#EXT-X-TARGETDURATION:1",
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600",
        "#EXT-X-PART-INF:PART-TARGET=0.200",
        "#EXT-X-MEDIA-SEQUENCE:7",
        '#EXT-X-MAP:URI="init/1.mp4"',
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-28T01:00:00.000Z",
        "#EXTINF:1.000,",
        "seg/7.m4s",
        '#EXT-X-PART:DURATION=0.200,URI="part/40.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.200,URI="part/41.m4s"',
        '#EXT-X-PART:DURATION=0.200,URI="part/42.m4s"',
        '#EXT-X-PART:DURATION=0.200,URI="part/43.m4s"',
        '#EXT-X-PART:DURATION=0.200,URI="part/44.m4s"',
        "#EXTINF:1.000,",
        "seg/8.m4s",
        '#EXT-X-PART:DURATION=0.200,URI="part/45.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.200,URI="part/46.m4s"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part/47.m4s"',
        '#EXT-X-RENDITION-REPORT:URI="../sub/index.m3u8",LAST-MSN=9,LAST-PART=1',
        "",
      ].join("\n"),
    );
  });

  it("marks a restart with a discontinuity, a new map and a new program date-time", () => {
    const text = writeMediaPlaylist({
      targetDuration: 1,
      partTarget: 0.2,
      partHoldBack: 0.6,
      mediaSequence: 3,
      discontinuitySequence: 2,
      segments: [
        {
          msn: 3,
          duration: 1,
          programDateTime: t0,
          initId: 4,
          discontinuity: true,
          complete: true,
          parts: undefined,
        },
        {
          msn: 4,
          duration: 0.96,
          programDateTime: t0 + 9000,
          initId: 5,
          discontinuity: true,
          complete: true,
          parts: undefined,
        },
      ],
      preloadHintSeq: undefined,
      renditionReports: [],
    });
    expect(text).toBe(
      [
        "#EXTM3U",
        "#EXT-X-VERSION:9",
        "#EXT-X-TARGETDURATION:1",
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600",
        "#EXT-X-PART-INF:PART-TARGET=0.200",
        "#EXT-X-MEDIA-SEQUENCE:3",
        "#EXT-X-DISCONTINUITY-SEQUENCE:2",
        '#EXT-X-MAP:URI="init/4.mp4"',
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-28T01:00:00.000Z",
        "#EXTINF:1.000,",
        "seg/3.m4s",
        "#EXT-X-DISCONTINUITY",
        '#EXT-X-MAP:URI="init/5.mp4"',
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-28T01:00:09.000Z",
        "#EXTINF:0.960,",
        "seg/4.m4s",
        "",
      ].join("\n"),
    );
  });
});

describe("writeMasterPlaylist", () => {
  it("lists the smaller rendition first and omits what is not known yet", () => {
    expect(
      writeMasterPlaylist([
        {
          uri: "main/index.m3u8",
          bandwidth: 2_000_000,
          codecs: "avc1.64001f",
          resolution: { width: 1280, height: 720 },
          frameRate: 25,
        },
        {
          uri: "sub/index.m3u8",
          bandwidth: 500_000,
          codecs: undefined,
          resolution: undefined,
          frameRate: undefined,
        },
      ]),
    ).toBe(
      [
        "#EXTM3U",
        "#EXT-X-VERSION:9",
        "#EXT-X-STREAM-INF:BANDWIDTH=500000",
        "sub/index.m3u8",
        '#EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS="avc1.64001f",RESOLUTION=1280x720,FRAME-RATE=25.000',
        "main/index.m3u8",
        "",
      ].join("\n"),
    );
  });
});
