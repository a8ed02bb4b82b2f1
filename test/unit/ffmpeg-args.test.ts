import { describe, expect, it } from "vitest";
import { buildFfmpegArgs, urlWithCredentials, type FfmpegJob } from "../../gateway/src/ffmpeg/ffmpeg-args.js";
import { redact } from "../../gateway/src/ffmpeg/redact.js";

const base: Omit<FfmpegJob, "source"> = {
  rendition: "main",
  video: { mode: "copy" },
  audio: false,
  rtspTimeoutSeconds: 5,
};
const cam = {
  kind: "rtsp" as const,
  url: "rtsp://10.1.2.3:554/Streaming/Channels/101",
  subUrl: "rtsp://10.1.2.3:554/Streaming/Channels/102",
};
const output = [
  "-f",
  "mp4",
  "-movflags",
  "+frag_keyframe+empty_moov+default_base_moof+frag_every_frame",
  "-flush_packets",
  "1",
  "pipe:1",
];
const rtspIn = (url: string, protocols = "rtsp,rtp,udp,tcp") => [
  "-rtsp_transport",
  "tcp",
  "-timeout",
  "5000000",
  "-protocol_whitelist",
  protocols,
  "-analyzeduration",
  "100000",
  "-probesize",
  "32768",
  "-i",
  url,
];
const head = ["-nostdin", "-hide_banner", "-loglevel", "level+warning"];

describe("buildFfmpegArgs", () => {
  const cases: [string, FfmpegJob, string[]][] = [
    [
      "H.264 main: copy, no audio",
      { ...base, source: cam },
      [...head, ...rtspIn(cam.url), "-map", "0:v:0", "-c:v", "copy", "-an", ...output],
    ],
    [
      "sub rendition reads the sub URL",
      { ...base, rendition: "sub", source: cam },
      [...head, ...rtspIn(cam.subUrl), "-map", "0:v:0", "-c:v", "copy", "-an", ...output],
    ],
    [
      "credentials go into the URL only here, percent-encoded",
      { ...base, source: { ...cam, username: "admin", password: "p@ss:w/rd" } },
      [
        ...head,
        ...rtspIn("rtsp://admin:p%40ss%3Aw%2Frd@10.1.2.3:554/Streaming/Channels/101"),
        "-map",
        "0:v:0",
        "-c:v",
        "copy",
        "-an",
        ...output,
      ],
    ],
    [
      "audio enabled: AAC, optional audio stream",
      { ...base, audio: true, source: cam },
      [
        ...head,
        ...rtspIn(cam.url),
        "-map",
        "0:v:0",
        "-c:v",
        "copy",
        "-map",
        "0:a:0?",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        ...output,
      ],
    ],
    [
      "rtsps adds tls to the allow-list",
      { ...base, source: { kind: "rtsp", url: "rtsps://cam.local/live" } },
      [
        ...head,
        ...rtspIn("rtsps://cam.local/live", "rtsp,rtsps,rtp,udp,tcp,tls"),
        "-map",
        "0:v:0",
        "-c:v",
        "copy",
        "-an",
        ...output,
      ],
    ],
    [
      "H.265 source transcoded with libx264, keyframe every second",
      { ...base, video: { mode: "transcode", encoder: "libx264" }, source: cam },
      [
        ...head,
        ...rtspIn(cam.url),
        "-map",
        "0:v:0",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "zerolatency",
        "-pix_fmt",
        "yuv420p",
        "-crf",
        "26",
        "-maxrate",
        "2M",
        "-bufsize",
        "2M",
        "-force_key_frames",
        "expr:gte(t,n_forced*1)",
        "-bf",
        "0",
        "-an",
        ...output,
      ],
    ],
    [
      "VAAPI encoder uploads frames to the GPU",
      { ...base, video: { mode: "transcode", encoder: "h264_vaapi" }, source: cam },
      [
        ...head,
        ...rtspIn(cam.url),
        "-map",
        "0:v:0",
        "-vaapi_device",
        "/dev/dri/renderD128",
        "-vf",
        "format=nv12,hwupload",
        "-c:v",
        "h264_vaapi",
        "-force_key_frames",
        "expr:gte(t,n_forced*1)",
        "-bf",
        "0",
        "-an",
        ...output,
      ],
    ],
    [
      "RTMP push: pulled from the gateway's own listener, copied, audio as AAC when enabled",
      { ...base, audio: true, source: { kind: "rtmp" }, pullUrl: "rtmp://127.0.0.1:1935/live/cam_x" },
      [
        ...head,
        "-rw_timeout",
        "5000000",
        "-protocol_whitelist",
        "rtmp,tcp",
        "-analyzeduration",
        "100000",
        "-probesize",
        "32768",
        "-i",
        "rtmp://127.0.0.1:1935/live/cam_x",
        "-map",
        "0:v:0",
        "-c:v",
        "copy",
        "-map",
        "0:a:0?",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        ...output,
      ],
    ],
  ];
  it.each(cases)("%s", (_name, job, expected) => {
    expect(buildFfmpegArgs(job)).toEqual(expected);
  });

  it("probes thoroughly when asked (a camera whose SDP lacks SPS/PPS)", () => {
    const args = buildFfmpegArgs({ ...base, probe: "thorough", source: cam });
    expect(args[args.indexOf("-analyzeduration") + 1]).toBe("2000000");
    expect(args[args.indexOf("-probesize") + 1]).toBe("1000000");
  });

  it("selects each hardware encoder by name", () => {
    for (const encoder of ["h264_qsv", "h264_nvenc", "h264_v4l2m2m"] as const) {
      const args = buildFfmpegArgs({ ...base, video: { mode: "transcode", encoder }, source: cam });
      expect(args[args.indexOf("-c:v") + 1]).toBe(encoder);
    }
  });

  it("never contains a shell or a file input for an RTSP camera", () => {
    const args = buildFfmpegArgs({ ...base, source: cam });
    expect(args.filter((a) => /^(file|concat|http|pipe:0)/.test(a))).toEqual([]);
    expect(args).toContain("-nostdin");
  });

  it("refuses an RTMP camera when there is no listener to pull from (rtmp.enabled off)", () => {
    expect(() => buildFfmpegArgs({ ...base, source: { kind: "rtmp" } })).toThrow(/rtmp\.enabled/);
  });

  it("feeds the demo test pattern in real time and always encodes it", () => {
    const args = buildFfmpegArgs({
      ...base,
      video: { mode: "transcode", encoder: "libx264" },
      source: { kind: "test-pattern" },
    });
    expect(args.slice(4, 8)).toEqual(["-re", "-f", "lavfi", "-i"]);
    expect(args).not.toContain("-protocol_whitelist");
  });
});

describe("credentials", () => {
  it("are added to a URL that has none", () => {
    expect(urlWithCredentials("rtsp://h/x", "u", "p")).toBe("rtsp://u:p@h/x");
    expect(urlWithCredentials("rtsp://h/x")).toBe("rtsp://h/x");
  });
  it("are redacted from logs and stderr", () => {
    expect(redact("Could not open rtsp://admin:hunter2@10.0.0.9:554/s: 401")).toBe(
      "Could not open rtsp://admin:***@10.0.0.9:554/s: 401",
    );
    expect(redact("password is hunter2 and p%40ss", ["hunter2", "p@ss"])).toBe("password is *** and ***");
  });
});
