import { rtspProtocolWhitelist, urlWithCredentials } from "./ffmpeg-args.js";

export interface FfprobeJob {
  /** The stream's URL without credentials (they travel beside it, as in a camera record). */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  timeoutSeconds: number;
  /**
   * Also read this many seconds of the stream and print each video and audio packet's time and size, so the
   * frame rate and bitrate are measured rather than taken from what the SDP declares.
   */
  measureSeconds?: number;
}

/**
 * The exact ffprobe argv that tests a camera stream: the same transport, socket timeout and protocol
 * allow-list as ingest (buildFfmpegArgs), errors only on stderr, the streams as JSON on stdout.
 * Credentials go into the URL here, at spawn time, and nowhere else. With `measureSeconds` it reads that
 * long from the start (`-read_intervals %+N`) and lists the packets too.
 */
export function buildFfprobeArgs(job: FfprobeJob): string[] {
  return [
    "-hide_banner",
    "-v",
    "error",
    "-print_format",
    "json",
    "-show_streams",
    ...(job.measureSeconds === undefined
      ? []
      : [
          "-show_entries",
          "packet=stream_index,pts_time,dts_time,size",
          "-read_intervals",
          `%+${String(job.measureSeconds)}`,
        ]),
    "-rtsp_transport",
    "tcp",
    "-timeout",
    String(Math.round(job.timeoutSeconds * 1_000_000)),
    "-protocol_whitelist",
    rtspProtocolWhitelist(job.url),
    "-i",
    urlWithCredentials(job.url, job.username, job.password),
  ];
}
