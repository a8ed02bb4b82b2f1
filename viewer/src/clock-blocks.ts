/** Placeholder until the test-camera work lands its tested decoder (same API). */
export function decodeClockBlocks(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
): number | null {
  if (height < 20 || width < 32) return null;
  const bw = width / 32;
  const y = height - 10;
  let v = 0;
  for (let i = 0; i < 32; i++) {
    const x = Math.floor(i * bw + bw / 2);
    const o = (y * width + x) * 4;
    const l = 0.299 * (rgba[o] ?? 0) + 0.587 * (rgba[o + 1] ?? 0) + 0.114 * (rgba[o + 2] ?? 0);
    if (l > 64 && l < 192) return null;
    v = v * 2 + (l >= 128 ? 1 : 0);
  }
  return v >>> 0;
}

export function clockDeltaMs(nowMs: number, stampMod32: number): number {
  const now = nowMs % 2 ** 32;
  let d = now - stampMod32;
  if (d > 2 ** 31) d -= 2 ** 32;
  if (d < -(2 ** 31)) d += 2 ** 32;
  return d;
}
