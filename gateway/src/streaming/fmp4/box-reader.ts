import { Fmp4Error } from "./fmp4-types.js";
import type { Fragment, InitSegment } from "./fmp4-types.js";
import { parseInit, parseMoof, printable, readBoxHeader } from "./mp4-parse.js";
import type { BoxHeader, ParsedInit } from "./mp4-parse.js";

export interface Fmp4Handlers {
  onInit(init: InitSegment): void;
  onFragment(fragment: Fragment): void;
}

export interface Fmp4BoxReaderOptions {
  /** Largest box accepted; a bigger declared size is refused before any of it is buffered. */
  maxBoxBytes?: number;
}

export const DEFAULT_MAX_BOX_BYTES = 32 * 1024 * 1024;

/** What ffmpeg or a packager may put first; anything else means stdout is not MP4 at all. */
const FIRST_BOX_TYPES = new Set(["ftyp", "styp", "moov", "free", "skip"]);

/**
 * Splits ffmpeg's fragmented-MP4 stdout, cut at arbitrary chunk boundaries, into the init segment
 * and moof+mdat fragments. Top-level boxes between fragments (styp, prft, sidx, emsg, free…)
 * travel with the next init or fragment, so init + fragments reproduce the stream byte for byte;
 * only a trailing mfra (ffmpeg writes one at exit) is dropped. After an Fmp4Error the reader
 * keeps throwing it: the stream has lost framing and its ffmpeg must be restarted.
 */
export class Fmp4BoxReader {
  private readonly maxBoxBytes: number;
  private readonly chunks: Buffer[] = [];
  /** Bytes of chunks[0] already handed out. */
  private headOffset = 0;
  /** Bytes held in chunks past headOffset: the current unit plus what follows it. */
  private buffered = 0;
  /** Length of the current unit's complete boxes; the next box header starts here. */
  private scanPos = 0;
  /** The box at scanPos once its header is known, while its body is still arriving. */
  private pending: BoxHeader | undefined;
  /** The current unit's moof, waiting for its mdat. */
  private moof: { start: number; end: number } | undefined;
  private init: ParsedInit | undefined;
  private videoEnd: number | undefined;
  private sawFirstBox = false;
  private failure: Fmp4Error | undefined;

  constructor(
    private readonly handlers: Fmp4Handlers,
    options: Fmp4BoxReaderOptions = {},
  ) {
    this.maxBoxBytes = options.maxBoxBytes ?? DEFAULT_MAX_BOX_BYTES;
  }

  /**
   * Feeds the next bytes; handlers run synchronously for every unit they complete. Emitted data may
   * share memory with `chunk` (no copy when a unit lies inside one chunk), so never reuse it.
   */
  push(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    try {
      this.drain();
    } catch (err) {
      if (err instanceof Fmp4Error) this.failure = err;
      throw err;
    }
  }

  /** Declares the stream over; throws "truncated" if it stopped inside a box or before an mdat. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.pending) {
      const have = this.buffered - this.scanPos;
      this.failure = new Fmp4Error(
        "truncated",
        `stream ended inside ${printable(this.pending.type)} (${have} of ${this.pending.size} bytes)`,
      );
    } else if (this.buffered > this.scanPos) {
      this.failure = new Fmp4Error(
        "truncated",
        `stream ended inside a box header (${this.buffered - this.scanPos} bytes)`,
      );
    } else if (this.moof) {
      this.failure = new Fmp4Error("truncated", "stream ended between a moof and its mdat");
    }
    if (this.failure) throw this.failure;
  }

  private drain(): void {
    for (;;) {
      if (!this.pending) {
        const available = Math.min(16, this.buffered - this.scanPos);
        if (available < 8) return;
        const header = readBoxHeader(this.peek(this.scanPos, available), 0, available);
        if (!header) return;
        this.admit(header);
        this.pending = header;
      }
      if (this.buffered - this.scanPos < this.pending.size) return;
      const box = this.pending;
      this.pending = undefined;
      this.complete(box);
    }
  }

  /** Rejects a box from its header alone, before buffering a single byte of its body. */
  private admit(header: BoxHeader): void {
    const type = printable(header.type);
    if (type !== header.type) {
      throw new Fmp4Error("bad_box", `box type ${type} is not a fourcc: lost framing`);
    }
    if (!this.sawFirstBox) {
      this.sawFirstBox = true;
      if (header.type === "moof") {
        throw new Fmp4Error("fragment_before_init", "stream starts with moof, no moov seen");
      }
      if (!FIRST_BOX_TYPES.has(header.type)) {
        throw new Fmp4Error("bad_box", `stream starts with "${type}", not an MP4 box`);
      }
    }
    if (header.size === 0) {
      // §4.2 size 0 means "to end of file", which a live stream never reaches.
      throw new Fmp4Error("bad_box", `"${type}" has size 0 (to end of stream)`);
    }
    if (header.size > this.maxBoxBytes) {
      throw new Fmp4Error(
        "box_too_large",
        `"${type}" declares ${header.size} bytes, limit ${this.maxBoxBytes}`,
      );
    }
    // Leading boxes count too, so endless free/emsg boxes cannot grow a unit without bound.
    if (this.scanPos + header.size > 2 * this.maxBoxBytes) {
      throw new Fmp4Error(
        "box_too_large",
        `"${type}" would make one init or fragment ${this.scanPos + header.size} bytes, limit ${2 * this.maxBoxBytes}`,
      );
    }
    switch (header.type) {
      case "moof":
        if (!this.init) throw new Fmp4Error("fragment_before_init", "moof before any moov");
        if (this.moof) throw new Fmp4Error("unexpected_box", "moof follows a moof without mdat");
        break;
      case "mdat":
        if (!this.moof) {
          throw new Fmp4Error(
            "unexpected_box",
            "mdat without moof: not fragmented (missing -movflags empty_moov+frag_keyframe?)",
          );
        }
        break;
      case "moov":
        if (this.moof) throw new Fmp4Error("unexpected_box", "moov between a moof and its mdat");
        break;
    }
  }

  private complete(box: BoxHeader): void {
    const start = this.scanPos;
    const end = start + box.size;
    this.scanPos = end;
    switch (box.type) {
      case "moov":
        this.emitInit(this.take(end));
        break;
      case "moof":
        this.moof = { start, end };
        break;
      case "mdat": {
        const moof = this.moof;
        this.moof = undefined;
        if (moof) this.emitFragment(this.take(end), moof);
        break;
      }
      case "mfra":
        // §8.8.9 random-access index for files; ffmpeg appends it on exit and nothing follows it.
        if (start === 0) this.take(end);
        break;
      default:
        // Held in the unit so it precedes the next moof or moov in the emitted bytes.
        break;
    }
  }

  private emitInit(data: Buffer): void {
    const init = parseInit(data);
    this.init = init;
    this.videoEnd = undefined;
    this.handlers.onInit({
      data,
      codecs: init.codecs,
      videoTrackId: init.videoTrackId,
      videoTimescale: init.videoTimescale,
      width: init.width,
      height: init.height,
      hasAudio: init.hasAudio,
    });
  }

  private emitFragment(data: Buffer, moof: { start: number; end: number }): void {
    const init = this.init;
    if (!init) throw new Fmp4Error("fragment_before_init", "moof before any moov");
    const parsed = parseMoof(data.subarray(moof.start, moof.end), init);
    // A video traf without tfdt (or an audio-only fragment) continues where the last one ended.
    const baseDecodeTime = parsed.baseDecodeTime ?? this.videoEnd ?? 0;
    this.videoEnd = baseDecodeTime + parsed.duration;
    this.handlers.onFragment({
      data,
      sequenceNumber: parsed.sequenceNumber,
      keyframe: parsed.keyframe,
      baseDecodeTime,
      duration: parsed.duration,
      durationSeconds: parsed.duration / init.videoTimescale,
      sampleCount: parsed.sampleCount,
    });
  }

  /** Copies `n` (≤ 16) bytes starting `pos` bytes into the buffered data, for a box header. */
  private peek(pos: number, n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let skip = this.headOffset + pos;
    let written = 0;
    for (const chunk of this.chunks) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      written += chunk.copy(out, written, skip, Math.min(chunk.length, skip + n - written));
      skip = 0;
      if (written === n) break;
    }
    return out;
  }

  /** Removes the first `n` buffered bytes: a view when they sit in one chunk, else one concat. */
  private take(n: number): Buffer {
    this.buffered -= n;
    this.scanPos -= n;
    const first = this.chunks[0];
    if (first && first.length - this.headOffset >= n) {
      const out = first.subarray(this.headOffset, this.headOffset + n);
      this.headOffset += n;
      if (this.headOffset === first.length) {
        this.chunks.shift();
        this.headOffset = 0;
      }
      return out;
    }
    const parts: Buffer[] = [];
    let left = n;
    let used = 0;
    for (const chunk of this.chunks) {
      const available = chunk.length - this.headOffset;
      if (available > left) {
        parts.push(chunk.subarray(this.headOffset, this.headOffset + left));
        this.headOffset += left;
        left = 0;
        break;
      }
      parts.push(chunk.subarray(this.headOffset));
      this.headOffset = 0;
      left -= available;
      used++;
      if (left === 0) break;
    }
    // One splice rather than a shift per chunk: 1-byte pushes leave tens of thousands of chunks.
    this.chunks.splice(0, used);
    return Buffer.concat(parts, n);
  }
}
