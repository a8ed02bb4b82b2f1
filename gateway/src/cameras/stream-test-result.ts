import type { Explanation } from "../common/explanation.js";
import { redact } from "../ffmpeg/redact.js";
import { needsTranscode, type VideoCodec } from "./camera.js";

export interface StreamTestOk {
  ok: true;
  video: {
    codec: VideoCodec;
    width: number;
    height: number;
    /** As the stream declares it. */
    fps?: number;
    profile?: string;
    /** Counted from the packets read, when the test measured (POST /api/cameras/test does). */
    measured?: MeasuredVideo;
  };
  audio: { codec: string } | null;
  /** H.265 plays in no browser Pantau serves (Chromium, Android, most iPhones), so Pantau transcodes it. */
  needsTranscode: boolean;
}

export type StreamTestCode =
  | "auth_failed"
  | "timeout"
  | "unreachable"
  | "unsupported_codec"
  | "not_rtsp"
  | "address_not_allowed"
  | "no_video"
  | "not_found"
  | "stream_error"
  | "busy";

export interface StreamTestFailure {
  ok: false;
  code: StreamTestCode;
  messages: Explanation;
  /** What ffprobe said, one short line without credentials or the URL: for the operator, not the admin. */
  detail?: string;
  /** The video the camera does send, when its codec is the problem. */
  video?: { codec: string; width?: number; height?: number };
}

/** What a stream test found: the camera's video and audio, or a reason a person can act on. */
export type StreamTestResult = StreamTestOk | StreamTestFailure;

/** How one ffprobe run ended, as the tester saw it. */
export interface ProbeOutcome {
  exitCode: number | null;
  signal?: NodeJS.Signals | null;
  /** Already cleared of the camera's password by the tester; URLs with credentials are blanked again here. */
  stderr: string;
  stdout: string;
  elapsedMs: number;
  /** The socket timeout ffprobe ran with (-timeout). */
  timeoutSeconds: number;
  /** The tester stopped it: past its hard deadline, or it printed more than the cap. */
  killed?: "deadline" | "output";
  /** Whether a username or password was sent: a camera's 401 then means "wrong", else "needed". */
  withCredentials: boolean;
}

const detailMaxChars = 200;

export const explanations = {
  authFailed: {
    id: "Kamera menolak nama pengguna atau kata sandi ini. Periksa keduanya (huruf besar/kecil berpengaruh) dan pastikan pengguna ini boleh melihat video.",
    en: "The camera refused this username or password. Check both (capitals matter) and that this user may view video.",
  },
  authRequired: {
    id: "Kamera meminta nama pengguna dan kata sandi. Isi keduanya, seperti yang dipakai untuk masuk ke halaman kamera.",
    en: "The camera asks for a username and password. Fill in both, as used to sign in to the camera's web page.",
  },
  timeout: (s: number): Explanation => ({
    id: `Kamera tidak menjawab dalam ${String(s)} detik. Periksa alamat dan port, dan pastikan kamera menyala dan berada di jaringan yang sama dengan Pantau.`,
    en: `The camera did not answer within ${String(s)} seconds. Check the address and port, and that the camera is on and on the same network as Pantau.`,
  }),
  noPicture: (s: number): Explanation => ({
    id: `Kamera menerima sambungan tetapi tidak mengirim gambar dalam ${String(s)} detik. Nyalakan ulang kamera atau periksa pengaturan videonya.`,
    en: `The camera accepted the connection but sent no picture within ${String(s)} seconds. Restart the camera or check its video settings.`,
  }),
  refused: {
    id: "Tidak ada yang menjawab di alamat dan port ini (sambungan ditolak). Periksa nomor port (RTSP biasanya 554) dan pastikan RTSP aktif di kamera.",
    en: "Nothing answers at this address and port (connection refused). Check the port number (RTSP is usually 554) and that RTSP is enabled on the camera.",
  },
  noRoute: {
    id: "Pantau tidak dapat menjangkau alamat ini. Periksa alamat IP kamera dan pastikan kamera berada di jaringan yang terhubung ke Pantau.",
    en: "Pantau cannot reach this address. Check the camera's IP address and that the camera is on a network Pantau is connected to.",
  },
  unknownHost: {
    id: "Nama host kamera tidak ditemukan. Periksa ejaannya, atau pakai alamat IP kamera.",
    en: "The camera's host name could not be found. Check its spelling, or use the camera's IP address.",
  },
  unsupportedCodec: (codec: string): Explanation => ({
    id: `Kamera mengirim video ${codec}, yang tidak dapat diteruskan Pantau. Ubah pengodean video kamera ke H.264 (atau H.265) di pengaturannya.`,
    en: `The camera sends ${codec} video, which Pantau cannot relay. Set the camera's video encoding to H.264 (or H.265) in its settings.`,
  }),
  notRtsp: {
    id: "Hanya alamat rtsp:// atau rtsps:// yang dapat dipakai. Salin alamat RTSP dari buku panduan atau halaman pengaturan kamera, misalnya rtsp://192.168.1.64:554/Streaming/Channels/101.",
    en: "Only rtsp:// or rtsps:// addresses can be used. Copy the RTSP address from the camera's manual or settings page, e.g. rtsp://192.168.1.64:554/Streaming/Channels/101.",
  },
  noVideo: {
    id: "Aliran ini tidak berisi video (hanya audio atau data). Periksa jalur aliran di alamat; kamera biasanya punya jalur sendiri untuk aliran utama dan aliran kecil.",
    en: "This stream has no video (only audio or data). Check the stream path in the address; cameras usually have one path for the main stream and one for the sub-stream.",
  },
  notFound: {
    id: "Kamera menjawab, tetapi tidak ada aliran di jalur ini (RTSP 404). Periksa bagian alamat setelah port, misalnya /Streaming/Channels/101.",
    en: "The camera answered, but there is no stream at this path (RTSP 404). Check the part of the address after the port, e.g. /Streaming/Channels/101.",
  },
  notAnRtspServer: {
    id: "Ada yang menjawab di alamat ini, tetapi bukan sebagai kamera RTSP. Periksa nomor port (RTSP biasanya 554, bukan port halaman web).",
    en: "Something answers at this address, but not as an RTSP camera. Check the port number (RTSP is usually 554, not the web page's port).",
  },
  streamError: (detail: string): Explanation => ({
    id: `Aliran kamera tidak dapat dibaca (${detail}). Periksa alamat, lalu coba lagi atau nyalakan ulang kamera.`,
    en: `The camera's stream could not be read (${detail}). Check the address, then try again or restart the camera.`,
  }),
  busy: {
    id: "Terlalu banyak uji kamera sedang berjalan di gateway ini. Tunggu sebentar lalu coba lagi.",
    en: "Too many camera tests are running on this gateway. Wait a moment and try again.",
  },
} as const;

/** Frame rate and bitrate counted from the packets a test read, over `seconds` of the stream's own time. */
export interface MeasuredVideo {
  fps: number;
  bitrateKbps: number;
  seconds: number;
  frames: number;
}

/** A packet of ffprobe's `-show_entries packet=stream_index,pts_time,dts_time,size` (numbers as strings). */
export interface ProbedPacket {
  stream_index?: number;
  pts_time?: string;
  dts_time?: string;
  size?: string;
}

/**
 * What the stream really sends: frames per second of its timestamps and bits per second, from one stream's
 * packets. A camera that drops frames leaves gaps in its timestamps, so the count over the span is the real
 * rate, whatever the SDP says; the bytes of the last packet fall after the span and are not counted.
 * Undefined with fewer than two timed packets.
 */
export function measureVideo(
  packets: readonly ProbedPacket[],
  streamIndex: number,
): MeasuredVideo | undefined {
  const timed: { t: number; size: number }[] = [];
  for (const p of packets) {
    // The first packet of an RTSP stream often has no timestamp yet: it cannot be placed on the span.
    const time = p.pts_time ?? p.dts_time;
    if (p.stream_index !== streamIndex || time === undefined) continue;
    const t = Number(time);
    const size = Number(p.size ?? 0);
    if (!Number.isFinite(t) || !Number.isFinite(size)) continue;
    timed.push({ t, size });
  }
  if (timed.length < 2) return undefined;
  timed.sort((a, b) => a.t - b.t);
  const first = (timed[0] as { t: number }).t;
  const last = (timed.at(-1) as { t: number }).t;
  const seconds = last - first;
  if (seconds <= 0) return undefined;
  const bytes = timed.slice(0, -1).reduce((sum, p) => sum + p.size, 0);
  return {
    fps: Math.round(((timed.length - 1) / seconds) * 100) / 100,
    bitrateKbps: Math.round((bytes * 8) / seconds / 1000),
    seconds: Math.round(seconds * 100) / 100,
    frames: timed.length,
  };
}

/** ffprobe's `-show_streams` JSON, the parts read here. */
interface ProbedStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
}

// ffmpeg's own names for codecs a camera may send, as a school admin finds them in the camera's settings.
const codecNames: Record<string, string> = {
  mjpeg: "MJPEG",
  mpeg4: "MPEG-4",
  h263: "H.263",
  mpeg2video: "MPEG-2",
  vp8: "VP8",
  vp9: "VP9",
  av1: "AV1",
};

/** "30000/1001" → 29.97; nothing for "0/0" or RTP's 90000/1 clock rate (not a frame rate). */
function frameRate(s: ProbedStream): number | undefined {
  for (const r of [s.avg_frame_rate, s.r_frame_rate]) {
    const m = /^(\d+)\/(\d+)$/.exec(r ?? "");
    const fps = m ? Number(m[1]) / Number(m[2]) : NaN;
    if (Number.isFinite(fps) && fps > 0 && fps <= 240) return Math.round(fps * 100) / 100;
  }
  return undefined;
}

/**
 * ffprobe's stderr as short lines without credentials, the input URL or the `[rtsp @ 0x…]` context:
 * `rtsp://admin:x@10.0.0.5/main: Server returned 404 Not Found` → `Server returned 404 Not Found`.
 */
function stderrLines(stderr: string): { text: string; component: boolean }[] {
  return redact(stderr)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const component = /^\[[\w-]+ @ 0x[0-9a-f]+\] /.exec(line);
      const text = (component ? line.slice(component[0].length) : line)
        .replace(/^[a-z][a-z0-9+.-]*:\/\/\S+?: /i, "")
        .replace(/\?timeout=\d+/g, "")
        .slice(0, detailMaxChars);
      return { text, component: component !== null };
    });
}

/** The most telling line: ffmpeg's first specific complaint, else its closing summary. */
function detailOf(stderr: string): string | undefined {
  const lines = stderrLines(stderr);
  return (lines.find((l) => l.component) ?? lines.at(-1))?.text;
}

function fail(code: StreamTestCode, messages: Explanation, detail?: string): StreamTestFailure {
  return { ok: false, code, messages, ...(detail !== undefined && { detail }) };
}

function classifyStreams(stdout: string, timeoutSeconds: number): StreamTestResult {
  let streams: ProbedStream[];
  let packets: ProbedPacket[] | undefined;
  try {
    const parsed = JSON.parse(stdout) as { streams?: ProbedStream[]; packets?: ProbedPacket[] };
    streams = parsed.streams ?? [];
    packets = parsed.packets;
  } catch {
    return fail(
      "stream_error",
      explanations.streamError("unreadable ffprobe output"),
      "unreadable ffprobe output",
    );
  }
  const video = streams.find((s) => s.codec_type === "video");
  const audio = streams.find((s) => s.codec_type === "audio");
  if (!video) {
    const kinds = streams.map((s) => `${s.codec_type ?? "?"} ${s.codec_name ?? "?"}`).join(", ");
    return fail("no_video", explanations.noVideo, kinds === "" ? "no streams" : `only ${kinds}`);
  }
  const codec = video.codec_name ?? "unknown";
  const width = video.width ?? 0;
  const height = video.height ?? 0;
  const normalized: VideoCodec | undefined =
    codec === "h264" ? "h264" : codec === "hevc" ? "h265" : undefined;
  if (normalized === undefined) {
    const name = codecNames[codec] ?? codec.toUpperCase();
    return {
      ...fail("unsupported_codec", explanations.unsupportedCodec(name), `video codec ${codec}`),
      video: { codec, ...(width > 0 && { width }), ...(height > 0 && { height }) },
    };
  }
  // The SDP announced video but no frame came before ffprobe gave up (a camera whose encoder hangs).
  if (width === 0 || height === 0) {
    return fail("timeout", explanations.noPicture(timeoutSeconds), `${codec} announced, no frame received`);
  }
  const fps = frameRate(video);
  const profile = video.profile !== undefined && video.profile !== "unknown" ? video.profile : undefined;
  const measured = packets && video.index !== undefined ? measureVideo(packets, video.index) : undefined;
  return {
    ok: true,
    video: {
      codec: normalized,
      width,
      height,
      ...(fps !== undefined && { fps }),
      ...(profile !== undefined && { profile }),
      ...(measured !== undefined && { measured }),
    },
    audio: audio ? { codec: audio.codec_name ?? "unknown" } : null,
    needsTranscode: needsTranscode("rtsp", normalized),
  };
}

/**
 * From how ffprobe ended to a result a school admin can act on. The cases and the stderr they are told
 * apart by were captured from ffprobe 5.1 against the GStreamer test camera and loopback servers
 * (test/unit/stream-test-result.test.ts holds the lines). ffmpeg 5.1 reports a server that accepts and
 * never answers exactly as one that hangs up at once ("Invalid data found when processing input"), so
 * the time it took tells them apart.
 */
export function classifyProbe(o: ProbeOutcome): StreamTestResult {
  if (o.killed === "deadline") {
    return fail("timeout", explanations.timeout(o.timeoutSeconds), "no result before the deadline");
  }
  if (o.killed === "output") {
    return fail("stream_error", explanations.streamError("too much output"), "too much output");
  }
  if (o.exitCode === 0) return classifyStreams(o.stdout, o.timeoutSeconds);

  const err = stderrLines(o.stderr)
    .map((l) => l.text)
    .join("\n");
  const detail = detailOf(o.stderr);
  if (/Protocol '[^']*' not on whitelist/.test(err)) return fail("not_rtsp", explanations.notRtsp, detail);
  if (/method \w+ failed: 40[13]\b|Server returned 40[13]\b/.test(err)) {
    return fail(
      "auth_failed",
      o.withCredentials ? explanations.authFailed : explanations.authRequired,
      detail,
    );
  }
  if (/method \w+ failed: 404\b|Server returned 404\b/.test(err)) {
    return fail("not_found", explanations.notFound, detail);
  }
  if (/Connection refused/.test(err)) return fail("unreachable", explanations.refused, detail);
  if (/No route to host|Network is unreachable|Host is unreachable/.test(err)) {
    return fail("unreachable", explanations.noRoute, detail);
  }
  if (/Failed to resolve hostname/.test(err)) return fail("unreachable", explanations.unknownHost, detail);
  if (/Connection timed out|Operation timed out/.test(err)) {
    return fail("timeout", explanations.timeout(o.timeoutSeconds), detail);
  }
  if (/Invalid data found when processing input/.test(err)) {
    return o.elapsedMs >= o.timeoutSeconds * 1000
      ? fail("timeout", explanations.timeout(o.timeoutSeconds), detail)
      : fail("stream_error", explanations.notAnRtspServer, detail);
  }
  const why =
    detail ??
    (o.exitCode === null
      ? `ffprobe stopped by ${o.signal ?? "a signal"}`
      : `ffprobe exit ${String(o.exitCode)}`);
  return fail("stream_error", explanations.streamError(why), why);
}
