import { parseH264Sps, parseH265Sps, type SpsInfo } from "./video-sps.js";

// What a camera's DESCRIBE answer (an SDP, RFC 8866) says about its video: the first m=video section, its
// codec from a=rtpmap (or the static payload type, RFC 3551 §6), its frame rate and picture size.

export interface SdpVideo {
  /** The RTP encoding name, upper case: H264, H265, JPEG, MP4V-ES… */
  codec: string;
  width?: number;
  height?: number;
  fps?: number;
}

export interface SdpSummary {
  /** The media types of every m= line, in order: ["video", "audio", "application"]. */
  media: string[];
  /** The first m=video section; undefined when there is none. */
  video?: SdpVideo;
}

/** RTP/AVP static payload types for video (RFC 3551 Table 5). */
const STATIC_VIDEO: Record<number, string> = { 26: "JPEG", 31: "H261", 32: "MPV", 33: "MP2T", 34: "H263" };

const positive = (n: number) => (Number.isFinite(n) && n > 0 ? n : undefined);

/**
 * The media and video of an SDP; undefined when the text is not an SDP (no `v=` first line). Pure: the
 * caller caps the text's size before.
 */
export function parseSdp(text: string): SdpSummary | undefined {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (!/^v=\d/.test(lines[0] ?? "")) return undefined;

  // Split into the session part and one part per m= line.
  const session: string[] = [];
  const sections: { type: string; formats: string[]; lines: string[] }[] = [];
  for (const line of lines) {
    if (line.startsWith("m=")) {
      const [type = "", , , ...formats] = line.slice(2).split(/\s+/);
      sections.push({ type: type.toLowerCase(), formats, lines: [] });
    } else {
      (sections.at(-1)?.lines ?? session).push(line);
    }
  }
  const media = sections.map((s) => s.type);
  const section = sections.find((s) => s.type === "video");
  if (section === undefined) return { media };

  const attr = (name: string, where: readonly string[]) =>
    where.find((l) => l.startsWith(`a=${name}:`))?.slice(name.length + 3);
  const pt = section.formats[0] ?? "";
  const rtpmap = section.lines
    .map((l) => /^a=rtpmap:(\d+)\s+([^/\s]+)/.exec(l))
    .find((m) => m !== null && m[1] === pt);
  const codec = rtpmap?.[2]?.toUpperCase() ?? STATIC_VIDEO[Number(pt)] ?? (pt === "" ? "unknown" : `PT${pt}`);
  const video: SdpVideo = { codec };

  // Size: the SPS is what the decoder will see; x-dimensions (Axis and others) and cliprect otherwise.
  const fmtp = section.lines
    .map((l) => /^a=fmtp:(\d+)\s+(.*)$/.exec(l))
    .find((m) => m !== null && m[1] === pt)?.[2];
  const sps = fmtp === undefined ? undefined : spsOf(codec, fmtp);
  if (sps) {
    video.width = sps.width;
    video.height = sps.height;
  } else {
    const dims = /^(\d+)\s*,\s*(\d+)$/.exec(attr("x-dimensions", section.lines) ?? "");
    // cliprect is top,left,bottom,right (RFC 2327 era, QuickTime and Hikvision's older firmware).
    const clip = /^(\d+),(\d+),(\d+),(\d+)$/.exec(attr("cliprect", section.lines) ?? "");
    const w = positive(Number(dims?.[1] ?? (clip ? Number(clip[4]) - Number(clip[2]) : NaN)));
    const h = positive(Number(dims?.[2] ?? (clip ? Number(clip[3]) - Number(clip[1]) : NaN)));
    if (w !== undefined && h !== undefined) {
      video.width = w;
      video.height = h;
    }
  }

  const rate =
    attr("framerate", section.lines) ??
    attr("x-framerate", section.lines) ??
    attr("framerate", session) ??
    attr("x-framerate", session);
  const fps = rate === undefined ? undefined : positive(Number(rate.trim()));
  if (fps !== undefined && fps <= 240) video.fps = fps;
  else if (sps?.fps !== undefined) video.fps = sps.fps;
  return { media, video };
}

/**
 * The SPS in an fmtp line: H.264's `sprop-parameter-sets=<SPS>,<PPS>` (RFC 6184 §8.1), H.265's
 * `sprop-sps=<SPS>` (RFC 7798 §7.1), base64.
 */
function spsOf(codec: string, fmtp: string): SpsInfo | undefined {
  const param = (name: string) => new RegExp(`(?:^|;)\\s*${name}=([^;]*)`, "i").exec(fmtp)?.[1];
  if (codec === "H264") {
    for (const b64 of param("sprop-parameter-sets")?.split(",") ?? []) {
      const nal = Buffer.from(b64.trim(), "base64");
      if (((nal[0] ?? 0) & 0x1f) === 7) return parseH264Sps(nal);
    }
  }
  if (codec === "H265") {
    for (const b64 of param("sprop-sps")?.split(",") ?? []) {
      const info = parseH265Sps(Buffer.from(b64.trim(), "base64"));
      if (info) return info;
    }
  }
  return undefined;
}
