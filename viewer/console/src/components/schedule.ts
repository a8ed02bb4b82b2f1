/**
 * The classroom schedule as the console edits it: weekly windows per ISO weekday (Monday = 1) and holiday
 * dates, in the school's time zone. Pure, so the editor's rules are unit-tested (test/unit/console-schedule).
 */
export interface ViewingWindow {
  day: number;
  /** "HH:MM"; an end of "24:00" is midnight. */
  start: string;
  end: string;
}

export interface Schedule {
  windows: ViewingWindow[];
  holidays: string[];
}

export const weekdays = [1, 2, 3, 4, 5, 6, 7] as const;

export const dayNames: Record<number, { id: string; en: string }> = {
  1: { id: "Senin", en: "Monday" },
  2: { id: "Selasa", en: "Tuesday" },
  3: { id: "Rabu", en: "Wednesday" },
  4: { id: "Kamis", en: "Thursday" },
  5: { id: "Jumat", en: "Friday" },
  6: { id: "Sabtu", en: "Saturday" },
  7: { id: "Minggu", en: "Sunday" },
};

const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;

export function minutesOf(t: string): number {
  return Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
}

/**
 * A time box (`<input type="time">`) cannot hold 24:00: an end of 00:00 means midnight at the end of the day,
 * since a window never ends at the start of its own day.
 */
export function endForInput(end: string): string {
  return end === "24:00" ? "00:00" : end;
}

export function endFromInput(end: string): string {
  return end === "00:00" ? "24:00" : end;
}

export interface WindowProblem {
  /** Index in the list given. */
  index: number;
  field: "start" | "end";
  problem: "missing" | "format" | "order";
}

/** What is wrong with windows as typed (ends as the input shows them); empty when they can be saved. */
export function windowProblems(windows: readonly ViewingWindow[]): WindowProblem[] {
  const out: WindowProblem[] = [];
  windows.forEach((w, index) => {
    const end = endFromInput(w.end);
    if (w.start === "") out.push({ index, field: "start", problem: "missing" });
    else if (!hhmm.test(w.start)) out.push({ index, field: "start", problem: "format" });
    if (w.end === "") out.push({ index, field: "end", problem: "missing" });
    else if (!hhmm.test(w.end)) out.push({ index, field: "end", problem: "format" });
    else if (hhmm.test(w.start) && minutesOf(end) <= minutesOf(w.start)) {
      out.push({ index, field: "end", problem: "order" });
    }
  });
  return out;
}

/** The windows to send: ends as the API takes them, sorted by day and start. */
export function windowsToSave(windows: readonly ViewingWindow[]): ViewingWindow[] {
  return windows
    .map((w) => ({ day: w.day, start: w.start, end: endFromInput(w.end) }))
    .sort((a, b) => a.day - b.day || minutesOf(a.start) - minutesOf(b.start));
}

/** One day's windows copied onto the days `to`, replacing what those days had; `copy` makes each copy. */
export function copyDay<W extends ViewingWindow>(
  windows: readonly W[],
  from: number,
  to: readonly number[],
  copy: (w: W, day: number) => W = (w, day) => ({ ...w, day }),
): W[] {
  const targets = to.filter((d) => d !== from);
  const source = windows.filter((w) => w.day === from);
  return [
    ...windows.filter((w) => !targets.includes(w.day)),
    ...targets.flatMap((day) => source.map((w) => copy(w, day))),
  ];
}

export interface HolidayLine {
  line: number;
  text: string;
}

/**
 * A pasted list of holidays: one date a line, as YYYY-MM-DD (2026-12-25) or DD/MM/YYYY (25/12/2026); blank
 * lines are skipped. Every line that is not a real date comes back with its text, and then no date does.
 */
export function parseHolidayList(text: string): { dates: string[]; bad: HolidayLine[] } {
  const dates: string[] = [];
  const bad: HolidayLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const s = raw.trim();
    if (s === "") return;
    const date = parseDate(s);
    if (date === undefined) bad.push({ line: i + 1, text: s });
    else dates.push(date);
  });
  return bad.length > 0 ? { dates: [], bad } : { dates: [...new Set(dates)].sort(), bad };
}

/** One date as the list takes it, or undefined (31/02/2026 is not a date). */
export function parseDate(s: string): string | undefined {
  let y: number, m: number, d: number;
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const dmy = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (dmy) [d, m, y] = [Number(dmy[1]), Number(dmy[2]), Number(dmy[3])];
  else return undefined;
  const t = new Date(Date.UTC(y, m - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) return undefined;
  return t.toISOString().slice(0, 10);
}

/** Minutes from `minute` past midnight to the end of the day (at least 1: the API's smallest pause). */
export function minutesToEndOfDay(minute: number, second = 0): number {
  return Math.max(1, Math.ceil((24 * 60 * 60 - minute * 60 - second) / 60));
}

/** Minutes until the school's clock shows `until` ("HH:MM") today; undefined when that time has passed. */
export function minutesUntil(until: string, minute: number, second = 0): number | undefined {
  if (!hhmm.test(until)) return undefined;
  const m = Math.ceil((minutesOf(until) * 60 - minute * 60 - second) / 60);
  return m >= 1 ? m : undefined;
}

/** A remaining time as the countdown shows it: 1:05:09, 14:59, 0:03. */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${String(h)}:${two(m)}:${two(s)}` : `${String(m)}:${two(s)}`;
}
