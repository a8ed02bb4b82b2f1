/** A minimal LL-HLS client for tests and benchmarks: follows blocking reloads and fetches every part. */
export interface ParsedMedia {
  mediaSequence: number;
  parts: { uri: string; seq: number; msn: number; index: number; independent: boolean; duration: number }[];
  segments: { uri: string; msn: number; duration: number }[];
  preloadHint: string | undefined;
  maps: string[];
  partTarget: number | undefined;
  partHoldBack: number | undefined;
  targetDuration: number | undefined;
}

export function parseMediaPlaylist(text: string): ParsedMedia {
  const lines = text.split("\n");
  const out: ParsedMedia = {
    mediaSequence: 0,
    parts: [],
    segments: [],
    preloadHint: undefined,
    maps: [],
    partTarget: undefined,
    partHoldBack: undefined,
    targetDuration: undefined,
  };
  let msn = 0;
  let index = 0;
  let pendingExtinf: number | undefined;
  for (const line of lines) {
    if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) msn = out.mediaSequence = Number(line.split(":")[1]);
    else if (line.startsWith("#EXT-X-TARGETDURATION:")) out.targetDuration = Number(line.split(":")[1]);
    else if (line.startsWith("#EXT-X-PART-INF:"))
      out.partTarget = Number(/PART-TARGET=([\d.]+)/.exec(line)?.[1]);
    else if (line.startsWith("#EXT-X-SERVER-CONTROL:"))
      out.partHoldBack = Number(/PART-HOLD-BACK=([\d.]+)/.exec(line)?.[1]);
    else if (line.startsWith("#EXT-X-MAP:")) out.maps.push(/URI="([^"]+)"/.exec(line)?.[1] ?? "");
    else if (line.startsWith("#EXT-X-PART:")) {
      const uri = /URI="([^"]+)"/.exec(line)?.[1] ?? "";
      out.parts.push({
        uri,
        seq: Number(/(\d+)\.m4s/.exec(uri)?.[1]),
        msn,
        index: index++,
        independent: line.includes("INDEPENDENT=YES"),
        duration: Number(/DURATION=([\d.]+)/.exec(line)?.[1]),
      });
    } else if (line.startsWith("#EXTINF:")) pendingExtinf = Number(line.slice(8).split(",")[0]);
    else if (line.startsWith("#EXT-X-PRELOAD-HINT:")) out.preloadHint = /URI="([^"]+)"/.exec(line)?.[1];
    else if (line !== "" && !line.startsWith("#") && pendingExtinf !== undefined) {
      out.segments.push({ uri: line, msn, duration: pendingExtinf });
      pendingExtinf = undefined;
      msn++;
      index = 0;
    }
  }
  return out;
}

export interface FollowResult {
  partsFetched: number;
  partBytes: number;
  missing: number[];
  playlistRequests: number;
  errors: string[];
  /** ms between a part's appearance in a playlist response and the end of its download. */
  delaysMs: number[];
  init: Buffer | undefined;
  data: Buffer[];
}

/**
 * Plays like an LL-HLS client without decoding: loads the media playlist, then loops on blocking reloads
 * for the next part (_HLS_msn/_HLS_part) and fetches every part it has not fetched yet, in order. Stops
 * after durationMs, or once untilParts parts are fetched: a test that needs N parts asks for them, with
 * durationMs as the limit, rather than counting what arrived in a time a loaded machine may not keep.
 */
export async function followLlHls(
  mediaUrl: string,
  durationMs: number,
  opts: { keepData?: boolean; signal?: AbortSignal; untilParts?: number } = {},
): Promise<FollowResult> {
  const r: FollowResult = {
    partsFetched: 0,
    partBytes: 0,
    missing: [],
    playlistRequests: 0,
    errors: [],
    delaysMs: [],
    init: undefined,
    data: [],
  };
  const base = new URL(mediaUrl);
  const end = Date.now() + durationMs;
  let lastSeq: number | undefined;
  let next: { msn: number; part: number } | undefined;
  while (Date.now() < end && !opts.signal?.aborted && r.partsFetched < (opts.untilParts ?? Infinity)) {
    const url = new URL(base);
    if (next) {
      url.searchParams.set("_HLS_msn", String(next.msn));
      url.searchParams.set("_HLS_part", String(next.part));
    }
    const res = await fetch(url, { signal: opts.signal });
    r.playlistRequests++;
    const seenAt = Date.now();
    if (!res.ok) {
      r.errors.push(`playlist ${String(res.status)}`);
      await res.arrayBuffer();
      continue;
    }
    const pl = parseMediaPlaylist(await res.text());
    if (r.init === undefined && pl.maps[0])
      r.init = Buffer.from(await (await fetch(new URL(pl.maps[0], base))).arrayBuffer());
    const fresh = pl.parts.filter((p) => lastSeq === undefined || p.seq > lastSeq);
    // Start at the last independent part, as a player joining live would.
    const start =
      lastSeq === undefined
        ? Math.max(
            0,
            fresh.findLastIndex((p) => p.independent),
          )
        : 0;
    for (const p of fresh.slice(start)) {
      if (lastSeq !== undefined && p.seq !== lastSeq + 1)
        for (let s = lastSeq + 1; s < p.seq; s++) r.missing.push(s);
      const pr = await fetch(new URL(p.uri, base), { signal: opts.signal });
      if (!pr.ok) {
        r.errors.push(`part ${String(p.seq)} ${String(pr.status)}`);
        r.missing.push(p.seq);
      } else {
        const buf = Buffer.from(await pr.arrayBuffer());
        r.partsFetched++;
        r.partBytes += buf.length;
        r.delaysMs.push(Date.now() - seenAt);
        if (opts.keepData) r.data.push(buf);
      }
      lastSeq = p.seq;
    }
    const last = pl.parts.at(-1);
    if (last) next = { msn: last.msn, part: last.index + 1 };
  }
  return r;
}
