import { describe, expect, it } from "vitest";
import {
  instantOf,
  localTime,
  scheduleSchema,
  viewingState,
  type Schedule,
} from "../../gateway/src/schools/schedule.js";

// School days Monday–Friday 07:00–12:00 and 13:00–15:00, Saturday 07:00–11:00 (WIB, UTC+7).
const school: Schedule = {
  windows: [
    ...[1, 2, 3, 4, 5].flatMap((day) => [
      { day: day as 1, start: "07:00", end: "12:00" },
      { day: day as 1, start: "13:00", end: "15:00" },
    ]),
    { day: 6, start: "07:00", end: "11:00" },
  ],
  holidays: ["2026-12-25"],
};
const jakarta = "Asia/Jakarta";
/** A WIB wall-clock time as an instant. */
const wib = (text: string) => new Date(`${text}+07:00`);
const iso = (d: Date | null) => d?.toISOString() ?? null;

describe("viewingState: windows in the school's time zone", () => {
  it.each([
    // [local time, open, reason, nextOpenAt (WIB), closesAt (WIB)]
    ["2026-12-01T06:59:59", false, "outside_hours", "2026-12-01T07:00:00", null], // Tuesday before school
    ["2026-12-01T07:00:00", true, undefined, "2026-12-01T07:00:00", "2026-12-01T12:00:00"],
    ["2026-12-01T11:59:59", true, undefined, "2026-12-01T11:59:59", "2026-12-01T12:00:00"],
    ["2026-12-01T12:00:00", false, "outside_hours", "2026-12-01T13:00:00", null], // end is exclusive
    ["2026-12-01T15:00:00", false, "outside_hours", "2026-12-02T07:00:00", null],
    ["2026-12-01T23:59:59", false, "outside_hours", "2026-12-02T07:00:00", null], // just before midnight WIB
    ["2026-12-02T00:00:00", false, "outside_hours", "2026-12-02T07:00:00", null], // just after
    ["2026-12-05T10:00:00", true, undefined, "2026-12-05T10:00:00", "2026-12-05T11:00:00"], // Saturday
    ["2026-12-05T11:30:00", false, "outside_hours", "2026-12-07T07:00:00", null], // Saturday → Monday
    ["2026-12-06T09:00:00", false, "outside_hours", "2026-12-07T07:00:00", null], // Sunday
    ["2026-12-25T09:00:00", false, "holiday", "2026-12-26T07:00:00", null], // Christmas, a Friday
    ["2026-12-24T16:00:00", false, "outside_hours", "2026-12-26T07:00:00", null], // skips the holiday
  ])("at %s WIB: open=%s %s", (local, open, reason, next, closes) => {
    const v = viewingState(school, null, jakarta, wib(local));
    expect(v.open).toBe(open);
    expect(v.reason).toBe(reason);
    expect(iso(v.nextOpenAt)).toBe(iso(wib(next)));
    expect(iso(v.closesAt)).toBe(closes === null ? null : iso(wib(closes)));
  });

  it("uses the school's zone: 07:30 in Jayapura (WIT) is 05:30 in Jakarta", () => {
    const at = new Date("2026-12-01T07:30:00+09:00");
    expect(viewingState(school, null, "Asia/Jayapura", at).open).toBe(true);
    expect(viewingState(school, null, jakarta, at).open).toBe(false);
  });

  it("decides midnight by the school's calendar, not UTC's: 23:30 UTC Monday is Tuesday 06:30 WIB", () => {
    const at = new Date("2026-11-30T23:30:00Z");
    expect(localTime(at, jakarta)).toEqual({ date: "2026-12-01", day: 2, minute: 390 });
    expect(iso(viewingState(school, null, jakarta, at).nextOpenAt)).toBe(iso(wib("2026-12-01T07:00:00")));
  });

  it("joins adjacent windows into one stretch", () => {
    const s: Schedule = {
      windows: [
        { day: 2, start: "07:00", end: "10:00" },
        { day: 2, start: "10:00", end: "12:00" },
      ],
      holidays: [],
    };
    expect(iso(viewingState(s, null, jakarta, wib("2026-12-01T08:00:00")).closesAt)).toBe(
      iso(wib("2026-12-01T12:00:00")),
    );
  });

  it("has no next opening when there are no windows", () => {
    expect(viewingState({ windows: [], holidays: [] }, null, jakarta, wib("2026-12-01T08:00:00"))).toEqual({
      open: false,
      reason: "outside_hours",
      nextOpenAt: null,
      closesAt: null,
    });
  });
});

describe("viewingState: privacy pause", () => {
  const at = wib("2026-12-01T08:00:00");
  it("closes an open window until the pause ends, then opens again", () => {
    const pause = { since: at.toISOString(), until: wib("2026-12-01T08:30:00").toISOString(), by: "guru" };
    const v = viewingState(school, pause, jakarta, at);
    expect(v).toMatchObject({ open: false, reason: "paused" });
    expect(iso(v.nextOpenAt)).toBe(iso(wib("2026-12-01T08:30:00")));
    expect(viewingState(school, pause, jakarta, wib("2026-12-01T08:30:00")).open).toBe(true);
  });
  it("a pause ending outside the window reopens at the next window", () => {
    const pause = { since: at.toISOString(), until: wib("2026-12-01T12:30:00").toISOString(), by: "guru" };
    expect(iso(viewingState(school, pause, jakarta, at).nextOpenAt)).toBe(iso(wib("2026-12-01T13:00:00")));
  });
  it("until lifted has no next opening", () => {
    const v = viewingState(school, { since: at.toISOString(), until: null, by: "guru" }, jakarta, at);
    expect(v).toMatchObject({ open: false, reason: "paused", nextOpenAt: null, closesAt: null });
  });
});

describe("schedule validation", () => {
  it.each([
    [{ windows: [{ day: 8, start: "07:00", end: "08:00" }] }, "windows.0.day"],
    [{ windows: [{ day: 1, start: "7:00", end: "08:00" }] }, "windows.0.start"],
    [{ windows: [{ day: 1, start: "09:00", end: "08:00" }] }, "windows.0.end"],
    [{ windows: [{ day: 1, start: "22:00", end: "24:01" }] }, "windows.0.end"],
    [{ windows: [], holidays: ["2026-02-30"] }, "holidays.0"],
    [{ windows: [], extra: 1 }, ""],
  ])("refuses %j at %s", (input, path) => {
    const r = scheduleSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path.join(".")).toBe(path);
  });
  it("accepts a window to 24:00", () => {
    expect(scheduleSchema.safeParse({ windows: [{ day: 1, start: "18:00", end: "24:00" }] }).success).toBe(
      true,
    );
  });
  it("instantOf is the inverse of localTime", () => {
    expect(instantOf("2026-12-01", 7 * 60, jakarta).toISOString()).toBe("2026-12-01T00:00:00.000Z");
  });
});
