import type { Fragment, InitSegment } from "./fmp4/fmp4-types.js";

/**
 * One LL-HLS partial segment: the ffmpeg fragments (one per frame, moof+mdat each) of ~partTarget seconds.
 * RFC 8216bis §3.1.2 allows a partial segment to hold several fragments.
 */
export interface Part {
  /** Global part number within this stream; part URIs use it, so the next one is always known (preload hint). */
  seq: number;
  msn: number;
  index: number;
  data: Buffer;
  duration: number;
  independent: boolean;
  sampleCount: number;
  /** Wall-clock ms when its last fragment reached the gateway. */
  ingestTime: number;
}

/** The part being filled; its fragments already went out to WebSocket viewers. */
interface OpenPart {
  fragments: Buffer[];
  duration: number;
  samples: number;
  independent: boolean;
  lastFragmentDuration: number;
}

export interface Segment {
  msn: number;
  parts: Part[];
  duration: number;
  /** Wall-clock ms of the segment's first frame (arrival of its first part minus that part's duration). */
  startTime: number;
  complete: boolean;
  initId: number;
  /** First segment after a restart of ffmpeg: timestamps and maybe codec parameters changed. */
  discontinuity: boolean;
  /** First segment since the init: cut short (LiveStreamOptions.firstSegmentSeconds). */
  firstOfRun: boolean;
}

export interface InitEntry extends InitSegment {
  id: number;
}

export type LiveEvent =
  | { type: "init"; init: InitEntry }
  /** Every frame as it arrives: what WebSocket viewers get, before any part is complete. */
  | { type: "fragment"; data: Buffer; keyframe: boolean }
  | { type: "part"; part: Part; segment: Segment };

export interface LiveStreamOptions {
  windowSeconds: number;
  /** Parts close once they hold this much video (never more, at a constant frame rate). */
  partTargetSeconds: number;
  /** A segment without a keyframe for this long is cut anyway (then it does not start independent). */
  maxSegmentSeconds: number;
  /**
   * The first segment of a run is cut this early: hls.js treats a playlist without a complete segment as
   * empty and retries a second later, so a cold start would otherwise wait for the camera's second keyframe.
   */
  firstSegmentSeconds: number;
  now: () => number;
}

/**
 * The in-memory packager state of one rendition: a bounded window of segments made of parts, the current
 * init segment, and the GOP cache (the open segment, which starts at the last keyframe). Nothing here
 * touches disk; memory is bounded by windowSeconds of video.
 */
export class LiveStream {
  private readonly segs: Segment[] = [];
  private readonly partsBySeq = new Map<number, Part>();
  private readonly inits = new Map<number, InitEntry>();
  private readonly segmentData = new Map<number, Buffer>();
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private readonly waiters = new Set<() => void>();
  private nextSeq = 0;
  private nextMsn = 0;
  private initCounter = 0;
  private pendingDiscontinuity = false;
  private awaitingKeyframe = true;
  private droppedDiscontinuities = 0;
  private maxSegmentDuration = 0;
  private maxPartDuration = 0;
  private ended = false;
  private open: OpenPart | undefined;
  private firstOfRun = true;
  current: InitEntry | undefined;

  constructor(private readonly opts: LiveStreamOptions) {}

  /** A new ffmpeg output began: new init, and the next segment is a discontinuity if one came before. */
  pushInit(init: InitSegment): void {
    this.closeOpenPart(this.opts.now());
    this.closeOpenSegment();
    const entry: InitEntry = { ...init, id: ++this.initCounter };
    this.inits.set(entry.id, entry);
    this.current = entry;
    this.pendingDiscontinuity = this.segs.length > 0;
    this.awaitingKeyframe = true;
    this.firstOfRun = true;
    this.ended = false;
    this.emit({ type: "init", init: entry });
  }

  pushFragment(f: Fragment): void {
    const init = this.current;
    if (init === undefined) return;
    // A segment must start at a keyframe to be playable on its own; drop leading non-keyframe fragments.
    if (this.awaitingKeyframe && !f.keyframe) return;
    this.awaitingKeyframe = false;
    const now = this.opts.now();
    let seg = this.openSegment();
    const segDuration = (seg?.duration ?? 0) + (this.open?.duration ?? 0);
    const limit = seg?.firstOfRun === true ? this.opts.firstSegmentSeconds : this.opts.maxSegmentSeconds;
    if (seg && (f.keyframe || segDuration >= limit - 0.001)) {
      this.closeOpenPart(now);
      this.closeOpenSegment();
      seg = undefined;
    }
    if (!seg) {
      seg = {
        msn: this.nextMsn++,
        parts: [],
        duration: 0,
        startTime: now - f.durationSeconds * 1000,
        complete: false,
        initId: init.id,
        discontinuity: this.pendingDiscontinuity,
        firstOfRun: this.firstOfRun,
      };
      this.firstOfRun = false;
      this.pendingDiscontinuity = false;
      this.segs.push(seg);
    }
    this.open ??= {
      fragments: [],
      duration: 0,
      samples: 0,
      independent: f.keyframe,
      lastFragmentDuration: 0,
    };
    this.open.fragments.push(f.data);
    this.open.duration += f.durationSeconds;
    this.open.samples += f.sampleCount;
    this.open.lastFragmentDuration = f.durationSeconds;
    this.emit({ type: "fragment", data: f.data, keyframe: f.keyframe });
    // Close the part when one more frame of the same length would overrun the target.
    if (this.open.duration + this.open.lastFragmentDuration > this.opts.partTargetSeconds + 0.001)
      this.closeOpenPart(now);
  }

  /**
   * Forget the media of a previous run before an on-demand start, so no viewer is served minutes-old video.
   * Sequence numbers keep counting: a URI never names two different parts.
   */
  reset(): void {
    this.segs.length = 0;
    this.partsBySeq.clear();
    this.inits.clear();
    this.segmentData.clear();
    this.open = undefined;
    this.current = undefined;
    this.pendingDiscontinuity = false;
    this.awaitingKeyframe = true;
    this.droppedDiscontinuities = 0;
    this.ended = false;
  }

  /** The stream stopped: wake every waiter so blocked requests answer now. */
  end(): void {
    this.closeOpenPart(this.opts.now());
    this.closeOpenSegment();
    this.ended = true;
    this.wake();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get segments(): readonly Segment[] {
    return this.segs;
  }

  init(id: number): InitEntry | undefined {
    return this.inits.get(id);
  }

  part(seq: number): Part | undefined {
    return this.partsBySeq.get(seq);
  }

  /** The next part number ffmpeg will produce: what EXT-X-PRELOAD-HINT names. */
  get nextPartSeq(): number {
    return this.nextSeq;
  }

  get discontinuitySequence(): number {
    return this.droppedDiscontinuities;
  }

  /** Longest complete segment so far, for EXT-X-TARGETDURATION (which must not shrink). */
  get longestSegment(): number {
    return this.maxSegmentDuration;
  }

  get longestPart(): number {
    return this.maxPartDuration;
  }

  /** Whole-segment bytes: its parts concatenated once and cached while the segment is in the window. */
  segmentBytes(msn: number): Buffer | undefined {
    const seg = this.segs.find((s) => s.msn === msn);
    if (!seg?.complete) return undefined;
    let data = this.segmentData.get(msn);
    if (!data) {
      data = Buffer.concat(seg.parts.map((p) => p.data));
      this.segmentData.set(msn, data);
    }
    return data;
  }

  /**
   * The GOP cache: the init and every fragment since the last keyframe (closed parts of the open segment
   * plus the part being filled), so a new WebSocket viewer starts at once, never waiting for a keyframe.
   */
  gop(): { init: InitEntry; data: Buffer[] } | undefined {
    const seg = this.segs.at(-1);
    if (!this.current || !seg || seg.initId !== this.current.id || seg.complete) return undefined;
    const from = seg.parts.findLastIndex((p) => p.independent);
    const open = this.open;
    if (open?.independent) return { init: this.current, data: [...open.fragments] };
    if (from < 0) return undefined;
    return {
      init: this.current,
      data: [...seg.parts.slice(from).map((p) => p.data), ...(open?.fragments ?? [])],
    };
  }

  /** True once the window holds a complete segment: what a player needs to start (hls.js, see above). */
  hasCompleteSegment(): boolean {
    return this.segs.some((s) => s.complete);
  }

  /**
   * The newest part, or undefined before the first. A segment opened by a keyframe has no part until that
   * part closes (~one part later); the newest part is then the previous segment's last.
   */
  lastPart(): Part | undefined {
    for (let i = this.segs.length - 1; i >= 0; i--) {
      const part = this.segs[i]?.parts.at(-1);
      if (part) return part;
    }
    return undefined;
  }

  /** True when some part at (msn, index) or later exists: the blocking-reload condition. */
  hasReached(msn: number, index: number): boolean {
    const last = this.lastPart();
    if (!last) return false;
    return last.msn > msn || (last.msn === msn && last.index >= index);
  }

  /**
   * Resolves true as soon as `ready()` holds (checked on every new part), false on timeout — or when the
   * stream ends, unless `untilTimeout` (a cold start survives ffmpeg's restart for transcoding).
   */
  waitUntil(ready: () => boolean, timeoutMs: number, untilTimeout = false): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    if (this.ended && !untilTimeout) return Promise.resolve(false);
    return new Promise((resolve) => {
      const check = () => {
        if (ready()) done(true);
        else if (this.ended && !untilTimeout) done(false);
      };
      const timer = setTimeout(() => {
        done(false);
      }, timeoutMs);
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      this.waiters.add(check);
    });
  }

  subscribe(listener: (e: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Bytes and samples that arrived in the last `ms` (or since the stream began, if that is shorter). */
  recent(ms: number): { bytes: number; samples: number; seconds: number } {
    const now = this.opts.now();
    const since = now - ms;
    const first = this.segs[0]?.parts[0];
    const seconds = first
      ? Math.max(1, Math.min(ms, now - first.ingestTime + first.duration * 1000)) / 1000
      : ms / 1000;
    let bytes = 0;
    let samples = 0;
    for (let i = this.segs.length - 1; i >= 0; i--) {
      const parts = (this.segs[i] as Segment).parts;
      for (let j = parts.length - 1; j >= 0; j--) {
        const p = parts[j] as Part;
        if (p.ingestTime < since) return { bytes, samples, seconds };
        bytes += p.data.length;
        samples += p.sampleCount;
      }
    }
    return { bytes, samples, seconds };
  }

  /** Bytes held in memory (parts plus cached whole segments). */
  get memoryBytes(): number {
    let n = 0;
    for (const p of this.partsBySeq.values()) n += p.data.length;
    for (const d of this.segmentData.values()) n += d.length;
    return n;
  }

  private closeOpenPart(now: number): void {
    const open = this.open;
    const seg = this.openSegment();
    this.open = undefined;
    if (!open || !seg) return;
    const part: Part = {
      seq: this.nextSeq++,
      msn: seg.msn,
      index: seg.parts.length,
      data: open.fragments.length === 1 ? (open.fragments[0] as Buffer) : Buffer.concat(open.fragments),
      duration: open.duration,
      independent: open.independent,
      sampleCount: open.samples,
      ingestTime: now,
    };
    seg.parts.push(part);
    seg.duration += part.duration;
    this.maxPartDuration = Math.max(this.maxPartDuration, part.duration);
    this.partsBySeq.set(part.seq, part);
    this.trim();
    this.emit({ type: "part", part, segment: seg });
  }

  private openSegment(): Segment | undefined {
    const seg = this.segs.at(-1);
    return seg && !seg.complete ? seg : undefined;
  }

  private closeOpenSegment(): void {
    const seg = this.openSegment();
    if (!seg) return;
    seg.complete = true;
    this.maxSegmentDuration = Math.max(this.maxSegmentDuration, seg.duration);
  }

  private trim(): void {
    let total = 0;
    for (const s of this.segs) if (s.complete) total += s.duration;
    while (total > this.opts.windowSeconds && this.segs.length > 1) {
      const first = this.segs[0] as Segment;
      if (!first.complete) break;
      this.segs.shift();
      total -= first.duration;
      if (first.discontinuity) this.droppedDiscontinuities++;
      for (const p of first.parts) this.partsBySeq.delete(p.seq);
      this.segmentData.delete(first.msn);
      const stillUsed = this.segs.some((s) => s.initId === first.initId) || this.current?.id === first.initId;
      if (!stillUsed) this.inits.delete(first.initId);
    }
  }

  private emit(e: LiveEvent): void {
    for (const l of this.listeners) l(e);
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
