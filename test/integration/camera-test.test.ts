import { createServer, type Server, type Socket } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../gateway/src/log/logger.js";
import { ApiClient } from "../helpers/api-client.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// "Test" before adding a camera, through a real gateway and real ffprobe against the GStreamer test camera
// and loopback servers that misbehave the way real networks do.

const creds = { username: "admin", password: "Rah@sia:1/2" };
const testTimeoutSeconds = 2;

let gw: TestGateway;
let h264: TestCamera;
let h265: TestCamera;
let mjpeg: TestCamera;
let silent: Server;
const silentSockets = new Set<Socket>();
let closedPort: number;
const logLines: string[] = [];
let schoolId: string;
let classroomId: string;
let otherSchoolId: string;
let teacher: ApiClient;
let otherAdmin: ApiClient;
let ownAdmin: ApiClient;

interface TestError {
  error: { code: string; message: string; messages: { id: string; en: string }; detail?: string };
}

const listen = (server: Server) =>
  new Promise<number>((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });

async function account(username: string, role: string, school: string, classroomIds: string[] = []) {
  const password = `${username}-password`;
  await gw.admin.expect(201, "POST", "/api/users", {
    username,
    displayName: username,
    password,
    role,
    schoolId: school,
    classroomIds,
  });
  return new ApiClient(gw.url).login(username, password);
}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString("utf8"));
      done();
    },
  });
  [gw, h264, h265, mjpeg] = await Promise.all([
    startTestGateway({ cameras: { testTimeoutSeconds } }, { log: createLogger("debug", sink) }),
    startTestCamera({ ...creds, audio: true, width: 640, height: 360, subWidth: 320, subHeight: 180 }),
    startTestCamera({ codec: "h265", width: 320, height: 180 }),
    startTestCamera({ codec: "mjpeg", width: 320, height: 240 }),
  ]);
  // Accepts, then never says a word: a camera whose RTSP service hangs.
  silent = createServer((socket) => {
    silentSockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => silentSockets.delete(socket));
  });
  await listen(silent);
  // A port nothing listens on any more: connection refused.
  const gone = createServer();
  closedPort = await listen(gone);
  await new Promise((resolve) => gone.close(resolve));

  ({ id: schoolId } = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Negeri Uji" })) as {
    id: string;
  });
  ({ id: classroomId } = (await gw.admin.expect(201, "POST", `/api/schools/${schoolId}/classrooms`, {
    name: "Kelas 1A",
  })) as { id: string });
  ({ id: otherSchoolId } = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Lain" })) as {
    id: string;
  });
  [teacher, ownAdmin, otherAdmin] = await Promise.all([
    account("guru.uji", "teacher", schoolId, [classroomId]),
    account("admin.uji", "school_admin", schoolId),
    account("admin.lain", "school_admin", otherSchoolId),
  ]);
});

afterAll(async () => {
  for (const s of silentSockets) s.destroy();
  await Promise.all([
    gw.close(),
    h264.stop(),
    h265.stop(),
    mjpeg.stop(),
    new Promise((resolve) => silent.close(resolve)),
  ]);
});

const silentUrl = () => `rtsp://127.0.0.1:${String((silent.address() as { port: number }).port)}/main`;

/** POST /api/cameras/test as the operator (or `as`), checking that the database did not change. */
async function probe(body: Record<string, unknown>, as: ApiClient = gw.admin) {
  const before = dbSnapshot(gw.dataDir);
  const started = Date.now();
  const r = await as.post("/api/cameras/test", body);
  expect(dbSnapshot(gw.dataDir)).toBe(before);
  expect(r.text).not.toContain(creds.password);
  expect(r.text).not.toContain(encodeURIComponent(creds.password));
  return { ...r, ms: Date.now() - started };
}

async function refused(body: Record<string, unknown>, status: number, code: string) {
  const r = await probe(body);
  expect(r.status, r.text).toBe(status);
  const e = (r.body as TestError).error;
  expect(e.code).toBe(code);
  expect(e.message).toBe(e.messages.en);
  expect(e.messages.id.length).toBeGreaterThan(20);
  return { ...e, ms: r.ms };
}

describe("POST /api/cameras/test", () => {
  it("reports codec, exact size, frame rate and audio of a good stream, and measures its rate", async () => {
    const r = await probe({ url: h264.url("main"), ...creds });
    expect(r.status, r.text).toBe(200);
    const { measured, ...declared } = (r.body as { video: { measured: Record<string, number> } }).video;
    expect({ ...(r.body as object), video: declared }).toEqual({
      ok: true,
      video: { codec: "h264", width: 640, height: 360, fps: 25, profile: "Constrained Baseline" },
      audio: { codec: "pcm_alaw" },
      needsTranscode: false,
    });
    // Counted from the packets' own timestamps over the 2 s read: the camera sends 25 fps.
    expect(measured.fps).toBeGreaterThan(24);
    expect(measured.fps).toBeLessThan(26);
    expect(measured.seconds).toBeGreaterThanOrEqual(1.5);
    expect(measured.bitrateKbps).toBeGreaterThan(0);
  });

  it("takes credentials written into the URL, as adding a camera does", async () => {
    const r = await probe({ url: h264.url("sub", creds) });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ ok: true, video: { codec: "h264", width: 320, height: 180 } });
  });

  it("says the password is wrong, or missing", async () => {
    const wrong = await refused(
      { url: h264.url("main"), username: "admin", password: "salah" },
      422,
      "auth_failed",
    );
    expect(wrong.detail).toBe("method DESCRIBE failed: 401 Unauthorized");
    expect(wrong.messages.en).toMatch(/refused this username or password/);
    const missing = await refused({ url: h264.url("main") }, 422, "auth_failed");
    expect(missing.messages.en).toMatch(/asks for a username and password/);
  });

  it("says when nothing listens at the address", async () => {
    const e = await refused({ url: `rtsp://127.0.0.1:${String(closedPort)}/main` }, 422, "unreachable");
    expect(e.detail).toMatch(/Connection refused/);
  });

  it("says the camera did not answer, soon after the configured timeout", async () => {
    const e = await refused({ url: silentUrl() }, 422, "timeout");
    expect(e.messages.en).toContain(`within ${String(testTimeoutSeconds)} seconds`);
    expect(e.ms).toBeGreaterThanOrEqual(testTimeoutSeconds * 1000);
    // Soon after: ffprobe's own socket timeout ended it, not the tester's kill at probeDeadlineMs. Told by
    // the result, not by a wall-clock bound that a loaded machine can overrun.
    expect(e.detail).not.toBe("no result before the deadline");
  });

  it("refuses a URL that is not RTSP with 400 not_rtsp, without starting a process", async () => {
    for (const url of ["http://127.0.0.1:1/snapshot.jpg", "file:///etc/passwd"]) {
      const r = await probe({ url });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: { code: "not_rtsp", field: "url" } });
      expect((r.body as TestError).error.messages.id).toContain("rtsp://");
    }
    expect((await probe({ url: "rtsp://host/a b" })).body).toMatchObject({
      error: { code: "invalid_input", field: "url" },
    });
    expect(gw.spawner.count).toBe(0);
  });

  it("says there is no stream at an unknown path", async () => {
    const e = await refused(
      { url: h264.url("main").replace("/main", "/tidak-ada"), ...creds },
      422,
      "not_found",
    );
    expect(e.detail).toBe("method DESCRIBE failed: 404 Not Found");
  });

  it("says a stream has no video when it carries only audio", async () => {
    const e = await refused({ url: h264.url("audio"), ...creds }, 422, "no_video");
    expect(e.detail).toBe("only audio pcm_alaw");
  });

  it("accepts H.265 but says it must be transcoded", async () => {
    const r = await probe({ url: h265.url("main") });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      ok: true,
      video: { codec: "h265", width: 320, height: 180 },
      audio: null,
    });
    expect((r.body as { needsTranscode: boolean }).needsTranscode).toBe(true);
  });

  it("refuses MJPEG and says which codec to choose", async () => {
    const e = await refused({ url: mjpeg.url("main") }, 422, "unsupported_codec");
    expect(e).toMatchObject({ video: { codec: "mjpeg", width: 320, height: 240 } });
    expect(e.messages.en).toContain("MJPEG");
    expect(e.messages.en).toContain("H.264");
  });

  it("is for operators and the school's own admins, not teachers or other schools", async () => {
    const body = { url: h265.url("main"), schoolId };
    expect((await probe(body, ownAdmin)).status).toBe(200);
    expect((await probe({ url: h265.url("main") }, ownAdmin)).status).toBe(200);
    expect((await probe(body, teacher)).status).toBe(403);
    expect((await probe({ url: h265.url("main") }, teacher)).status).toBe(403);
    expect((await probe(body, otherAdmin)).status).toBe(403);
    expect((await probe({ ...body, schoolId: "sch_nope" }, otherAdmin)).status).toBe(403);
    expect((await probe(body, new ApiClient(gw.url))).status).toBe(401);
    expect((await probe({ ...body, schoolId: "sch_nope" })).body).toMatchObject({
      error: { code: "invalid_input", field: "schoolId" },
    });
  });

  it("is described in the OpenAPI document", async () => {
    const doc = (await gw.admin.expect(200, "GET", "/api/openapi.json")) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
    };
    const schema = doc.paths["/api/cameras/test"]?.post?.requestBody?.content["application/json"]?.schema as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(schema.properties).sort()).toEqual(["password", "schoolId", "url", "username"]);
    expect(schema.required).toEqual(["url"]);
    expect(doc.paths["/api/cameras/{id}/test"]?.post).toBeDefined();
  });
});

describe("POST /api/cameras/:id/test", () => {
  let cameraId: string;

  beforeAll(async () => {
    ({ id: cameraId } = (await gw.admin.expect(201, "POST", "/api/cameras", {
      schoolId,
      classroomId,
      name: "Kamera 1A",
      source: { kind: "rtsp", url: h264.url("main"), subUrl: h264.url("sub"), ...creds },
    })) as { id: string });
  });

  const testStored = async (id: string, as: ApiClient = gw.admin) => {
    const before = dbSnapshot(gw.dataDir);
    const r = await as.post(`/api/cameras/${id}/test`);
    expect(dbSnapshot(gw.dataDir)).toBe(before);
    expect(r.text).not.toContain(creds.password);
    return r;
  };

  it("tests the main and sub stream with the stored credentials", async () => {
    const r = await testStored(cameraId);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      ok: true,
      main: { ok: true, video: { codec: "h264", width: 640, height: 360 }, audio: { codec: "pcm_alaw" } },
      sub: { ok: true, video: { codec: "h264", width: 320, height: 180 } },
    });
  });

  it("reports each stream's failure in the same words as a test before adding", async () => {
    const { id } = (await gw.admin.expect(201, "POST", "/api/cameras", {
      schoolId,
      name: "Kamera salah sandi",
      source: { kind: "rtsp", url: h264.url("main"), username: "admin", password: "salah" },
    })) as { id: string };
    const r = await testStored(id);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      ok: false,
      main: { ok: false, error: { code: "auth_failed", messages: { id: expect.any(String) as string } } },
    });
    expect(r.body).not.toHaveProperty("sub");
  });

  it("is refused to teachers (403) and other schools' admins (404)", async () => {
    expect((await testStored(cameraId, ownAdmin)).status).toBe(200);
    expect((await testStored(cameraId, teacher)).status).toBe(403);
    expect((await testStored(cameraId, otherAdmin)).status).toBe(404);
    expect((await testStored("cam_nope")).status).toBe(404);
  });

  it("says a test-pattern camera has no stream to test", async () => {
    const { id } = (await gw.admin.expect(201, "POST", "/api/cameras", {
      schoolId,
      name: "Pola uji",
      source: { kind: "test-pattern" },
    })) as { id: string };
    const r = await testStored(id);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ error: { code: "not_rtsp" } });
  });
});

describe("after all of it", () => {
  it("never wrote the camera password to the log, and left no ffprobe running", () => {
    const log = logLines.join("");
    expect(log).toContain("[stream test]");
    expect(log).not.toContain(creds.password);
    expect(log).not.toContain(encodeURIComponent(creds.password));
    expect(gw.spawner.count).toBe(0);
  });
});
