/** Benchmark knobs from the environment, with defaults and a clear error for a bad value. */
export function envNumber(name: string, fallback: number, min = 0): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min) throw new Error(`${name}=${raw}: expected a number ≥ ${String(min)}`);
  return v;
}

export function envList(name: string, fallback: readonly number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return [...fallback];
  const list = raw.split(",").map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 0))
    throw new Error(`${name}=${raw}: expected a comma-separated list of whole numbers`);
  return list;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
