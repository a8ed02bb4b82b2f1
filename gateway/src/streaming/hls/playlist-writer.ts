/** What a media playlist shows; built from a LiveStream by hls-view.ts, rendered here as exact text. */
export interface MediaPlaylistView {
  targetDuration: number;
  partTarget: number;
  partHoldBack: number;
  mediaSequence: number;
  discontinuitySequence: number;
  segments: readonly SegmentView[];
  /** Global number of the next part (EXT-X-PRELOAD-HINT); undefined when the stream has ended. */
  preloadHintSeq: number | undefined;
  renditionReports: readonly { uri: string; lastMsn: number; lastPart: number }[];
}

export interface SegmentView {
  msn: number;
  duration: number;
  /** ms since epoch of the first frame; written after discontinuities and on the first segment. */
  programDateTime: number;
  initId: number;
  discontinuity: boolean;
  complete: boolean;
  /** Listed only near the live edge; undefined for older segments. */
  parts: readonly { seq: number; duration: number; independent: boolean }[] | undefined;
}

export interface VariantView {
  uri: string;
  bandwidth: number;
  codecs: string | undefined;
  resolution: { width: number; height: number } | undefined;
  frameRate: number | undefined;
}

const d3 = (n: number): string => n.toFixed(3);

export const initUri = (id: number): string => `init/${String(id)}.mp4`;
export const partUri = (seq: number): string => `part/${String(seq)}.m4s`;
export const segmentUri = (msn: number): string => `seg/${String(msn)}.m4s`;

/**
 * An LL-HLS media playlist (RFC 8216bis §4.4, §6.2.5.2 blocking reload, §4.4.5.3 preload hints). Complete
 * segments keep their EXTINF lines, so a client that ignores the LL-HLS tags still plays it as plain HLS.
 */
export function writeMediaPlaylist(v: MediaPlaylistView): string {
  const out: string[] = [
    "#EXTM3U",
    "#EXT-X-VERSION:9",
    `#EXT-X-TARGETDURATION:${String(v.targetDuration)}`,
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${d3(v.partHoldBack)}`,
    `#EXT-X-PART-INF:PART-TARGET=${d3(v.partTarget)}`,
    `#EXT-X-MEDIA-SEQUENCE:${String(v.mediaSequence)}`,
  ];
  if (v.discontinuitySequence > 0)
    out.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${String(v.discontinuitySequence)}`);
  let initId: number | undefined;
  v.segments.forEach((s, i) => {
    if (s.discontinuity && i > 0) out.push("#EXT-X-DISCONTINUITY");
    if (s.initId !== initId) {
      out.push(`#EXT-X-MAP:URI="${initUri(s.initId)}"`);
      initId = s.initId;
    }
    if (i === 0 || s.discontinuity)
      out.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTime).toISOString()}`);
    for (const p of s.parts ?? []) {
      out.push(
        `#EXT-X-PART:DURATION=${d3(p.duration)},URI="${partUri(p.seq)}"${p.independent ? ",INDEPENDENT=YES" : ""}`,
      );
    }
    if (s.complete) out.push(`#EXTINF:${d3(s.duration)},`, segmentUri(s.msn));
  });
  if (v.preloadHintSeq !== undefined)
    out.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partUri(v.preloadHintSeq)}"`);
  for (const r of v.renditionReports) {
    out.push(
      `#EXT-X-RENDITION-REPORT:URI="${r.uri}",LAST-MSN=${String(r.lastMsn)},LAST-PART=${String(r.lastPart)}`,
    );
  }
  return out.join("\n") + "\n";
}

/** The multivariant playlist: one variant per rendition, smallest first so phones start on the sub-stream. */
export function writeMasterPlaylist(variants: readonly VariantView[]): string {
  const out = ["#EXTM3U", "#EXT-X-VERSION:9"];
  for (const v of [...variants].sort((a, b) => a.bandwidth - b.bandwidth)) {
    const attrs = [`BANDWIDTH=${String(Math.round(v.bandwidth))}`];
    if (v.codecs !== undefined) attrs.push(`CODECS="${v.codecs}"`);
    if (v.resolution) attrs.push(`RESOLUTION=${String(v.resolution.width)}x${String(v.resolution.height)}`);
    if (v.frameRate !== undefined) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    out.push(`#EXT-X-STREAM-INF:${attrs.join(",")}`, v.uri);
  }
  return out.join("\n") + "\n";
}
