import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../gateway/src/log/logger.js";
import { ApiClient } from "../helpers/api-client.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { allWeek, makeSchool, openLink, type SchoolFixture } from "../helpers/school-fixture.js";

// Design.md, access model: "Bad input gets a clear 4xx and changes nothing". Every case below sends one hostile
// request, then checks the status, the error code (and the field, for a body field) and that not one row of
// the database changed. Bearer secrets are checked last, against every response body and log line seen.

type Res = { status: number; body: any; text: string };

let gw: TestGateway;
let f: SchoolFixture;
let phone: ApiClient;
let teacherId: string;
let streamToken: string;
const logLines: string[] = [];
/** Every response body seen after the fixture was set up (the responses that hand out secrets come before). */
const seen: string[] = [];

const cameraPassword = "Kam3ra-Rahasia-7731";
const teacherPassword = "Guru-Rahasia-5519";
const csvLimitBytes = 8 * 1024;

/** Records the bodies a client receives, for the final scan for secrets. */
function recording(client: ApiClient): ApiClient {
  const send = client.request.bind(client);
  client.request = async (...args: Parameters<ApiClient["request"]>) => {
    const r = await send(...args);
    seen.push(`${args[0]} ${args[1]} → ${String(r.status)} ${r.text}`);
    return r;
  };
  return client;
}

/** One request exactly as written (no URL normalisation, any bytes), over node:http. */
function raw(
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean } = {},
): Promise<Res> {
  const url = new URL(gw.url);
  const cookie = [...gw.admin.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: o.method ?? "GET",
        path,
        headers: { cookie, ...o.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          seen.push(`${o.method ?? "GET"} ${path} → ${String(res.statusCode)} ${text}`);
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      },
    );
    req.on("error", reject);
    if (o.body !== undefined) {
      const data = Buffer.from(o.body);
      if (o.chunked === true) {
        for (let i = 0; i < data.length; i += 4096) req.write(data.subarray(i, i + 4096));
      } else {
        req.setHeader("content-length", String(data.length));
        req.write(data);
      }
    }
    req.end();
  });
}

/** A request line no HTTP client library would send (NUL bytes, bare CR): the raw socket reply's status. */
function rawSocket(requestHead: string): Promise<number> {
  const url = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(requestHead);
    });
    let reply = "";
    socket.setEncoding("latin1");
    socket.on("data", (t: string) => {
      reply += t;
    });
    socket.on("error", reject);
    socket.on("close", () => {
      seen.push(`raw socket → ${reply}`);
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0));
    });
  });
}

/** As the operator; a string or Buffer body is sent as is, labelled application/json. */
const json = (method: string, path: string, body: unknown) =>
  typeof body === "string" || Buffer.isBuffer(body)
    ? gw.admin.request(method, path, body, { "content-type": "application/json" })
    : gw.admin.request(method, path, body);

/** Sends, then checks the status, code and field of the error, and that the database did not change. */
async function rejected(
  send: () => Promise<Res>,
  want: { status: number; code: string | string[]; field?: string | undefined },
): Promise<Res> {
  const before = dbSnapshot(gw.dataDir);
  const r = await send();
  const error = (r.body as { error?: { code?: string; field?: string; message?: string } } | undefined)
    ?.error;
  expect({ status: r.status, field: error?.field }, r.text.slice(0, 300)).toEqual({
    status: want.status,
    field: want.field,
  });
  expect(Array.isArray(want.code) ? want.code : [want.code]).toContain(error?.code);
  expect(error?.message?.length ?? 0).toBeGreaterThan(3);
  expect(dbSnapshot(gw.dataDir)).toBe(before);
  return r;
}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString("utf8"));
      done();
    },
  });
  // Debug level: the ffmpeg argv of the password-protected camera below is logged (redacted) too.
  gw = await startTestGateway(
    { http: { csvLimitBytes }, dev: { openStreams: false } },
    { log: createLogger("debug", sink) },
  );
  f = await makeSchool(gw, "SD Negeri Uji Serangan", allWeek);
  phone = await openLink(gw, f.linkPath);
  // A camera with a password, always on: ffmpeg is started with the credentials and fails (nothing listens
  // on port 1), so the password passes through argv, stderr, health and the log.
  await gw.admin.expect(201, "POST", "/api/cameras", {
    schoolId: f.schoolId,
    classroomId: f.otherClassroomId,
    name: "Kamera Berpassword",
    source: { kind: "rtsp", url: "rtsp://127.0.0.1:1/stream1", username: "admin", password: cameraPassword },
    alwaysOn: true,
  });
  teacherId = (
    (await gw.admin.expect(201, "POST", "/api/users", {
      username: "guru.uji",
      displayName: "Bu Guru Uji",
      password: teacherPassword,
      role: "teacher",
      schoolId: f.schoolId,
      classroomIds: [f.classroomId],
    })) as { id: string }
  ).id;
  const w = (await gw.admin.expect(200, "POST", `/api/watch/${f.cameraId}`)) as { hls: string };
  streamToken = /\/live\/([^/]+)\//.exec(w.hls)?.[1] ?? "";
  recording(gw.admin);
  recording(phone);
});

afterAll(async () => {
  await gw.close();
});

// ---------------------------------------------------------------------------------------------------------
// Body fields. `{v}` is where the hostile value goes.

const S = () => f.schoolId;
const C = () => f.classroomId;
interface FieldCase {
  route: string;
  method: string;
  path: () => string;
  body: (v: unknown) => unknown;
  field: string;
}

const user = (over: Record<string, unknown>) => ({
  username: "guru.baru",
  displayName: "Guru Baru",
  password: "kata-sandi-panjang",
  role: "teacher",
  schoolId: S(),
  classroomIds: [C()],
  ...over,
});

/**
 * Names a person or room: markup, quotes, semicolons and backslashes are refused. (Camera names were only
 * trimmed and length-checked: `<script>` and `"; DROP` were stored and shown on the parents' page.)
 */
const nameFields: FieldCase[] = [
  { route: "school", method: "POST", path: () => "/api/schools", body: (v) => ({ name: v }), field: "name" },
  {
    route: "school",
    method: "PATCH",
    path: () => `/api/schools/${S()}`,
    body: (v) => ({ name: v }),
    field: "name",
  },
  {
    route: "classroom",
    method: "POST",
    path: () => `/api/schools/${S()}/classrooms`,
    body: (v) => ({ name: v }),
    field: "name",
  },
  {
    route: "classroom",
    method: "PATCH",
    path: () => `/api/classrooms/${C()}`,
    body: (v) => ({ name: v }),
    field: "name",
  },
  {
    route: "camera",
    method: "POST",
    path: () => "/api/cameras",
    body: (v) => ({ schoolId: S(), name: v, source: { kind: "test-pattern" } }),
    field: "name",
  },
  {
    route: "camera",
    method: "PATCH",
    path: () => `/api/cameras/${f.cameraId}`,
    body: (v) => ({ name: v }),
    field: "name",
  },
  {
    route: "guardian",
    method: "POST",
    path: () => `/api/schools/${S()}/guardians`,
    body: (v) => ({ name: v, children: [{ name: "Anak", classroomId: C() }] }),
    field: "name",
  },
  {
    route: "guardian child",
    method: "POST",
    path: () => `/api/schools/${S()}/guardians`,
    body: (v) => ({ name: "Ibu Wali", children: [{ name: v, classroomId: C() }] }),
    field: "children.0.name",
  },
  {
    route: "guardian",
    method: "PATCH",
    path: () => `/api/guardians/${f.guardianId}`,
    body: (v) => ({ name: v }),
    field: "name",
  },
  {
    route: "guardian child",
    method: "PATCH",
    path: () => `/api/guardians/${f.guardianId}`,
    body: (v) => ({ children: [{ name: v, classroomId: C() }] }),
    field: "children.0.name",
  },
  {
    route: "user",
    method: "POST",
    path: () => "/api/users",
    body: (v) => user({ displayName: v }),
    field: "displayName",
  },
  {
    route: "user",
    method: "PATCH",
    path: () => `/api/users/${teacherId}`,
    body: (v) => ({ displayName: v }),
    field: "displayName",
  },
];

/** Ids, enums, numbers and formatted strings: any SQL in them is simply not the right shape. */
const shapedFields: FieldCase[] = [
  {
    route: "school",
    method: "POST",
    path: () => "/api/schools",
    body: (v) => ({ name: "SD X", npsn: v }),
    field: "npsn",
  },
  {
    route: "school",
    method: "POST",
    path: () => "/api/schools",
    body: (v) => ({ name: "SD X", timeZone: v }),
    field: "timeZone",
  },
  {
    route: "school",
    method: "PATCH",
    path: () => `/api/schools/${S()}`,
    body: (v) => ({ npsn: v }),
    field: "npsn",
  },
  {
    route: "school",
    method: "PATCH",
    path: () => `/api/schools/${S()}`,
    body: (v) => ({ timeZone: v }),
    field: "timeZone",
  },
  {
    route: "classroom",
    method: "POST",
    path: () => `/api/schools/${S()}/classrooms`,
    body: (v) => ({ name: "Kelas Baru", schedule: { windows: [{ day: 1, start: v, end: "12:00" }] } }),
    field: "schedule.windows.0.start",
  },
  {
    route: "schedule",
    method: "PUT",
    path: () => `/api/classrooms/${C()}/schedule`,
    body: (v) => ({ windows: [{ day: 1, start: "07:00", end: v }] }),
    field: "windows.0.end",
  },
  {
    route: "schedule",
    method: "PUT",
    path: () => `/api/classrooms/${C()}/schedule`,
    body: (v) => ({ windows: [{ day: v, start: "07:00", end: "12:00" }] }),
    field: "windows.0.day",
  },
  {
    route: "schedule",
    method: "PUT",
    path: () => `/api/classrooms/${C()}/schedule`,
    body: (v) => ({ windows: [], holidays: [v] }),
    field: "holidays.0",
  },
  {
    route: "pause",
    method: "POST",
    path: () => `/api/classrooms/${C()}/pause`,
    body: (v) => ({ minutes: v }),
    field: "minutes",
  },
  {
    route: "camera",
    method: "POST",
    path: () => "/api/cameras",
    body: (v) => ({ schoolId: v, name: "Kamera X", source: { kind: "test-pattern" } }),
    field: "schoolId",
  },
  {
    route: "camera",
    method: "POST",
    path: () => "/api/cameras",
    body: (v) => ({ schoolId: S(), classroomId: v, name: "Kamera X", source: { kind: "test-pattern" } }),
    field: "classroomId",
  },
  {
    route: "camera",
    method: "POST",
    path: () => "/api/cameras",
    body: (v) => ({
      schoolId: S(),
      name: "Kamera X",
      source: { kind: "rtsp", url: `rtsp://127.0.0.1/${String(v)}` },
    }),
    field: "source.url",
  },
  {
    route: "camera",
    method: "POST",
    path: () => "/api/cameras",
    body: (v) => ({
      schoolId: S(),
      name: "Kamera X",
      source: { kind: "rtsp", url: "rtsp://127.0.0.1/a", subUrl: v },
    }),
    field: "source.subUrl",
  },
  {
    route: "camera",
    method: "POST",
    path: () => "/api/cameras",
    body: (v) => ({ schoolId: S(), name: "Kamera X", source: { kind: v } }),
    field: "source.kind",
  },
  {
    route: "camera",
    method: "PATCH",
    path: () => `/api/cameras/${f.cameraId}`,
    body: (v) => ({ classroomId: v }),
    field: "classroomId",
  },
  {
    route: "guardian",
    method: "POST",
    path: () => `/api/schools/${S()}/guardians`,
    body: (v) => ({ name: "Ibu Wali", phone: v, children: [{ name: "Anak", classroomId: C() }] }),
    field: "phone",
  },
  {
    route: "guardian",
    method: "POST",
    path: () => `/api/schools/${S()}/guardians`,
    body: (v) => ({
      name: "Ibu Wali",
      email: `wali@contoh.id${String(v)}`,
      children: [{ name: "Anak", classroomId: C() }],
    }),
    field: "email",
  },
  {
    route: "guardian",
    method: "POST",
    path: () => `/api/schools/${S()}/guardians`,
    body: (v) => ({ name: "Ibu Wali", children: [{ name: "Anak", classroomId: v }] }),
    field: "children.0.classroomId",
  },
  {
    route: "guardian",
    method: "PATCH",
    path: () => `/api/guardians/${f.guardianId}`,
    body: (v) => ({ phone: v }),
    field: "phone",
  },
  {
    route: "guardian",
    method: "PATCH",
    path: () => `/api/guardians/${f.guardianId}`,
    body: (v) => ({ revoked: v }),
    field: "revoked",
  },
  {
    route: "link",
    method: "POST",
    path: () => `/api/guardians/${f.guardianId}/links`,
    body: (v) => ({ expiresInDays: v }),
    field: "expiresInDays",
  },
  {
    route: "user",
    method: "POST",
    path: () => "/api/users",
    body: (v) => user({ username: v }),
    field: "username",
  },
  { route: "user", method: "POST", path: () => "/api/users", body: (v) => user({ role: v }), field: "role" },
  {
    route: "user",
    method: "POST",
    path: () => "/api/users",
    body: (v) => user({ schoolId: v }),
    field: "schoolId",
  },
  {
    route: "user",
    method: "POST",
    path: () => "/api/users",
    body: (v) => user({ classroomIds: [v] }),
    field: "classroomIds.0",
  },
  {
    route: "user",
    method: "PATCH",
    path: () => `/api/users/${teacherId}`,
    body: (v) => ({ classroomIds: [v] }),
    field: "classroomIds.0",
  },
  {
    route: "user",
    method: "PATCH",
    path: () => `/api/users/${teacherId}`,
    body: (v) => ({ disabled: v }),
    field: "disabled",
  },
];

const sqlPayloads = ["x'; DROP TABLE schools; --", '1" OR "1"="1'];
const markupPayloads = ["<script>alert(1)</script>", "<img src=x onerror=alert(document.cookie)>"];

describe("SQL metacharacters in body fields: 400 naming the field, nothing stored", () => {
  const cases = [...nameFields, ...shapedFields].flatMap((c) =>
    sqlPayloads.map((v) => [`${c.method} ${c.route}.${c.field} = ${v}`, c, v] as const),
  );
  it.each(cases)("%s", async (_label, c, v) => {
    await rejected(() => json(c.method, c.path(), c.body(v)), {
      status: 400,
      code: "invalid_input",
      field: c.field,
    });
  });

  it("refuses a sign-in whose username is an injection, without touching the accounts", async () => {
    await rejected(
      () =>
        new ApiClient(gw.url).post("/api/auth/login", {
          username: "' OR '1'='1' --",
          password: "x' OR '1'='1",
        }),
      { status: 401, code: "invalid_credentials" },
    );
  });
});

describe("markup in name fields: 400 naming the field", () => {
  const cases = [
    ...nameFields,
    {
      route: "school",
      method: "POST",
      path: () => "/api/schools",
      body: (v: unknown) => ({ name: "SD X", address: v }),
      field: "address",
    },
    {
      route: "school",
      method: "PATCH",
      path: () => `/api/schools/${S()}`,
      body: (v: unknown) => ({ address: v }),
      field: "address",
    },
  ].flatMap((c) => markupPayloads.map((v) => [`${c.method} ${c.route}.${c.field} = ${v}`, c, v] as const));
  it.each(cases)("%s", async (_label, c, v) => {
    await rejected(() => json(c.method, c.path(), c.body(v)), {
      status: 400,
      code: "invalid_input",
      field: c.field,
    });
  });

  it.each([
    ["JSON-escaped markup", '{"name":"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"}'],
    ["a NUL byte", '{"name":"SD\\u0000 Nol"}'],
    // A lone surrogate was accepted and stored as U+FFFD by SQLite: the name read back was not the one sent.
    ["a lone surrogate", '{"name":"SD \\ud800 Separuh"}'],
    ["a newline", '{"name":"SD\\nBaris"}'],
    ["a name past the maximum length", JSON.stringify({ name: "S".repeat(151) })],
    ["an empty name", '{"name":"   "}'],
  ])("refuses %s in a school name", async (_label, body) => {
    await rejected(() => json("POST", "/api/schools", body), {
      status: 400,
      code: "invalid_input",
      field: "name",
    });
  });
});

describe("values with apostrophes are names, stored verbatim", () => {
  it("stores a school, classroom, camera, guardian and account with quotes and SQL-looking text as given", async () => {
    const schoolName = "SD Al-Ma'ruf' OR '1'='1 --";
    const address = "Jl. K.H. Ma'ruf No. 7; RT 02' --";
    const schoolsBefore = ((await gw.admin.get("/api/schools")).body as { schools: unknown[] }).schools
      .length;
    const school = (await gw.admin.expect(201, "POST", "/api/schools", { name: schoolName, address })) as {
      id: string;
    };
    const readSchool = (await gw.admin.expect(200, "GET", `/api/schools/${school.id}`)) as Record<
      string,
      unknown
    >;
    expect(readSchool).toMatchObject({ name: schoolName, address });
    // One school more, not one school fewer or all of them.
    expect(((await gw.admin.get("/api/schools")).body as { schools: unknown[] }).schools.length).toBe(
      schoolsBefore + 1,
    );

    const room = (await gw.admin.expect(201, "POST", `/api/schools/${school.id}/classrooms`, {
      name: "Kelas 1' --",
    })) as { id: string; name: string };
    expect(room.name).toBe("Kelas 1' --");
    const camera = (await gw.admin.expect(201, "POST", "/api/cameras", {
      schoolId: school.id,
      classroomId: room.id,
      name: "Kamera Ma'ruf",
      source: {
        kind: "rtsp",
        url: "rtsp://127.0.0.1:1/x",
        username: "adm'--",
        password: "p'; DROP TABLE cameras; --",
      },
    })) as { id: string };
    expect(await gw.admin.expect(200, "GET", `/api/cameras/${camera.id}`)).toMatchObject({
      name: "Kamera Ma'ruf",
      source: { username: "adm'--", hasPassword: true },
    });
    const guardian = (await gw.admin.expect(201, "POST", `/api/schools/${school.id}/guardians`, {
      name: "Ma'ruf Amin",
      email: "o'brien@contoh.id",
      children: [{ name: "D'Angelo", classroomId: room.id }],
    })) as { id: string };
    const listed = ((await gw.admin.get(`/api/schools/${school.id}/guardians`)).body as { guardians: any[] })
      .guardians;
    expect(listed.find((g) => g.id === guardian.id)).toMatchObject({
      name: "Ma'ruf Amin",
      email: "o'brien@contoh.id",
      children: [{ name: "D'Angelo", classroomId: room.id }],
    });
    // A password with quotes and SQL in it is only a password: hashed, and it signs in.
    const password = "it's'; DROP TABLE users; --";
    await gw.admin.expect(201, "POST", "/api/users", {
      username: "pak.maruf",
      displayName: "Pak Ma'ruf",
      password,
      role: "school_admin",
      schoolId: school.id,
    });
    const signedIn = await new ApiClient(gw.url).login("pak.maruf", password);
    expect(
      ((await signedIn.get("/api/auth/me")).body as { user: { displayName: string } }).user.displayName,
    ).toBe("Pak Ma'ruf");
    // Every table is still there.
    for (const t of ["schools", "classrooms", "cameras", "users", "guardians"]) {
      expect(dbSnapshot(gw.dataDir)).toContain(`## ${t} (`);
    }
  });
});

describe("ids in paths and query parameters", () => {
  it.each([
    ["GET", "/api/schools/1' OR '1'='1"],
    ["PATCH", "/api/schools/1' OR '1'='1"],
    ["DELETE", "/api/schools/1'; DROP TABLE schools; --"],
    ["GET", "/api/schools/%27%20OR%201%3D1%20--"],
    ["GET", "/api/schools/x' UNION SELECT * FROM users --/classrooms"],
    ["POST", "/api/schools/x' OR 1=1/guardians"],
    ["PATCH", "/api/classrooms/x' OR '1'='1"],
    ["PUT", "/api/classrooms/x'--/schedule"],
    ["POST", "/api/classrooms/x'--/pause"],
    ["DELETE", "/api/classrooms/x'--/pause"],
    ["GET", "/api/cameras/x' OR '1'='1"],
    ["PATCH", "/api/cameras/x' OR '1'='1"],
    ["DELETE", "/api/cameras/..%2f..%2fetc%2fpasswd"],
    ["PATCH", "/api/guardians/x' OR 1=1"],
    ["DELETE", "/api/guardians/x' OR 1=1"],
    ["POST", "/api/guardians/x'--/links"],
    ["DELETE", "/api/links/x' OR '1'='1"],
    ["DELETE", "/api/devices/x' OR '1'='1"],
    ["PATCH", "/api/users/x' OR '1'='1"],
    ["POST", "/api/watch/x' OR '1'='1"],
  ])("%s %s → 404", async (method, path) => {
    const body =
      method === "PATCH"
        ? {}
        : path.endsWith("/guardians") && method === "POST"
          ? { name: "Ibu X", children: [{ name: "A", classroomId: C() }] }
          : path.endsWith("/schedule")
            ? { windows: [] }
            : method === "POST"
              ? {}
              : undefined;
    await rejected(() => json(method, path, body), { status: 404, code: "not_found" });
  });

  it("does not match a real id with SQL appended", async () => {
    await rejected(() => gw.admin.get(`/api/schools/${S()}'--`), { status: 404, code: "not_found" });
    await rejected(() => gw.admin.delete(`/api/cameras/${f.cameraId}' OR '1'='1`), {
      status: 404,
      code: "not_found",
    });
  });

  it.each([
    ["schoolId=x' --", "schoolId"],
    ["schoolId=SCHOOL' OR '1'='1", "schoolId"],
    ["schoolId=a&schoolId=b", "schoolId"],
    ["action=x' OR '1'='1", "action"],
    ["limit=1; DROP TABLE audit_events", "limit"],
    ["limit=-1", "limit"],
    ["from=2026-01-01' OR '1'='1", "from"],
    ["to=now()", "to"],
    ["format=csv' --", "format"],
    ["schoolId[$ne]=x", undefined],
    ["evil=1", undefined],
  ])("GET /api/audit?%s → 400", async (query, field) => {
    await rejected(() => gw.admin.get(`/api/audit?${query.replace("SCHOOL", S())}`), {
      status: 400,
      code: "invalid_input",
      field,
    });
  });
});

describe("bodies that are not what the route takes", () => {
  const over = JSON.stringify({ name: "x".repeat(70_000) });
  const deepArray = `{"name":${"[".repeat(30_000)}${"]".repeat(30_000)}}`;
  const deepObject = `{"name":"SD","x":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}`;
  const deepSchedule = `{"windows":[${'{"day":'.repeat(8_000)}1${"}".repeat(8_000)}]}`;
  it.each<[string, string, () => string, string | Buffer, number, string | string[], string?]>([
    ["malformed JSON", "POST", () => "/api/schools", "{not json", 400, "invalid_json"],
    ["a trailing comma", "POST", () => "/api/schools", '{"name":"SD X",}', 400, "invalid_json"],
    ["a truncated body", "POST", () => "/api/schools", '{"name":"SD', 400, "invalid_json"],
    ["null", "POST", () => "/api/schools", "null", 400, "invalid_json"],
    ["a number", "POST", () => "/api/schools", "42", 400, "invalid_json"],
    ["a string", "POST", () => "/api/schools", '"SD X"', 400, "invalid_json"],
    ["true", "POST", () => `/api/classrooms/${C()}/pause`, "true", 400, "invalid_json"],
    ["an empty array", "POST", () => "/api/schools", "[]", 400, "invalid_input"],
    ["an array of objects", "POST", () => "/api/schools", '[{"name":"SD X"}]', 400, "invalid_input"],
    ["an array as a pause", "POST", () => `/api/classrooms/${C()}/pause`, "[]", 400, "invalid_input"],
    ["null as a name", "POST", () => "/api/schools", '{"name":null}', 400, "invalid_input", "name"],
    ["a number as a name", "POST", () => "/api/schools", '{"name":42}', 400, "invalid_input", "name"],
    ["an array as a name", "POST", () => "/api/schools", '{"name":["SD"]}', 400, "invalid_input", "name"],
    [
      "an operator object as a name",
      "POST",
      () => "/api/schools",
      '{"name":{"$ne":""}}',
      400,
      "invalid_input",
      "name",
    ],
    [
      "an object as windows",
      "PUT",
      () => `/api/classrooms/${C()}/schedule`,
      '{"windows":{"0":{}}}',
      400,
      "invalid_input",
      "windows",
    ],
    [
      "Infinity minutes",
      "POST",
      () => `/api/classrooms/${C()}/pause`,
      '{"minutes":1e400}',
      400,
      "invalid_input",
      "minutes",
    ],
    [
      "negative minutes",
      "POST",
      () => `/api/classrooms/${C()}/pause`,
      '{"minutes":-5}',
      400,
      "invalid_input",
      "minutes",
    ],
    [
      "fractional minutes",
      "POST",
      () => `/api/classrooms/${C()}/pause`,
      '{"minutes":2.5}',
      400,
      "invalid_input",
      "minutes",
    ],
    [
      "an unknown field",
      "POST",
      () => "/api/schools",
      '{"name":"SD X","isAdmin":true}',
      400,
      "invalid_input",
    ],
    [
      "an unknown camera field",
      "PATCH",
      () => `/api/cameras/${f.cameraId}`,
      '{"passwordEnc":"x"}',
      400,
      "invalid_input",
    ],
    [
      "an unknown source field",
      "POST",
      () => "/api/cameras",
      `{"schoolId":"SCHOOL","name":"K","source":{"kind":"test-pattern","url":"file:///etc/passwd"}}`,
      400,
      "invalid_input",
      "source",
    ],
    [
      "__proto__",
      "POST",
      () => "/api/schools",
      '{"name":"SD X","__proto__":{"role":"operator"}}',
      400,
      "invalid_input",
    ],
    [
      "constructor.prototype",
      "POST",
      () => "/api/schools",
      '{"name":"SD X","constructor":{"prototype":{"x":1}}}',
      400,
      "invalid_input",
    ],
    [
      "a role escalation field",
      "PATCH",
      () => `/api/users/${teacherId}`,
      '{"role":"operator"}',
      400,
      "invalid_input",
    ],
    ["an oversized body", "POST", () => "/api/schools", over, 413, "body_too_large"],
    [
      "30 000 nested arrays",
      "POST",
      () => "/api/schools",
      deepArray,
      400,
      ["invalid_json", "invalid_input"],
      "name",
    ],
    [
      "10 000 nested objects",
      "POST",
      () => "/api/schools",
      deepObject,
      400,
      ["invalid_json", "invalid_input"],
    ],
    [
      "8 000 nested objects in a schedule",
      "PUT",
      () => `/api/classrooms/${C()}/schedule`,
      deepSchedule,
      400,
      ["invalid_json", "invalid_input"],
      "windows.0.day",
    ],
  ])("%s → %i", async (_label, method, path, body, status, code, field) => {
    const text = typeof body === "string" ? body.replace("SCHOOL", S()) : body;
    await rejected(() => json(method, path(), text), { status, code, field });
  });

  it("refuses an oversized body sent chunked, without a length", async () => {
    await rejected(
      () =>
        raw("/api/schools", {
          method: "POST",
          headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
          body: over,
          chunked: true,
        }),
      { status: 413, code: "body_too_large" },
    );
  });

  it("refuses a gzip bomb: the limit counts inflated bytes", async () => {
    const bomb = gzipSync(Buffer.from(`{"name":"SD X","pad":"${" ".repeat(20_000_000)}"}`));
    expect(bomb.length).toBeLessThan(64 * 1024);
    await rejected(
      () =>
        raw("/api/schools", {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
          body: bomb,
        }),
      { status: 413, code: "body_too_large" },
    );
  });

  it("refuses an unknown content encoding", async () => {
    // body-parser throws 415 encoding.unsupported; the gateway reports a body it cannot read as invalid_json.
    await rejected(
      () =>
        raw("/api/schools", {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": "x-evil" },
          body: '{"name":"SD X"}',
        }),
      { status: 400, code: "invalid_json" },
    );
  });

  // A body the JSON parser skipped was validated as {}: text/plain on a pause paused the classroom until
  // lifted, and on a patch wrote an audit record of an empty change.
  it.each<[string, string, () => string, string, string]>([
    ["text/plain", "POST", () => "/api/schools", '{"name":"SD Teks"}', "text/plain"],
    [
      "text/plain on a patch (would otherwise be an empty patch)",
      "PATCH",
      () => `/api/schools/${S()}`,
      '{"name":"<b>x</b>"}',
      "text/plain",
    ],
    [
      "text/plain on a pause (would otherwise pause until lifted)",
      "POST",
      () => `/api/classrooms/${C()}/pause`,
      '{"minutes":"x"}',
      "text/plain",
    ],
    ["a form", "POST", () => "/api/schools", "name=SD+Formulir", "application/x-www-form-urlencoded"],
    [
      "multipart",
      "POST",
      () => "/api/schools",
      '--b\r\ncontent-disposition: form-data; name="name"\r\n\r\nSD\r\n--b--\r\n',
      "multipart/form-data; boundary=b",
    ],
    ["XML", "POST", () => "/api/cameras", "<camera><name>x</name></camera>", "application/xml"],
    [
      "a JSON-like vendor type",
      "POST",
      () => "/api/schools",
      '{"name":"SD Vendor"}',
      "application/vnd.api+json",
    ],
    [
      "a sign-in as text",
      "POST",
      () => "/api/auth/login",
      '{"username":"operator","password":"x"}',
      "text/plain",
    ],
  ])("refuses a body sent as %s with 415", async (_label, method, path, body, type) => {
    await rejected(() => gw.admin.request(method, path(), body, { "content-type": type }), {
      status: 415,
      code: "unsupported_media_type",
    });
  });

  it("refuses a body without a content type with 415", async () => {
    await rejected(() => raw("/api/schools", { method: "POST", body: '{"name":"SD Tanpa Tipe"}' }), {
      status: 415,
      code: "unsupported_media_type",
    });
  });
});

describe("bytes that are not UTF-8", () => {
  const withBytes = (...bytes: number[]) =>
    Buffer.concat([Buffer.from('{"name":"SD '), Buffer.from(bytes), Buffer.from('"}')]);
  it.each([
    ["0xFF 0xFE", withBytes(0xff, 0xfe)],
    ["Latin-1 é (0xE9)", withBytes(0x4d, 0x61, 0xe9)],
    ["an overlong slash (0xC0 0xAF)", withBytes(0xc0, 0xaf)],
    ["an encoded surrogate (0xED 0xA0 0x80)", withBytes(0xed, 0xa0, 0x80)],
    ["a truncated sequence (0xE2 0x82)", withBytes(0xe2, 0x82)],
  ])("refuses %s in a JSON body with 400 invalid_utf8", async (_label, body) => {
    await rejected(() => json("POST", "/api/schools", body), { status: 400, code: "invalid_utf8" });
  });

  it("refuses a roster CSV that is not UTF-8 with 422, naming why", async () => {
    const csv = Buffer.concat([
      Buffer.from("guardian_name,phone,email,child_name,classroom\nIbu "),
      Buffer.from([0xc9, 0x6c, 0xe9]),
      Buffer.from(",081234567890,,Ani,Kelas 1A\n"),
    ]);
    const r = await rejected(
      () => gw.admin.post(`/api/schools/${S()}/guardians/import`, csv, { "content-type": "text/csv" }),
      {
        status: 422,
        code: "invalid_csv",
      },
    );
    expect(r.body.error.problems[0].reason).toMatch(/UTF-8/);
  });
});

describe("paths that try to leave /live, /assets and /a", () => {
  const leaked = /root:x:0:0|"name":\s*"pantau"|BEGIN [A-Z ]*PRIVATE KEY|CREATE TABLE|SQLite format/;
  it.each<[string, () => string]>([
    ["plain traversal", () => "/live/../../etc/passwd"],
    ["traversal after the token", () => `/live/${streamToken}/../../../etc/passwd`],
    ["encoded dots", () => "/live/%2e%2e/%2e%2e/etc/passwd"],
    ["encoded slashes", () => "/live/%2e%2e%2f%2e%2e%2fetc%2fpasswd/index.m3u8"],
    ["encoded traversal as the rendition", () => `/live/${streamToken}/..%2f..%2fmain/index.m3u8`],
    ["encoded traversal as an init file", () => `/live/${streamToken}/main/init/..%2f..%2f..%2fpackage.json`],
    [
      "double-encoded traversal as a segment",
      () => `/live/${streamToken}/main/seg/..%252f..%252fpackage.json`,
    ],
    ["double-encoded dots as the rendition", () => `/live/${streamToken}/%252e%252e%252f/index.m3u8`],
    ["backslashes", () => `/live/${streamToken}/..\\..\\package.json/index.m3u8`],
    ["a NUL after the token", () => `/live/${streamToken}%00/index.m3u8`],
    ["a NUL in a part name", () => `/live/${streamToken}/main/part/0.m4s%00.txt`],
    ["a NUL in an init name", () => `/live/${streamToken}/main/init/0.mp4%00`],
    ["the database as a part", () => `/live/${streamToken}/main/part/..%2f..%2fpantau.db`],
    ["a 600-character token", () => `/live/${"A".repeat(600)}.${"B".repeat(43)}/index.m3u8`],
    [
      "a token with a forged signature",
      () => `/live/${streamToken.split(".")[0] ?? ""}.${"A".repeat(43)}/index.m3u8`,
    ],
    ["a malformed percent escape", () => "/live/%E0%A4%A/index.m3u8"],
    ["a 20 000-character URL", () => `/live/${"A".repeat(20_000)}/index.m3u8`],
    ["asset traversal", () => "/assets/..%2f..%2fpackage.json"],
    ["asset traversal, encoded dots", () => "/assets/%2e%2e%2f%2e%2e%2fgateway%2fsrc%2fmain.ts"],
    ["asset traversal, backslashes", () => "/assets/..%5c..%5cpackage.json"],
    ["asset traversal, raw", () => "/assets/../../package.json"],
    ["asset with a NUL", () => "/assets/player.js%00.css"],
    ["asset, double-encoded", () => "/assets/%252e%252e%252fpackage.json"],
    ["link garbage", () => "/a/..%2f..%2fetc%2fpasswd"],
    ["link SQL", () => "/a/'%20OR%20'1'='1"],
    ["link markup", () => "/a/<script>alert(1)</script>"],
    ["link NUL", () => "/a/%00"],
    ["link, very long", () => `/a/${"x".repeat(5000)}`],
  ])("%s → 4xx, no file", async (_label, path) => {
    const before = dbSnapshot(gw.dataDir, ["viewing_sessions", "audit_events"]);
    const r = await raw(path());
    expect(r.status, r.text.slice(0, 200)).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.text).not.toMatch(leaked);
    // The link page echoes nothing of the request.
    expect(r.text).not.toContain("<script>alert");
    expect(r.text).not.toContain("'1'='1");
    expect(dbSnapshot(gw.dataDir, ["viewing_sessions", "audit_events"])).toBe(before);
  });

  it.each([
    ["a NUL byte in the request line", "GET /live/a\u0000b/index.m3u8 HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["a bare CR in the request line", "GET /assets/a\rb HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["a header injection", "GET /a/x HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n"],
  ])("answers %s with 400", async (_label, head) => {
    expect(await rawSocket(head)).toBe(400);
  });
});

describe("the roster CSV import", () => {
  const importCsv = (csv: string | Buffer) =>
    gw.admin.post(`/api/schools/${S()}/guardians/import`, csv, { "content-type": "text/csv" });
  const header = "guardian_name,phone,email,child_name,classroom\n";

  it("refuses a CSV over the configured limit with 413", async () => {
    const row = "Ibu Ani,081234567890,,Ani,Kelas 1A\n";
    const csv = header + row.repeat(Math.ceil((csvLimitBytes * 2) / row.length));
    await rejected(() => importCsv(csv), { status: 413, code: "body_too_large" });
  });

  it("lists every bad line and why, and imports none of the good ones", async () => {
    const csv =
      header +
      "Ibu Ani,081211112222,,Ani,Kelas 1A\n" + // 2 good
      "<script>alert(1)</script>,081233334444,,Budi,Kelas 1A\n" + // 3 markup
      "Pak Candra,0812ab,,Citra,Kelas 1A\n" + // 4 phone
      "Ibu Dewi,081255556666,,Dodi,Kelas 2B\n" + // 5 good
      "Robert'); DROP TABLE guardians;--,081277778888,bukan-surel,Eko,Kelas 1A\n" + // 6 name and e-mail
      "Pak Fajar,081299990000,,Fajar Kecil,Kelas 2B\n"; // 7 good
    const r = await rejected(() => importCsv(csv), { status: 422, code: "invalid_csv" });
    const problems = r.body.error.problems as { line: number; field?: string; reason: string }[];
    expect([...new Set(problems.map((p) => p.line))]).toEqual([3, 4, 6]);
    expect(problems.map((p) => `${String(p.line)}:${p.field ?? ""}`)).toEqual([
      "3:guardian_name",
      "4:phone",
      "6:guardian_name",
      "6:email",
    ]);
    for (const p of problems) expect(p.reason.length).toBeGreaterThan(5);
  });

  it("refuses a CSV naming a classroom the school does not have", async () => {
    const r = await rejected(() => importCsv(header + "Ibu Ani,081211112222,,Ani,Kelas 9Z\n"), {
      status: 422,
      code: "invalid_csv",
    });
    expect(r.body.error.problems).toEqual([
      { line: 2, field: "classroom", reason: expect.stringContaining("Kelas 9Z") as unknown },
    ]);
  });

  it.each([
    ["an empty file", ""],
    ["a header only", header],
    ["a missing column", "guardian_name,phone\nIbu Ani,081211112222\n"],
    ["an unterminated quote", header + 'Ibu Ani,"081211112222,,Ani,Kelas 1A\n'],
    ["JSON instead of CSV", '{"guardian_name":"Ibu Ani"}'],
  ])("refuses %s with 422", async (_label, csv) => {
    await rejected(() => importCsv(csv), { status: 422, code: "invalid_csv" });
  });

  it("imports a good roster; a guardian with children in two classrooms is one guardian", async () => {
    const before = ((await gw.admin.get(`/api/schools/${S()}/guardians`)).body as { guardians: any[] })
      .guardians;
    // Indonesian Excel: BOM, semicolons, Indonesian headers.
    const csv =
      "\uFEFFnama_wali;telepon;surel;nama_anak;kelas\r\n" +
      "Ibu Siti Ma'ruf;0812-1111-2222;siti@contoh.id;Ahmad;Kelas 1A\r\n" +
      "Ibu Siti Ma'ruf;0812-1111-2222;siti@contoh.id;Aisyah;kelas 2b\r\n" +
      "Pak Joko;081233334444;;Bayu;Kelas 1A\r\n";
    const r = await importCsv(csv);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ created: 2, updated: 0, childrenAdded: 3 });
    const after = ((await gw.admin.get(`/api/schools/${S()}/guardians`)).body as { guardians: any[] })
      .guardians;
    expect(after.length).toBe(before.length + 2);
    const siti = after.filter((g) => g.name === "Ibu Siti Ma'ruf");
    expect(siti).toHaveLength(1);
    expect(siti[0]).toMatchObject({ phone: "081211112222", email: "siti@contoh.id" });
    expect(
      (siti[0].children as { name: string; classroomId: string }[]).sort((a, b) =>
        a.name.localeCompare(b.name),
      ),
    ).toEqual([
      { name: "Ahmad", classroomId: f.classroomId },
      { name: "Aisyah", classroomId: f.otherClassroomId },
    ]);
  });
});

describe("requests from another site", () => {
  it.each<[string, string, () => string, unknown, string]>([
    ["a new school", "POST", () => "/api/schools", { name: "SD Jahat" }, "http://evil.example"],
    ["a school rename", "PATCH", () => `/api/schools/${S()}`, { name: "SD Jahat" }, "http://evil.example"],
    ["a camera delete", "DELETE", () => `/api/cameras/${f.cameraId}`, undefined, "http://evil.example"],
    ["a pause", "POST", () => `/api/classrooms/${C()}/pause`, {}, "null"],
    ["a link revoke", "DELETE", () => `/api/links/${f.linkId}`, undefined, "https://evil.example"],
    ["a sign-out", "POST", () => "/api/auth/logout", {}, "http://evil.example"],
    ["a look-alike host", "POST", () => "/api/schools", { name: "SD Jahat" }, "LOOKALIKE"],
  ])("refuses %s with 403 cross_origin", async (_label, method, path, body, origin) => {
    const o = origin === "LOOKALIKE" ? `${gw.url}.evil.example` : origin;
    await rejected(() => gw.admin.request(method, path(), body, { origin: o }), {
      status: 403,
      code: "cross_origin",
    });
  });

  it("refuses a cross-site roster import", async () => {
    await rejected(
      () =>
        gw.admin.post(
          `/api/schools/${S()}/guardians/import`,
          "guardian_name,child_name,classroom\nX,Y,Kelas 1A\n",
          {
            "content-type": "text/csv",
            origin: "http://evil.example",
          },
        ),
      { status: 403, code: "cross_origin" },
    );
    // The session survived the cross-site sign-out above.
    expect((await gw.admin.get("/api/auth/me")).status).toBe(200);
  });
});

describe("bearer secrets", () => {
  it("never appear in a response body, a log line or the database", async () => {
    // Make the places a secret could leak from speak: health (ffmpeg's last stderr lines), the camera list,
    // the audit log as JSON and CSV, the guardian list with its links and devices, the viewer's own page.
    for (const path of [
      "/api/health",
      "/api/cameras",
      "/api/audit?limit=100000",
      "/api/audit?format=csv&limit=100000",
      `/api/schools/${S()}/guardians`,
      "/api/users",
    ]) {
      expect((await gw.admin.get(path)).status).toBe(200);
    }
    expect((await phone.get("/api/viewer/me")).status).toBe(200);
    expect((await phone.post(`/api/watch/${f.cameraId}`)).status).toBe(200);
    const secrets: Record<string, string | undefined> = {
      "camera password": cameraPassword,
      "teacher password": teacherPassword,
      "session token": gw.admin.cookies.get("pantau_session"),
      "link token": f.linkPath.split("/")[2],
      "device token": phone.cookies.get("pantau_device"),
    };
    const logText = logLines.join("");
    expect(logText).toContain("spawning ffmpeg");
    const db = dbSnapshot(gw.dataDir);
    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret, what).toBeDefined();
      const s = secret ?? "";
      expect(s.length).toBeGreaterThan(10);
      expect(
        seen.filter((t) => t.includes(s)).map((t) => t.slice(0, 120)),
        `${what} in a response`,
      ).toEqual([]);
      expect(logText.includes(s), `${what} in the log`).toBe(false);
      expect(db.includes(s), `${what} in the database`).toBe(false);
    }
    expect(seen.length).toBeGreaterThan(200);
    // Not one request above was answered 500 (the error handler logs each one at level error).
    expect(logLines.filter((l) => l.includes("unhandled error in request"))).toEqual([]);
    expect(seen.filter((t) => / → 5\d\d /.test(t)).map((t) => t.slice(0, 160))).toEqual([]);
  });
});
