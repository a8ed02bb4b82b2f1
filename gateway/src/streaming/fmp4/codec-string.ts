import { Fmp4Error } from "./fmp4-types.js";

const hex2 = (n: number): string => n.toString(16).padStart(2, "0");

/** RFC 6381 §3.3 "avc1.PPCCLL" from an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1). */
export function avcCodecString(entryType: string, avcC: Buffer): string {
  if (avcC.length < 4) {
    throw new Fmp4Error("bad_box", `avcC is ${avcC.length} bytes, need 4`);
  }
  // Bytes 1..3 are the SPS's profile_idc, constraint flags and level_idc.
  return `${entryType}.${hex2(avcC[1] ?? 0)}${hex2(avcC[2] ?? 0)}${hex2(avcC[3] ?? 0)}`;
}

/** "hvc1.1.6.L93.B0" from an HEVCDecoderConfigurationRecord, per ISO/IEC 14496-15 Annex E.3. */
export function hevcCodecString(entryType: string, hvcC: Buffer): string {
  if (hvcC.length < 13) {
    throw new Fmp4Error("bad_box", `hvcC is ${hvcC.length} bytes, need 13`);
  }
  const b1 = hvcC.readUInt8(1);
  const profileSpace = ["", "A", "B", "C"][b1 >> 6] ?? "";
  const tier = b1 & 0x20 ? "H" : "L";
  const profileIdc = b1 & 0x1f;
  // Annex E.3 writes the 32 compatibility flags in reverse bit order, so flag j becomes bit j.
  const compat = hvcC.readUInt32BE(2);
  let reversed = 0;
  for (let bit = 0; bit < 32; bit++) {
    if (compat & (1 << (31 - bit))) reversed |= 1 << bit;
  }
  const levelIdc = hvcC.readUInt8(12);
  const constraints = [...hvcC.subarray(6, 12)];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) {
    constraints.pop();
  }
  return [
    entryType,
    `${profileSpace}${profileIdc}`,
    (reversed >>> 0).toString(16).toUpperCase(),
    `${tier}${levelIdc}`,
    ...constraints.map((b) => b.toString(16).toUpperCase()),
  ].join(".");
}

const DEFAULT_MP4A = "mp4a.40.2";

/**
 * RFC 6381 §3.3 "mp4a.OO[.A]" from an esds payload (after its FullBox header): the
 * DecoderConfigDescriptor objectTypeIndication in hex and, for MPEG-4 audio (0x40), the
 * AudioSpecificConfig audioObjectType. Falls back to AAC-LC rather than fail: a player that
 * cannot take the audio still gets the video.
 */
export function mp4aCodecString(esdsPayload: Buffer | undefined): string {
  if (!esdsPayload) return DEFAULT_MP4A;
  const es = findDescriptor(esdsPayload, 0, esdsPayload.length, 0x03);
  if (!es) return DEFAULT_MP4A;
  // ES_Descriptor, ISO/IEC 14496-1 §7.2.6.5: ES_ID(2), flags(1), then optional fields.
  let p = es.start + 2;
  const flags = esdsPayload[p];
  if (flags === undefined) return DEFAULT_MP4A;
  p += 1;
  if (flags & 0x80) p += 2; // dependsOn_ES_ID
  if (flags & 0x40) p += 1 + (esdsPayload[p] ?? 0); // URL
  if (flags & 0x20) p += 2; // OCR_ES_Id
  const dec = findDescriptor(esdsPayload, p, es.end, 0x04);
  if (!dec || dec.end - dec.start < 13) return DEFAULT_MP4A;
  const oti = esdsPayload.readUInt8(dec.start);
  if (oti !== 0x40) return `mp4a.${hex2(oti)}`;
  // DecoderSpecificInfo follows the 13 fixed bytes of DecoderConfigDescriptor (§7.2.6.6).
  const dsi = findDescriptor(esdsPayload, dec.start + 13, dec.end, 0x05);
  if (!dsi || dsi.end - dsi.start < 1) return DEFAULT_MP4A;
  // AudioSpecificConfig, ISO/IEC 14496-3 §1.6.2.1: 5-bit audioObjectType, 31 escapes to 6 more bits.
  let aot = esdsPayload.readUInt8(dsi.start) >> 3;
  if (aot === 31) {
    if (dsi.end - dsi.start < 2) return DEFAULT_MP4A;
    aot = 32 + ((esdsPayload.readUInt16BE(dsi.start) >> 5) & 0x3f);
  }
  return `mp4a.40.${aot}`;
}

/** The first descriptor with `tag` in [start, end): its payload range (ISO/IEC 14496-1 §8.3.3 sizes). */
function findDescriptor(
  buf: Buffer,
  start: number,
  end: number,
  tag: number,
): { start: number; end: number } | undefined {
  let p = start;
  while (p < end) {
    const t = buf[p++];
    let size = 0;
    // Up to four bytes of 7-bit size, high bit = more follows.
    for (let i = 0; i < 4; i++) {
      const b = buf[p++];
      if (b === undefined) return undefined;
      size = (size << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    if (p + size > end) return undefined;
    if (t === tag) return { start: p, end: p + size };
    p += size;
  }
  return undefined;
}
