import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiClient } from "../helpers/api-client.js";
import { startTestGateway, testAdminPassword, testAdminUser, type TestGateway } from "../helpers/gateway.js";
import { makeSchool, openLink } from "../helpers/school-fixture.js";

const start = Date.parse("2026-12-01T08:00:00+07:00");
const realStart = Date.now();
let offset = 0;
const now = () => start + (Date.now() - realStart) + offset;

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway(
    {
      dev: { openStreams: false },
      access: { loginFailuresBeforeDelay: 3, loginMaxDelayMinutes: 15, sessionHours: 12 },
    },
    { now },
  );
});

afterAll(async () => {
  await gw.close();
});

afterEach(() => {
  offset = 0;
});

describe("sign-in", () => {
  it("the operator made on first start signs in; a wrong password or unknown user gets the same 401", async () => {
    const me = (await gw.admin.expect(200, "GET", "/api/auth/me")) as {
      user: { username: string; role: string };
    };
    expect(me.user).toMatchObject({ username: testAdminUser, role: "operator" });
    const wrong = await new ApiClient(gw.url).post("/api/auth/login", {
      username: testAdminUser,
      password: "nope-nope-nope",
    });
    const unknown = await new ApiClient(gw.url).post("/api/auth/login", {
      username: "ghost",
      password: "nope-nope-nope",
    });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.body).toEqual(unknown.body);
  });

  it("slows repeated wrong passwords from one address, without a different answer, until the wait passes", async () => {
    const school = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Kunci" })) as {
      id: string;
    };
    await gw.admin.expect(201, "POST", "/api/users", {
      username: "kepala.kunci",
      displayName: "Kepala Sekolah",
      password: "benar-sekali-123",
      role: "school_admin",
      schoolId: school.id,
    });
    const c = new ApiClient(gw.url);
    // Each wrong try is checked (the clock moves past each wait) until the wait is long enough that the next
    // request surely falls inside it.
    const waits: number[] = [];
    let wrong;
    while ((waits.at(-1) ?? 0) < 60) {
      offset += (waits.at(-1) ?? 0) * 1000;
      wrong = await c.post("/api/auth/login", { username: "kepala.kunci", password: "salah-salah-1" });
      expect(wrong.status).toBe(401);
      waits.push(Number(wrong.headers.get("retry-after") ?? 0));
    }
    expect(waits).toEqual([0, 0, 1, 2, 4, 8, 16, 32, 64]);
    const wait = waits.at(-1) ?? 0;
    const held = await c.post("/api/auth/login", {
      username: "kepala.kunci",
      password: "benar-sekali-123",
    });
    expect(held.status).toBe(401);
    expect(held.text).toBe(wrong?.text);
    expect(held.body).toMatchObject({ error: { code: "invalid_credentials" } });
    offset += wait * 1000;
    await c.login("kepala.kunci", "benar-sekali-123");
    const audit = (await gw.admin.expect(200, "GET", `/api/audit?action=auth.login_failed`)) as {
      events: unknown[];
    };
    expect(audit.events.length).toBeGreaterThanOrEqual(3);
  });

  it("sessions expire, logout ends one, and a new password ends them all", async () => {
    const c = await new ApiClient(gw.url).login(testAdminUser, testAdminPassword);
    expect(c.cookies.get("pantau_session")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    offset = 12 * 3_600_000 + 1000;
    expect((await c.get("/api/auth/me")).status).toBe(401);
    offset = 0;
    expect((await c.get("/api/auth/me")).status).toBe(200);
    expect((await c.post("/api/auth/logout")).status).toBe(204);
    expect((await c.get("/api/auth/me")).status).toBe(401);

    const school = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Sandi" })) as {
      id: string;
    };
    const u = (await gw.admin.expect(201, "POST", "/api/users", {
      username: "guru.sandi",
      displayName: "Bu Guru",
      password: "sandi-lama-123",
      role: "teacher",
      schoolId: school.id,
    })) as { id: string };
    const teacher = await new ApiClient(gw.url).login("guru.sandi", "sandi-lama-123");
    await gw.admin.expect(200, "PATCH", `/api/users/${u.id}`, { password: "sandi-baru-456" });
    expect((await teacher.get("/api/auth/me")).status).toBe(401);
    await new ApiClient(gw.url).login("guru.sandi", "sandi-baru-456");
  });

  it("sets the session cookie HttpOnly and SameSite=Strict, and refuses a cross-site POST", async () => {
    const r = await fetch(`${gw.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: testAdminUser, password: testAdminPassword }),
    });
    const cookie = r.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const cross = await gw.admin.request(
      "POST",
      "/api/schools",
      { name: "SD Jahat" },
      { origin: "http://evil.example" },
    );
    expect(cross.status).toBe(403);
    expect(cross.body).toMatchObject({ error: { code: "cross_origin" } });
  });
});

describe("cookies and headers a phone on the school LAN needs", () => {
  it("the device cookie is Lax (re-opening the link from a chat app is the same phone) and the CSP does not upgrade http", async () => {
    const f = await makeSchool(gw, "SD Kuki");
    const page = await fetch(gw.url + f.linkPath, { redirect: "manual" });
    expect(page.headers.get("set-cookie")).toBeNull();
    expect(page.headers.get("content-security-policy")).not.toContain("upgrade-insecure-requests");
    // The page's button.
    const res = await fetch(gw.url + f.linkPath, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: gw.url },
    });
    expect(res.status).toBe(303);
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^pantau_device=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/); // plain http here; Secure when publicUrl is https
    // Regression: helmet's default CSP asked browsers to fetch the page's assets over https, which a school
    // gateway on http://192.168.x.x does not serve.
    expect(res.headers.get("content-security-policy")).not.toContain("upgrade-insecure-requests");
  });
});

describe("schools and classrooms", () => {
  it("refuses a second school with the same NPSN and keeps a school that still has classrooms", async () => {
    const a = (await gw.admin.expect(201, "POST", "/api/schools", {
      name: "SD Negeri 5",
      npsn: "20512345",
    })) as { id: string };
    const dup = await gw.admin.post("/api/schools", { name: "SD Lain", npsn: "20512345" });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ error: { code: "conflict", field: "npsn" } });
    await gw.admin.expect(201, "POST", `/api/schools/${a.id}/classrooms`, { name: "Kelas 1A" });
    expect((await gw.admin.post(`/api/schools/${a.id}/classrooms`, { name: "kelas 1a" })).status).toBe(409);
    const del = await gw.admin.delete(`/api/schools/${a.id}`);
    expect(del.status).toBe(409);
    expect(del.body.error.message).toMatch(/1 classrooms/);
    expect((await gw.admin.get(`/api/schools/${a.id}`)).status).toBe(200);
  });

  it("shows each classroom's viewing state and refuses a bad schedule naming the field", async () => {
    const s = (await gw.admin.expect(201, "POST", "/api/schools", {
      name: "SD Jadwal",
      timeZone: "Asia/Makassar",
    })) as { id: string };
    const room = (await gw.admin.expect(201, "POST", `/api/schools/${s.id}/classrooms`, {
      name: "Kelas 2",
    })) as { id: string; viewing: { open: boolean; reason: string } };
    expect(room.viewing).toMatchObject({ open: false, reason: "outside_hours" });
    const bad = await gw.admin.put(`/api/classrooms/${room.id}/schedule`, {
      windows: [{ day: 2, start: "12:00", end: "08:00" }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("windows.0.end");
    // 08:00 WIB is 09:00 WITA: a Tuesday window 09:00–10:00 in Makassar is open now.
    const set = (await gw.admin.expect(200, "PUT", `/api/classrooms/${room.id}/schedule`, {
      windows: [{ day: 2, start: "09:00", end: "10:00" }],
    })) as { viewing: { open: boolean; closesAt: string } };
    expect(set.viewing.open).toBe(true);
    expect(set.viewing.closesAt).toBe(new Date("2026-12-01T10:00:00+08:00").toISOString());
    expect(
      (await gw.admin.post("/api/schools", { name: "SD X", timeZone: "Mars/Olympus" })).body.error.field,
    ).toBe("timeZone");
  });
});

describe("guardians, links and devices", () => {
  it("imports a roster: two children in two classrooms make one guardian; a bad file imports nothing and lists every bad line", async () => {
    const s = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Roster" })) as { id: string };
    await gw.admin.expect(201, "POST", `/api/schools/${s.id}/classrooms`, { name: "Kelas 1A" });
    await gw.admin.expect(201, "POST", `/api/schools/${s.id}/classrooms`, { name: "Kelas 3B" });
    const csv = (text: string) =>
      gw.admin.post(`/api/schools/${s.id}/guardians/import`, text, { "content-type": "text/csv" });

    const bad = await csv(
      "nama_wali;telepon;nama_anak;kelas\nIbu Sari;0812345678;Budi;Kelas 1A\n;0812345678;Ani;Kelas 1A\nPak Andi;0812345679;Rina;Kelas 9Z\n",
    );
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("invalid_csv");
    expect(bad.body.error.problems.map((p: { line: number }) => p.line)).toEqual([3, 4]);
    expect((await gw.admin.get(`/api/schools/${s.id}/guardians`)).body.guardians).toEqual([]);

    const good = await csv(
      "nama_wali;telepon;nama_anak;kelas\nIbu Sari;0812345678;Budi;Kelas 1A\nIbu Sari;0812345678;Ani;Kelas 3B\nPak Andi;0812345679;Rina;kelas 1a\n",
    );
    expect(good.status).toBe(200);
    expect(good.body).toEqual({ created: 2, updated: 0, childrenAdded: 3 });
    // Importing the same file again adds nothing.
    expect(
      (await csv("nama_wali;telepon;nama_anak;kelas\nIbu Sari;0812345678;Budi;Kelas 1A\n")).body,
    ).toEqual({ created: 0, updated: 1, childrenAdded: 0 });
    const list = (await gw.admin.get(`/api/schools/${s.id}/guardians`)).body as {
      guardians: { name: string; children: unknown[] }[];
    };
    expect(list.guardians.map((g) => [g.name, g.children.length])).toEqual([
      ["Ibu Sari", 2],
      ["Pak Andi", 1],
    ]);
  });

  it("issues a link with a QR SVG; the link registers up to two devices, expires, and revoking it cuts its devices", async () => {
    const f = await makeSchool(gw, "SD Tautan");
    const link = (await gw.admin.expect(201, "POST", `/api/guardians/${f.guardianId}/links`, {
      expiresInDays: 7,
    })) as { id: string; url: string; qrSvg: string; expiresAt: string };
    expect(link.qrSvg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(link.url).toMatch(new RegExp(`^${gw.url}/a/[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(link.expiresAt) - now()).toBeGreaterThan(6.9 * 86_400_000);
    const path = new URL(link.url).pathname;

    const first = await openLink(gw, path);
    expect(first.cookies.get("pantau_device")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The same phone opening the link again is the same device, not a second one.
    expect((await first.get(path)).status).toBe(303);
    const second = await openLink(gw, path);
    const third = await new ApiClient(gw.url).get(path);
    expect(third.status).toBe(403);
    expect(third.text).toContain("perangkat");
    const me = (await second.get("/api/viewer/me")).body as {
      guardian: { name: string };
      cameras: { id: string; status: string }[];
    };
    expect(me.guardian.name).toBe("Ibu Sari");
    expect(me.cameras.map((c) => [c.id, c.status])).toEqual([[f.cameraId, "viewable"]]);

    offset = 8 * 86_400_000;
    const expired = await new ApiClient(gw.url).get(path);
    expect(expired.status).toBe(410);
    expect(expired.text).toContain("kedaluwarsa");
    // Devices already registered keep working after the link expires.
    expect((await first.get("/api/viewer/me")).status).toBe(200);
    offset = 0;

    const revoked = (await gw.admin.expect(200, "DELETE", `/api/links/${link.id}`)) as {
      devicesRevoked: number;
    };
    expect(revoked.devicesRevoked).toBe(2);
    expect((await first.get("/api/viewer/me")).body).toMatchObject({ error: { code: "revoked" } });
    expect((await new ApiClient(gw.url).get(path)).status).toBe(410);
    expect((await new ApiClient(gw.url).get("/a/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).status).toBe(
      404,
    );
    expect((await new ApiClient(gw.url).get("/api/viewer/me")).body).toMatchObject({
      error: { code: "no_device" },
    });
  });
});

describe("audit", () => {
  it("records every admin change and exports JSON and CSV filtered by school and time", async () => {
    const from = new Date(now()).toISOString();
    const f = await makeSchool(gw, "SD Audit");
    await gw.admin.expect(200, "POST", `/api/classrooms/${f.classroomId}/pause`, { minutes: 10 });
    await gw.admin
      .expect(200, "PATCH", `/api/guardians/${f.guardianId}`, { name: '=HYPERLINK("x")' })
      .catch(() => undefined);
    await gw.admin.expect(200, "PATCH", `/api/guardians/${f.guardianId}`, { name: "Ibu Sari Rahayu" });
    const json = (await gw.admin.expect(
      200,
      "GET",
      `/api/audit?schoolId=${f.schoolId}&from=${encodeURIComponent(from)}`,
    )) as {
      events: { action: string; actor: { name: string } }[];
    };
    expect(json.events.map((e) => e.action).reverse()).toEqual([
      "school.create",
      "classroom.create",
      "classroom.create",
      "camera.create",
      "camera.create",
      "guardian.create",
      "consent.record",
      "link.create",
      "classroom.pause",
      "guardian.update",
    ]);
    expect(json.events.every((e) => e.actor.name === testAdminUser)).toBe(true);
    const later = (await gw.admin.expect(
      200,
      "GET",
      `/api/audit?schoolId=${f.schoolId}&from=${encodeURIComponent(new Date(now() + 60_000).toISOString())}`,
    )) as { events: unknown[] };
    expect(later.events).toEqual([]);

    const csv = await gw.admin.get(`/api/audit?schoolId=${f.schoolId}&format=csv`);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split("\n");
    expect(lines[0]).toBe(
      "seq,at,school_id,actor_kind,actor_id,actor_name,ip,action,target_kind,target_id,detail",
    );
    expect(lines).toHaveLength(11);
    expect(csv.text).toContain("classroom.pause");
  });
});

describe("OpenAPI", () => {
  it("documents the HTTP contract with request schemas from the same zod schemas", async () => {
    const doc = (await (await fetch(`${gw.url}/api/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }
        >
      >;
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const [path, method] of [
      ["/api/auth/login", "post"],
      ["/api/schools", "post"],
      ["/api/schools/{id}", "patch"],
      ["/api/schools/{id}/classrooms", "post"],
      ["/api/classrooms/{id}/schedule", "put"],
      ["/api/classrooms/{id}/pause", "delete"],
      ["/api/cameras", "post"],
      ["/api/cameras/{id}", "delete"],
      ["/api/schools/{id}/guardians/import", "post"],
      ["/api/guardians/{id}/links", "post"],
      ["/api/schools/{id}/guardians/import/preview", "post"],
      ["/api/guardians/{id}/consent", "post"],
      ["/api/guardians/{id}/consent", "delete"],
      ["/api/classrooms/{id}/links", "post"],
      ["/api/links/{id}", "delete"],
      ["/api/devices/{id}", "delete"],
      ["/api/audit", "get"],
      ["/api/users", "post"],
      ["/a/{linkToken}", "get"],
      ["/a/{linkToken}", "post"],
      ["/api/viewer/me", "get"],
      ["/api/watch/{cameraId}", "post"],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    const camera = doc.paths["/api/cameras"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(camera?.properties ?? {})).toEqual(
      expect.arrayContaining(["schoolId", "classroomId", "name", "source"]),
    );
  });
});

describe("API rate limit", () => {
  it("counts per phone, so parents behind one carrier address (CGNAT) do not use up each other's share", async () => {
    // The operator's setup calls count against the operator's own share, not the phones'.
    const g = await startTestGateway({ http: { rateLimitPerMinute: 20 } });
    try {
      const f = await makeSchool(g, "SD Limit");
      const first = await openLink(g, f.linkPath);
      const second = await openLink(g, f.linkPath);
      const statuses = [];
      for (let i = 0; i < 21; i++) statuses.push((await first.get("/api/viewer/me")).status);
      expect(statuses).toEqual([...Array<number>(20).fill(200), 429]);
      expect((await first.get("/api/viewer/me")).body).toMatchObject({ error: { code: "rate_limited" } });
      expect((await second.get("/api/viewer/me")).status).toBe(200);
    } finally {
      await g.close();
    }
  });
});
