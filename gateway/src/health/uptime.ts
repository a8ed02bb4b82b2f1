/**
 * Uptime from a camera's state transitions (never from counting probes), cut into days and months of the
 * school's calendar. Pure: the caller reads the transitions and the school's schedule, this adds them up.
 *
 * Up is online or degraded (a parent still sees a picture), down is offline. Paused, disabled and unknown time,
 * and excluded intervals (maintenance windows, muted periods), count in neither the numerator nor the
 * denominator, so a month with a week of maintenance is judged on its other three weeks.
 */
import { instantOf, localTime, minutes, type Schedule } from "../schools/schedule.js";
import { mergeIntervals, type Interval } from "../common/intervals.js";
import type { CameraState } from "./camera-state.js";

export type { Interval } from "../common/intervals.js";

/** The camera entered `state` at `at` (a stored state transition). */
export interface StateChange {
  at: number;
  state: CameraState;
}

export interface UptimeTally {
  upMs: number;
  downMs: number;
  /** upMs + downMs: the time that counts. */
  countedMs: number;
  /** upMs / countedMs; null when nothing counted (no 0 % and no 100 % for a camera that was never judged). */
  ratio: number | null;
}

/** One day (YYYY-MM-DD) or month (YYYY-MM) of the school's calendar, counted two ways. */
export interface UptimeRow {
  period: string;
  aroundTheClock: UptimeTally;
  /** Only inside the classroom's viewing windows, not on holidays: what parents experience. */
  inWindows: UptimeTally;
}

export interface UptimeInput {
  /** The state in force before the first change (the last transition before the period, or unknown). */
  initial: CameraState;
  /** The camera's state changes sorted by `at`; those at or before period.from only set the starting state. */
  changes: readonly StateChange[];
  /** What to count; a period ending in the future counts the present state up to period.to, so end it now. */
  period: Interval;
  /** The school's IANA zone; days begin at its midnight. */
  timeZone?: string | undefined;
  /** The classroom's viewing windows and holidays; without one, inWindows counts nothing (ratio null). */
  schedule?: Schedule | undefined;
  /** Left out of everything, already expanded to absolute times; may overlap each other and the period's edges. */
  excluded?: readonly Interval[] | undefined;
}

export const defaultTimeZone = "Asia/Jakarta";

export function uptimeTally(upMs: number, downMs: number): UptimeTally {
  const countedMs = upMs + downMs;
  return { upMs, downMs, countedMs, ratio: countedMs > 0 ? upMs / countedMs : null };
}

/** Time-weighted: the sum of up over the sum of counted, so a camera counted one hour weighs one hour. */
export function sumTallies(tallies: readonly UptimeTally[]): UptimeTally {
  let up = 0;
  let down = 0;
  for (const t of tallies) {
    up += t.upMs;
    down += t.downMs;
  }
  return uptimeTally(up, down);
}

/** The local day `date` (YYYY-MM-DD) in `timeZone`, as instants. */
export function dayPeriod(date: string, timeZone: string = defaultTimeZone): Interval {
  return { from: instantOf(date, 0, timeZone).getTime(), to: instantOf(date, 24 * 60, timeZone).getTime() };
}

/** The local month `month` (YYYY-MM) in `timeZone`, as instants. */
export function monthPeriod(month: string, timeZone: string = defaultTimeZone): Interval {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new RangeError(`not a month (YYYY-MM): ${month}`);
  const [y, m] = month.split("-").map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
  return {
    from: instantOf(`${month}-01`, 0, timeZone).getTime(),
    to: instantOf(`${next}-01`, 0, timeZone).getTime(),
  };
}

/**
 * The calendar, remembered: a month's report asks the same days and window edges of every camera in a zone
 * (10 000 cameras × 30 days made 2 million Intl calls, 16 s, before). Pure functions of their arguments, so
 * a bounded memo changes no answer.
 */
const calendar = new Map<string, { date: string; day: number; start: number; end: number }>();
const instants = new Map<string, number>();
const memoLimit = 20_000;

/** The local day that `at` falls in: its date, ISO weekday, start and end. */
function localDay(at: number, timeZone: string): { date: string; day: number; start: number; end: number } {
  const key = `${timeZone} ${String(at)}`;
  let d = calendar.get(key);
  if (d === undefined) {
    const { date, day } = localTime(new Date(at), timeZone);
    d = { date, day, start: localInstant(date, 0, timeZone), end: localInstant(date, 24 * 60, timeZone) };
    if (calendar.size >= memoLimit) calendar.clear();
    calendar.set(key, d);
  }
  return d;
}

function localInstant(date: string, minute: number, timeZone: string): number {
  const key = `${timeZone} ${date} ${String(minute)}`;
  let t = instants.get(key);
  if (t === undefined) {
    t = instantOf(date, minute, timeZone).getTime();
    if (instants.size >= memoLimit) instants.clear();
    instants.set(key, t);
  }
  return t;
}

/**
 * One row per local day the period touches, in order; the first and last may be partial days (the period's
 * edges). Throws RangeError when the changes are not sorted or the period is not finite.
 */
export function dailyUptime(input: UptimeInput): UptimeRow[] {
  const timeZone = input.timeZone ?? defaultTimeZone;
  const { from, to } = input.period;
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new RangeError("period must be finite");
  if (to <= from) return [];
  const excluded = mergeIntervals((input.excluded ?? []).map((i) => clip(i, from, to)));
  const { up, down } = classify(input.initial, input.changes, from, to);
  const upCounted = subtract(up, excluded);
  const downCounted = subtract(down, excluded);
  const holidays = new Set(input.schedule?.holidays ?? []);

  const rows: UptimeRow[] = [];
  let dayStart = localDay(from, timeZone).start;
  while (dayStart < to) {
    const { date, day, end: dayEnd } = localDay(dayStart, timeZone);
    if (dayEnd <= dayStart) throw new RangeError(`no next day after ${date} in ${timeZone}`);
    const today = [clip({ from: dayStart, to: dayEnd }, from, to)];
    const upToday = intersect(upCounted, today);
    const downToday = intersect(downCounted, today);
    const windows =
      input.schedule === undefined || holidays.has(date)
        ? []
        : mergeIntervals(
            input.schedule.windows
              .filter((w) => w.day === day)
              .map((w) => ({
                from: localInstant(date, minutes(w.start), timeZone),
                to: localInstant(date, minutes(w.end), timeZone),
              })),
          );
    rows.push({
      period: date,
      aroundTheClock: uptimeTally(total(upToday), total(downToday)),
      inWindows: uptimeTally(total(intersect(upToday, windows)), total(intersect(downToday, windows))),
    });
    dayStart = dayEnd;
  }
  return rows;
}

/** One row per local month (YYYY-MM) the period touches: the sum of its days. */
export function monthlyUptime(input: UptimeInput): UptimeRow[] {
  return regroup(dailyUptime(input), (period) => period.slice(0, 7));
}

/**
 * Several cameras' rows (a school: its cameras; the regency: every camera, or its schools' combined rows)
 * summed per period, time-weighted (see sumTallies); periods in order.
 */
export function combineUptime(lists: readonly (readonly UptimeRow[])[]): UptimeRow[] {
  return regroup(lists.flat(), (period) => period);
}

function regroup(rows: readonly UptimeRow[], key: (period: string) => string): UptimeRow[] {
  const groups = new Map<string, UptimeRow[]>();
  for (const r of rows) {
    const k = key(r.period);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([period, g]) => ({
      period,
      aroundTheClock: sumTallies(g.map((r) => r.aroundTheClock)),
      inWindows: sumTallies(g.map((r) => r.inWindows)),
    }));
}

/** The up and down stretches of [from, to), from the state timeline. */
function classify(
  initial: CameraState,
  changes: readonly StateChange[],
  from: number,
  to: number,
): { up: Interval[]; down: Interval[] } {
  const up: Interval[] = [];
  const down: Interval[] = [];
  const add = (state: CameraState, a: number, b: number) => {
    if (b <= a) return;
    const into = state === "online" || state === "degraded" ? up : state === "offline" ? down : undefined;
    if (into === undefined) return;
    const last = into.at(-1);
    if (last !== undefined && last.to === a) last.to = b;
    else into.push({ from: a, to: b });
  };
  let state = initial;
  let start = from;
  let previousAt = -Infinity;
  for (const c of changes) {
    if (!(c.at >= previousAt)) throw new RangeError("state changes must be sorted by time");
    previousAt = c.at;
    if (c.at >= to) break;
    if (c.at > from) {
      add(state, start, c.at);
      start = c.at;
    }
    state = c.state;
  }
  add(state, start, to);
  return { up, down };
}

function clip(i: Interval, from: number, to: number): Interval {
  return { from: Math.max(i.from, from), to: Math.min(i.to, to) };
}

/** a ∩ b, both sorted and disjoint. */
function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  for (let x = a[0], y = b[0]; x !== undefined && y !== undefined; x = a[i], y = b[j]) {
    const lo = Math.max(x.from, y.from);
    const hi = Math.min(x.to, y.to);
    if (hi > lo) out.push({ from: lo, to: hi });
    if (x.to < y.to) i++;
    else j++;
  }
  return out;
}

/** a − b, both sorted and disjoint. */
function subtract(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of a) {
    let start = x.from;
    for (const y of b) {
      if (y.to <= start) continue;
      if (y.from >= x.to) break;
      if (y.from > start) out.push({ from: start, to: y.from });
      start = y.to;
    }
    if (x.to > start) out.push({ from: start, to: x.to });
  }
  return out;
}

function total(list: readonly Interval[]): number {
  let sum = 0;
  for (const i of list) sum += i.to - i.from;
  return sum;
}
