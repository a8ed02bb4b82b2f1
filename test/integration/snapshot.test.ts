import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { isJpeg, jpegSize } from "../../gateway/src/common/jpeg.js";
import { ApiClient } from "../helpers/api-client.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { ffprobe } from "../helpers/media.js";
import {
  profilesOf,
  randomLoopbackHost,
  startOnvifCamera,
  testCameraStreams,
  type OnvifCamera,
} from "../helpers/onvif-camera.js";
import { makeSchool, openLink, type SchoolFixture } from "../helpers/school-fixture.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// GET /api/cameras/:id/snapshot.jpg with the real parts: the GStreamer camera watched over the WebSocket (so a
// rendition runs and a short ffmpeg decodes one frame of its GOP), the ONVIF simulator's Digest-guarded
// snapshot URI for a camera nobody watches, and a hostile snapshot server on a second simulated camera's
// address that hangs, floods, answers HTML, or asks for Basic.

const creds = { username: "admin", password: "Kamera-123" };
const timeoutSeconds = 1.5;
const maxBytes = 256 * 1024;
const hostileJpeg = Buffer.from(
  "/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgUFBcUFxsbGxsbGyAeICEhISAgICAhISEkJCQqKiokJCQhISQkKCgqKi4vLisrKisvLzIyMjw8OTlGRkhWVmf/xABKAAEAAAAAAAAAAAAAAAAAAAAAAQEAAAAAAAAAAAAAAAAAAAAAEAEAAAAAAAAAAAAAAAAAAAAAEQEAAAAAAAAAAAAAAAAAAAAA/8AAEQgAEAAQAwEiAAIRAAMRAP/aAAwDAQACEQMRAD8AAA//2Q==",
  "base64",
);

type HostileMode = "hang" | "flood" | "html" | "basic" | "both";

let gw: TestGateway;
let a: SchoolFixture;
let b: SchoolFixture;
let host: string;
let hostileHost: string;
let rtsp: TestCamera;
let hostileRtsp: TestCamera;
let onvif: OnvifCamera;
let hostileOnvif: OnvifCamera;
let hostile: Server;
let hostileMode: HostileMode = "hang";
const hostileSeen: { authorization: string | undefined }[] = [];
/** Watched over RTSP (GStreamer), in school A's first classroom; no ONVIF. */
let liveCam: string;
/** Registered through ONVIF in school A's second classroom; nobody watches it. */
let onvifCam: string;
let hostileCam: string;
let tmp: string;

function serveHostile(req: IncomingMessage, res: ServerResponse): void {
  hostileSeen.push({ authorization: req.headers.authorization });
  switch (hostileMode) {
    case "hang":
      return; // never answers
    case "flood": {
      // A JPEG start, then more than any picture, without a Content-Length.
      res.writeHead(200, { "Content-Type": "image/jpeg" });
      const chunk = Buffer.alloc(64 * 1024, 0x55);
      chunk[0] = 0xff;
      chunk[1] = 0xd8;
      chunk[2] = 0xff;
      const pump = () => {
        while (res.write(chunk));
      };
      res.on("drain", pump);
      pump();
      return;
    }
    case "html":
      res.writeHead(200, { "Content-Type": "text/html" }).end("<html><body>Login</body></html>");
      return;
    case "basic": {
      const expected = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="cam"', "Content-Length": 0 }).end();
        return;
      }
      res
        .writeHead(200, { "Content-Type": "image/jpeg", "Content-Length": hostileJpeg.length })
        .end(hostileJpeg);
      return;
    }
    case "both":
      // Basic offered first, Digest second, as two headers: the gateway must pick Digest.
      if (!/^Digest /.test(req.headers.authorization ?? "")) {
        res.setHeader("WWW-Authenticate", [
          'Basic realm="cam"',
          'Digest realm="cam", nonce="n0nce", qop="auth"',
        ]);
        res.writeHead(401, { "Content-Length": 0 }).end();
        return;
      }
      res
        .writeHead(200, { "Content-Type": "image/jpeg", "Content-Length": hostileJpeg.length })
        .end(hostileJpeg);
      return;
  }
}

const snapshotPath = (id: string) => `/api/cameras/${id}/snapshot.jpg`;

/** GET the snapshot as raw bytes (ApiClient reads text, which would mangle a JPEG). */
async function picture(client: ApiClient, id: string) {
  const headers: Record<string, string> = {};
  if (client.cookies.size > 0) headers.cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const res = await fetch(gw.url + snapshotPath(id), { headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    bytes,
    headers: res.headers,
    error: res.headers.get("content-type")?.includes("json")
      ? (JSON.parse(bytes.toString()) as { error: { code: string; message: string; messages?: unknown } })
          .error
      : undefined,
  };
}

async function addUser(body: Record<string, unknown>): Promise<ApiClient> {
  const username = `u${Math.random().toString(36).slice(2, 10)}`;
  await gw.admin.expect(201, "POST", "/api/users", {
    username,
    displayName: username,
    password: "kata-sandi-panjang-1",
    ...body,
  });
  return new ApiClient(gw.url).login(username, "kata-sandi-panjang-1");
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "pantau-snapshot-"));
  host = randomLoopbackHost();
  hostileHost = randomLoopbackHost();
  gw = await startTestGateway({
    health: { snapshotTimeoutSeconds: timeoutSeconds, snapshotMaxBytes: maxBytes, snapshotMaxAgeSeconds: 60 },
    onvif: { soapTimeoutSeconds: 2 },
  });
  [a, b] = await Promise.all([makeSchool(gw, "SD Negeri Snapshot"), makeSchool(gw, "SD Beta Snapshot")]);
  [rtsp, hostileRtsp] = await Promise.all([
    startTestCamera({ host, ...testCameraStreams, ...creds }),
    startTestCamera({ host: hostileHost, ...testCameraStreams, ...creds }),
  ]);
  hostile = createServer(serveHostile);
  await new Promise<void>((resolve) => hostile.listen(0, hostileHost, resolve));
  const hostilePort = (hostile.address() as AddressInfo).port;
  [onvif, hostileOnvif] = await Promise.all([
    startOnvifCamera({ host, ...creds, ...profilesOf(rtsp), record: true }),
    startOnvifCamera({
      host: hostileHost,
      ...creds,
      ...profilesOf(hostileRtsp),
      serial: "HOSTILE-1",
      snapshotUri: `http://${hostileHost}:${String(hostilePort)}/snap`,
    }),
  ]);
  const add = async (body: Record<string, unknown>) =>
    ((await gw.admin.expect(201, "POST", "/api/cameras", body)) as { id: string }).id;
  liveCam = await add({
    schoolId: a.schoolId,
    classroomId: a.classroomId,
    name: "Kamera RTSP 1A",
    source: { kind: "rtsp", url: rtsp.url("main"), ...creds },
  });
  onvifCam = await add({
    schoolId: a.schoolId,
    classroomId: a.otherClassroomId,
    name: "Kamera ONVIF 2B",
    source: { kind: "onvif", host, port: onvif.httpPort, ...creds },
  });
  hostileCam = await add({
    schoolId: a.schoolId,
    name: "Kamera aneh",
    source: { kind: "onvif", host: hostileHost, port: hostileOnvif.httpPort, ...creds },
  });
}, 90_000);

afterAll(async () => {
  hostile.closeAllConnections();
  hostile.close();
  await Promise.all([onvif.stop(), hostileOnvif.stop(), rtsp.stop(), hostileRtsp.stop()]);
  await gw.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("a watched camera: one frame of its live GOP", () => {
  it("is a JPEG of the stream's size that ffprobe reads, with its time, never cached by anyone", async () => {
    const w = await gw.watch(liveCam);
    const ws = new WebSocket(w.ws);
    // The init and a few frames: the rendition runs and its GOP cache holds a keyframe.
    await new Promise<void>((resolve, reject) => {
      let binary = 0;
      const guard = setTimeout(() => {
        reject(new Error(`only ${String(binary)} binary messages in 20 s`));
      }, 20_000);
      ws.on("message", (_data, isBinary) => {
        if (isBinary && ++binary === 5) {
          clearTimeout(guard);
          resolve();
        }
      });
    });
    const before = Date.now();
    const r = await picture(gw.admin, liveCam);
    ws.close();
    expect(r.status, r.bytes.toString().slice(0, 300)).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/jpeg");
    expect(r.headers.get("cache-control")).toBe("no-store, private");
    expect(r.headers.get("x-pantau-snapshot-source")).toBe("live");
    expect(isJpeg(r.bytes)).toBe(true);
    expect(r.bytes.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    expect(jpegSize(r.bytes)).toEqual({ width: 640, height: 360 });
    const takenAt = Date.parse(r.headers.get("x-pantau-snapshot-taken-at") ?? "");
    expect(takenAt).toBeGreaterThanOrEqual(before - 1000);
    expect(r.headers.get("last-modified")).toBe(new Date(takenAt).toUTCString());
    const file = join(tmp, "live.jpg");
    writeFileSync(file, r.bytes);
    expect(await ffprobe(file)).toMatchObject({ codec: "mjpeg", width: 640, height: 360 });
    // No ffmpeg of the snapshot stays behind: only the rendition's own.
    await expect
      .poll(() => gw.spawner.count, { timeout: 10_000 })
      .toBe(gw.streams.health().filter((h) => h.state !== "idle").length);
  });

  it("a second request while the picture is young gets the same picture, not a new one", async () => {
    const first = await picture(gw.admin, liveCam);
    const again = await picture(gw.admin, liveCam);
    expect(again.status).toBe(200);
    expect(again.headers.get("x-pantau-snapshot-taken-at")).toBe(
      first.headers.get("x-pantau-snapshot-taken-at"),
    );
    expect(again.bytes.equals(first.bytes)).toBe(true);
  });

  it("is audited once per person and camera for a while, as viewing is", async () => {
    await picture(gw.admin, liveCam);
    const audit = (await gw.admin.expect(200, "GET", "/api/audit?action=camera.snapshot")) as {
      events: { target: { id: string }; actor: { name: string }; detail: { source: string } }[];
    };
    const rows = audit.events.filter((e) => e.target.id === liveCam);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.detail.source).toBe("live");
  });
});

describe("an ONVIF camera nobody watches: its snapshot URI", () => {
  it("fetches the simulator's JPEG, answering its Digest challenge (never Basic)", async () => {
    const r = await picture(gw.admin, onvifCam);
    expect(r.status, r.bytes.toString().slice(0, 300)).toBe(200);
    expect(r.headers.get("x-pantau-snapshot-source")).toBe("onvif");
    expect(jpegSize(r.bytes)).toEqual({ width: 16, height: 16 });
    expect(gw.streams.renditionsOf(onvifCam).every((x) => x.state === "idle")).toBe(true);
    const fetches = onvif.received().filter((x) => x.kind === "snapshot");
    expect(fetches).toEqual([
      { kind: "snapshot", authorization: "none" },
      { kind: "snapshot", authorization: "digest" },
    ]);
  });

  it("concurrent requests for a camera share one fetch", async () => {
    // A change drops the kept picture, so the next requests must take a new one.
    await gw.admin.expect(200, "PATCH", `/api/cameras/${onvifCam}`, { name: "Kamera ONVIF 2B baru" });
    const before = onvif.received().filter((x) => x.kind === "snapshot").length;
    const all = await Promise.all(Array.from({ length: 6 }, () => picture(gw.admin, onvifCam)));
    expect(all.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(new Set(all.map((r) => r.headers.get("x-pantau-snapshot-taken-at"))).size).toBe(1);
    // One fetch: the unauthenticated try and the Digest answer.
    expect(onvif.received().filter((x) => x.kind === "snapshot").length - before).toBe(2);
  });
});

describe("a hostile snapshot URI", () => {
  const cases: [HostileMode, number, string][] = [
    ["hang", 504, "snapshot_timeout"],
    ["flood", 502, "snapshot_failed"],
    ["html", 502, "snapshot_failed"],
  ];
  it.each(cases)("%s → %i %s within the deadline, nothing kept", async (mode, status, code) => {
    hostileMode = mode;
    for (let round = 0; round < 2; round++) {
      const seen = hostileSeen.length;
      const started = Date.now();
      const r = await picture(gw.admin, hostileCam);
      expect(Date.now() - started).toBeLessThan(timeoutSeconds * 1000 + 2500);
      expect(r.status).toBe(status);
      expect(r.error?.code).toBe(code);
      expect(r.error?.messages).toMatchObject({ id: expect.any(String), en: expect.any(String) });
      // Asked again on the second round: a failure is not kept as a picture.
      expect(hostileSeen.length).toBe(seen + 1);
    }
    // Never challenged, so never sent a credential.
    expect(hostileSeen.every((s) => s.authorization === undefined)).toBe(true);
  });

  it("a camera that asks for Basic gets Basic, and only after asking", async () => {
    hostileMode = "basic";
    hostileSeen.length = 0;
    const r = await picture(gw.admin, hostileCam);
    expect(r.status).toBe(200);
    expect(hostileSeen.map((s) => s.authorization?.split(" ")[0])).toEqual([undefined, "Basic"]);
  });

  it("a camera that offers Basic and Digest gets Digest", async () => {
    hostileMode = "both";
    hostileSeen.length = 0;
    // The picture kept from the Basic camera above must not answer: drop it by changing the camera.
    await gw.admin.expect(200, "PATCH", `/api/cameras/${hostileCam}`, { name: "Kamera aneh 2" });
    const r = await picture(gw.admin, hostileCam);
    expect(r.status).toBe(200);
    expect(hostileSeen.map((s) => s.authorization?.split(" ")[0])).toEqual([undefined, "Digest"]);
  });

  it("the gateway went on answering others meanwhile", async () => {
    const r = await gw.admin.request("GET", "/api/cameras");
    expect(r.status).toBe(200);
  });
});

describe("who may see it: as the camera", () => {
  it("a school admin of its school and a teacher of its classroom see it; others do not learn it exists", async () => {
    const adminA = await addUser({ role: "school_admin", schoolId: a.schoolId });
    const adminB = await addUser({ role: "school_admin", schoolId: b.schoolId });
    const teacherA1 = await addUser({ role: "teacher", schoolId: a.schoolId, classroomIds: [a.classroomId] });
    const teacherA2 = await addUser({
      role: "teacher",
      schoolId: a.schoolId,
      classroomIds: [a.otherClassroomId],
    });
    expect((await picture(adminA, liveCam)).status).toBe(200);
    expect((await picture(teacherA1, liveCam)).status).toBe(200);
    for (const other of [adminB, teacherA2]) {
      const r = await picture(other, liveCam);
      expect(r.status).toBe(404);
      expect(r.error?.code).toBe("not_found");
    }
    expect((await picture(new ApiClient(gw.url), liveCam)).status).toBe(401);
    const phone = await openLink(gw, a.linkPath);
    expect((await picture(phone, liveCam)).status).toBe(401);
  });

  it("an unknown or malformed id is 404", async () => {
    for (const id of ["cam_doesnotexist1234", "..%2f..%2fetc", "x' OR 1=1"]) {
      const r = await picture(gw.admin, encodeURIComponent(id));
      expect(r.status).toBe(404);
      expect(r.error?.code).toBe("not_found");
    }
  });

  it("a camera with no picture to give is 404 snapshot_unavailable, in both languages", async () => {
    // School B's test-pattern camera: nobody watches it, it has no ONVIF, nothing was kept.
    const r = await picture(gw.admin, b.cameraId);
    expect(r.status).toBe(404);
    expect(r.error?.code).toBe("snapshot_unavailable");
    expect(r.error?.messages).toMatchObject({ id: expect.stringMatching(/gambar/), en: expect.any(String) });
  });

  it("a privacy pause shows no picture, not even a kept one", async () => {
    await gw.admin.expect(200, "POST", `/api/classrooms/${a.classroomId}/pause`, { minutes: 5 });
    try {
      const r = await picture(gw.admin, liveCam);
      expect(r.status).toBe(403);
      expect(r.error?.code).toBe("paused");
    } finally {
      await gw.admin.expect(200, "DELETE", `/api/classrooms/${a.classroomId}/pause`);
    }
    expect((await picture(gw.admin, liveCam)).status).toBe(200);
  });
});
