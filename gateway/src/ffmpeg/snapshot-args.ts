/**
 * The exact ffmpeg argv that turns one frame of a live GOP (the init segment and the fragments since the
 * last keyframe, fMP4 on stdin) into one JPEG on stdout. Only the pipe protocol is allowed: the input is
 * the gateway's own bytes, never a URL. One decoder thread: a single frame does not need more, and a
 * snapshot must not take a core from the streams.
 */
export function buildSnapshotArgs(opts: { quality?: number } = {}): string[] {
  return [
    "-hide_banner",
    "-nostdin",
    "-v",
    "error",
    "-threads",
    "1",
    "-protocol_whitelist",
    "pipe",
    "-f",
    "mp4",
    "-i",
    "pipe:0",
    "-an",
    "-frames:v",
    "1",
    "-c:v",
    "mjpeg",
    // mjpeg's qscale, 2 (best) … 31; 4 keeps a 1080p frame near 150 KB.
    "-q:v",
    String(opts.quality ?? 4),
    "-f",
    "image2",
    "pipe:1",
  ];
}
