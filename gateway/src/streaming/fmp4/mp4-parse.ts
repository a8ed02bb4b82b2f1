import { avcCodecString, hevcCodecString, mp4aCodecString } from "./codec-string.js";
import { Fmp4Error } from "./fmp4-types.js";
import type { InitSegment } from "./fmp4-types.js";

/** A box header decoded from the bytes at some offset (ISO/IEC 14496-12 §4.2). */
export interface BoxHeader {
  type: string;
  /** Whole box size including the header; 0 means "to the end of the enclosing space". */
  size: number;
  headerSize: number;
}

/** A box located inside a buffer; `payload` is where its contents start. */
export interface BoxRange {
  type: string;
  start: number;
  payload: number;
  end: number;
}

/** trex defaults (§8.8.3) that tfhd may override per fragment. */
export interface TrackDefaults {
  sampleDuration: number;
  sampleSize: number;
  sampleFlags: number;
}

export interface TrackInfo {
  trackId: number;
  /** hdlr handler_type (§8.4.3): "vide", "soun", … */
  handlerType: string;
  timescale: number;
  /** RFC 6381 codec string, or the sample entry fourcc when we cannot do better. */
  codec: string | undefined;
  width: number;
  height: number;
  defaults: TrackDefaults;
}

/** What parseMoof needs besides the InitSegment fields: every track's timescale and trex defaults. */
export interface ParsedInit extends Omit<InitSegment, "data"> {
  tracks: readonly TrackInfo[];
}

export interface TrafInfo {
  trackId: number;
  /** tfdt baseMediaDecodeTime; undefined when the traf has no tfdt. */
  baseDecodeTime: number | undefined;
  duration: number;
  sampleCount: number;
  /** Flags of the first sample after applying the trun → tfhd → trex fallbacks. */
  firstSampleFlags: number | undefined;
}

/** A moof summarised for the video track, plus every traf for whoever needs audio. */
export interface ParsedMoof {
  sequenceNumber: number;
  keyframe: boolean;
  baseDecodeTime: number | undefined;
  duration: number;
  sampleCount: number;
  trafs: TrafInfo[];
}

/** sample_is_non_sync_sample (§8.8.3.1 sample_flags bit 16); clear means a sync sample. */
export const SAMPLE_IS_NON_SYNC = 0x10000;

const TFHD_BASE_DATA_OFFSET = 0x01;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x02;
const TFHD_DEFAULT_DURATION = 0x08;
const TFHD_DEFAULT_SIZE = 0x10;
const TFHD_DEFAULT_FLAGS = 0x20;

const TRUN_DATA_OFFSET = 0x01;
const TRUN_FIRST_SAMPLE_FLAGS = 0x04;
const TRUN_DURATION = 0x100;
const TRUN_SIZE = 0x200;
const TRUN_FLAGS = 0x400;
const TRUN_CTO = 0x800;

/**
 * Decodes the header at `offset` given `available` readable bytes, or returns undefined when more
 * bytes are needed (8, or 16 for a 64-bit largesize). Validates only what needs no context.
 */
export function readBoxHeader(buf: Buffer, offset: number, available: number): BoxHeader | undefined {
  if (available < 8) return undefined;
  const size32 = buf.readUInt32BE(offset);
  const type = buf.toString("latin1", offset + 4, offset + 8);
  if (size32 !== 1) {
    if (size32 !== 0 && size32 < 8) {
      throw new Fmp4Error("bad_box", `box "${printable(type)}" declares size ${size32}`);
    }
    return { type, size: size32, headerSize: 8 };
  }
  if (available < 16) return undefined;
  // Imprecise above 2^53, which only matters for sizes no maxBoxBytes would accept anyway.
  const size = Number(buf.readBigUInt64BE(offset + 8));
  if (size < 16) {
    throw new Fmp4Error("bad_box", `box "${printable(type)}" declares largesize ${size}`);
  }
  return { type, size, headerSize: 16 };
}

/** The boxes in [start, end), in order; size 0 extends to `end` (§4.2). */
export function* childBoxes(buf: Buffer, start: number, end: number): Generator<BoxRange> {
  let p = start;
  while (p < end) {
    const header = readBoxHeader(buf, p, end - p);
    if (!header) {
      // QTFF "Atoms": a 32-bit zero may terminate a list of atoms.
      if (end - p === 4 && buf.readUInt32BE(p) === 0) return;
      throw new Fmp4Error("bad_box", `${end - p} stray bytes at offset ${p}`);
    }
    const boxEnd = header.size === 0 ? end : p + header.size;
    if (boxEnd > end) {
      throw new Fmp4Error(
        "bad_box",
        `box "${printable(header.type)}" at ${p} overruns its parent by ${boxEnd - end} bytes`,
      );
    }
    yield {
      type: header.type,
      start: p,
      payload: p + header.headerSize,
      end: boxEnd,
    };
    p = boxEnd;
  }
}

function findChild(buf: Buffer, parent: BoxRange, type: string): BoxRange | undefined {
  for (const box of childBoxes(buf, parent.payload, parent.end)) {
    if (box.type === type) return box;
  }
  return undefined;
}

function requireChild(buf: Buffer, parent: BoxRange, type: string): BoxRange {
  const box = findChild(buf, parent, type);
  if (!box) throw new Fmp4Error("bad_box", `${parent.type} has no ${type}`);
  return box;
}

function topLevel(data: Buffer, type: string): BoxRange | undefined {
  for (const box of childBoxes(data, 0, data.length)) {
    if (box.type === type) return box;
  }
  return undefined;
}

/** Reads ftyp+moov (or a bare moov): tracks, timescales, codecs and trex defaults. */
export function parseInit(data: Buffer): ParsedInit {
  const moov = topLevel(data, "moov");
  if (!moov) throw new Fmp4Error("bad_box", "init segment has no moov");

  const trex = new Map<number, TrackDefaults>();
  const mvex = findChild(data, moov, "mvex");
  if (mvex) {
    for (const box of childBoxes(data, mvex.payload, mvex.end)) {
      if (box.type !== "trex") continue;
      // §8.8.3: FullBox, track_ID, default_sample_description_index, duration, size, flags.
      const r = new FieldReader(data, box);
      r.skip(4);
      const trackId = r.u32();
      r.skip(4);
      trex.set(trackId, {
        sampleDuration: r.u32(),
        sampleSize: r.u32(),
        sampleFlags: r.u32(),
      });
    }
  }

  const tracks: TrackInfo[] = [];
  for (const trak of childBoxes(data, moov.payload, moov.end)) {
    if (trak.type !== "trak") continue;
    tracks.push(parseTrak(data, trak, trex));
  }

  const video = tracks.find((t) => t.handlerType === "vide");
  if (!video) {
    throw new Fmp4Error("no_video_track", `moov has ${tracks.length} track(s) and none is video`);
  }
  const audio = tracks.find((t) => t.handlerType === "soun");
  const codecs = [video.codec, audio?.codec].filter((c) => c !== undefined);
  return {
    codecs: codecs.join(","),
    videoTrackId: video.trackId,
    videoTimescale: video.timescale,
    width: video.width,
    height: video.height,
    hasAudio: audio !== undefined,
    tracks,
  };
}

function parseTrak(data: Buffer, trak: BoxRange, trex: ReadonlyMap<number, TrackDefaults>): TrackInfo {
  // tkhd §8.3.2: the version decides whether times are 32 or 64 bits wide.
  const tkhd = new FieldReader(data, requireChild(data, trak, "tkhd"));
  const tkhdVersion = tkhd.u8();
  tkhd.skip(3 + (tkhdVersion === 1 ? 16 : 8));
  const trackId = tkhd.u32();
  tkhd.skip(4 + (tkhdVersion === 1 ? 8 : 4) + 8 + 2 + 2 + 2 + 2 + 36);
  let width = Math.round(tkhd.u32() / 0x10000);
  let height = Math.round(tkhd.u32() / 0x10000);

  const mdia = requireChild(data, trak, "mdia");
  // mdhd §8.4.2.
  const mdhd = new FieldReader(data, requireChild(data, mdia, "mdhd"));
  const mdhdVersion = mdhd.u8();
  mdhd.skip(3 + (mdhdVersion === 1 ? 16 : 8));
  const timescale = mdhd.u32();
  if (timescale === 0) throw new Fmp4Error("bad_box", `track ${trackId} has timescale 0`);
  // hdlr §8.4.3: FullBox, pre_defined, handler_type.
  const hdlr = new FieldReader(data, requireChild(data, mdia, "hdlr"));
  hdlr.skip(8);
  const handlerType = hdlr.fourcc();

  let codec: string | undefined;
  const stsd = findStsd(data, mdia);
  if (stsd) {
    const r = new FieldReader(data, stsd);
    r.skip(4);
    // Only the first sample entry: ffmpeg writes one, and a codec switch would come as a new moov.
    for (const entry of r.u32() > 0 ? childBoxes(data, r.pos, stsd.end) : []) {
      const sampleEntry = describeSampleEntry(data, entry, handlerType);
      codec = sampleEntry.codec;
      if (width === 0 || height === 0) {
        width = sampleEntry.width;
        height = sampleEntry.height;
      }
      break;
    }
  }

  return {
    trackId,
    handlerType,
    timescale,
    codec,
    width,
    height,
    defaults: trex.get(trackId) ?? {
      sampleDuration: 0,
      sampleSize: 0,
      sampleFlags: 0,
    },
  };
}

function findStsd(data: Buffer, mdia: BoxRange): BoxRange | undefined {
  const minf = findChild(data, mdia, "minf");
  const stbl = minf && findChild(data, minf, "stbl");
  return stbl && findChild(data, stbl, "stsd");
}

function describeSampleEntry(
  data: Buffer,
  entry: BoxRange,
  handlerType: string,
): { codec: string; width: number; height: number } {
  const fourcc = entry.type;
  if (handlerType === "vide") {
    // VisualSampleEntry §12.1.3: 8 bytes of SampleEntry, then 70 bytes with width/height at 24/26.
    const r = new FieldReader(data, entry);
    r.skip(24);
    const width = r.u16();
    const height = r.u16();
    const children = { ...entry, payload: entry.payload + 78 };
    if (children.payload > children.end) {
      throw new Fmp4Error("bad_box", `${fourcc} sample entry is truncated`);
    }
    switch (fourcc) {
      case "avc1":
      case "avc3": {
        const avcC = requireChild(data, children, "avcC");
        return {
          codec: avcCodecString(fourcc, data.subarray(avcC.payload, avcC.end)),
          width,
          height,
        };
      }
      case "hvc1":
      case "hev1": {
        const hvcC = requireChild(data, children, "hvcC");
        return {
          codec: hevcCodecString(fourcc, data.subarray(hvcC.payload, hvcC.end)),
          width,
          height,
        };
      }
      default:
        return { codec: fourcc.trim(), width, height };
    }
  }
  if (handlerType === "soun") {
    switch (fourcc) {
      case "mp4a": {
        // AudioSampleEntry §12.2.3 is 28 bytes; QuickTime sound description versions 1 and 2
        // (QTFF "Sound Sample Description") append 16 or 36 bytes before the children.
        const version = entry.end >= entry.payload + 10 ? data.readUInt16BE(entry.payload + 8) : 0;
        const extra = version === 1 ? 16 : version === 2 ? 36 : 0;
        const children = {
          ...entry,
          payload: Math.min(entry.payload + 28 + extra, entry.end),
        };
        const esds = findChild(data, children, "esds");
        // esds is a FullBox: skip version and flags.
        return {
          codec: mp4aCodecString(esds && data.subarray(esds.payload + 4, esds.end)),
          width: 0,
          height: 0,
        };
      }
      case "Opus":
        return { codec: "opus", width: 0, height: 0 };
      case "fLaC":
        return { codec: "flac", width: 0, height: 0 };
      default:
        return { codec: fourcc.trim(), width: 0, height: 0 };
    }
  }
  return { codec: fourcc.trim(), width: 0, height: 0 };
}

/** Summarises a moof (§8.8.4) against the init it belongs to; `data` may also hold other boxes. */
export function parseMoof(data: Buffer, init: ParsedInit): ParsedMoof {
  const moof = topLevel(data, "moof");
  if (!moof) throw new Fmp4Error("bad_box", "fragment has no moof");

  let sequenceNumber: number | undefined;
  const trafs: TrafInfo[] = [];
  for (const box of childBoxes(data, moof.payload, moof.end)) {
    if (box.type === "mfhd") {
      // §8.8.5: FullBox, sequence_number.
      const r = new FieldReader(data, box);
      r.skip(4);
      sequenceNumber = r.u32();
    } else if (box.type === "traf") {
      trafs.push(parseTraf(data, box, init));
    }
  }
  if (sequenceNumber === undefined) throw new Fmp4Error("bad_box", "moof has no mfhd");

  const video = trafs.filter((t) => t.trackId === init.videoTrackId);
  const first = video.find((t) => t.sampleCount > 0);
  const firstFlags = first?.firstSampleFlags;
  return {
    sequenceNumber,
    keyframe: firstFlags !== undefined && (firstFlags & SAMPLE_IS_NON_SYNC) === 0,
    baseDecodeTime: video.find((t) => t.baseDecodeTime !== undefined)?.baseDecodeTime,
    duration: video.reduce((sum, t) => sum + t.duration, 0),
    sampleCount: video.reduce((sum, t) => sum + t.sampleCount, 0),
    trafs,
  };
}

function parseTraf(data: Buffer, traf: BoxRange, init: ParsedInit): TrafInfo {
  // tfhd §8.8.7: optional fields appear in flag-bit order.
  const tfhd = new FieldReader(data, requireChild(data, traf, "tfhd"));
  tfhd.skip(1);
  const tfhdFlags = tfhd.u24();
  const trackId = tfhd.u32();
  const trex = init.tracks.find((t) => t.trackId === trackId)?.defaults;
  if (tfhdFlags & TFHD_BASE_DATA_OFFSET) tfhd.skip(8);
  if (tfhdFlags & TFHD_SAMPLE_DESCRIPTION_INDEX) tfhd.skip(4);
  const defaultDuration = tfhdFlags & TFHD_DEFAULT_DURATION ? tfhd.u32() : (trex?.sampleDuration ?? 0);
  if (tfhdFlags & TFHD_DEFAULT_SIZE) tfhd.skip(4);
  const defaultFlags = tfhdFlags & TFHD_DEFAULT_FLAGS ? tfhd.u32() : (trex?.sampleFlags ?? 0);

  let baseDecodeTime: number | undefined;
  let duration = 0;
  let sampleCount = 0;
  let firstSampleFlags: number | undefined;
  for (const box of childBoxes(data, traf.payload, traf.end)) {
    if (box.type === "tfdt") {
      // §8.8.12: version 1 carries a 64-bit time; Number is exact for 2^53 ticks (3000 years at 90 kHz).
      const r = new FieldReader(data, box);
      const version = r.u8();
      r.skip(3);
      baseDecodeTime = version === 1 ? r.u64() : r.u32();
    } else if (box.type === "trun") {
      const run = parseTrun(data, box, defaultDuration, defaultFlags);
      if (sampleCount === 0 && run.sampleCount > 0) firstSampleFlags = run.firstSampleFlags;
      duration += run.duration;
      sampleCount += run.sampleCount;
    }
  }
  return { trackId, baseDecodeTime, duration, sampleCount, firstSampleFlags };
}

function parseTrun(
  data: Buffer,
  trun: BoxRange,
  defaultDuration: number,
  defaultFlags: number,
): { duration: number; sampleCount: number; firstSampleFlags: number } {
  // trun §8.8.8: FullBox, sample_count, optional data_offset and first_sample_flags, then a
  // table with one 32-bit column per flag among duration, size, flags, composition offset.
  const r = new FieldReader(data, trun);
  r.skip(1);
  const flags = r.u24();
  const sampleCount = r.u32();
  if (flags & TRUN_DATA_OFFSET) r.skip(4);
  const firstFlagsField = flags & TRUN_FIRST_SAMPLE_FLAGS ? r.u32() : undefined;

  const columns = [TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_CTO].filter((f) => flags & f).length;
  // Checked up front so a corrupt sample_count cannot make us loop billions of times.
  if (sampleCount * columns * 4 > r.remaining) {
    throw new Fmp4Error(
      "bad_box",
      `trun declares ${sampleCount} samples but holds ${r.remaining} bytes of table`,
    );
  }

  let duration = 0;
  let firstSampleFlags = firstFlagsField ?? defaultFlags;
  if (flags & TRUN_DURATION || flags & TRUN_FLAGS) {
    for (let i = 0; i < sampleCount; i++) {
      duration += flags & TRUN_DURATION ? r.u32() : defaultDuration;
      if (flags & TRUN_SIZE) r.skip(4);
      if (flags & TRUN_FLAGS) {
        const sampleFlags = r.u32();
        if (i === 0 && firstFlagsField === undefined) firstSampleFlags = sampleFlags;
      }
      if (flags & TRUN_CTO) r.skip(4);
    }
  } else {
    duration = sampleCount * defaultDuration;
  }
  return { duration, sampleCount, firstSampleFlags };
}

/** Big-endian field reads bounded by one box; running past its end is a malformed box. */
class FieldReader {
  pos: number;
  private readonly end: number;

  constructor(
    private readonly buf: Buffer,
    private readonly box: BoxRange,
  ) {
    this.pos = box.payload;
    this.end = box.end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(n: number): number {
    if (this.pos + n > this.end) {
      throw new Fmp4Error("bad_box", `${this.box.type} is too short: ${this.box.end - this.box.start} bytes`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  skip(n: number): void {
    this.take(n);
  }

  u8(): number {
    return this.buf.readUInt8(this.take(1));
  }

  u16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }

  u24(): number {
    return this.buf.readUIntBE(this.take(3), 3);
  }

  u32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }

  u64(): number {
    return Number(this.buf.readBigUInt64BE(this.take(8)));
  }

  fourcc(): string {
    const at = this.take(4);
    return this.buf.toString("latin1", at, at + 4);
  }
}

/** A box type safe to put in an error message (garbage input makes arbitrary bytes). */
export function printable(type: string): string {
  return /^[\x20-\x7e]{4}$/.test(type) ? type : `0x${Buffer.from(type, "latin1").toString("hex")}`;
}
