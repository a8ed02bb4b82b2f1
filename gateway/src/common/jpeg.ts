/**
 * A JPEG starts with SOI (FF D8) and a marker (FF xx): ITU-T T.81 Annex B. Enough to refuse an HTML error
 * page or a login form a camera sends with status 200 in place of its picture.
 */
export function isJpeg(data: Buffer): boolean {
  return data.length >= 4 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
}

/**
 * Width and height from the first start-of-frame segment (SOF0…SOF15 but DHT, JPG and DAC), walking the
 * marker segments from SOI (T.81 B.2.2); undefined when there is none before the scan.
 */
export function jpegSize(data: Buffer): { width: number; height: number } | undefined {
  if (!isJpeg(data)) return undefined;
  let at = 2;
  while (at + 4 <= data.length) {
    if (data[at] !== 0xff) return undefined;
    const marker = data[at + 1] as number;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const length = data.readUInt16BE(at + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (at + 9 > data.length) return undefined;
      return { height: data.readUInt16BE(at + 5), width: data.readUInt16BE(at + 7) };
    }
    if (marker === 0xda) return undefined; // start of scan: no frame header came first
    at += 2 + length;
  }
  return undefined;
}
