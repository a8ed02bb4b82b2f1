import { describe, expect, it } from "vitest";
import {
  copyDay,
  countdown,
  endForInput,
  minutesToEndOfDay,
  minutesUntil,
  parseDate,
  parseHolidayList,
  windowProblems,
  windowsToSave,
} from "../../viewer/console/src/components/schedule.js";
import { instantOf, wallClock } from "../../viewer/console/src/components/time-zone.js";

describe("console schedule editor rules", () => {
  it("reads a pasted holiday list: ISO or day/month/year, blank lines skipped, duplicates once, sorted", () => {
    expect(parseHolidayList("2026-12-25\n\n  1/1/2027 \r\n25/12/2026\n17/08/2026")).toEqual({
      dates: ["2026-08-17", "2026-12-25", "2027-01-01"],
      bad: [],
    });
  });

  it("returns every bad line with its number and text, and then no date at all", () => {
    expect(parseHolidayList("2026-12-25\n31/02/2026\nlibur natal\n2026-13-01")).toEqual({
      dates: [],
      bad: [
        { line: 2, text: "31/02/2026" },
        { line: 3, text: "libur natal" },
        { line: 4, text: "2026-13-01" },
      ],
    });
    expect(parseDate("12/25/2026")).toBeUndefined();
    expect(parseDate("29/02/2028")).toBe("2028-02-29");
  });

  it("an end of 00:00 in a time box is midnight; an end not after its start is refused", () => {
    expect(endForInput("24:00")).toBe("00:00");
    expect(
      windowsToSave([
        { day: 2, start: "13:00", end: "00:00" },
        { day: 1, start: "07:00", end: "12:00" },
      ]),
    ).toEqual([
      { day: 1, start: "07:00", end: "12:00" },
      { day: 2, start: "13:00", end: "24:00" },
    ]);
    expect(
      windowProblems([
        { day: 1, start: "07:00", end: "07:00" },
        { day: 1, start: "", end: "12:00" },
        { day: 1, start: "08:00", end: "00:00" },
      ]),
    ).toEqual([
      { index: 0, field: "end", problem: "order" },
      { index: 1, field: "start", problem: "missing" },
    ]);
  });

  it("copies Monday onto the weekdays, replacing what they had and leaving the weekend", () => {
    const w = [
      { day: 1, start: "07:00", end: "12:00" },
      { day: 3, start: "09:00", end: "10:00" },
      { day: 6, start: "08:00", end: "11:00" },
    ];
    expect(copyDay(w, 1, [2, 3, 4, 5])).toEqual([
      { day: 1, start: "07:00", end: "12:00" },
      { day: 6, start: "08:00", end: "11:00" },
      { day: 2, start: "07:00", end: "12:00" },
      { day: 3, start: "07:00", end: "12:00" },
      { day: 4, start: "07:00", end: "12:00" },
      { day: 5, start: "07:00", end: "12:00" },
    ]);
  });

  it("pause lengths and the countdown", () => {
    expect(minutesToEndOfDay(23 * 60 + 59, 30)).toBe(1);
    expect(minutesToEndOfDay(10 * 60)).toBe(14 * 60);
    expect(minutesUntil("10:30", 10 * 60)).toBe(30);
    expect(minutesUntil("09:00", 10 * 60)).toBeUndefined();
    expect(countdown(15 * 60_000)).toBe("15:00");
    expect(countdown(3_909_000)).toBe("1:05:09");
    expect(countdown(-5)).toBe("0:00");
  });

  it("school wall clock and its instants, whatever the browser's zone", () => {
    const at = Date.parse("2026-12-03T17:30:00Z");
    expect(wallClock(at, "Asia/Jakarta")).toEqual({ date: "2026-12-04", minute: 30, second: 0 });
    expect(wallClock(at, "Asia/Jayapura").minute).toBe(2 * 60 + 30);
    expect(new Date(instantOf("2026-12-04", 0, "Asia/Makassar")).toISOString()).toBe(
      "2026-12-03T16:00:00.000Z",
    );
  });
});
