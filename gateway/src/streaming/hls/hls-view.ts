import type { LiveStream } from "../live-stream.js";
import type { MediaPlaylistView, VariantView } from "./playlist-writer.js";

export interface HlsTiming {
  partTargetSeconds: number;
  /** PART-HOLD-BACK as a multiple of PART-TARGET; RFC 8216bis requires ≥ 2 and recommends 3. */
  partHoldBackFactor: number;
}

/** Partial segments are listed for the last three target durations only (RFC 8216bis §4.4.4.9). */
const partWindowTargets = 3;

export function targetDuration(stream: LiveStream): number {
  const open = stream.segments.at(-1)?.duration ?? 0;
  return Math.max(1, Math.round(Math.max(stream.longestSegment, open)));
}

export function partTarget(stream: LiveStream, t: HlsTiming): number {
  // Every part must be ≤ PART-TARGET; at frame rates that do not divide it, a part runs one frame long.
  return Math.ceil(Math.max(t.partTargetSeconds, stream.longestPart) * 1000) / 1000;
}

/** Snapshot of a LiveStream as a media playlist view (pure; the text comes from playlist-writer). */
export function mediaView(
  stream: LiveStream,
  t: HlsTiming,
  reports: MediaPlaylistView["renditionReports"] = [],
): MediaPlaylistView {
  const target = targetDuration(stream);
  const pt = partTarget(stream, t);
  const segs = stream.segments;
  let fromEdge = 0;
  let firstWithParts = segs.length;
  for (let i = segs.length - 1; i >= 0; i--) {
    firstWithParts = i;
    fromEdge += segs[i]?.duration ?? 0;
    if (fromEdge >= partWindowTargets * target) break;
  }
  return {
    targetDuration: target,
    partTarget: pt,
    partHoldBack: pt * t.partHoldBackFactor,
    mediaSequence: segs[0]?.msn ?? 0,
    discontinuitySequence: stream.discontinuitySequence,
    segments: segs.map((s, i) => ({
      msn: s.msn,
      duration: s.duration,
      programDateTime: s.startTime,
      initId: s.initId,
      discontinuity: s.discontinuity,
      complete: s.complete,
      parts:
        i >= firstWithParts
          ? s.parts.map((p) => ({ seq: p.seq, duration: p.duration, independent: p.independent }))
          : undefined,
    })),
    preloadHintSeq: stream.isEnded ? undefined : stream.nextPartSeq,
    renditionReports: reports,
  };
}

/** What a rendition's last run showed: kept across on-demand stops, for a master playlist asked for cold. */
export interface RenditionFacts {
  codecs: string;
  width: number;
  height: number;
  /** Bits per second measured near the end of the run; undefined if it ended before any was measured. */
  bitrate: number | undefined;
}

/**
 * What the master playlist says of one rendition: what its stream shows now, else what its last run showed
 * (`last`), else only a guessed bandwidth. Apple's HLS authoring rules want CODECS and RESOLUTION on every
 * video variant, so a cold master waits for the init segment when nothing is known (hls-routes.ts).
 */
export function variantView(
  uri: string,
  stream: LiveStream,
  last: RenditionFacts | undefined,
  fallbackBandwidth: number,
  fps: number | undefined,
): VariantView {
  const init = stream.current ?? last;
  const recent = stream.recent(5000);
  const measured = (recent.bytes * 8) / recent.seconds;
  const rate = measured > 0 ? measured : last?.bitrate;
  return {
    uri,
    // Peak-ish: measured rate with headroom, so players do not pick a variant the link cannot carry.
    bandwidth: rate !== undefined && rate > 0 ? Math.round(rate * 1.3) : fallbackBandwidth,
    codecs: init?.codecs,
    resolution: init ? { width: init.width, height: init.height } : undefined,
    frameRate: fps !== undefined && fps > 0 ? fps : undefined,
  };
}
