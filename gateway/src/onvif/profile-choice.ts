import type { OnvifProfile } from "./onvif-replies.js";

/** What a profile's encoding means for Pantau: copied as is, transcoded, or not usable. */
export type ProfileCodec = "h264" | "h265" | "unsupported";

export function codecOf(encoding: string | undefined): ProfileCodec {
  switch ((encoding ?? "").toUpperCase()) {
    case "H264":
    case "AVC":
      return "h264";
    case "H265":
    case "HEVC":
      return "h265";
    default:
      return "unsupported";
  }
}

const SUB_MIN_WIDTH = 320;

const pixels = (p: OnvifProfile) => (p.width ?? 0) * (p.height ?? 0);

/**
 * Main: the highest-resolution H.264 profile (browsers play it without transcoding); when the camera
 * has only H.265, its highest one, which the gateway transcodes. Sub: the smallest H.264 profile at least
 * 320 px wide other than main, for phones; none when the camera has no such profile.
 */
export function suggestProfiles(profiles: readonly OnvifProfile[]): {
  main: string | null;
  sub: string | null;
} {
  const byCodec = (c: ProfileCodec) => profiles.filter((p) => codecOf(p.encoding) === c);
  const largestFirst = (list: OnvifProfile[]) =>
    [...list].sort((a, b) => pixels(b) - pixels(a) || (b.fps ?? 0) - (a.fps ?? 0));
  const h264 = largestFirst(byCodec("h264"));
  const main = h264[0] ?? largestFirst(byCodec("h265"))[0];
  if (main === undefined) return { main: null, sub: null };
  const sub = h264
    .filter((p) => p !== main && (p.width ?? 0) >= SUB_MIN_WIDTH && pixels(p) < pixels(main))
    .sort((a, b) => pixels(a) - pixels(b))[0];
  return { main: main.token, sub: sub?.token ?? null };
}
