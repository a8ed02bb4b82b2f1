import { describe, expect, it } from "vitest";
import { parseH264Sps, parseH265Sps } from "../../gateway/src/health/video-sps.js";
import { parseSdp } from "../../gateway/src/health/sdp.js";

// SPS from libx264 (ffmpeg 5.1, testsrc): profile, size and rate as in each name.
const sps = {
  main720p25: "Z01AH+ygKALdgIgAAAMACAAAAwGQeMGMsA==",
  // -x264-params cqm=jvt: the SPS carries scaling matrices; 1088 coded lines cropped to 1080.
  highCqm1080p30: "Z2QAKKzZQHgCJ+XARAAAAwAEAAADAPA8YMZY",
  baseline360p15: "Z0LAFtkAoC/5cBEAAAMAAQAAAwAeDxYuSA==",
  high444_1080p25: "Z/QAKJGbKA8ARPxOAiAAAAMAIAAABkHjBjLA",
};
const pps = "aOvjyyA=";
// SPS from libx265 (ffmpeg 5.1, testsrc); 1080 lines are coded as 1088 with a conformance window.
const hevcSps = {
  main1080: "QgEBAWAAAAMAkAAAAwAAAwB4oAPAgBDlllZpJMrwFoCAAAADAIAAAAyE",
  main360: "QgEBAWAAAAMAkAAAAwAAAwA/oAUCAWlllZpJMrwFoCAAAAMAIAAAAwHh",
  rext422_720: "QgEBBAgAAAMAnQgAAAMAAF2wAoCALRZZWaSTK8BaAgAAAwACAAADADwQ",
};
const hevcVps = "QAEMAf//AWAAAAMAkAAAAwAAAwB4lZgJ";

describe("parseH264Sps", () => {
  it.each([
    ["main720p25", { width: 1280, height: 720, fps: 25 }],
    ["highCqm1080p30", { width: 1920, height: 1080, fps: 30 }],
    ["baseline360p15", { width: 640, height: 360, fps: 15 }],
    ["high444_1080p25", { width: 1920, height: 1080, fps: 25 }],
  ] as const)("%s", (name, expected) => {
    expect(parseH264Sps(Buffer.from(sps[name], "base64"))).toEqual(expected);
  });

  it("refuses what is not an SPS, or one cut short", () => {
    expect(parseH264Sps(Buffer.from(pps, "base64"))).toBeUndefined();
    expect(parseH264Sps(Buffer.from([0x67]))).toBeUndefined();
    expect(parseH264Sps(Buffer.from(sps.main720p25, "base64").subarray(0, 6))).toBeUndefined();
    expect(parseH264Sps(Buffer.from([0x67, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined();
  });

  it("keeps the size when the VUI is cut short", () => {
    const full = Buffer.from(sps.main720p25, "base64");
    expect(parseH264Sps(full.subarray(0, 12))).toEqual({ width: 1280, height: 720 });
  });
});

describe("parseH265Sps", () => {
  it.each([
    ["main1080", { width: 1920, height: 1080 }],
    ["main360", { width: 640, height: 360 }],
    ["rext422_720", { width: 1280, height: 720 }],
  ] as const)("%s", (name, expected) => {
    expect(parseH265Sps(Buffer.from(hevcSps[name], "base64"))).toEqual(expected);
  });

  it("refuses what is not an SPS, or one cut short", () => {
    expect(parseH265Sps(Buffer.from(hevcVps, "base64"))).toBeUndefined();
    expect(parseH265Sps(Buffer.from(hevcSps.main1080, "base64").subarray(0, 14))).toBeUndefined();
  });
});

const sdp = (...lines: string[]) => lines.join("\r\n") + "\r\n";

describe("parseSdp", () => {
  it("reads a Hikvision-style SDP: H.264 with its SPS, audio beside", () => {
    const text = sdp(
      "v=0",
      "o=- 1109162014219182 1109162014219192 IN IP4 192.168.1.64",
      "s=Media Presentation",
      "e=NONE",
      "b=AS:5050",
      "t=0 0",
      "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast",
      "m=video 0 RTP/AVP 96",
      "c=IN IP4 0.0.0.0",
      "b=AS:5000",
      "a=recvonly",
      "a=x-dimensions:1280,720",
      "a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast",
      "a=rtpmap:96 H264/90000",
      `a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=${sps.highCqm1080p30},${pps}`,
      "m=audio 0 RTP/AVP 8",
      "a=rtpmap:8 PCMA/8000",
      "a=Media_header:MEDIAINFO=494D4B48010100000400000100000000000000000000000000000000000000000000000000000000;",
      "a=appversion:1.0",
    );
    // The SPS wins over x-dimensions: it is what the decoder gets.
    expect(parseSdp(text)).toEqual({
      media: ["video", "audio"],
      video: { codec: "H264", width: 1920, height: 1080, fps: 30 },
    });
  });

  it("takes a=framerate over the SPS timing, x-dimensions without an SPS, and an H.265 SPS", () => {
    const hevc = sdp(
      "v=0",
      "s=Session streamed by GStreamer",
      "m=video 0 RTP/AVP 97",
      "a=rtpmap:97 H265/90000",
      `a=fmtp:97 sprop-vps=${hevcVps};sprop-sps=${hevcSps.main1080};sprop-pps=RAHA8vA8kAA=`,
      "a=framerate:12.5",
    );
    expect(parseSdp(hevc)?.video).toEqual({ codec: "H265", width: 1920, height: 1080, fps: 12.5 });
    const axis = sdp("v=0", "m=video 0 RTP/AVP 96", "a=rtpmap:96 H265/90000", "a=x-dimensions:2560,1440");
    expect(parseSdp(axis)?.video).toEqual({ codec: "H265", width: 2560, height: 1440 });
    const withSps = sdp(
      "v=0",
      "m=video 0 RTP/AVP 96",
      "a=rtpmap:96 H264/90000",
      `a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${sps.main720p25},${pps}`,
      "a=framerate:10",
    );
    expect(parseSdp(withSps)?.video).toEqual({ codec: "H264", width: 1280, height: 720, fps: 10 });
  });

  it("names static payload types without an rtpmap, and reads cliprect", () => {
    const text = sdp("v=0", "m=video 0 RTP/AVP 26", "a=cliprect:0,0,480,640", "a=x-framerate:5");
    expect(parseSdp(text)?.video).toEqual({ codec: "JPEG", width: 640, height: 480, fps: 5 });
  });

  it("uses the rtpmap of the first payload type only", () => {
    const text = sdp("v=0", "m=video 0 RTP/AVP 98 96", "a=rtpmap:96 H264/90000", "a=rtpmap:98 H265/90000");
    expect(parseSdp(text)?.video).toEqual({ codec: "H265" });
  });

  it("takes the first of several video sections, after any audio", () => {
    const text = sdp(
      "v=0",
      "m=audio 0 RTP/AVP 0",
      "m=video 0 RTP/AVP 96",
      "a=rtpmap:96 h264/90000",
      "m=video 0 RTP/AVP 97",
      "a=rtpmap:97 H265/90000",
    );
    expect(parseSdp(text)).toEqual({ media: ["audio", "video", "video"], video: { codec: "H264" } });
  });

  it("says when there is no video, and when it is no SDP at all", () => {
    expect(parseSdp(sdp("v=0", "s=audio only", "m=audio 0 RTP/AVP 8", "a=rtpmap:8 PCMA/8000"))).toEqual({
      media: ["audio"],
    });
    expect(parseSdp(sdp("v=0", "s=-"))).toEqual({ media: [] });
    expect(parseSdp("<html>Not Found</html>")).toBeUndefined();
    expect(parseSdp("")).toBeUndefined();
  });

  it("ignores rates and sizes that make no sense", () => {
    const text = sdp(
      "v=0",
      "m=video 0 RTP/AVP 96",
      "a=rtpmap:96 H264/90000",
      "a=framerate:0",
      "a=x-dimensions:0,720",
      "a=fmtp:96 sprop-parameter-sets=!!!!,",
    );
    expect(parseSdp(text)?.video).toEqual({ codec: "H264" });
  });
});
