import type { IngestSource, RenditionName } from "../cameras/camera.js";
import { fillCredentialParams } from "../cameras/url-credentials.js";

export type H264Encoder = "libx264" | "h264_vaapi" | "h264_qsv" | "h264_nvenc" | "h264_v4l2m2m";

export interface FfmpegJob {
  source: IngestSource;
  rendition: RenditionName;
  /** copy keeps the camera's H.264 untouched; transcode is for H.265 sources and the test pattern. */
  video: { mode: "copy" } | { mode: "transcode"; encoder: H264Encoder };
  audio: boolean;
  rtspTimeoutSeconds: number;
  /**
   * For an rtmp source: where the gateway's RTMP listener serves the pushed stream to this machine
   * (ingest/rtmp-server.ts pullUrl), asked at every spawn.
   */
  pullUrl?: string;
  /** fast by default; thorough after a start that never produced an init segment. */
  probe?: "fast" | "thorough";
  /**
   * The test pattern's clock: the school's zone (its offset and name as at `atMs`, the spawn), so the clock
   * drawn into the picture reads as the watermark over it does, not in the gateway host's zone.
   */
  clock?: { atMs: number; timeZone: string };
}

/** The zone's offset from UTC at `atMs`, in seconds (east positive); 0 for a zone Intl does not know. */
export function utcOffsetSeconds(atMs: number, timeZone: string): number {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    }).formatToParts(new Date(atMs));
  } catch {
    return 0;
  }
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return Math.round((wall - Math.floor(atMs / 1000) * 1000) / 1000);
}

/** The zone's short name as a parent reads it ("WIB", "WITA"), letters, digits and +/- only; else "UTC±h". */
function zoneLabel(atMs: number, timeZone: string): string {
  try {
    const name = new Intl.DateTimeFormat("id-ID", { timeZone, timeZoneName: "short" })
      .formatToParts(new Date(atMs))
      .find((p) => p.type === "timeZoneName")?.value;
    if (name !== undefined && /^[A-Za-z0-9+-]{1,10}$/.test(name)) return name;
  } catch {
    // An unknown zone: the offset (0) is named instead.
  }
  return "UTC";
}

/**
 * The demo pattern's filters: the wall clock drawn in the school's zone. ffmpeg's %{localtime} reads the
 * ffmpeg process's zone (the gateway host's, UTC on most servers) while the watermark shows the school's.
 * So each frame's timestamp is set to the wall clock (RTCTIME, µs), drawn as UTC shifted by the school's
 * offset (drawtext `pts` with `gmtime` and an offset, ffmpeg-filters "drawtext", text expansion), and set
 * back to the frame count so the stream's timestamps are what they were.
 */
export function testPatternFilters(clock: FfmpegJob["clock"]): string {
  const box = "fontsize=32:fontcolor=white:box=1:boxcolor=black@0.6:x=16:y=16";
  if (clock === undefined) return `drawtext=text='DEMO  %{localtime\\:%T}':${box}`;
  const offset = utcOffsetSeconds(clock.atMs, clock.timeZone);
  return [
    "setpts=RTCTIME/(TB*1000000)",
    `drawtext=text='DEMO  %{pts\\:gmtime\\:${String(offset)}\\:%T} ${zoneLabel(clock.atMs, clock.timeZone)}':${box}`,
    "setpts=N/FRAME_RATE/TB",
  ].join(",");
}

/**
 * The protocols ffmpeg and ffprobe may open for a camera URL (their `-protocol_whitelist`): RTSP and what it
 * runs on, plus TLS for rtsps. Checked by ffmpeg itself, so a URL that slipped past the scheme check (or a
 * redirect inside the stream) can never make it read a file or reach an HTTP service.
 */
export function rtspProtocolWhitelist(url: string): string {
  return url.startsWith("rtsps:") ? "rtsp,rtsps,rtp,udp,tcp,tls" : "rtsp,rtp,udp,tcp";
}

/**
 * Puts credentials into the URL at spawn time only; they are never stored in it: as userinfo, and into
 * the emptied `user=`/`password=` parameters of cameras that take them there (cameras/url-credentials.ts).
 */
export function urlWithCredentials(url: string, username?: string, password?: string): string {
  if (username === undefined && password === undefined) return url;
  const u = new URL(fillCredentialParams(url, username, password));
  u.username = encodeURIComponent(username ?? "");
  u.password = encodeURIComponent(password ?? "");
  return u.toString();
}

/** How long ffmpeg probes the input: fast by default; thorough after a start without an init segment. */
function probeArgs(job: FfmpegJob): string[] {
  return [
    "-analyzeduration",
    job.probe === "thorough" ? "2000000" : "100000",
    "-probesize",
    job.probe === "thorough" ? "1000000" : "32768",
  ];
}

function inputArgs(job: FfmpegJob): string[] {
  const { source } = job;
  if (source.kind === "test-pattern") {
    // The demo camera: a moving pattern with the wall clock, drawn in real time (-re) by lavfi.
    return ["-re", "-f", "lavfi", "-i", `testsrc2=size=640x360:rate=25,${testPatternFilters(job.clock)}`];
  }
  if (source.kind === "rtmp") {
    if (job.pullUrl === undefined) throw new Error("RTMP push is off (rtmp.enabled): nothing to pull from");
    // A pushed stream, played from the gateway's own RTMP listener. node-media-server's FLV header always
    // announces audio, so ffmpeg's default probe waits ~5 s for an audio packet an NVR may never send; the
    // fast probe starts in ~0.5 s (measured here). -rw_timeout is the generic AVIO I/O timeout (ffmpeg-protocols,
    // "Protocol Options"), the RTMP side's counterpart of RTSP's -timeout.
    return [
      "-rw_timeout",
      String(Math.round(job.rtspTimeoutSeconds * 1_000_000)),
      "-protocol_whitelist",
      "rtmp,tcp",
      ...probeArgs(job),
      "-i",
      job.pullUrl,
    ];
  }
  const url = job.rendition === "sub" && source.subUrl !== undefined ? source.subUrl : source.url;
  return [
    "-rtsp_transport",
    "tcp",
    "-timeout",
    String(Math.round(job.rtspTimeoutSeconds * 1_000_000)),
    "-protocol_whitelist",
    rtspProtocolWhitelist(url),
    // No -fflags +nobuffer: it discards the packets read while probing, including a keyframe that arrived
    // then, which cost a whole GOP on every cold start (bench:startup). Start fast: when the SDP carries SPS/PPS (sprop-parameter-sets) ffmpeg needs almost no probing, and
    // the default probing cost ~1 s before the first byte (bench:startup). A camera whose SDP lacks them
    // fails the fast probe once; the rendition then retries with thorough probing (rendition.ts).
    ...probeArgs(job),
    "-i",
    urlWithCredentials(url, source.username, source.password),
  ];
}

function videoArgs(job: FfmpegJob): string[] {
  if (job.video.mode === "copy") return ["-c:v", "copy"];
  // One keyframe a second, so a new viewer never waits long and segments stay ~1 s.
  const gop = ["-force_key_frames", "expr:gte(t,n_forced*1)", "-bf", "0"];
  switch (job.video.encoder) {
    case "libx264":
      return [
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
        ...gop,
      ];
    case "h264_vaapi":
      return [
        "-vaapi_device",
        "/dev/dri/renderD128",
        "-vf",
        "format=nv12,hwupload",
        "-c:v",
        "h264_vaapi",
        ...gop,
      ];
    case "h264_qsv":
      return ["-c:v", "h264_qsv", "-preset", "veryfast", ...gop];
    case "h264_nvenc":
      return ["-c:v", "h264_nvenc", "-preset", "p1", "-tune", "ll", ...gop];
    case "h264_v4l2m2m":
      return ["-c:v", "h264_v4l2m2m", "-pix_fmt", "yuv420p", ...gop];
  }
}

/**
 * The exact ffmpeg argv for one camera rendition (design.md, "Data flow"): always -nostdin, RTSP over TCP
 * with a socket timeout and a protocol allow-list; video copied when it is H.264; audio dropped unless
 * enabled (then AAC); fragmented MP4 on stdout, one fragment per frame.
 */
export function buildFfmpegArgs(job: FfmpegJob): string[] {
  const audio =
    job.audio && job.source.kind !== "test-pattern"
      ? ["-map", "0:a:0?", "-c:a", "aac", "-b:a", "64k"]
      : ["-an"];
  return [
    "-nostdin",
    "-hide_banner",
    "-loglevel",
    "level+warning",
    ...inputArgs(job),
    "-map",
    "0:v:0",
    ...videoArgs(job),
    ...audio,
    "-f",
    "mp4",
    // empty_moov: init first; frag_every_frame: one fragment per frame, so WebSocket viewers get each frame
    // at once and the packager groups frames into LL-HLS parts itself; default_base_moof: self-contained
    // fragments that MSE and HLS both accept.
    "-movflags",
    "+frag_keyframe+empty_moov+default_base_moof+frag_every_frame",
    "-flush_packets",
    "1",
    "pipe:1",
  ];
}
