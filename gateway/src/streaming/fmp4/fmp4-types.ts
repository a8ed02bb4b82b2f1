/** The ftyp+moov of one ffmpeg output, with what the packagers need to describe it. */
export interface InitSegment {
  /** ftyp+moov bytes exactly (plus any top-level box ffmpeg put between them). */
  data: Buffer;
  /** RFC 6381 codecs list, video first, e.g. "avc1.64001f" or "avc1.42c01e,mp4a.40.2". */
  codecs: string;
  videoTrackId: number;
  videoTimescale: number;
  /** Display size from tkhd (ISO/IEC 14496-12 §8.3.2), falling back to the sample entry. */
  width: number;
  height: number;
  hasAudio: boolean;
}

/** One moof+mdat pair: the unit every consumer (LL-HLS part, MSE, edge link) forwards. */
export interface Fragment {
  /** Every box from the first one after the previous mdat (styp/prft/sidx) through this mdat. */
  data: Buffer;
  /** mfhd sequence_number. */
  sequenceNumber: number;
  /** The first video sample is a sync sample. */
  keyframe: boolean;
  /** Video tfdt in video timescale units. */
  baseDecodeTime: number;
  /** Sum of video sample durations in video timescale units. */
  duration: number;
  durationSeconds: number;
  /** Video samples in this fragment. */
  sampleCount: number;
}

export type Fmp4ErrorCode =
  /** A box header is impossible (size < header, size 0 in a stream, child overruns parent…). */
  | "bad_box"
  /** A box declares more bytes than maxBoxBytes: refuse before buffering it. */
  | "box_too_large"
  /** A top-level box that cannot appear where it did (mdat without moof, moov inside a fragment…). */
  | "unexpected_box"
  | "fragment_before_init"
  | "no_video_track"
  /** The stream ended inside a box or between a moof and its mdat. */
  | "truncated";

/** Anything wrong with the fMP4 byte stream; the reader is unusable afterwards. */
export class Fmp4Error extends Error {
  override readonly name = "Fmp4Error";

  constructor(
    readonly code: Fmp4ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
