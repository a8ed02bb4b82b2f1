import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../helpers/api-client.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { makeSchool, type SchoolFixture } from "../helpers/school-fixture.js";

/*
 * Maintenance windows and camera mutes through the API of a real gateway (SQLite on disk, HTTP on loopback):
 * who may make and end them, what a bad body gets (400 naming the field, nothing stored), the audit rows, and
 * what the gateway's Suppressions (what the alert dispatcher and the uptime arithmetic ask) makes of them.
 * The clock stands still on Thursday 3 December 2026, 08:00 WIB.
 */

const start = Date.parse("2026-12-03T01:00:00Z");
let now = start;
const hour = 3_600_000;

let gw: TestGateway;
let a: SchoolFixture;
let b: SchoolFixture;
let adminA: ApiClient;
let adminB: ApiClient;
let teacherA: ApiClient;

async function account(username: string, role: string, schoolId: string, classroomIds: string[] = []) {
  await gw.admin.expect(201, "POST", "/api/users", {
    username,
    displayName: username,
    password: "kata-sandi-panjang-1",
    role,
    schoolId,
    ...(role === "teacher" && { classroomIds }),
  });
  return new ApiClient(gw.url).login(username, "kata-sandi-panjang-1");
}

beforeAll(async () => {
  gw = await startTestGateway({}, { now: () => now });
  a = await makeSchool(gw, "SD Alpha");
  b = await makeSchool(gw, "SD Beta");
  // SD Beta is in Makassar (WITA, UTC+8): its weekly windows are laid out an hour earlier in UTC.
  await gw.admin.expect(200, "PATCH", `/api/schools/${b.schoolId}`, { timeZone: "Asia/Makassar" });
  adminA = await account("admin.alpha", "school_admin", a.schoolId);
  adminB = await account("admin.beta", "school_admin", b.schoolId);
  teacherA = await account("guru.alpha", "teacher", a.schoolId, [a.classroomId]);
});

afterAll(async () => {
  await gw.close();
});

type Window = { id: string; schoolId: string | null; cameraId: string | null; kind: string };
const ids = (list: { id: string }[]) => list.map((w) => w.id).sort();
const windowsOf = async (c: ApiClient, query = "") =>
  ((await c.expect(200, "GET", `/api/maintenance-windows${query}`)) as { windows: Window[] }).windows;

describe("maintenance windows", () => {
  it("a school admin sets weekly and one-off windows for their school and its cameras", async () => {
    // Thursdays 07:00–09:00 WIB at SD Alpha: on now.
    const weekly = (await adminA.expect(201, "POST", "/api/maintenance-windows", {
      kind: "weekly",
      schoolId: a.schoolId,
      weekdays: [4],
      start: "07:00",
      end: "09:00",
      reason: "Pemeliharaan jaringan",
    })) as Window & Record<string, unknown>;
    expect(weekly).toMatchObject({
      schoolId: a.schoolId,
      cameraId: null,
      kind: "weekly",
      weekdays: [4],
      start: "07:00",
      end: "09:00",
      reason: "Pemeliharaan jaringan",
      createdBy: "admin.alpha",
      createdAt: new Date(start).toISOString(),
      deletedAt: null,
    });
    // One camera, tonight 22:00 WIB to 02:00 WIB, given with an offset and stored in UTC; the school comes
    // from the camera.
    const once = (await adminA.expect(201, "POST", "/api/maintenance-windows", {
      kind: "once",
      cameraId: a.cameraId,
      startsAt: "2026-12-03T22:00:00+07:00",
      endsAt: "2026-12-04T02:00:00+07:00",
    })) as Window & Record<string, unknown>;
    expect(once).toMatchObject({
      schoolId: a.schoolId,
      cameraId: a.cameraId,
      startsAt: "2026-12-03T15:00:00.000Z",
      endsAt: "2026-12-03T19:00:00.000Z",
      reason: "",
    });

    expect(ids(await windowsOf(adminA))).toEqual(ids([weekly, once]));
    expect(ids(await windowsOf(gw.admin, `?schoolId=${a.schoolId}`))).toEqual(ids([weekly, once]));
    expect(await windowsOf(adminB)).toEqual([]);
    expect(await windowsOf(gw.admin, `?schoolId=${b.schoolId}`)).toEqual([]);

    // What the alert dispatcher and the uptime arithmetic see.
    const s = gw.suppressions;
    expect(s.suppressed(a.schoolId, a.cameraId, now)).toBe(true); // Thursday 08:00 WIB
    expect(s.suppressed(a.schoolId, undefined, now)).toBe(true);
    expect(s.suppressed(a.schoolId, a.cameraId, now + 2 * hour)).toBe(false); // 10:00 WIB
    expect(s.suppressed(a.schoolId, a.cameraId, Date.parse("2026-12-03T16:00:00Z"))).toBe(true);
    expect(s.suppressed(a.schoolId, a.otherCameraId, Date.parse("2026-12-03T16:00:00Z"))).toBe(false);
    expect(s.suppressed(b.schoolId, b.cameraId, now)).toBe(false);
    const day = [Date.parse("2026-12-02T17:00:00Z"), Date.parse("2026-12-03T17:00:00Z")] as const; // 3 Dec WIB
    expect(s.excluded(a.schoolId, a.cameraId, ...day)).toEqual([
      { from: start, to: Date.parse("2026-12-03T02:00:00Z") }, // made at 08:00: from then until 09:00
      { from: Date.parse("2026-12-03T15:00:00Z"), to: day[1] }, // tonight's, clipped at midnight WIB
    ]);
    expect(s.excluded(a.schoolId, a.otherCameraId, ...day)).toEqual([
      { from: start, to: Date.parse("2026-12-03T02:00:00Z") },
    ]);

    // Ended now: alerts flow again, and the hour it stood stays left out.
    now = start + 0.5 * hour;
    await adminA.expect(204, "DELETE", `/api/maintenance-windows/${weekly.id}`);
    expect(s.suppressed(a.schoolId, a.otherCameraId, now)).toBe(false);
    expect(s.excluded(a.schoolId, a.otherCameraId, ...day)).toEqual([{ from: start, to: now }]);
    expect(ids(await windowsOf(adminA))).toEqual([once.id]);
    expect((await adminA.delete(`/api/maintenance-windows/${weekly.id}`)).status).toBe(404);
    now = start;
  });

  it("an operator's window for every school is laid out in each school's own zone", async () => {
    // Thursdays 08:30–09:30 local: 01:30 UTC at SD Alpha (WIB), 00:30 UTC at SD Beta (WITA).
    const all = (await gw.admin.expect(201, "POST", "/api/maintenance-windows", {
      kind: "weekly",
      schoolId: null,
      weekdays: [4],
      start: "08:30",
      end: "09:30",
      reason: "Pemadaman listrik PLN",
    })) as Window;
    expect(all.schoolId).toBeNull();
    expect(ids(await windowsOf(adminA))).toContain(all.id);
    expect(ids(await windowsOf(adminB))).toEqual([all.id]);
    // 01:15 UTC is 09:15 WITA at SD Beta; 02:15 UTC is 09:15 WIB at SD Alpha and 10:15 WITA at SD Beta.
    expect(gw.suppressions.suppressed(b.schoolId, b.cameraId, Date.parse("2026-12-03T01:15:00Z"))).toBe(true);
    expect(gw.suppressions.suppressed(a.schoolId, a.cameraId, Date.parse("2026-12-03T02:15:00Z"))).toBe(true);
    expect(gw.suppressions.suppressed(b.schoolId, b.cameraId, Date.parse("2026-12-03T02:15:00Z"))).toBe(
      false,
    );

    // A school admin sees it but may not end it; the operator may.
    expect((await adminB.delete(`/api/maintenance-windows/${all.id}`)).body).toMatchObject({
      error: { code: "forbidden" },
    });
    await gw.admin.expect(204, "DELETE", `/api/maintenance-windows/${all.id}`);
    expect(ids(await windowsOf(adminB))).toEqual([]);
  });

  it("refuses what the caller may not do, and stores nothing", async () => {
    const mine = (await adminA.expect(201, "POST", "/api/maintenance-windows", {
      kind: "once",
      schoolId: a.schoolId,
      startsAt: "2026-12-05T01:00:00Z",
      endsAt: "2026-12-05T05:00:00Z",
    })) as Window;
    const before = dbSnapshot(gw.dataDir);
    const weekly = { kind: "weekly", weekdays: [6], start: "00:00", end: "06:00" };
    const cases: [ApiClient, string, string, unknown, number, string][] = [
      [adminA, "POST", "/api/maintenance-windows", { ...weekly, schoolId: b.schoolId }, 403, "forbidden"],
      [adminA, "POST", "/api/maintenance-windows", { ...weekly, schoolId: null }, 403, "forbidden"],
      [adminA, "POST", "/api/maintenance-windows", { ...weekly, cameraId: b.cameraId }, 400, "invalid_input"],
      [teacherA, "POST", "/api/maintenance-windows", { ...weekly, schoolId: a.schoolId }, 403, "forbidden"],
      [teacherA, "GET", "/api/maintenance-windows", undefined, 403, "forbidden"],
      [teacherA, "GET", "/api/camera-mutes", undefined, 403, "forbidden"],
      [teacherA, "DELETE", `/api/maintenance-windows/${mine.id}`, undefined, 403, "forbidden"],
      [adminB, "DELETE", `/api/maintenance-windows/${mine.id}`, undefined, 404, "not_found"],
      [adminB, "GET", `/api/maintenance-windows?schoolId=${a.schoolId}`, undefined, 404, "not_found"],
      [gw.admin, "GET", "/api/maintenance-windows?schoolId=sch_nothing", undefined, 404, "not_found"],
      [gw.admin, "DELETE", "/api/maintenance-windows/mnt_nothing", undefined, 404, "not_found"],
      [gw.admin, "DELETE", "/api/maintenance-windows/..%2f..%2fetc", undefined, 404, "not_found"],
      [
        new ApiClient(gw.url),
        "POST",
        "/api/maintenance-windows",
        { ...weekly, schoolId: a.schoolId },
        401,
        "",
      ],
      [new ApiClient(gw.url), "GET", "/api/maintenance-windows", undefined, 401, ""],
    ];
    for (const [client, method, path, body, status, code] of cases) {
      const r = await client.request(method, path, body);
      expect([method, path, r.status], JSON.stringify(body)).toEqual([method, path, status]);
      if (code !== "") expect(r.body).toMatchObject({ error: { code } });
    }
    expect(dbSnapshot(gw.dataDir)).toBe(before);
    await gw.admin.expect(204, "DELETE", `/api/maintenance-windows/${mine.id}`);
  });

  it("answers a bad body with 400 naming the field, and stores nothing", async () => {
    const before = dbSnapshot(gw.dataDir);
    const weekly = { kind: "weekly", schoolId: a.schoolId, weekdays: [1], start: "22:00", end: "02:00" };
    const once = {
      kind: "once",
      schoolId: a.schoolId,
      startsAt: "2026-12-05T01:00:00Z",
      endsAt: "2026-12-05T05:00:00Z",
    };
    const cases: [unknown, string | undefined][] = [
      [{ ...weekly, kind: "monthly" }, "kind"],
      [{ schoolId: a.schoolId }, "kind"],
      [{ ...weekly, weekdays: [8] }, "weekdays.0"],
      [{ ...weekly, weekdays: [] }, "weekdays"],
      [{ ...weekly, weekdays: [1, 1] }, "weekdays"],
      [{ ...weekly, start: "25:00" }, "start"],
      [{ ...weekly, start: "24:00" }, "start"],
      [{ ...weekly, end: "7:00" }, "end"],
      [{ ...weekly, end: "22:00" }, "end"],
      [{ ...weekly, schoolId: undefined }, "schoolId"],
      [{ ...weekly, schoolId: "../etc" }, "schoolId"],
      [{ ...weekly, cameraId: "cam_nothing" }, "cameraId"],
      [{ ...weekly, cameraId: b.cameraId, schoolId: b.schoolId }, "cameraId"],
      [{ ...weekly, schoolId: b.schoolId, cameraId: a.cameraId }, "schoolId"],
      [{ ...weekly, reason: "<script>" }, "reason"],
      [{ ...weekly, startsAt: once.startsAt }, undefined], // unknown key for a weekly window
      [{ ...once, endsAt: "2026-12-05T00:00:00Z" }, "endsAt"],
      [{ ...once, startsAt: "2026-12-05T01:00:00" }, "startsAt"], // no offset: not an instant
      [{ ...once, startsAt: "tomorrow" }, "startsAt"],
      [{ ...once, startsAt: "2026-12-02T00:00:00Z", endsAt: "2026-12-03T00:59:59Z" }, "endsAt"], // over
    ];
    for (const [body, field] of cases) {
      const r = await adminA.post("/api/maintenance-windows", body);
      expect([r.status, r.body?.error?.field], JSON.stringify(body)).toEqual([400, field]);
    }
    // An operator may name any school, so an unknown one is a bad field (a school admin is refused first).
    const unknown = await gw.admin.post("/api/maintenance-windows", { ...weekly, schoolId: "sch_nothing" });
    expect([unknown.status, unknown.body?.error?.field]).toEqual([400, "schoolId"]);
    expect(
      (await adminA.post("/api/maintenance-windows", { ...weekly, schoolId: "sch_nothing" })).status,
    ).toBe(403);
    const text = await adminA.post("/api/maintenance-windows", JSON.stringify(weekly), {
      "content-type": "text/plain",
    });
    expect(text.status).toBe(415);
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });
});

describe("camera mutes", () => {
  it("mutes a camera until a time, replaces the mute, and unmutes it", async () => {
    const until = new Date(now + 2 * hour).toISOString();
    const m = (await adminA.expect(201, "POST", `/api/cameras/${a.otherCameraId}/mute`, {
      until,
      reason: "Kamera dipindah",
    })) as Record<string, unknown>;
    expect(m).toMatchObject({
      cameraId: a.otherCameraId,
      schoolId: a.schoolId,
      cameraName: "Kamera 2B",
      until,
      reason: "Kamera dipindah",
      createdBy: "admin.alpha",
      createdAt: new Date(now).toISOString(),
      liftedAt: null,
    });
    const muted = async (c: ApiClient, q = "") =>
      ((await c.expect(200, "GET", `/api/camera-mutes${q}`)) as { mutes: { cameraId: string }[] }).mutes.map(
        (x) => x.cameraId,
      );
    expect(await muted(adminA)).toEqual([a.otherCameraId]);
    expect(await muted(gw.admin, `?schoolId=${a.schoolId}`)).toEqual([a.otherCameraId]);
    expect(await muted(adminB)).toEqual([]);
    const s = gw.suppressions;
    expect(s.suppressed(a.schoolId, a.otherCameraId, now)).toBe(true);
    expect(s.suppressed(a.schoolId, a.otherCameraId, now + 2 * hour)).toBe(false); // until is exclusive
    expect(s.suppressed(a.schoolId, a.cameraId, now + hour)).toBe(false);
    expect(s.suppressed(a.schoolId, undefined, now + hour)).toBe(false);

    // A second mute (until unmuted) replaces the first: still one per camera.
    now = start + hour;
    await adminA.expect(201, "POST", `/api/cameras/${a.otherCameraId}/mute`, {});
    expect(await muted(adminA)).toEqual([a.otherCameraId]);
    expect(s.suppressed(a.schoolId, a.otherCameraId, start + 10 * hour)).toBe(true);

    now = start + 3 * hour;
    await gw.admin.expect(204, "DELETE", `/api/cameras/${a.otherCameraId}/mute`);
    expect(await muted(adminA)).toEqual([]);
    expect(s.suppressed(a.schoolId, a.otherCameraId, now)).toBe(false);
    // Both mutes, back to back, stay left out of the camera's uptime.
    expect(s.excluded(a.schoolId, a.otherCameraId, start - hour, start + 5 * hour)).toEqual([
      { from: start, to: start + 3 * hour },
    ]);
    expect((await adminA.delete(`/api/cameras/${a.otherCameraId}/mute`)).body).toMatchObject({
      error: { code: "not_muted" },
    });

    // A mute whose time has passed is over: the camera is not muted any more.
    await adminA.expect(201, "POST", `/api/cameras/${a.otherCameraId}/mute`, {
      until: new Date(now + hour).toISOString(),
    });
    now = start + 4 * hour;
    expect(await muted(adminA)).toEqual([]);
    expect((await adminA.delete(`/api/cameras/${a.otherCameraId}/mute`)).status).toBe(404);
    now = start;
  });

  it("refuses what the caller may not do and bad bodies, and stores nothing", async () => {
    const before = dbSnapshot(gw.dataDir);
    const cases: [ApiClient, string, string, unknown, number, string, string?][] = [
      [teacherA, "POST", `/api/cameras/${a.cameraId}/mute`, {}, 403, "forbidden"], // their classroom's camera
      [teacherA, "POST", `/api/cameras/${a.otherCameraId}/mute`, {}, 404, "not_found"], // not theirs
      [adminB, "POST", `/api/cameras/${a.cameraId}/mute`, {}, 404, "not_found"],
      [adminB, "DELETE", `/api/cameras/${a.cameraId}/mute`, undefined, 404, "not_found"],
      [gw.admin, "POST", "/api/cameras/cam_nothing/mute", {}, 404, "not_found"],
      [gw.admin, "DELETE", "/api/cameras/cam_nothing/mute", undefined, 404, "not_found"],
      [adminA, "DELETE", `/api/cameras/${a.cameraId}/mute`, undefined, 404, "not_muted"],
      [
        adminA,
        "POST",
        `/api/cameras/${a.cameraId}/mute`,
        { until: "2026-12-03T00:00:00Z" },
        400,
        "invalid_input",
        "until",
      ],
      [adminA, "POST", `/api/cameras/${a.cameraId}/mute`, { until: "soon" }, 400, "invalid_input", "until"],
      [adminA, "POST", `/api/cameras/${a.cameraId}/mute`, { minutes: 5 }, 400, "invalid_input"],
      [
        adminA,
        "POST",
        `/api/cameras/${a.cameraId}/mute`,
        { reason: "a\u0000b" },
        400,
        "invalid_input",
        "reason",
      ],
      [new ApiClient(gw.url), "POST", `/api/cameras/${a.cameraId}/mute`, {}, 401, "unauthorized"],
    ];
    for (const [client, method, path, body, status, code, field] of cases) {
      const r = await client.request(method, path, body);
      expect([method, path, r.status], JSON.stringify(body)).toEqual([method, path, status]);
      if (status !== 401) expect(r.body).toMatchObject({ error: { code, ...(field && { field }) } });
    }
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });
});

describe("audit", () => {
  it("records every window and mute change, with who made it", async () => {
    const events = (
      (await gw.admin.expect(200, "GET", `/api/audit?schoolId=${a.schoolId}`)) as {
        events: { action: string; actor: { name: string }; target: { kind: string; id: string } }[];
      }
    ).events.filter((e) => /^(maintenance|camera\.(un)?mute)/.test(e.action));
    expect(events.map((e) => `${e.action} ${e.actor.name}`).reverse()).toEqual([
      "maintenance.create admin.alpha", // weekly
      "maintenance.create admin.alpha", // once, one camera
      "maintenance.delete admin.alpha",
      "maintenance.create admin.alpha", // the refusals' setup
      "maintenance.delete operator",
      "camera.mute admin.alpha",
      "camera.mute admin.alpha",
      "camera.unmute operator",
      "camera.mute admin.alpha",
    ]);
    expect(
      events.every((e) => e.target.kind === "maintenance_window" || e.target.kind === "camera_mute"),
    ).toBe(true);
    // Every school's window is recorded without a school.
    const all = (
      (await gw.admin.expect(200, "GET", "/api/audit?action=maintenance.create")) as {
        events: { schoolId: string | null; detail: { reason?: string } }[];
      }
    ).events.filter((e) => e.schoolId === null);
    expect(all.map((e) => e.detail.reason)).toEqual(["Pemadaman listrik PLN"]);
  });
});

describe("OpenAPI", () => {
  it("documents the routes with the schemas that validate them", async () => {
    const doc = (await gw.admin.expect(200, "GET", "/api/openapi.json")) as {
      paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string }[] }>>;
    };
    expect(Object.keys(doc.paths["/api/maintenance-windows"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(doc.paths["/api/maintenance-windows"]?.get?.parameters?.map((p) => p.name)).toEqual(["schoolId"]);
    expect(doc.paths["/api/maintenance-windows/{id}"]?.delete).toBeDefined();
    expect(Object.keys(doc.paths["/api/cameras/{id}/mute"] ?? {}).sort()).toEqual(["delete", "post"]);
    const body = JSON.stringify(doc.paths["/api/maintenance-windows"]?.post?.requestBody);
    for (const word of ['"const":"once"', '"const":"weekly"', '"weekdays"', '"startsAt"']) {
      expect(body).toContain(word);
    }
  });
});

describe("removing what a window or mute belongs to", () => {
  it("a camera with mutes and its own windows, and a school with windows, can still be removed", async () => {
    // Regression guard: a row pointing at the camera or school must not make its DELETE fail (FOREIGN KEY).
    const cam = await gw.addCamera({
      schoolId: a.schoolId,
      name: "Kamera lorong",
      source: { kind: "test-pattern" },
    });
    await adminA.expect(201, "POST", `/api/cameras/${cam.id}/mute`, {});
    await adminA.expect(201, "POST", "/api/maintenance-windows", {
      kind: "weekly",
      cameraId: cam.id,
      weekdays: [1],
      start: "00:00",
      end: "24:00",
    });
    expect(gw.suppressions.suppressed(a.schoolId, cam.id, now + 5 * hour)).toBe(true);
    await gw.admin.expect(204, "DELETE", `/api/cameras/${cam.id}`);
    expect((await windowsOf(adminA)).filter((w) => w.cameraId === cam.id)).toEqual([]);
    expect(gw.suppressions.suppressed(a.schoolId, cam.id, now + 5 * hour)).toBe(false); // its mute went too

    const empty = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Kosong" })) as {
      id: string;
    };
    await gw.admin.expect(201, "POST", "/api/maintenance-windows", {
      kind: "once",
      schoolId: empty.id,
      startsAt: "2026-12-10T00:00:00Z",
      endsAt: "2026-12-11T00:00:00Z",
    });
    await gw.admin.expect(204, "DELETE", `/api/schools/${empty.id}`);
    expect((await gw.admin.get(`/api/maintenance-windows?schoolId=${empty.id}`)).status).toBe(404);
  });
});
