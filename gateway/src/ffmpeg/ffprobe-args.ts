import { rtspProtocolWhitelist, urlWithCredentials } from "./ffmpeg-args.js";

export interface FfprobeJob {
  /** The stream's URL without credentials (they travel beside it, as in a camera record). */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  timeoutSeconds: number;
}

/**
 * The exact ffprobe argv that tests a camera stream: the same transport, socket timeout and protocol
 * allow-list as ingest (buildFfmpegArgs), errors only on stderr, the streams as JSON on stdout.
 * Credentials go into the URL here, at spawn time, and nowhere else.
 */
export function buildFfprobeArgs(job: FfprobeJob): string[] {
  return [
    "-hide_banner",
    "-v",
    "error",
    "-print_format",
    "json",
    "-show_streams",
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
