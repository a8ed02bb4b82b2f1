// The month's report took 16 s at 10 000 cameras, computing the same days' edges again for every camera;
// dailyUptime now remembers them per zone and date. Remembered answers must be the ones computed afresh.
import { describe, expect, it } from "vitest";
import { dailyUptime, dayPeriod, type UptimeInput } from "../../gateway/src/health/uptime.js";

const period = { from: Date.parse("2026-11-01T00:00:00+07:00"), to: Date.parse("2026-11-04T00:00:00+07:00") };
const input = (timeZone: string): UptimeInput => ({
  initial: "online",
  changes: [{ at: Date.parse("2026-11-02T10:00:00+07:00"), state: "offline" }],
  period,
  timeZone,
  schedule: { windows: [{ day: 1, start: "07:00", end: "12:00" }], holidays: [] },
});

describe("dailyUptime's remembered calendar", () => {
  it("gives each zone its own days, and the same answer the second time", () => {
    const jakarta = dailyUptime(input("Asia/Jakarta"));
    const jayapura = dailyUptime(input("Asia/Jayapura"));
    expect(jakarta.map((d) => d.period)).toEqual(["2026-11-01", "2026-11-02", "2026-11-03"]);
    // Jayapura is two hours ahead: the period starts at 02:00 there, and its last day is cut short.
    expect(jayapura.map((d) => d.period)).toEqual(["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]);
    expect(jayapura[0]?.aroundTheClock.countedMs).toBe(22 * 3_600_000);
    // Monday 2 Nov, 07:00–10:00 up and 10:00–12:00 down, in each zone's own hours.
    expect(jakarta[1]?.inWindows).toMatchObject({ upMs: 3 * 3_600_000, downMs: 2 * 3_600_000 });
    expect(jayapura[1]?.inWindows).toMatchObject({ upMs: 5 * 3_600_000, downMs: 0 });
    expect(dailyUptime(input("Asia/Jakarta"))).toEqual(jakarta);
    expect(dailyUptime(input("Asia/Jayapura"))).toEqual(jayapura);
    expect(dayPeriod("2026-11-02", "Asia/Jayapura").from).toBe(Date.parse("2026-11-02T00:00:00+09:00"));
  });
});
