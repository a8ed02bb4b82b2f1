/**
 * Wall-clock arithmetic in a school's time zone (WIB, WITA, WIT), whatever zone the admin's browser is in.
 * The same rules as the gateway's schools/schedule.ts, which the console may not import.
 */
export interface WallClock {
  /** YYYY-MM-DD */
  date: string;
  /** Minutes since local midnight. */
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function parts(at: number, timeZone: string): Record<string, string> {
  const p: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(at))) p[part.type] = part.value;
  return p;
}

/** The date and time the school's clock shows at `at` (ms). */
export function wallClock(at: number, timeZone: string): WallClock {
  const p = parts(at, timeZone);
  return {
    date: `${p.year ?? ""}-${p.month ?? ""}-${p.day ?? ""}`,
    minute: Number(p.hour) * 60 + Number(p.minute),
    second: Number(p.second),
  };
}

function offsetMs(at: number, timeZone: string): number {
  const p = parts(at, timeZone);
  const asUtc = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The instant (ms) at which the school's clock reads `date` (YYYY-MM-DD) and `minute` past midnight. */
export function instantOf(date: string, minute: number, timeZone: string): number {
  const [y = 1970, m = 1, d = 1] = date.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d, 0, minute);
  let guess = wall - offsetMs(wall, timeZone);
  guess = wall - offsetMs(guess, timeZone);
  return guess;
}

/** The local date `n` days after `date`. */
export function addDays(date: string, n: number): string {
  const [y = 1970, m = 1, d = 1] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** The school's month now, YYYY-MM (what /api/uptime takes). */
export function monthOf(at: number, timeZone: string): string {
  return wallClock(at, timeZone).date.slice(0, 7);
}

/** The zones of Indonesia's schools, with the names people use for them. */
export const indonesianZones = [
  { zone: "Asia/Jakarta", label: "WIB (Asia/Jakarta)" },
  { zone: "Asia/Makassar", label: "WITA (Asia/Makassar)" },
  { zone: "Asia/Jayapura", label: "WIT (Asia/Jayapura)" },
] as const;
