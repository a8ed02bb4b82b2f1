import { z } from "zod";

/** ISO weekday: Monday = 1 … Sunday = 7. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface ViewingWindow {
  day: Weekday;
  /** Local time "HH:MM" in the school's time zone. */
  start: string;
  /** Local time "HH:MM", after start; "24:00" is the end of the day. */
  end: string;
}

/** A classroom's weekly viewing windows and the local dates (YYYY-MM-DD) on which it is closed. */
export interface Schedule {
  windows: ViewingWindow[];
  holidays: string[];
}

export interface Pause {
  since: string;
  /** ISO instant; null = until lifted. */
  until: string | null;
  by: string | null;
}

const hhmm = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const isoDate = z.iso.date();

export const scheduleSchema = z
  .object({
    windows: z
      .array(
        z
          .object({
            day: z
              .number()
              .int()
              .min(1)
              .max(7)
              .describe("ISO weekday, Monday = 1")
              .transform((d) => d as Weekday),
            start: z.string().regex(hhmm, "time must be HH:MM"),
            end: z.string().regex(hhmm, "time must be HH:MM (24:00 for midnight)"),
          })
          .strict()
          .refine((w) => minutes(w.end) > minutes(w.start), {
            error: "end must be after start (split a window that crosses midnight in two)",
            path: ["end"],
          }),
      )
      .max(50),
    holidays: z.array(isoDate).max(400).default([]),
  })
  .strict();

export const emptySchedule: Schedule = { windows: [], holidays: [] };

export function minutes(t: string): number {
  return Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
}

export type ViewingReason = "outside_hours" | "holiday" | "paused";

export interface ViewingState {
  open: boolean;
  reason?: ViewingReason;
  /** When viewing is next possible (null: no window in the coming two weeks, or paused until lifted). */
  nextOpenAt: Date | null;
  /** When the current window (or the pause) ends. */
  closesAt: Date | null;
}

interface LocalTime {
  date: string;
  day: Weekday;
  minute: number;
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
      weekday: "short",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const weekdays: Record<string, Weekday> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** The wall clock's fields (year … second, weekday) at `at` in `timeZone`. */
function wallClock(at: Date, timeZone: string): Record<string, string> {
  const p: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(at)) p[part.type] = part.value;
  return p;
}

/** The wall-clock date, weekday and minute of the day at `at` in `timeZone`. */
export function localTime(at: Date, timeZone: string): LocalTime {
  const p = wallClock(at, timeZone);
  return {
    date: `${p.year ?? ""}-${p.month ?? ""}-${p.day ?? ""}`,
    day: weekdays[p.weekday ?? ""] ?? 1,
    minute: Number(p.hour) * 60 + Number(p.minute),
  };
}

function offsetMs(at: Date, timeZone: string): number {
  const p = wallClock(at, timeZone);
  const asUtc = Date.UTC(
    Number(p.year),
    Number(p.month) - 1,
    Number(p.day),
    Number(p.hour),
    Number(p.minute),
    Number(p.second),
  );
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant at which the wall clock in `timeZone` reads `date` + `minute` (DST-safe to one iteration). */
export function instantOf(date: string, minute: number, timeZone: string): Date {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d, 0, minute);
  let guess = wall - offsetMs(new Date(wall), timeZone);
  guess = wall - offsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

function addDays(date: string, n: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

function dayOf(date: string): Weekday {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return (((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7) + 1) as Weekday;
}

/**
 * Whether a classroom may be watched at `now`: inside one of its weekly windows (in the school's time zone),
 * not on a holiday, not paused. Pure, so midnight and holiday edges are table-tested with fixed instants.
 */
export function viewingState(
  schedule: Schedule,
  pause: Pause | null,
  timeZone: string,
  now: Date,
): ViewingState {
  const holidays = new Set(schedule.holidays);
  const local = localTime(now, timeZone);

  const nextWindowStart = (): Date | null => {
    for (let i = 0; i <= 14; i++) {
      const date = addDays(local.date, i);
      if (holidays.has(date)) continue;
      const day = dayOf(date);
      const starts = schedule.windows
        .filter((w) => w.day === day && (i > 0 || minutes(w.start) > local.minute))
        .map((w) => minutes(w.start))
        .sort((a, b) => a - b);
      if (starts[0] !== undefined) return instantOf(date, starts[0], timeZone);
    }
    return null;
  };

  const pauseActive = pause !== null && (pause.until === null || Date.parse(pause.until) > now.getTime());
  if (pauseActive) {
    const until = pause.until === null ? null : new Date(pause.until);
    // After the pause the classroom is viewable again only inside a window.
    const after = until === null ? null : viewingState(schedule, null, timeZone, until);
    return {
      open: false,
      reason: "paused",
      nextOpenAt: after === null ? null : after.open ? until : after.nextOpenAt,
      closesAt: until,
    };
  }

  const current = holidays.has(local.date)
    ? undefined
    : schedule.windows.find(
        (w) => w.day === local.day && minutes(w.start) <= local.minute && local.minute < minutes(w.end),
      );
  if (current) {
    // Adjacent windows (…–12:00, 12:00–…) are one stretch of viewing.
    let end = minutes(current.end);
    for (let moved = true; moved;) {
      moved = false;
      for (const w of schedule.windows) {
        if (w.day === local.day && minutes(w.start) <= end && minutes(w.end) > end) {
          end = minutes(w.end);
          moved = true;
        }
      }
    }
    return { open: true, nextOpenAt: now, closesAt: instantOf(local.date, end, timeZone) };
  }
  return {
    open: false,
    reason: holidays.has(local.date) ? "holiday" : "outside_hours",
    nextOpenAt: nextWindowStart(),
    closesAt: null,
  };
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}
