// Reads the wall clock the test camera draws into each frame (scripts/test-camera.py): the bottom
// 20 px hold 32 equal-width blocks across the full width, most significant bit first, white = 1,
// black = 0, encoding Date.now() mod 2^32 at the moment the frame was made.

/** Height of the clock band the camera draws, in pixels at the encoded size. */
export const CLOCK_BAND_HEIGHT = 20;
/** Number of blocks (bits) in the band. */
export const CLOCK_BLOCKS = 32;

const MOD32 = 2 ** 32;
// Compressed black and white land near 0 and 255; anything in between means this is not a clean
// block (a scaled or blurred frame, or no clock band at all), and a wrong stamp would be worse than none.
const BLACK_MAX = 80;
const WHITE_MIN = 176;
// Rows near the middle of the band: away from the band's top edge, where the encoder smears the
// picture above into it, and from the last row, which some scalers blend.
const SAMPLE_ROWS_FROM_BOTTOM = [13, 10, 7];

/**
 * Decodes the camera's clock band from an RGBA frame (as from canvas getImageData).
 * Returns ms since epoch mod 2^32, or null when the band does not look like clean blocks.
 */
export function decodeClockBlocks(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
): number | null {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < CLOCK_BLOCKS * 2 ||
    height < CLOCK_BAND_HEIGHT ||
    rgba.length < width * height * 4
  ) {
    return null;
  }
  let value = 0;
  let ones = 0;
  for (let block = 0; block < CLOCK_BLOCKS; block++) {
    const x0 = Math.floor((block * width) / CLOCK_BLOCKS);
    const x1 = Math.floor(((block + 1) * width) / CLOCK_BLOCKS);
    const mid = (x0 + x1) >> 1;
    // The middle half of the block, so a block edge softened by chroma subsampling is never read.
    const half = Math.max(1, (x1 - x0) >> 2);
    let sum = 0;
    let count = 0;
    for (const fromBottom of SAMPLE_ROWS_FROM_BOTTOM) {
      const row = height - fromBottom;
      for (let x = mid - half; x < mid + half; x++) {
        const i = (row * width + x) * 4;
        sum += luma(rgba[i] ?? 0, rgba[i + 1] ?? 0, rgba[i + 2] ?? 0);
        count++;
      }
    }
    const mean = sum / count;
    let bit: number;
    if (mean <= BLACK_MAX) bit = 0;
    else if (mean >= WHITE_MIN) bit = 1;
    else return null;
    value = value * 2 + bit;
    ones += bit;
  }
  // An all-black or all-white band is a blank frame, not a clock (those two stamps last 1 ms
  // every 49.7 days).
  if (ones === 0 || ones === CLOCK_BLOCKS) return null;
  return value;
}

/**
 * Signed milliseconds from a frame's stamp to nowMs (positive = the frame is that old), with
 * the 2^32 wraparound undone; valid while the true difference is within ±24.8 days.
 */
export function clockDeltaMs(nowMs: number, stampMod32: number): number {
  let delta = (((nowMs - stampMod32) % MOD32) + MOD32) % MOD32;
  if (delta >= MOD32 / 2) delta -= MOD32;
  return delta;
}

function luma(r: number, g: number, b: number): number {
  // BT.601 weights, the same the camera's encoder path uses.
  return 0.299 * r + 0.587 * g + 0.114 * b;
}
