/** Summary statistics for benchmark samples. */
export interface Summary {
  n: number;
  min: number;
  p10: number;
  median: number;
  p90: number;
  max: number;
  mean: number;
}

/** The p-th percentile (0–100) of `values` with linear interpolation between closest ranks; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  return {
    n,
    min: n === 0 ? Number.NaN : Math.min(...values),
    p10: percentile(values, 10),
    median: percentile(values, 50),
    p90: percentile(values, 90),
    max: n === 0 ? Number.NaN : Math.max(...values),
    mean: n === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / n,
  };
}

/** Milliseconds as seconds with `digits` decimals ("–" when not a number). */
export const sec = (ms: number, digits = 2): string =>
  Number.isFinite(ms) ? (ms / 1000).toFixed(digits) : "–";
