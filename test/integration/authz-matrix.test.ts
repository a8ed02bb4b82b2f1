import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ApiClient } from "../helpers/api-client.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import {
  makeSchool,
  openLink,
  recordConsent,
  type SchoolFixture,
  watchAs,
} from "../helpers/school-fixture.js";

/*
 * Who may do what, as one table (design.md "Access model", "HTTP contract"): every API route, aimed at school
 * A's resources and at school B's, for eight actors; then every kind of media request for each actor that can
 * get a stream token. Each row is one request and the statuses it may answer. Beyond the status, no successful
 * answer may name a school, classroom, camera, guardian or account its actor may not know of, and nothing of
 * school B (its name carries the marker "Beta") may reach an actor of school A.
 */

const actors = [
  "anonymous",
  "operator",
  "adminA",
  "adminB",
  "teacherA1",
  "guardianA",
  "guardianB",
  "revokedDevice",
] as const;
type Actor = (typeof actors)[number];
const admins: readonly Actor[] = ["operator", "adminA", "adminB", "teacherA1"];

/**
 * What a row is aimed at: a school, a classroom (with its camera), nothing in particular, or "A→B": one of
 * school A's resources made to point at one of school B's.
 */
type Target = "A" | "B" | "A1" | "A2" | "B1" | "A→B" | "-";
type Kind = "school" | "classroom" | "camera" | "guardian" | "user";

interface World {
  gw: TestGateway;
  a: SchoolFixture;
  b: SchoolFixture;
  as: Record<Actor, ApiClient>;
  users: { adminA: string; adminB: string; teacherA1: string; teacherB: string };
  /** The stream token the revoked device (a guardian of school A, child in A1) got before revocation. */
  revoked: { token: string };
  /** Every id an actor could be shown, with what it belongs to. */
  catalog: { kind: Kind; id: string; school: "A" | "B"; room?: "A1" | "A2" | "B1"; self?: Actor }[];
}

interface Req {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Endpoint {
  /** The route as the contract writes it. */
  route: string;
  /** admin: session cookie (401 without one); device: guardian cookie; watch: anyone may ask, few get. */
  auth: "admin" | "device" | "watch" | "public";
  on: readonly Target[];
  /** Success status. */
  ok: number;
  /** Who succeeds, per target; everyone else is refused. */
  allow: Partial<Record<Target, readonly Actor[]>>;
  /** Builds the request, creating (as the operator) any throwaway resource a destructive call consumes. */
  req: (w: World, t: Target, actor: Actor, allowed: boolean) => Req | Promise<Req>;
  /** A successful answer lists this kind: it must hold every one of them in the target the actor may see. */
  lists?: Kind;
  /** Runs after every row of the endpoint, as the operator: undoes what other rows depend on (a pause). */
  after?: (w: World, t: Target) => Promise<void>;
  /** Who may make the call but is answered 400: the body names something of another school. */
  invalid?: readonly Actor[];
}

// ---- who knows what ----------------------------------------------------------------------------------------

/** May `actor` be shown this catalogue entry at all? */
function knows(actor: Actor, e: World["catalog"][number]): boolean {
  if (e.self === actor) return true;
  switch (actor) {
    case "operator":
      return true;
    case "adminA":
      return e.school === "A";
    case "adminB":
      return e.school === "B";
    case "teacherA1":
      return (
        (e.kind === "school" && e.school === "A") ||
        ((e.kind === "classroom" || e.kind === "camera") && e.room === "A1")
      );
    case "guardianA":
      return (e.kind === "school" && e.school === "A") || (e.kind !== "user" && e.room === "A1");
    case "guardianB":
      return (e.kind === "school" && e.school === "B") || (e.kind !== "user" && e.room === "B1");
    case "anonymous":
    case "revokedDevice":
      return false;
  }
}

const schoolOf = (t: Target): "A" | "B" => (t.startsWith("A") ? "A" : "B");
const fixture = (w: World, t: Target): SchoolFixture => (schoolOf(t) === "A" ? w.a : w.b);
const roomId = (w: World, t: Target) => (t === "A2" ? w.a.otherClassroomId : fixture(w, t).classroomId);
const cameraId = (w: World, t: Target) => (t === "A2" ? w.a.otherCameraId : fixture(w, t).cameraId);
const marker = (t: Target) => (schoolOf(t) === "A" ? "Alfa" : "Beta");
let seq = 0;
const unique = (t: Target) => `${marker(t)} ${String(++seq)}`;

const allWeek = {
  windows: [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: "00:00", end: "24:00" })),
  holidays: [],
};

// ---- throwaway resources, made by the operator -------------------------------------------------------------

async function throwawayGuardian(w: World, t: Target): Promise<string> {
  const g = (await w.gw.admin.expect(201, "POST", `/api/schools/${fixture(w, t).schoolId}/guardians`, {
    name: `Wali ${unique(t)}`,
    children: [{ name: "Anak", classroomId: fixture(w, t).classroomId }],
  })) as { id: string };
  return g.id;
}

async function throwawayLink(w: World, guardianId: string): Promise<{ id: string; path: string }> {
  await recordConsent(w.gw.admin, guardianId);
  const l = (await w.gw.admin.expect(201, "POST", `/api/guardians/${guardianId}/links`, {})) as {
    id: string;
    url: string;
  };
  return { id: l.id, path: new URL(l.url).pathname };
}

/** The school's guardians as a roster file, exactly as they are on record (semicolons: no name has one). */
async function wholeRoster(w: World, t: Target): Promise<string> {
  const school = fixture(w, t).schoolId;
  const { classrooms } = (await w.gw.admin.expect(200, "GET", `/api/schools/${school}/classrooms`)) as {
    classrooms: { id: string; name: string }[];
  };
  const { guardians } = (await w.gw.admin.expect(200, "GET", `/api/schools/${school}/guardians`)) as {
    guardians: { name: string; phone: string | null; children: { name: string; classroomId: string }[] }[];
  };
  const room = (id: string) => classrooms.find((c) => c.id === id)?.name ?? "";
  const rows = guardians.flatMap((g) =>
    g.children.map((c) => [g.name, g.phone ?? "", c.name, room(c.classroomId)].join(";")),
  );
  return `guardian_name;phone;child_name;classroom\n${rows.join("\n")}\n`;
}

async function throwawayDevice(w: World, t: Target): Promise<string> {
  const guardianId = await throwawayGuardian(w, t);
  await openLink(w.gw, (await throwawayLink(w, guardianId)).path);
  const list = (await w.gw.admin.expect(200, "GET", `/api/schools/${fixture(w, t).schoolId}/guardians`)) as {
    guardians: { id: string; devices: { id: string }[] }[];
  };
  const device = list.guardians.find((g) => g.id === guardianId)?.devices[0];
  if (!device) throw new Error("the throwaway device did not register");
  return device.id;
}

async function throwawayTeacher(w: World, t: Target): Promise<string> {
  const u = (await w.gw.admin.expect(201, "POST", "/api/users", {
    username: `tmp.${String(++seq)}`,
    displayName: `Guru ${unique(t)}`,
    password: "password-for-tests",
    role: "teacher",
    schoolId: fixture(w, t).schoolId,
  })) as { id: string };
  return u.id;
}

// ---- the table ---------------------------------------------------------------------------------------------

const AB = ["A", "B"] as const;
const rooms = ["A1", "A2", "B1"] as const;
/** The usual shape: the operator everywhere, each school_admin in their own school. */
const admin = { A: ["operator", "adminA"], B: ["operator", "adminB"] } as const;
const adminRooms = {
  A1: ["operator", "adminA"],
  A2: ["operator", "adminA"],
  B1: ["operator", "adminB"],
} as const;
/** A teacher also sees (and may pause) their own classroom A1. */
const withTeacher = {
  A: ["operator", "adminA", "teacherA1"],
  B: ["operator", "adminB"],
  A1: ["operator", "adminA", "teacherA1"],
  A2: ["operator", "adminA"],
  B1: ["operator", "adminB"],
} as const;
const everyone = { "-": actors };
const signedIn = { "-": admins };

const endpoints: Endpoint[] = [
  { route: "GET /healthz", auth: "public", on: ["-"], ok: 200, allow: everyone, req: () => get("/healthz") },
  {
    route: "GET /api/watchable",
    auth: "public",
    on: ["-"],
    ok: 200,
    allow: everyone,
    req: () => get("/api/watchable"),
  },
  {
    route: "GET /api/auth/me",
    auth: "admin",
    on: ["-"],
    ok: 200,
    allow: signedIn,
    req: () => get("/api/auth/me"),
  },
  {
    route: "GET /api/viewer/me",
    auth: "device",
    on: ["-"],
    ok: 200,
    allow: { "-": ["guardianA", "guardianB"] },
    req: () => get("/api/viewer/me"),
    lists: "camera",
  },

  // Schools
  {
    route: "GET /api/schools",
    auth: "admin",
    on: ["-"],
    ok: 200,
    allow: signedIn,
    req: () => get("/api/schools"),
    lists: "school",
  },
  {
    route: "POST /api/schools",
    auth: "admin",
    on: ["-"],
    ok: 201,
    allow: { "-": ["operator"] },
    req: () => ({ method: "POST", path: "/api/schools", body: { name: `Sekolah ${unique("A")}` } }),
  },
  {
    route: "GET /api/schools/:id",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: withTeacher,
    req: (w, t) => get(`/api/schools/${fixture(w, t).schoolId}`),
  },
  {
    route: "PATCH /api/schools/:id",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: admin,
    req: (w, t) => ({
      method: "PATCH",
      path: `/api/schools/${fixture(w, t).schoolId}`,
      body: { address: "Jl. Merdeka 1" },
    }),
  },
  {
    route: "GET /api/schools/:id/classrooms",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: withTeacher,
    req: (w, t) => get(`/api/schools/${fixture(w, t).schoolId}/classrooms`),
    lists: "classroom",
  },
  {
    route: "POST /api/schools/:id/classrooms",
    auth: "admin",
    on: AB,
    ok: 201,
    allow: admin,
    req: (w, t) => ({
      method: "POST",
      path: `/api/schools/${fixture(w, t).schoolId}/classrooms`,
      body: { name: `Kelas ${unique(t)}` },
    }),
  },

  // Classrooms
  {
    route: "PATCH /api/classrooms/:id",
    auth: "admin",
    on: rooms,
    ok: 200,
    allow: adminRooms,
    req: (w, t) => ({ method: "PATCH", path: `/api/classrooms/${roomId(w, t)}`, body: {} }),
  },
  {
    route: "PUT /api/classrooms/:id/schedule",
    auth: "admin",
    on: rooms,
    ok: 200,
    allow: adminRooms,
    req: (w, t) => ({ method: "PUT", path: `/api/classrooms/${roomId(w, t)}/schedule`, body: allWeek }),
  },
  {
    route: "POST /api/classrooms/:id/pause",
    auth: "admin",
    on: rooms,
    ok: 200,
    allow: withTeacher,
    req: (w, t) => ({ method: "POST", path: `/api/classrooms/${roomId(w, t)}/pause`, body: { minutes: 5 } }),
    after: async (w, t) => {
      await w.gw.admin.expect(200, "DELETE", `/api/classrooms/${roomId(w, t)}/pause`);
    },
  },
  {
    route: "DELETE /api/classrooms/:id/pause",
    auth: "admin",
    on: rooms,
    ok: 200,
    allow: withTeacher,
    req: async (w, t) => {
      await w.gw.admin.expect(200, "POST", `/api/classrooms/${roomId(w, t)}/pause`, {});
      return { method: "DELETE", path: `/api/classrooms/${roomId(w, t)}/pause` };
    },
    after: async (w, t) => {
      await w.gw.admin.expect(200, "DELETE", `/api/classrooms/${roomId(w, t)}/pause`);
    },
  },

  // Cameras
  {
    route: "GET /api/cameras",
    auth: "admin",
    on: ["-"],
    ok: 200,
    allow: signedIn,
    req: () => get("/api/cameras"),
    lists: "camera",
  },
  {
    route: "GET /api/cameras/:id",
    auth: "admin",
    on: rooms,
    ok: 200,
    allow: withTeacher,
    req: (w, t) => get(`/api/cameras/${cameraId(w, t)}`),
  },
  // Regression: a teacher (and a school_admin aiming at another school) was answered 400 "no such school".
  {
    route: "POST /api/cameras",
    auth: "admin",
    on: AB,
    ok: 201,
    allow: admin,
    req: (w, t) => ({
      method: "POST",
      path: "/api/cameras",
      body: {
        schoolId: fixture(w, t).schoolId,
        classroomId: fixture(w, t).classroomId,
        name: `Kamera ${unique(t)}`,
        source: { kind: "test-pattern" },
      },
    }),
  },
  {
    route: "PATCH /api/cameras/:id",
    auth: "admin",
    on: rooms,
    ok: 200,
    allow: adminRooms,
    req: (w, t) => ({ method: "PATCH", path: `/api/cameras/${cameraId(w, t)}`, body: { alwaysOn: false } }),
  },

  // Onboarding: the gate is what these rows test, so the camera on the other end is absent on purpose and an
  // allowed call gets the answer about that camera (nothing found, unreachable, no such stream).
  {
    route: "POST /api/discovery/scan",
    auth: "admin",
    on: ["-"],
    ok: 200,
    allow: { "-": ["operator", "adminA", "adminB"] },
    req: () => ({
      method: "POST",
      path: "/api/discovery/scan",
      body: { multicast: false, hosts: ["127.0.0.1"], timeoutMs: 200 },
    }),
  },
  {
    route: "POST /api/onvif/inspect",
    auth: "admin",
    on: ["-"],
    ok: 502,
    allow: { "-": ["operator", "adminA", "adminB"] },
    req: () => ({ method: "POST", path: "/api/onvif/inspect", body: { host: "127.0.0.1", port: 1 } }),
  },
  {
    route: "POST /api/cameras/test",
    auth: "admin",
    on: AB,
    ok: 422,
    allow: admin,
    req: (w, t) => ({
      method: "POST",
      path: "/api/cameras/test",
      body: { schoolId: fixture(w, t).schoolId, url: "rtsp://127.0.0.1:1/x" },
    }),
  },
  {
    route: "POST /api/cameras/:id/test",
    auth: "admin",
    on: rooms,
    // The matrix's cameras are test patterns: an allowed admin hears that there is no RTSP stream to test.
    ok: 422,
    allow: adminRooms,
    req: (w, t) => ({ method: "POST", path: `/api/cameras/${cameraId(w, t)}/test`, body: {} }),
  },
  {
    route: "GET /api/cameras/:id/publish-url",
    auth: "admin",
    on: rooms,
    // The matrix's cameras are test patterns, not pushed: an allowed admin hears not_rtmp (rtmp-push.test.ts
    // has the pushed cameras).
    ok: 422,
    allow: adminRooms,
    req: (w, t) => get(`/api/cameras/${cameraId(w, t)}/publish-url`),
  },
  {
    route: "POST /api/cameras/:id/publish-url",
    auth: "admin",
    on: rooms,
    ok: 422,
    allow: adminRooms,
    req: (w, t) => ({ method: "POST", path: `/api/cameras/${cameraId(w, t)}/publish-url` }),
  },

  // Guardians, links, devices
  {
    route: "GET /api/schools/:id/guardians",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: admin,
    req: (w, t) => get(`/api/schools/${fixture(w, t).schoolId}/guardians`),
    lists: "guardian",
  },
  {
    route: "POST /api/schools/:id/guardians",
    auth: "admin",
    on: AB,
    ok: 201,
    allow: admin,
    req: (w, t) => ({
      method: "POST",
      path: `/api/schools/${fixture(w, t).schoolId}/guardians`,
      body: {
        name: `Wali ${unique(t)}`,
        children: [{ name: "Anak", classroomId: fixture(w, t).classroomId }],
      },
    }),
  },
  {
    route: "POST /api/schools/:id/guardians/import",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: admin,
    req: (w, t) => ({
      method: "POST",
      path: `/api/schools/${fixture(w, t).schoolId}/guardians/import`,
      body: `guardian_name,child_name,classroom\nWali ${unique(t)},Anak,${t === "A" ? "Kelas 1A" : "Kelas 1A Beta"}\n`,
      headers: { "content-type": "text/csv" },
    }),
  },
  {
    route: "POST /api/schools/:id/guardians/import/preview",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: admin,
    req: async (w, t) => ({
      method: "POST",
      path: `/api/schools/${fixture(w, t).schoolId}/guardians/import/preview`,
      body: await wholeRoster(w, t),
      headers: { "content-type": "text/csv" },
    }),
  },
  {
    // The school's roster as it is: applied whole, it moves and revokes no one the other rows rely on.
    route: "POST /api/schools/:id/guardians/import?roster=replace",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: admin,
    req: async (w, t) => ({
      method: "POST",
      path: `/api/schools/${fixture(w, t).schoolId}/guardians/import?roster=replace`,
      body: await wholeRoster(w, t),
      headers: { "content-type": "text/csv" },
    }),
  },
  {
    route: "POST /api/guardians/:id/consent",
    auth: "admin",
    on: AB,
    ok: 201,
    allow: admin,
    req: (w, t) => ({
      method: "POST",
      path: `/api/guardians/${fixture(w, t).guardianId}/consent`,
      body: { method: "in_person" },
    }),
  },
  {
    route: "DELETE /api/guardians/:id/consent",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: admin,
    req: async (w, t, _actor, allowed) => {
      if (!allowed) return { method: "DELETE", path: `/api/guardians/${fixture(w, t).guardianId}/consent` };
      const g = await throwawayGuardian(w, t);
      await recordConsent(w.gw.admin, g);
      return { method: "DELETE", path: `/api/guardians/${g}/consent` };
    },
  },
  {
    route: "POST /api/classrooms/:id/links",
    auth: "admin",
    on: rooms,
    ok: 201,
    allow: adminRooms,
    req: (w, t) => ({ method: "POST", path: `/api/classrooms/${roomId(w, t)}/links`, body: {} }),
  },
  {
    route: "PATCH /api/guardians/:id",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: admin,
    req: (w, t) => ({
      method: "PATCH",
      path: `/api/guardians/${fixture(w, t).guardianId}`,
      body: { phone: "0812-3456-7890" },
    }),
  },
  {
    route: "POST /api/guardians/:id/links",
    auth: "admin",
    on: AB,
    ok: 201,
    allow: admin,
    req: (w, t) => ({ method: "POST", path: `/api/guardians/${fixture(w, t).guardianId}/links`, body: {} }),
  },

  // Accounts and the audit log
  {
    route: "GET /api/users",
    auth: "admin",
    on: ["-"],
    ok: 200,
    allow: { "-": ["operator", "adminA", "adminB"] },
    req: () => get("/api/users"),
    lists: "user",
  },
  {
    route: "POST /api/users",
    auth: "admin",
    on: AB,
    ok: 201,
    allow: admin,
    req: (w, t) => ({
      method: "POST",
      path: "/api/users",
      body: {
        username: `guru.${String(++seq)}`,
        displayName: `Guru ${unique(t)}`,
        password: "password-for-tests",
        role: "teacher",
        schoolId: fixture(w, t).schoolId,
        classroomIds: [fixture(w, t).classroomId],
      },
    }),
  },
  {
    route: "PATCH /api/users/:id",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: admin,
    req: (w, t) => ({
      method: "PATCH",
      path: `/api/users/${t === "A" ? w.users.teacherA1 : w.users.teacherB}`,
      body: { displayName: t === "A" ? "Guru A1" : "Guru Beta" },
    }),
  },
  {
    route: "GET /api/audit",
    auth: "admin",
    on: ["-"],
    ok: 200,
    allow: { "-": ["operator", "adminA", "adminB"] },
    req: () => get("/api/audit"),
  },
  {
    route: "GET /api/audit?schoolId=",
    auth: "admin",
    on: AB,
    ok: 200,
    // A school_admin may ask for another school's log: the answer holds only their own school's events.
    allow: { A: ["operator", "adminA", "adminB"], B: ["operator", "adminA", "adminB"] },
    req: (w, t) => get(`/api/audit?schoolId=${fixture(w, t).schoolId}`),
  },
  {
    route: "GET /api/audit?format=csv",
    auth: "admin",
    on: ["-"],
    ok: 200,
    allow: { "-": ["operator", "adminA", "adminB"] },
    req: () => get("/api/audit?format=csv"),
  },

  // School A's resources cannot be made to point at school B's, whoever asks.
  {
    route: "POST /api/cameras (classroom of B)",
    auth: "admin",
    on: ["A→B"],
    ok: 201,
    allow: {},
    invalid: ["operator", "adminA"],
    req: (w) => ({
      method: "POST",
      path: "/api/cameras",
      body: {
        schoolId: w.a.schoolId,
        classroomId: w.b.classroomId,
        name: "Kamera Alfa",
        source: { kind: "test-pattern" },
      },
    }),
  },
  {
    route: "PATCH /api/cameras/:id (classroom of B)",
    auth: "admin",
    on: ["A→B"],
    ok: 200,
    allow: {},
    invalid: ["operator", "adminA"],
    req: (w) => ({
      method: "PATCH",
      path: `/api/cameras/${w.a.cameraId}`,
      body: { classroomId: w.b.classroomId },
    }),
  },
  {
    route: "POST /api/schools/:id/guardians (child in B)",
    auth: "admin",
    on: ["A→B"],
    ok: 201,
    allow: {},
    invalid: ["operator", "adminA"],
    req: (w) => ({
      method: "POST",
      path: `/api/schools/${w.a.schoolId}/guardians`,
      body: { name: "Wali Alfa", children: [{ name: "Anak", classroomId: w.b.classroomId }] },
    }),
  },
  {
    route: "PATCH /api/guardians/:id (child in B)",
    auth: "admin",
    on: ["A→B"],
    ok: 200,
    allow: {},
    invalid: ["operator", "adminA"],
    req: (w) => ({
      method: "PATCH",
      path: `/api/guardians/${w.a.guardianId}`,
      body: { children: [{ name: "Budi", classroomId: w.b.classroomId }] },
    }),
  },
  {
    route: "POST /api/users (teacher of A in B's classroom)",
    auth: "admin",
    on: ["A→B"],
    ok: 201,
    allow: {},
    invalid: ["operator", "adminA"],
    req: (w) => ({
      method: "POST",
      path: "/api/users",
      body: {
        username: `guru.${String(++seq)}`,
        displayName: "Guru Alfa",
        password: "password-for-tests",
        role: "teacher",
        schoolId: w.a.schoolId,
        classroomIds: [w.b.classroomId],
      },
    }),
  },
  {
    route: "PATCH /api/users/:id (teacher of A given B's classroom)",
    auth: "admin",
    on: ["A→B"],
    ok: 200,
    allow: {},
    invalid: ["operator", "adminA"],
    req: (w) => ({
      method: "PATCH",
      path: `/api/users/${w.users.teacherA1}`,
      body: { classroomIds: [w.b.classroomId] },
    }),
  },

  // Stream URLs
  {
    route: "POST /api/watch/:cameraId",
    auth: "watch",
    on: rooms,
    ok: 200,
    allow: {
      A1: ["operator", "adminA", "teacherA1", "guardianA"],
      A2: ["operator", "adminA"],
      B1: ["operator", "adminB", "guardianB"],
    },
    req: (w, t) => ({ method: "POST", path: `/api/watch/${cameraId(w, t)}`, body: {} }),
  },

  // After the watch rows, so that cameras of both schools are running and would show if they leaked.
  {
    route: "GET /api/health",
    auth: "admin",
    on: ["-"],
    ok: 200,
    // Each admin sees their own school's renditions; a teacher has no business with ffmpeg's health.
    allow: { "-": ["operator", "adminA", "adminB"] },
    req: () => get("/api/health"),
  },

  // Destructive calls last, each on a throwaway resource (a refused school deletion aims at the real school).
  {
    route: "DELETE /api/links/:id",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: admin,
    req: async (w, t) => ({
      method: "DELETE",
      path: `/api/links/${(await throwawayLink(w, fixture(w, t).guardianId)).id}`,
    }),
  },
  {
    route: "DELETE /api/devices/:id",
    auth: "admin",
    on: AB,
    ok: 200,
    allow: admin,
    req: async (w, t) => ({ method: "DELETE", path: `/api/devices/${await throwawayDevice(w, t)}` }),
  },
  {
    route: "DELETE /api/guardians/:id",
    auth: "admin",
    on: AB,
    ok: 204,
    allow: admin,
    req: async (w, t) => ({ method: "DELETE", path: `/api/guardians/${await throwawayGuardian(w, t)}` }),
  },
  {
    route: "DELETE /api/users/:id",
    auth: "admin",
    on: AB,
    ok: 204,
    allow: admin,
    req: async (w, t) => ({ method: "DELETE", path: `/api/users/${await throwawayTeacher(w, t)}` }),
  },
  {
    route: "DELETE /api/cameras/:id",
    auth: "admin",
    on: AB,
    ok: 204,
    allow: admin,
    req: async (w, t) => {
      const c = (await w.gw.admin.expect(201, "POST", "/api/cameras", {
        schoolId: fixture(w, t).schoolId,
        classroomId: fixture(w, t).classroomId,
        name: `Kamera ${unique(t)}`,
        source: { kind: "test-pattern" },
      })) as { id: string };
      return { method: "DELETE", path: `/api/cameras/${c.id}` };
    },
  },
  {
    route: "DELETE /api/classrooms/:id",
    auth: "admin",
    on: AB,
    ok: 204,
    allow: admin,
    req: async (w, t) => {
      const room = (await w.gw.admin.expect(
        201,
        "POST",
        `/api/schools/${fixture(w, t).schoolId}/classrooms`,
        {
          name: `Kelas ${unique(t)}`,
        },
      )) as { id: string };
      return { method: "DELETE", path: `/api/classrooms/${room.id}` };
    },
  },
  {
    route: "DELETE /api/schools/:id",
    auth: "admin",
    on: AB,
    ok: 204,
    allow: { A: ["operator"], B: ["operator"] },
    req: async (w, t, _actor, allowed) => {
      if (!allowed) return { method: "DELETE", path: `/api/schools/${fixture(w, t).schoolId}` };
      const s = (await w.gw.admin.expect(201, "POST", "/api/schools", { name: `Sekolah ${unique(t)}` })) as {
        id: string;
      };
      return { method: "DELETE", path: `/api/schools/${s.id}` };
    },
  },
];

function get(path: string): Req {
  return { method: "GET", path };
}

/** The statuses a refused actor may get: 401 without the right credential, else 403 or 404. */
function refusal(e: Endpoint, actor: Actor): readonly number[] {
  if (e.invalid?.includes(actor)) return [400];
  switch (e.auth) {
    case "admin":
      return admins.includes(actor) ? [403, 404] : [401];
    case "device":
      return actor === "revokedDevice" ? [403] : [401];
    case "watch":
    case "public":
      return [401, 403, 404];
  }
}

interface ApiRow {
  name: string;
  e: Endpoint;
  t: Target;
  actor: Actor;
  allowed: boolean;
  expected: readonly number[];
}

const apiRows: ApiRow[] = endpoints.flatMap((e) =>
  e.on.flatMap((t) =>
    actors.map((actor) => {
      const allowed = e.allow[t]?.includes(actor) ?? false;
      const expected = allowed ? [e.ok] : refusal(e, actor);
      return {
        name: `${e.route}${t === "-" ? "" : ` [${t}]`} as ${actor} → ${expected.join("|")}`,
        e,
        t,
        actor,
        allowed,
        expected,
      };
    }),
  ),
);

// ---- media -------------------------------------------------------------------------------------------------

type Media = "master" | "playlist" | "init" | "part" | "ws";
const media: readonly Media[] = ["master", "playlist", "init", "part", "ws"];
type Room = "A1" | "A2" | "B1";

/** Everyone whose POST /api/watch succeeds (the table above) gets every kind of media with that token. */
const grants: readonly [Actor, Room][] = endpoints
  .filter((e) => e.route === "POST /api/watch/:cameraId")
  .flatMap((e) => rooms.flatMap((t) => (e.allow[t] ?? []).map((a): [Actor, Room] => [a, t])));

interface MediaRow {
  name: string;
  /** The token's owner and camera; "revokedDevice" uses the token it got before it was revoked. */
  actor: Actor;
  room: Room;
  kind: Media;
  /** Rewrites the token or the rendition in the path. */
  twist?: "sub" | "bogus-rendition" | "other-camera";
  expected: number;
}

const mediaRows: MediaRow[] = [
  ...grants.flatMap(([actor, room]) =>
    media.map((kind) => ({ name: `${kind} of ${room} as ${actor} → 200`, actor, room, kind, expected: 200 })),
  ),
  ...media.map((kind) => ({
    name: `${kind} of A1 with a token of a device revoked since → 403`,
    actor: "revokedDevice" as const,
    room: "A1" as const,
    kind,
    expected: 403,
  })),
  // A token names one camera: the same token on another rendition, or re-signed for another camera, gets nothing.
  ...(["playlist", "init", "part", "ws"] as const).flatMap((kind) => [
    {
      name: `${kind} of A1 on rendition "sub" (the camera has none) as guardianA → 404`,
      actor: "guardianA" as const,
      room: "A1" as const,
      kind,
      twist: "sub" as const,
      expected: 404,
    },
    {
      name: `${kind} of A1 on an unknown rendition as guardianA → 404`,
      actor: "guardianA" as const,
      room: "A1" as const,
      kind,
      twist: "bogus-rendition" as const,
      expected: 404,
    },
  ]),
  ...media.map((kind) => ({
    name: `${kind} with guardianA's A1 token rewritten to camera A2 → 403`,
    actor: "guardianA" as const,
    room: "A1" as const,
    kind,
    twist: "other-camera" as const,
    expected: 403,
  })),
];

// ---- running it --------------------------------------------------------------------------------------------

let w: World;
const started = Date.now();

beforeAll(async () => {
  const gw = await startTestGateway({
    dev: { openStreams: false },
    // Media rows come late in the run; a camera started by an early row must still be running then.
    streaming: { idleStopSeconds: 300 },
  });
  const a = await makeSchool(gw, "SD Negeri Alfa");
  const b = await makeSchool(gw, "SD Negeri Beta");
  // School B's names all carry its marker, so a leak into an answer for school A shows by name as well as id.
  await gw.admin.expect(200, "PATCH", `/api/classrooms/${b.classroomId}`, { name: "Kelas 1A Beta" });
  await gw.admin.expect(200, "PATCH", `/api/classrooms/${b.otherClassroomId}`, { name: "Kelas 2B Beta" });
  await gw.admin.expect(200, "PATCH", `/api/cameras/${b.cameraId}`, { name: "Kamera 1A Beta" });
  await gw.admin.expect(200, "PATCH", `/api/cameras/${b.otherCameraId}`, { name: "Kamera 2B Beta" });
  await gw.admin.expect(200, "PATCH", `/api/guardians/${b.guardianId}`, { name: "Ibu Beta" });

  const account = async (username: string, role: string, schoolId: string, classroomIds: string[] = []) =>
    (
      (await gw.admin.expect(201, "POST", "/api/users", {
        username,
        displayName: username,
        password: `${username}-password`,
        role,
        schoolId,
        classroomIds,
      })) as { id: string }
    ).id;
  const users = {
    adminA: await account("admin.alfa", "school_admin", a.schoolId),
    adminB: await account("admin.beta", "school_admin", b.schoolId),
    teacherA1: await account("guru.alfa", "teacher", a.schoolId, [a.classroomId]),
    teacherB: await account("guru.beta", "teacher", b.schoolId, [b.classroomId]),
  };
  const signIn = (username: string) => new ApiClient(gw.url).login(username, `${username}-password`);

  // The revoked device: a second guardian of school A, child in A1, who watched and was then cut off.
  const revokedGuardian = (await gw.admin.expect(201, "POST", `/api/schools/${a.schoolId}/guardians`, {
    name: "Pak Dicabut",
    children: [{ name: "Rina", classroomId: a.classroomId }],
  })) as { id: string };
  await recordConsent(gw.admin, revokedGuardian.id);
  const link = (await gw.admin.expect(201, "POST", `/api/guardians/${revokedGuardian.id}/links`, {})) as {
    url: string;
  };
  const revokedPhone = await openLink(gw, new URL(link.url).pathname);
  const { token } = await watchAs(gw, revokedPhone, a.cameraId);
  const listed = (await gw.admin.expect(200, "GET", `/api/schools/${a.schoolId}/guardians`)) as {
    guardians: { id: string; devices: { id: string }[] }[];
  };
  const deviceId = listed.guardians.find((g) => g.id === revokedGuardian.id)?.devices[0]?.id;
  await gw.admin.expect(200, "DELETE", `/api/devices/${String(deviceId)}`);

  w = {
    gw,
    a,
    b,
    users,
    revoked: { token },
    as: {
      anonymous: new ApiClient(gw.url),
      operator: gw.admin,
      adminA: await signIn("admin.alfa"),
      adminB: await signIn("admin.beta"),
      teacherA1: await signIn("guru.alfa"),
      guardianA: await openLink(gw, a.linkPath),
      guardianB: await openLink(gw, b.linkPath),
      revokedDevice: revokedPhone,
    },
    catalog: [
      { kind: "school", id: a.schoolId, school: "A" },
      { kind: "school", id: b.schoolId, school: "B" },
      { kind: "classroom", id: a.classroomId, school: "A", room: "A1" },
      { kind: "classroom", id: a.otherClassroomId, school: "A", room: "A2" },
      { kind: "classroom", id: b.classroomId, school: "B", room: "B1" },
      { kind: "classroom", id: b.otherClassroomId, school: "B" },
      { kind: "camera", id: a.cameraId, school: "A", room: "A1" },
      { kind: "camera", id: a.otherCameraId, school: "A", room: "A2" },
      { kind: "camera", id: b.cameraId, school: "B", room: "B1" },
      { kind: "camera", id: b.otherCameraId, school: "B" },
      { kind: "guardian", id: a.guardianId, school: "A", room: "A1" },
      { kind: "guardian", id: revokedGuardian.id, school: "A" },
      { kind: "guardian", id: b.guardianId, school: "B", room: "B1" },
      { kind: "user", id: users.adminA, school: "A", self: "adminA" },
      { kind: "user", id: users.teacherA1, school: "A", self: "teacherA1" },
      { kind: "user", id: users.adminB, school: "B", self: "adminB" },
      { kind: "user", id: users.teacherB, school: "B" },
    ],
  };
}, 60_000);

afterAll(async () => {
  await w.gw.close();
  console.log(
    `authz matrix: ${String(apiRows.length)} API rows + ${String(mediaRows.length)} media rows in ${String(Date.now() - started)} ms`,
  );
});

/** No successful answer names what its actor may not know; nothing of school B reaches school A's people. */
function expectNoLeak(actor: Actor, text: string): void {
  const leaked = w.catalog.filter((e) => !knows(actor, e) && text.includes(e.id));
  expect(leaked.map((e) => `${e.kind} ${e.id} of school ${e.school}`)).toEqual([]);
  if (actor === "adminA" || actor === "teacherA1" || actor === "guardianA")
    expect(text).not.toContain("Beta");
}

describe("authorization matrix: API", () => {
  it.each(apiRows)("$name", async ({ e, t, actor, allowed, expected }) => {
    const r = await e.req(w, t, actor, allowed);
    const res = await w.as[actor].request(r.method, r.path, r.body, r.headers);
    expect(expected, `${r.method} ${r.path}: ${res.text.slice(0, 200)}`).toContain(res.status);
    if (res.status >= 200 && res.status < 300) {
      expectNoLeak(actor, res.text);
      if (e.lists) {
        const kind = e.lists;
        const scope = t === "-" ? undefined : schoolOf(t);
        const due = w.catalog.filter(
          (x) => x.kind === kind && (scope === undefined || x.school === scope) && knows(actor, x),
        );
        expect(due.filter((x) => !res.text.includes(x.id)).map((x) => x.id)).toEqual([]);
      }
    }
    await e.after?.(w, t);
  });
});

describe("authorization matrix: media under /live/<token>/…", () => {
  const tokens = new Map<string, string>();
  const uris = new Map<Room, { init: string; part: string }>();

  const tokenOf = async (actor: Actor, room: Room): Promise<string> => {
    if (actor === "revokedDevice") return w.revoked.token;
    const key = `${actor}/${room}`;
    let token = tokens.get(key);
    if (token === undefined) {
      token = (await watchAs(w.gw, w.as[actor], cameraId(w, room))).token;
      tokens.set(key, token);
    }
    return token;
  };

  /** The init and a part URI of a camera's main rendition, read from the operator's playlist (waits on a cold start). */
  const urisOf = async (room: Room) => {
    let u = uris.get(room);
    if (u === undefined) {
      const res = await fetch(`${w.gw.url}/live/${await tokenOf("operator", room)}/main/index.m3u8`);
      const text = await res.text();
      const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1];
      const part = /#EXT-X-PART:[^\n]*URI="([^"]+)"/.exec(text)?.[1];
      if (res.status !== 200 || init === undefined || part === undefined)
        throw new Error(`no playable playlist for ${room}: ${String(res.status)} ${text}`);
      u = { init, part };
      uris.set(room, u);
    }
    return u;
  };

  /** Re-encodes the token's body for another camera and keeps the original signature. */
  const forOtherCamera = (token: string): string => {
    const [body, sig] = token.split(".");
    const fields = Buffer.from(body ?? "", "base64url")
      .toString("utf8")
      .split("|");
    fields[1] = w.a.otherCameraId;
    return `${Buffer.from(fields.join("|")).toString("base64url")}.${sig ?? ""}`;
  };

  it.each(mediaRows)("$name", async ({ actor, room, kind, twist, expected }) => {
    let token = await tokenOf(actor, room);
    if (twist === "other-camera") token = forOtherCamera(token);
    const rendition = twist === "sub" ? "sub" : twist === "bogus-rendition" ? "hd" : "main";
    const u = kind === "init" || kind === "part" ? await urisOf(room) : undefined;
    const path = {
      master: "index.m3u8",
      playlist: `${rendition}/index.m3u8`,
      init: `${rendition}/${u?.init ?? ""}`,
      part: `${rendition}/${u?.part ?? ""}`,
      ws: twist === "sub" || twist === "bogus-rendition" ? `${rendition}/ws` : "ws",
    }[kind];
    const status =
      kind === "ws"
        ? await upgrade(`${w.gw.url}/live/${token}/${path}`)
        : await httpStatus(`/live/${token}/${path}`);
    expect(status).toBe(expected === 200 && kind === "ws" ? 101 : expected);
  });
});

async function httpStatus(path: string): Promise<number> {
  const res = await fetch(w.gw.url + path);
  await res.arrayBuffer();
  return res.status;
}

/**
 * 101 once the socket is open and its first message (the init header) arrived; 403 when the gateway closes
 * it with 4403 (a refusal, told over the socket); else the refused upgrade's HTTP status (404).
 */
function upgrade(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, "ws"));
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer from ${url}`));
    }, 10_000);
    ws.on("unexpected-response", (req, res) => {
      clearTimeout(timer);
      res.resume();
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    ws.on("message", () => {
      clearTimeout(timer);
      ws.close();
      resolve(101);
    });
    ws.on("close", (code) => {
      clearTimeout(timer);
      resolve(code === 4403 ? 403 : code);
    });
    ws.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
