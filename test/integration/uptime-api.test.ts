import Database from "better-sqlite3";
import { parse } from "csv-parse/sync";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../helpers/api-client.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { makeSchool, type SchoolFixture } from "../helpers/school-fixture.js";

/**
 * Uptime through the API on a real gateway and SQLite file: state transitions written as the monitor
 * writes them, the month counted in the school's zone (Asia/Jakarta), around the clock and within the
 * classroom's viewing windows, as JSON, CSV and the printable report. The gateway's clock is fixed after
 * November 2026, so the month is complete whatever day the test runs.
 */

const weekdays = {
  windows: [1, 2, 3, 4, 5].map((day) => ({ day, start: "07:00", end: "12:00" })),
  holidays: [],
};
const now = Date.parse("2026-12-02T05:00:00Z");
const month = 30 * 24 * 3600; // November, in seconds
const windowSeconds = 21 * 5 * 3600; // 21 weekdays × 07:00–12:00

let gw: TestGateway;
let a: SchoolFixture;
let b: SchoolFixture;

interface Tally {
  upMs: number;
  downMs: number;
  countedMs: number;
  ratio: number | null;
}
interface Report {
  month: string;
  schools: {
    schoolId: string;
    name: string;
    month: { aroundTheClock: Tally; inWindows: Tally };
    cameras: {
      cameraId: string;
      month: { aroundTheClock: Tally; inWindows: Tally };
      days: { period: string; aroundTheClock: Tally; inWindows: Tally }[];
      outages: { from: number; to: number; open: boolean; reason: string }[];
    }[];
  }[];
  total: { aroundTheClock: Tally; inWindows: Tally };
}

function insertStates(cameraId: string, schoolId: string, states: [string, string, string][]): void {
  const db = new Database(join(gw.dataDir, "pantau.db"));
  const insert = db.prepare(
    `INSERT INTO camera_health_events (camera_id, school_id, at, kind, from_state, to_state, reason)
     VALUES (?, ?, ?, 'state', ?, ?, ?)`,
  );
  let from = "unknown";
  for (const [at, to, reason] of states) {
    insert.run(cameraId, schoolId, Date.parse(at), from, to, reason);
    from = to;
  }
  db.close();
}

beforeAll(async () => {
  gw = await startTestGateway({}, { now: () => now });
  a = await makeSchool(gw, "SD Negeri 1 Pantau", weekdays);
  b = await makeSchool(gw, "SD Negeri 2 Pantau", weekdays);
  insertStates(a.cameraId, a.schoolId, [
    ["2026-10-31T10:00:00Z", "online", "recovered"],
    // Tuesday 10 November, 08:00–10:00 WIB: inside the viewing window.
    ["2026-11-10T01:00:00Z", "offline", "timeout"],
    ["2026-11-10T03:00:00Z", "online", "recovered"],
    // Saturday 14 November 20:00 WIB → Sunday 02:00 WIB, across local midnight, outside every window.
    ["2026-11-14T13:00:00Z", "offline", "unreachable"],
    ["2026-11-14T19:00:00Z", "online", "recovered"],
    // Paused Wednesday 18 November 07:00–12:00 WIB: counts in neither figure.
    ["2026-11-18T00:00:00Z", "paused", "paused"],
    ["2026-11-18T05:00:00Z", "online", "resumed"],
  ]);
  insertStates(b.cameraId, b.schoolId, [
    ["2026-11-01T00:00:00Z", "online", "recovered"],
    // Down from Monday 30 November 10:00 WIB to past the month's end.
    ["2026-11-30T03:00:00Z", "offline", "unreachable"],
  ]);
});

afterAll(async () => {
  await (gw as TestGateway | undefined)?.close();
});

const s = (ms: number) => ms / 1000;

describe("GET /api/uptime", () => {
  it("counts a camera's month from its transitions, around the clock and within viewing windows", async () => {
    const r = (await gw.admin.expect(
      200,
      "GET",
      `/api/uptime?month=2026-11&schoolId=${a.schoolId}`,
    )) as Report;
    expect(r.schools.map((x) => x.name)).toEqual(["SD Negeri 1 Pantau"]);
    const cam = r.schools[0]?.cameras.find((c) => c.cameraId === a.cameraId);
    const paused = 5 * 3600;
    expect(s(cam!.month.aroundTheClock.downMs)).toBe(2 * 3600 + 6 * 3600);
    expect(s(cam!.month.aroundTheClock.countedMs)).toBe(month - paused);
    expect(s(cam!.month.inWindows.downMs)).toBe(2 * 3600);
    expect(s(cam!.month.inWindows.countedMs)).toBe(windowSeconds - paused);
    // The night outage is split at local midnight: 4 h on the 14th, 2 h on the 15th.
    const day = (d: string) => cam!.days.find((x) => x.period === d)!;
    expect(s(day("2026-11-14").aroundTheClock.downMs)).toBe(4 * 3600);
    expect(s(day("2026-11-15").aroundTheClock.downMs)).toBe(2 * 3600);
    expect(day("2026-11-15").inWindows.ratio).toBeNull();
    expect(cam!.outages.map((o) => [new Date(o.from).toISOString(), o.reason])).toEqual([
      ["2026-11-10T01:00:00.000Z", "timeout"],
      ["2026-11-14T13:00:00.000Z", "unreachable"],
    ]);
    // The school's second camera never reported: it counts nothing, so the school's figure is this camera's.
    expect(r.schools[0]?.month.aroundTheClock).toEqual(cam!.month.aroundTheClock);
  });

  it("an outage running past the month's end ends with the month, still open", async () => {
    const r = (await gw.admin.expect(
      200,
      "GET",
      `/api/uptime?month=2026-11&schoolId=${b.schoolId}`,
    )) as Report;
    const cam = r.schools[0]?.cameras.find((c) => c.cameraId === b.cameraId);
    // 1 December 00:00 WIB = 30 November 17:00 UTC.
    expect(s(cam!.month.aroundTheClock.downMs)).toBe(14 * 3600);
    expect(cam!.outages).toEqual([
      {
        from: Date.parse("2026-11-30T03:00:00Z"),
        to: Date.parse("2026-11-30T17:00:00Z"),
        open: true,
        reason: "unreachable",
      },
    ]);
    const dec = (await gw.admin.expect(
      200,
      "GET",
      `/api/uptime?month=2026-12&schoolId=${b.schoolId}`,
    )) as Report;
    const december = dec.schools[0]?.cameras.find((c) => c.cameraId === b.cameraId);
    // December counts up to the gateway's now: 2 December 05:00 UTC.
    expect(s(december!.month.aroundTheClock.downMs)).toBe(36 * 3600);
  });

  it("the regency total adds every school's time, and CSV carries the same figures", async () => {
    const r = (await gw.admin.expect(200, "GET", "/api/uptime?month=2026-11")) as Report;
    const both = r.schools.filter((x) => x.schoolId === a.schoolId || x.schoolId === b.schoolId);
    expect(both).toHaveLength(2);
    const up = r.schools.reduce((n, x) => n + x.month.aroundTheClock.upMs, 0);
    expect(r.total.aroundTheClock.upMs).toBe(up);
    const res = await gw.admin.request("GET", `/api/uptime?month=2026-11&schoolId=${a.schoolId}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const rows: Record<string, string>[] = parse(res.text, { columns: true });
    const monthRow = rows.find((x) => x.camera_id === a.cameraId && x.period === "2026-11");
    expect(monthRow?.up_seconds).toBe(String(month - 5 * 3600 - 8 * 3600));
    expect(monthRow?.in_windows_counted_seconds).toBe(String(windowSeconds - 5 * 3600));
  });

  it("the monthly report is one printable page in both languages, with the outages", async () => {
    const res = await gw.admin.request("GET", `/api/reports/uptime?month=2026-11&schoolId=${a.schoolId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const page = res.text;
    expect(page).toContain("Laporan Ketersediaan Kamera / Camera Availability Report");
    expect(page).toContain("November 2026");
    expect(page).toContain("SD Negeri 1 Pantau");
    expect(page).toContain("timeout");
    expect(page).not.toMatch(/<script/i);
  });

  it("refuses a bad month, a teacher, and another school's admin; unknown schools are 404", async () => {
    for (const q of [
      "month=2026-13",
      "month=11-2026",
      "",
      "month=2026-11&extra=1",
      "month=2026-11&format=pdf",
    ]) {
      const body = (await gw.admin.expect(400, "GET", `/api/uptime?${q}`)) as { error: { code: string } };
      expect(body.error.code).toBeTruthy();
    }
    await gw.admin.expect(404, "GET", "/api/uptime?month=2026-11&schoolId=sch_nope0000000");
    await gw.admin.expect(201, "POST", "/api/users", {
      username: "admin.b",
      displayName: "Admin B",
      password: "password-for-tests",
      role: "school_admin",
      schoolId: b.schoolId,
    });
    const adminB = await new ApiClient(gw.url).login("admin.b", "password-for-tests");
    const own = (await adminB.expect(200, "GET", "/api/uptime?month=2026-11")) as Report;
    expect(own.schools.map((x) => x.schoolId)).toEqual([b.schoolId]);
    await adminB.expect(404, "GET", `/api/uptime?month=2026-11&schoolId=${a.schoolId}`);
    await gw.admin.expect(201, "POST", "/api/users", {
      username: "guru.a",
      displayName: "Guru A",
      password: "password-for-tests",
      role: "teacher",
      schoolId: a.schoolId,
    });
    const teacher = await new ApiClient(gw.url).login("guru.a", "password-for-tests");
    await teacher.expect(403, "GET", "/api/uptime?month=2026-11");
    await teacher.expect(403, "GET", "/api/reports/uptime?month=2026-11");
  });
});
