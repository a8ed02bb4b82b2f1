import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ApiClient } from "../helpers/api-client.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { makeSchool, type SchoolFixture } from "../helpers/school-fixture.js";

// GET /api/fleet, what the Diskominfo dashboard reads: every school with its area and counts, every camera
// as a tile (live counters only while a rendition runs), each admin seeing only what /api/health shows them;
// and /api/events?hello=none, which leaves out the list such a page has already read.

let gw: TestGateway;
let a: SchoolFixture;
let b: SchoolFixture;

interface FleetBody {
  counts: Record<string, number>;
  schools: { id: string; name: string; area: string; counts: Record<string, number> }[];
  cameras: {
    id: string;
    schoolId: string;
    state: string;
    fps?: number;
    bitrateKbps?: number;
    viewers?: number;
  }[];
}

beforeAll(async () => {
  gw = await startTestGateway();
  a = await makeSchool(gw, "SD Satu");
  b = await makeSchool(gw, "SD Dua");
  await gw.admin.expect(200, "PATCH", `/api/schools/${b.schoolId}`, { area: "Coblong" });
  await gw.admin.expect(201, "POST", "/api/users", {
    username: "admin.dua",
    displayName: "Admin Dua",
    password: "password-for-tests",
    role: "school_admin",
    schoolId: b.schoolId,
  });
});

afterAll(async () => {
  await (gw as TestGateway | undefined)?.close();
});

describe("GET /api/fleet", () => {
  it("lists every school and camera, counted by state, as /api/health does", async () => {
    const fleet = (await gw.admin.expect(200, "GET", "/api/fleet")) as FleetBody;
    const health = (await gw.admin.expect(200, "GET", "/api/health")) as {
      cameras: { cameraId: string; state: string }[];
    };
    expect(fleet.cameras.map((c) => c.id).sort()).toEqual(health.cameras.map((c) => c.cameraId).sort());
    for (const c of health.cameras)
      expect(fleet.cameras.find((f) => f.id === c.cameraId)?.state).toBe(c.state);
    const total = Object.values(fleet.counts).reduce((n, x) => n + x, 0);
    expect(total).toBe(health.cameras.length);
    expect(fleet.schools.find((s) => s.id === b.schoolId)).toMatchObject({ name: "SD Dua", area: "Coblong" });
    const countsB = fleet.schools.find((s) => s.id === b.schoolId)?.counts ?? {};
    expect(Object.values(countsB).reduce((n, x) => n + x, 0)).toBe(2);
  });

  it("shows a school admin their own school only, and refuses a teacher", async () => {
    const adminB = await new ApiClient(gw.url).login("admin.dua", "password-for-tests");
    const fleet = (await adminB.expect(200, "GET", "/api/fleet")) as FleetBody;
    expect(fleet.schools.map((s) => s.id)).toEqual([b.schoolId]);
    expect(new Set(fleet.cameras.map((c) => c.schoolId))).toEqual(new Set([b.schoolId]));
    await gw.admin.expect(201, "POST", "/api/users", {
      username: "guru.satu",
      displayName: "Guru Satu",
      password: "password-for-tests",
      role: "teacher",
      schoolId: a.schoolId,
      classroomIds: [a.classroomId],
    });
    const teacher = await new ApiClient(gw.url).login("guru.satu", "password-for-tests");
    expect((await teacher.get("/api/fleet")).status).toBe(403);
    expect((await new ApiClient(gw.url).get("/api/fleet")).status).toBe(401);
  });

  it("gives a running camera's fps, bitrate and viewers, and none to a camera not running", async () => {
    await gw.admin.expect(200, "PATCH", `/api/cameras/${a.cameraId}`, { alwaysOn: true });
    await expect
      .poll(
        async () => {
          const fleet = (await gw.admin.expect(200, "GET", "/api/fleet")) as FleetBody;
          return fleet.cameras.find((c) => c.id === a.cameraId)?.bitrateKbps ?? 0;
        },
        { timeout: 20_000 },
      )
      .toBeGreaterThan(0);
    const fleet = (await gw.admin.expect(200, "GET", "/api/fleet")) as FleetBody;
    expect(fleet.cameras.find((c) => c.id === a.cameraId)?.viewers).toBe(0);
    expect(fleet.cameras.find((c) => c.id === b.otherCameraId)?.fps).toBeUndefined();
    await gw.admin.expect(200, "PATCH", `/api/cameras/${a.cameraId}`, { alwaysOn: false });
  });
});

describe("/api/events?hello=none", () => {
  it("says hello with no list, then tells each change as before", async () => {
    const cookie = [...gw.admin.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const ws = new WebSocket(`${gw.url.replace(/^http/, "ws")}/api/events?hello=none`, {
      headers: { cookie, origin: gw.url },
    });
    const messages: { type: string; cameras?: unknown[]; cameraId?: string; to?: string }[] = [];
    ws.on("message", (d: Buffer) => messages.push(JSON.parse(d.toString()) as (typeof messages)[number]));
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    await expect.poll(() => messages.find((m) => m.type === "hello")).toBeDefined();
    expect(messages.find((m) => m.type === "hello")?.cameras).toEqual([]);
    await gw.admin.expect(200, "PATCH", `/api/cameras/${b.cameraId}`, { enabled: false });
    await expect
      .poll(() => messages.find((m) => m.type === "state" && m.cameraId === b.cameraId)?.to)
      .toBe("disabled");
    ws.close();
  });
});
