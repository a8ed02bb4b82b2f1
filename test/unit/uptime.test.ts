import { describe, expect, it } from "vitest";
import type { CameraState } from "../../gateway/src/health/camera-state.js";
import {
  combineUptime,
  dailyUptime,
  dayPeriod,
  monthlyUptime,
  monthPeriod,
  sumTallies,
  uptimeTally,
  type UptimeInput,
  type UptimeRow,
} from "../../gateway/src/health/uptime.js";
import type { Schedule } from "../../gateway/src/schools/schedule.js";

const min = 60_000;
const day = 1440 * min;
/** An instant written as UTC. */
const z = (text: string) => Date.parse(`${text}Z`);
/** A WIB (Asia/Jakarta, UTC+7) wall-clock time as an instant. */
const wib = (text: string) => Date.parse(`${text}+07:00`);
const at = (when: number, state: CameraState) => ({ at: when, state });

/** [period, around the clock up/down in minutes, in windows up/down in minutes]; ratios follow. */
type Table = [string, [number, number], [number, number]][];
function table(rows: UptimeRow[]): Table {
  return rows.map((r) => [
    r.period,
    [r.aroundTheClock.upMs / min, r.aroundTheClock.downMs / min],
    [r.inWindows.upMs / min, r.inWindows.downMs / min],
  ]);
}

// School days Monday–Friday 07:00–12:00 WIB; Thursday 3 December 2026 a holiday.
const school: Schedule = {
  windows: [1, 2, 3, 4, 5].map((d) => ({ day: d as 1, start: "07:00", end: "12:00" })),
  holidays: ["2026-12-03"],
};

describe("periods in the school's calendar", () => {
  it("cuts days and months at local midnight", () => {
    expect(dayPeriod("2026-12-01")).toEqual({ from: z("2026-11-30T17:00:00"), to: z("2026-12-01T17:00:00") });
    expect(dayPeriod("2026-12-01", "Asia/Makassar")).toEqual({
      from: z("2026-11-30T16:00:00"),
      to: z("2026-12-01T16:00:00"),
    });
    expect(monthPeriod("2026-11")).toEqual({ from: z("2026-10-31T17:00:00"), to: z("2026-11-30T17:00:00") });
    expect(monthPeriod("2026-12")).toEqual({ from: z("2026-11-30T17:00:00"), to: z("2026-12-31T17:00:00") });
    expect(() => monthPeriod("2026-13")).toThrow(RangeError);
  });
});

describe("dailyUptime: around the clock", () => {
  // 16:30Z–18:00Z on 1 December is 23:30–01:00 WIB: it spans Jakarta's midnight (17:00Z).
  const outage = [at(z("2026-12-01T16:30:00"), "offline"), at(z("2026-12-01T18:00:00"), "online")];

  it("splits an outage across midnight in Asia/Jakarta", () => {
    const rows = dailyUptime({
      initial: "online",
      changes: outage,
      period: { from: dayPeriod("2026-12-01").from, to: dayPeriod("2026-12-02").to },
    });
    expect(table(rows)).toEqual([
      ["2026-12-01", [1410, 30], [0, 0]],
      ["2026-12-02", [1380, 60], [0, 0]],
    ]);
    expect(rows[0]!.aroundTheClock).toEqual({
      upMs: 1410 * min,
      downMs: 30 * min,
      countedMs: day,
      ratio: 1410 / 1440,
    });
    expect(rows[1]!.aroundTheClock.ratio).toBe(1380 / 1440);
    // No schedule: nothing is inside a window, and that is not 0 %.
    expect(rows[0]!.inWindows.ratio).toBeNull();
  });

  it("puts the same outage wholly on 2 December in Asia/Makassar (UTC+8, midnight at 16:00Z)", () => {
    const tz = "Asia/Makassar";
    const rows = dailyUptime({
      initial: "online",
      changes: outage,
      period: { from: dayPeriod("2026-12-01", tz).from, to: dayPeriod("2026-12-02", tz).to },
      timeZone: tz,
    });
    expect(table(rows)).toEqual([
      ["2026-12-01", [1440, 0], [0, 0]],
      ["2026-12-02", [1350, 90], [0, 0]],
    ]);
  });

  it("counts degraded as up, and the state before the period as its start", () => {
    const rows = dailyUptime({
      initial: "unknown",
      changes: [
        at(z("2026-11-20T00:00:00"), "offline"), // before the period: only sets the starting state
        at(wib("2026-12-01T06:00:00"), "degraded"),
        at(wib("2026-12-01T08:00:00"), "online"),
        at(wib("2026-12-02T00:00:00"), "offline"), // at the period's end: outside it
      ],
      period: dayPeriod("2026-12-01"),
    });
    expect(table(rows)).toEqual([["2026-12-01", [1080, 360], [0, 0]]]);
  });

  it("counts a partial last day up to the period's end (the report for 'so far today')", () => {
    const rows = dailyUptime({
      initial: "online",
      changes: [at(wib("2026-12-01T09:00:00"), "offline")],
      period: { from: dayPeriod("2026-12-01").from, to: wib("2026-12-01T10:30:00") },
    });
    expect(table(rows)).toEqual([["2026-12-01", [540, 90], [0, 0]]]);
  });

  it("returns nothing for an empty period and refuses unsorted changes", () => {
    const base: UptimeInput = { initial: "online", changes: [], period: { from: 10, to: 10 } };
    expect(dailyUptime(base)).toEqual([]);
    expect(() =>
      dailyUptime({
        ...base,
        period: dayPeriod("2026-12-01"),
        changes: [at(wib("2026-12-01T10:00:00"), "offline"), at(wib("2026-12-01T09:00:00"), "online")],
      }),
    ).toThrow(RangeError);
    expect(() => dailyUptime({ ...base, period: dayPeriod("2026-12-01"), timeZone: "Mars/Olympus" })).toThrow(
      RangeError,
    );
  });
});

describe("monthlyUptime: across a month end", () => {
  it("gives 30 November WIB's half hour to November and the hour after midnight to December", () => {
    // 16:30Z–18:00Z on 30 November: 23:30 on 30 November – 01:00 on 1 December WIB.
    const input: UptimeInput = {
      initial: "online",
      changes: [at(z("2026-11-30T16:30:00"), "offline"), at(z("2026-11-30T18:00:00"), "online")],
      period: { from: monthPeriod("2026-11").from, to: monthPeriod("2026-12").to },
    };
    const daily = dailyUptime(input);
    expect(daily).toHaveLength(61);
    expect(table(daily.filter((r) => r.period === "2026-11-30" || r.period === "2026-12-01"))).toEqual([
      ["2026-11-30", [1410, 30], [0, 0]],
      ["2026-12-01", [1380, 60], [0, 0]],
    ]);
    const monthly = monthlyUptime(input);
    // November: 30 days = 43 200 min; December: 31 days = 44 640 min.
    expect(table(monthly)).toEqual([
      ["2026-11", [43_170, 30], [0, 0]],
      ["2026-12", [44_580, 60], [0, 0]],
    ]);
    expect(monthly[0]!.aroundTheClock.ratio).toBe(43_170 / 43_200);
    expect(monthly[1]!.aroundTheClock.ratio).toBe(44_580 / 44_640);
  });
});

describe("dailyUptime: within viewing windows (Mon–Fri 07:00–12:00 WIB)", () => {
  const week = { from: dayPeriod("2026-12-01").from, to: dayPeriod("2026-12-06").to }; // Tuesday → Sunday
  const changes = [
    // Tuesday: 09:00–09:45 inside the window, 13:00–15:00 outside it.
    at(wib("2026-12-01T09:00:00"), "offline"),
    at(wib("2026-12-01T09:45:00"), "online"),
    at(wib("2026-12-01T13:00:00"), "offline"),
    at(wib("2026-12-01T15:00:00"), "online"),
    // Wednesday: 11:30–12:30 across the window's end: 30 minutes inside.
    at(wib("2026-12-02T11:30:00"), "offline"),
    at(wib("2026-12-02T12:30:00"), "online"),
    // Thursday (holiday): 08:00–09:00, around the clock only.
    at(wib("2026-12-03T08:00:00"), "offline"),
    at(wib("2026-12-03T09:00:00"), "online"),
    // Saturday: 08:00–10:00, no window on weekends.
    at(wib("2026-12-05T08:00:00"), "offline"),
    at(wib("2026-12-05T10:00:00"), "online"),
  ];
  const input: UptimeInput = { initial: "online", changes, period: week, schedule: school };

  it("counts the window outage in both ways and the one outside only around the clock", () => {
    expect(table(dailyUptime(input))).toEqual([
      ["2026-12-01", [1275, 165], [255, 45]],
      ["2026-12-02", [1380, 60], [270, 30]],
      ["2026-12-03", [1380, 60], [0, 0]], // holiday: no window
      ["2026-12-04", [1440, 0], [300, 0]],
      ["2026-12-05", [1320, 120], [0, 0]],
      ["2026-12-06", [1440, 0], [0, 0]],
    ]);
    const rows = dailyUptime(input);
    expect(rows[0]!.inWindows.ratio).toBe(0.85);
    expect(rows[2]!.inWindows).toEqual({ upMs: 0, downMs: 0, countedMs: 0, ratio: null });
    expect(rows[5]!.inWindows.ratio).toBeNull();
  });

  it("sums the week: 900 window minutes, 75 of them down", () => {
    expect(table(monthlyUptime(input))).toEqual([["2026-12", [8235, 405], [825, 75]]]);
    expect(monthlyUptime(input)[0]!.inWindows.ratio).toBe(825 / 900);
  });

  it("does not count adjacent or overlapping windows twice", () => {
    const split: Schedule = {
      windows: [
        { day: 2, start: "07:00", end: "10:00" },
        { day: 2, start: "10:00", end: "12:00" },
        { day: 2, start: "09:00", end: "11:00" },
      ],
      holidays: [],
    };
    const rows = dailyUptime({ ...input, period: dayPeriod("2026-12-01"), schedule: split });
    expect(table(rows)).toEqual([["2026-12-01", [1275, 165], [255, 45]]]);
  });

  it("reads windows in the school's zone: the same instants in Asia/Makassar", () => {
    // 09:00–09:45 WIB is 10:00–10:45 WITA, still inside 07:00–12:00; 13:00–15:00 WIB is 14:00–16:00 WITA.
    const tz = "Asia/Makassar";
    const rows = dailyUptime({
      ...input,
      changes: changes.slice(0, 4),
      period: dayPeriod("2026-12-01", tz),
      timeZone: tz,
    });
    expect(table(rows)).toEqual([["2026-12-01", [1275, 165], [255, 45]]]);
  });
});

describe("dailyUptime: time left out of both numerator and denominator", () => {
  const tuesday = dayPeriod("2026-12-01");

  it("excludes a maintenance window (08:00–10:00 WIB) overlapping an outage (09:30–10:30)", () => {
    const rows = dailyUptime({
      initial: "online",
      changes: [at(wib("2026-12-01T09:30:00"), "offline"), at(wib("2026-12-01T10:30:00"), "online")],
      period: tuesday,
      schedule: school,
      excluded: [{ from: wib("2026-12-01T08:00:00"), to: wib("2026-12-01T10:00:00") }],
    });
    // Around the clock 1440 − 120 counted, 30 down; in the window 300 − 120 counted, 30 down.
    expect(table(rows)).toEqual([["2026-12-01", [1290, 30], [150, 30]]]);
    expect(rows[0]!.inWindows.ratio).toBe(150 / 180);
  });

  it("excludes overlapping intervals once, and ones reaching past the period only inside it", () => {
    const rows = dailyUptime({
      initial: "offline",
      changes: [],
      period: tuesday,
      excluded: [
        { from: wib("2026-11-30T20:00:00"), to: wib("2026-12-01T01:00:00") }, // 60 min inside
        { from: wib("2026-12-01T10:00:00"), to: wib("2026-12-01T12:00:00") },
        { from: wib("2026-12-01T11:00:00"), to: wib("2026-12-01T13:00:00") }, // overlaps: 10–13 is 180
        { from: wib("2026-12-01T14:00:00"), to: wib("2026-12-01T14:00:00") }, // empty
      ],
    });
    expect(table(rows)).toEqual([["2026-12-01", [0, 1200], [0, 0]]]);
  });

  it("leaves a paused hour out (10:00–11:00 WIB), and unknown and disabled time too", () => {
    const rows = dailyUptime({
      initial: "unknown",
      changes: [
        at(wib("2026-12-01T06:00:00"), "online"),
        at(wib("2026-12-01T10:00:00"), "paused"),
        at(wib("2026-12-01T11:00:00"), "online"),
        at(wib("2026-12-01T20:00:00"), "disabled"),
      ],
      period: tuesday,
      schedule: school,
    });
    // Counted 06:00–10:00 and 11:00–20:00 = 780 min; in the window 07:00–10:00 and 11:00–12:00 = 240.
    expect(table(rows)).toEqual([["2026-12-01", [780, 0], [240, 0]]]);
    expect(rows[0]!.aroundTheClock.ratio).toBe(1);
  });

  it("gives ratio null for a day with nothing counted, not 0 % or 100 %", () => {
    const paused = dailyUptime({ initial: "paused", changes: [], period: tuesday, schedule: school });
    expect(paused).toEqual([
      {
        period: "2026-12-01",
        aroundTheClock: { upMs: 0, downMs: 0, countedMs: 0, ratio: null },
        inWindows: { upMs: 0, downMs: 0, countedMs: 0, ratio: null },
      },
    ]);
    const maintained = dailyUptime({
      initial: "offline",
      changes: [],
      period: tuesday,
      excluded: [tuesday],
    });
    expect(maintained[0]!.aroundTheClock.ratio).toBeNull();
  });
});

describe("combineUptime: a school and the regency", () => {
  const tuesday = dayPeriod("2026-12-01");
  // Camera A: down 60 min of a whole day. Camera B: disabled from noon, up until then (720 min counted).
  const a = dailyUptime({
    initial: "online",
    changes: [at(wib("2026-12-01T09:00:00"), "offline"), at(wib("2026-12-01T10:00:00"), "online")],
    period: tuesday,
    schedule: school,
  });
  const b = dailyUptime({
    initial: "online",
    changes: [at(wib("2026-12-01T12:00:00"), "disabled")],
    period: tuesday,
    schedule: school,
  });
  // Camera C at another school: offline all day.
  const c = dailyUptime({ initial: "offline", changes: [], period: tuesday, schedule: school });

  it("weighs by counted time: (1380 + 720) / (1440 + 720), not the mean of the ratios", () => {
    const schoolRows = combineUptime([a, b]);
    expect(table(schoolRows)).toEqual([["2026-12-01", [2100, 60], [540, 60]]]);
    expect(schoolRows[0]!.aroundTheClock.ratio).toBe(2100 / 2160);
    expect(schoolRows[0]!.inWindows.ratio).toBe(540 / 600);
  });

  it("gives the regency the same figure from schools' rows as from all cameras", () => {
    const bySchool = combineUptime([combineUptime([a, b]), c]);
    expect(bySchool).toEqual(combineUptime([a, b, c]));
    expect(table(bySchool)).toEqual([["2026-12-01", [2100, 1500], [540, 360]]]);
  });

  it("merges rows by period and keeps them in order", () => {
    const wed = dailyUptime({ initial: "online", changes: [], period: dayPeriod("2026-12-02") });
    expect(combineUptime([wed, a]).map((r) => r.period)).toEqual(["2026-12-01", "2026-12-02"]);
    expect(combineUptime([])).toEqual([]);
  });

  it("adds tallies", () => {
    expect(sumTallies([uptimeTally(30, 10), uptimeTally(0, 0), uptimeTally(50, 10)])).toEqual({
      upMs: 80,
      downMs: 20,
      countedMs: 100,
      ratio: 0.8,
    });
    expect(sumTallies([])).toEqual({ upMs: 0, downMs: 0, countedMs: 0, ratio: null });
  });
});
