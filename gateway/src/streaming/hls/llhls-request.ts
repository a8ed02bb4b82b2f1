import type { RenditionName } from "../../cameras/camera.js";
import type { MediaPlaylistView } from "./playlist-writer.js";

/**
 * What a media playlist request is answered with, from its `_HLS_msn`/`_HLS_part` (RFC 8216bis §6.2.5.2):
 * the playlist now; 400 with a message; or the playlist once the stream holds part `part` of segment
 * `msn` (or any later one), waiting at most `waitMs`.
 */
export type PlaylistRequest =
  | { kind: "now" }
  | { kind: "refuse"; message: string }
  | { kind: "block"; msn: number; part: number; waitMs: number };

/** Where the live edge is when the request is decided. */
export interface LiveEdge {
  /** The newest part, undefined before the first. */
  lastPart: { msn: number; index: number } | undefined;
  /** PART-TARGET and EXT-X-TARGETDURATION as the playlist states them, in seconds. */
  partTargetSeconds: number;
  targetDurationSeconds: number;
}

const uint = /^\d{1,9}$/;

/**
 * Decides a media playlist request. Without `_HLS_msn` it is a plain reload (a lone `_HLS_part` is ignored);
 * with it, both must be single non-negative integers. More than two segments ahead of the live edge, or
 * past the Advance Part Limit (3 s of parts) within the last segment, is 400 at once (§6.2.5.2). A wait
 * lasts at most `blockingReloadMaxSeconds` and never more than three target durations (§6.2.5.2).
 */
export function playlistRequest(
  query: URLSearchParams,
  edge: LiveEdge,
  blockingReloadMaxSeconds: number,
): PlaylistRequest {
  const msnTexts = query.getAll("_HLS_msn");
  const partTexts = query.getAll("_HLS_part");
  const [msnText] = msnTexts;
  if (msnText === undefined) return { kind: "now" };
  const [partText] = partTexts;
  if (
    msnTexts.length > 1 ||
    partTexts.length > 1 ||
    !uint.test(msnText) ||
    (partText !== undefined && !uint.test(partText))
  ) {
    return { kind: "refuse", message: "_HLS_msn and _HLS_part must be non-negative integers" };
  }
  const msn = Number(msnText);
  const part = partText === undefined ? undefined : Number(partText);
  const last = edge.lastPart;
  const lastMsn = last?.msn ?? 0;
  const advancePartLimit = Math.ceil(3 / edge.partTargetSeconds);
  if (
    msn > lastMsn + 2 ||
    (part !== undefined && last !== undefined && msn === lastMsn && part > last.index + advancePartLimit)
  ) {
    return { kind: "refuse", message: "requested media sequence is too far ahead of the live edge" };
  }
  const waitMs = Math.min(blockingReloadMaxSeconds, 3 * edge.targetDurationSeconds) * 1000;
  // Without _HLS_part the client wants segment msn complete, which is when part 0 of msn + 1 exists.
  return part === undefined
    ? { kind: "block", msn: msn + 1, part: 0, waitMs }
    : { kind: "block", msn, part, waitMs };
}

/**
 * How long a request for part `seq` that does not exist yet may wait for it: the preload-hinted part
 * (EXT-X-PRELOAD-HINT, §4.4.5.3) and one beyond, for a client racing ahead, up to
 * `blockingReloadMaxSeconds`; undefined for any other part, which is answered (404) at once.
 */
export function partWaitMs(
  seq: number,
  nextPartSeq: number,
  blockingReloadMaxSeconds: number,
): number | undefined {
  return seq >= nextPartSeq && seq <= nextPartSeq + 1 ? blockingReloadMaxSeconds * 1000 : undefined;
}

/** What one sibling rendition shows for its EXT-X-RENDITION-REPORT. */
export interface Sibling {
  name: RenditionName;
  live: boolean;
  lastPart: { msn: number; index: number } | undefined;
}

/**
 * EXT-X-RENDITION-REPORT lines (§4.4.5.4) for the siblings of the requested rendition: only those live with
 * a part to point at (a stopped on-demand sibling's last numbers would be stale).
 */
export function renditionReports(siblings: readonly Sibling[]): MediaPlaylistView["renditionReports"] {
  return siblings.flatMap((s) =>
    s.live && s.lastPart !== undefined
      ? [{ uri: `../${s.name}/index.m3u8`, lastMsn: s.lastPart.msn, lastPart: s.lastPart.index }]
      : [],
  );
}
