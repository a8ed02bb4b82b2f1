import { describe, expect, it } from "vitest";
import { buildFfmpegArgs, rtspProtocolWhitelist } from "../../gateway/src/ffmpeg/ffmpeg-args.js";
import { buildFfprobeArgs, type FfprobeJob } from "../../gateway/src/ffmpeg/ffprobe-args.js";

const head = ["-hide_banner", "-v", "error", "-print_format", "json", "-show_streams"];
const input = (timeoutMicros: string, protocols: string, url: string) => [
  "-rtsp_transport",
  "tcp",
  "-timeout",
  timeoutMicros,
  "-protocol_whitelist",
  protocols,
  "-i",
  url,
];

describe("buildFfprobeArgs", () => {
  const cases: [string, FfprobeJob, string[]][] = [
    [
      "plain RTSP, no credentials",
      { url: "rtsp://10.1.2.3:554/Streaming/Channels/101", timeoutSeconds: 5 },
      [...head, ...input("5000000", "rtsp,rtp,udp,tcp", "rtsp://10.1.2.3:554/Streaming/Channels/101")],
    ],
    [
      "credentials go into the URL only here, percent-encoded",
      { url: "rtsp://10.1.2.3/main", username: "admin", password: "p@ss:w/rd", timeoutSeconds: 5 },
      [...head, ...input("5000000", "rtsp,rtp,udp,tcp", "rtsp://admin:p%40ss%3Aw%2Frd@10.1.2.3/main")],
    ],
    [
      "a username alone (cameras with an empty password exist)",
      { url: "rtsp://10.1.2.3/main", username: "viewer", timeoutSeconds: 5 },
      [...head, ...input("5000000", "rtsp,rtp,udp,tcp", "rtsp://viewer@10.1.2.3/main")],
    ],
    [
      "rtsps adds TLS to the allow-list; a fractional timeout in whole microseconds",
      { url: "rtsps://cam.sekolah.sch.id:322/live", timeoutSeconds: 1.5 },
      [...head, ...input("1500000", "rtsp,rtsps,rtp,udp,tcp,tls", "rtsps://cam.sekolah.sch.id:322/live")],
    ],
    [
      "measuring reads that many seconds and lists the packets' times and sizes",
      { url: "rtsp://10.1.2.3/main", timeoutSeconds: 5, measureSeconds: 2 },
      [
        ...head,
        "-show_entries",
        "packet=stream_index,pts_time,dts_time,size",
        "-read_intervals",
        "%+2",
        ...input("5000000", "rtsp,rtp,udp,tcp", "rtsp://10.1.2.3/main"),
      ],
    ],
  ];
  it.each(cases)("%s", (_name, job, expected) => {
    expect(buildFfprobeArgs(job)).toEqual(expected);
  });

  it("uses the very allow-list ingest uses", () => {
    for (const url of ["rtsp://10.1.2.3/a", "rtsps://10.1.2.3/a"]) {
      const probe = buildFfprobeArgs({ url, timeoutSeconds: 5 });
      const ingest = buildFfmpegArgs({
        source: { kind: "rtsp", url },
        rendition: "main",
        video: { mode: "copy" },
        audio: false,
        rtspTimeoutSeconds: 5,
      });
      const listed = (argv: string[]) => argv[argv.indexOf("-protocol_whitelist") + 1];
      expect(listed(probe)).toBe(rtspProtocolWhitelist(url));
      expect(listed(ingest)).toBe(listed(probe));
    }
  });
});
