// The picture size of a stream from its sequence parameter set, as a camera's SDP carries it: H.264 in
// sprop-parameter-sets (RFC 6184 §8.1), with the frame rate when the encoder wrote it (ITU-T H.264
// §7.3.2.1.1 seq_parameter_set_data, Annex E.1.1 vui_parameters, read up to timing_info); H.265 in
// sprop-sps (RFC 7798 §7.1), the size only (ITU-T H.265 §7.3.2.2, up to conf_win_*_offset).

export interface SpsInfo {
  width: number;
  height: number;
  /** From the VUI timing info (time_scale / 2·num_units_in_tick), when present and plausible. */
  fps?: number;
}

/** Thrown by BitReader past the end; caught inside parseH264Sps. */
class EndOfData extends Error {}

class BitReader {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  bit(): number {
    const byte = this.bytes[this.pos >> 3];
    if (byte === undefined) throw new EndOfData();
    const b = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }

  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  /** ue(v), Exp-Golomb (§9.1); more than 31 leading zeros is no valid SPS. */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new EndOfData();
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/** The RBSP of a NAL unit: every emulation prevention byte (00 00 03) removed (§7.4.1). */
function unescape(nal: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of nal) {
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out.push(b);
  }
  return Uint8Array.from(out);
}

// profile_idc values whose SPS carries chroma format, bit depths and scaling matrices (§7.3.2.1.1).
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Width, height and maybe fps of one SPS NAL unit (header byte included); undefined if it is not one. */
export function parseH264Sps(nal: Uint8Array): SpsInfo | undefined {
  if (nal.length < 4 || ((nal[0] ?? 0) & 0x1f) !== 7) return undefined;
  const r = new BitReader(unescape(nal.subarray(1)));
  try {
    const profileIdc = r.bits(8);
    r.bits(16); // constraint flags, level_idc
    r.ue(); // seq_parameter_set_id
    let chromaFormatIdc = 1;
    let separateColourPlane = 0;
    if (HIGH_PROFILES.has(profileIdc)) {
      chromaFormatIdc = r.ue();
      if (chromaFormatIdc > 3) return undefined;
      if (chromaFormatIdc === 3) separateColourPlane = r.bit();
      r.ue(); // bit_depth_luma_minus8
      r.ue(); // bit_depth_chroma_minus8
      r.bit(); // qpprime_y_zero_transform_bypass_flag
      if (r.bit() === 1) {
        const lists = chromaFormatIdc === 3 ? 12 : 8;
        for (let i = 0; i < lists; i++) if (r.bit() === 1) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) {
      r.ue(); // log2_max_pic_order_cnt_lsb_minus4
    } else if (pocType === 1) {
      r.bit(); // delta_pic_order_always_zero_flag
      r.se(); // offset_for_non_ref_pic
      r.se(); // offset_for_top_to_bottom_field
      const cycle = r.ue();
      if (cycle > 255) return undefined;
      for (let i = 0; i < cycle; i++) r.se();
    } else if (pocType !== 2) {
      return undefined;
    }
    r.ue(); // max_num_ref_frames
    r.bit(); // gaps_in_frame_num_value_allowed_flag
    const widthMbs = r.ue() + 1;
    const heightMapUnits = r.ue() + 1;
    const frameMbsOnly = r.bit();
    if (frameMbsOnly === 0) r.bit(); // mb_adaptive_frame_field_flag
    r.bit(); // direct_8x8_inference_flag
    let crop = { left: 0, right: 0, top: 0, bottom: 0 };
    if (r.bit() === 1) crop = { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() };

    // Crop units (§7.4.2.1.1, Table 6-1): in chroma samples unless monochrome or separately coded planes.
    const chromaArrayType = separateColourPlane === 1 ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const cropX = chromaArrayType === 0 ? 1 : subWidthC;
    const cropY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - frameMbsOnly);
    const width = widthMbs * 16 - cropX * (crop.left + crop.right);
    const height = (2 - frameMbsOnly) * heightMapUnits * 16 - cropY * (crop.top + crop.bottom);
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384) return undefined;

    const info: SpsInfo = { width, height };
    if (r.bit() === 1) {
      const fps = vuiFrameRate(r);
      if (fps !== undefined) info.fps = fps;
    }
    return info;
  } catch (e) {
    if (e instanceof EndOfData) return undefined;
    throw e;
  }
}

/** The VUI's frame rate (Annex E.1.1, E.2.1: two ticks a frame); undefined when absent or absurd. */
function vuiFrameRate(r: BitReader): number | undefined {
  try {
    if (r.bit() === 1) {
      // aspect_ratio_info
      if (r.bits(8) === 255) r.bits(32); // Extended_SAR: sar_width, sar_height
    }
    if (r.bit() === 1) r.bit(); // overscan_info → overscan_appropriate_flag
    if (r.bit() === 1) {
      r.bits(4); // video_format, video_full_range_flag
      if (r.bit() === 1) r.bits(24); // colour_primaries, transfer_characteristics, matrix_coefficients
    }
    if (r.bit() === 1) {
      r.ue(); // chroma_sample_loc_type_top_field
      r.ue(); // chroma_sample_loc_type_bottom_field
    }
    if (r.bit() === 0) return undefined;
    const unitsInTick = r.bits(32);
    const timeScale = r.bits(32);
    if (unitsInTick === 0) return undefined;
    const fps = timeScale / (2 * unitsInTick);
    return fps > 0 && fps <= 240 ? Math.round(fps * 1000) / 1000 : undefined;
  } catch (e) {
    // A VUI cut short still leaves a good size.
    if (e instanceof EndOfData) return undefined;
    throw e;
  }
}

/** Width and height of one H.265 SPS NAL unit (2-byte header included); undefined if it is not one. */
export function parseH265Sps(nal: Uint8Array): SpsInfo | undefined {
  if (nal.length < 4 || (((nal[0] ?? 0) >> 1) & 0x3f) !== 33) return undefined;
  const r = new BitReader(unescape(nal.subarray(2)));
  try {
    r.bits(4); // sps_video_parameter_set_id
    const maxSubLayersMinus1 = r.bits(3);
    r.bit(); // sps_temporal_id_nesting_flag
    // profile_tier_level(1, maxSubLayersMinus1), §7.3.3: the general part is 88 bits, then the level.
    r.bits(88);
    r.bits(8); // general_level_idc
    const subProfile: number[] = [];
    const subLevel: number[] = [];
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      subProfile.push(r.bit());
      subLevel.push(r.bit());
    }
    if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.bits(2);
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      if (subProfile[i] === 1) r.bits(88);
      if (subLevel[i] === 1) r.bits(8);
    }
    r.ue(); // sps_seq_parameter_set_id
    const chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) return undefined;
    const separateColourPlane = chromaFormatIdc === 3 ? r.bit() : 0;
    const lumaWidth = r.ue();
    const lumaHeight = r.ue();
    let crop = { left: 0, right: 0, top: 0, bottom: 0 };
    if (r.bit() === 1) crop = { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() };
    // Offsets in chroma units (§7.4.3.2.1, Table 6-1).
    const chromaArrayType = separateColourPlane === 1 ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const width = lumaWidth - subWidthC * (crop.left + crop.right);
    const height = lumaHeight - subHeightC * (crop.top + crop.bottom);
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384) return undefined;
    return { width, height };
  } catch (e) {
    if (e instanceof EndOfData) return undefined;
    throw e;
  }
}
