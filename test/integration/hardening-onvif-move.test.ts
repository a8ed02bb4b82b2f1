// Regression: the re-probe moved a registered camera to whichever host answered first with its UUID, even while
// the camera still answered at its own address, and ffmpeg then sent the camera's password to that host.
import { randomUUID } from "node:crypto";
import dgram from "node:dgram";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Move } from "../../gateway/src/onvif/address-watcher.js";
import { ApiClient } from "../helpers/api-client.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startTestGateway, testAdminPassword, type TestGateway } from "../helpers/gateway.js";
import { ffprobe } from "../helpers/media.js";
import {
  profilesOf,
  randomLoopbackHost,
  startOnvifCamera,
  testCameraStreams,
  type OnvifCamera,
  type OnvifCameraOptions,
} from "../helpers/onvif-camera.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

const creds = { username: "admin", password: "Kamera-Rahasia-123" };
const streams = { ...testCameraStreams, ...creds };

/** Every address a role needs, chosen before the gateway starts so the in-range ones can be its ranges. */
const at = {
  real: randomLoopbackHost(),
  forger: randomLoopbackHost(),
  oldOutside: randomLoopbackHost(),
  outside: randomLoopbackHost(),
  oldMismatch: randomLoopbackHost(),
  mismatch: randomLoopbackHost(),
  oldAuth: randomLoopbackHost(),
  auth: randomLoopbackHost(),
  oldDigest: randomLoopbackHost(),
  digest: randomLoopbackHost(),
  oldHonest: randomLoopbackHost(),
  honest: randomLoopbackHost(),
  oldLegacy: randomLoopbackHost(),
  legacy: randomLoopbackHost(),
  /** In range, silent: it only overhears probes (see overheard()). */
  ear: randomLoopbackHost(),
};
const inRanges = [at.forger, at.mismatch, at.auth, at.digest, at.honest, at.legacy, at.ear];

interface Registered {
  id: string;
  uuid: string;
  rtsp: TestCamera;
  onvif: OnvifCamera;
}

let gw: TestGateway;
let schoolId: string;
let adminA: ApiClient;
let adminAId: string;
let teacherA: ApiClient;
let adminB: ApiClient;
const stopAtEnd: { stop(): Promise<void> }[] = [];
const cams: Record<"forged" | "outside" | "mismatch" | "auth" | "digest" | "honest" | "legacy", Registered> =
  {} as never;
/** The forger: the real camera's UUID (and serial number), answers first, RTSP trap on the camera's port. */
let forger: OnvifCamera;
/** What reached the host that demands HTTP Digest. */
const digestSeen: { authorization: string | undefined }[] = [];
let firstRound: Move[];

/** A camera registered through ONVIF at `host`: the GStreamer camera and the simulator in front of it. */
async function register(
  host: string,
  name: string,
  extra: OnvifCameraOptions = {},
  body: Record<string, unknown> = {},
): Promise<Registered> {
  const uuid = `urn:uuid:${randomUUID()}`;
  const rtsp = await startTestCamera({ host, ...streams });
  const onvif = await startOnvifCamera({ host, uuid, ...creds, ...profilesOf(rtsp), ...extra });
  stopAtEnd.push(rtsp, onvif);
  const c = (await adminA.expect(201, "POST", "/api/cameras", {
    schoolId,
    name,
    source: { kind: "onvif", host, port: onvif.httpPort, ...creds },
    ...body,
  })) as { id: string; source: Record<string, unknown> };
  return { id: c.id, uuid, rtsp, onvif };
}

/** The camera's DHCP lease ends: its old address goes silent, and the same camera comes up at `host`. */
async function moveTo(c: Registered, host: string, extra: OnvifCameraOptions): Promise<OnvifCamera> {
  await c.onvif.stop();
  await c.rtsp.stop();
  c.rtsp = await startTestCamera({ host, port: c.rtsp.port, ...streams });
  c.onvif = await startOnvifCamera({ host, uuid: c.uuid, ...creds, ...profilesOf(c.rtsp), ...extra });
  stopAtEnd.push(c.rtsp, c.onvif);
  return c.onvif;
}

const probeMatches = (relatesTo: string, uuid: string, xaddr: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><s:Header><a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${uuid}</a:Address></a:EndpointReference><d:Types>dn:NetworkVideoTransmitter</d:Types><d:XAddrs>${xaddr}</d:XAddrs></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`;

/**
 * What a multicast re-probe shows on a real network (off on loopback): a host outside the ranges, never probed
 * by unicast, answers a probe it overheard. Here a listener at an in-range address hands the probe's id to a
 * socket on `from`, which answers the gateway for the camera.
 */
async function overheard(listenAt: string, from: string, uuid: string, xaddr: string): Promise<void> {
  const ear = dgram.createSocket("udp4");
  const mouth = dgram.createSocket("udp4");
  ear.on("message", (msg, gateway) => {
    const id = /MessageID>([^<]+)</.exec(msg.toString())?.[1] ?? "";
    mouth.send(probeMatches(id, uuid, xaddr), gateway.port, gateway.address);
  });
  await new Promise<void>((resolve) => ear.bind(3702, listenAt, resolve));
  await new Promise<void>((resolve) => mouth.bind(0, from, resolve));
  stopAtEnd.push({
    stop: () => {
      ear.close();
      mouth.close();
      return Promise.resolve();
    },
  });
}

/** A host that answers the UUID and guards GetDeviceInformation with HTTP Digest, recording what it got. */
async function digestHost(host: string, uuid: string): Promise<void> {
  const server = http.createServer((req, res) => {
    digestSeen.push({ authorization: req.headers.authorization });
    req.resume();
    res
      .writeHead(401, {
        "WWW-Authenticate": 'Digest realm="IP Camera", qop="auth", nonce="0123456789abcdef"',
        "Content-Type": "text/html",
      })
      .end("<html><body>401 Unauthorized</body></html>");
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const udp = dgram.createSocket("udp4");
  udp.on("message", (msg, from) => {
    const id = /MessageID>([^<]+)</.exec(msg.toString())?.[1] ?? "";
    udp.send(
      probeMatches(id, uuid, `http://${host}:${String(port)}/onvif/device_service`),
      from.port,
      from.address,
    );
  });
  await new Promise<void>((resolve) => udp.bind(3702, host, resolve));
  stopAtEnd.push({
    stop: async () => {
      udp.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}

async function user(role: string, school: string, extra: Record<string, unknown> = {}) {
  const username = `${role}-${randomUUID().slice(0, 8)}`;
  const u = (await gw.admin.expect(201, "POST", "/api/users", {
    username,
    displayName: `Pengguna ${role}`,
    password: testAdminPassword,
    role,
    schoolId: school,
    ...extra,
  })) as { id: string };
  return { id: u.id, client: await new ApiClient(gw.url).login(username, testAdminPassword) };
}

/** A pending item as the API shows it. */
interface MoveItem {
  id: string;
  cameraId: string;
  seenAt: string;
  firstSeenAt: string;
  [more: string]: unknown;
}

const pendingOf = async (client: ApiClient, cameraId: string, status = "pending"): Promise<MoveItem[]> => {
  const r = (await client.expect(200, "GET", `/api/camera-moves?schoolId=${schoolId}&status=${status}`)) as {
    moves: MoveItem[];
  };
  return r.moves.filter((m) => m.cameraId === cameraId);
};

/** The one pending item about this camera. */
const onlyPending = async (cameraId: string): Promise<MoveItem> => {
  const moves = await pendingOf(adminA, cameraId);
  expect(moves).toHaveLength(1);
  return moves[0] as MoveItem;
};

const cameraHost = async (id: string) =>
  ((await gw.admin.expect(200, "GET", `/api/cameras/${id}`)) as { source: { host: string } }).source.host;

const audited = async (action: string, cameraId: string) =>
  (
    (await gw.admin.expect(200, "GET", `/api/audit?action=${action}`)) as {
      events: { target: { id: string }; actor: { kind: string }; detail: Record<string, unknown> }[];
    }
  ).events.filter((e) => e.target.id === cameraId);

const credentialsIn = (o: OnvifCamera) =>
  o
    .received()
    .filter((r) => (r.kind === "soap" ? r.wsSecurity || r.authorization : r.authorization || r.userinfo));

/** Each round may ask the host again who it is (it may yet answer); it is never asked anything else. */
function expectOnlyAskedWhoItIs(o: OnvifCamera): void {
  const received = o.received();
  expect(received.length).toBeGreaterThan(0);
  for (const r of received)
    expect(r).toEqual({
      kind: "soap",
      operation: "tds:GetDeviceInformation",
      wsSecurity: false,
      authorization: false,
    });
}

beforeAll(async () => {
  gw = await startTestGateway({
    onvif: {
      scanSeconds: 1.5,
      soapTimeoutSeconds: 2,
      reprobeRanges: inRanges.map((h) => `${h}/32`),
    },
  });
  schoolId = (
    (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Negeri Pindah" })) as { id: string }
  ).id;
  const otherSchool = (
    (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Negeri Lain" })) as { id: string }
  ).id;
  const room = (
    (await gw.admin.expect(201, "POST", `/api/schools/${schoolId}/classrooms`, { name: "Kelas 1A" })) as {
      id: string;
    }
  ).id;
  const a = await user("school_admin", schoolId);
  adminA = a.client;
  adminAId = a.id;
  teacherA = (await user("teacher", schoolId, { classroomIds: [room] })).client;
  adminB = (await user("school_admin", otherSchool)).client;

  // The real camera answers its unicast probe 150 ms late; the forger at once, with its UUID and serial number.
  cams.forged = await register(at.real, "Kelas 1A depan", { unicastDelayMs: 150 }, { alwaysOn: true });
  forger = await startOnvifCamera({
    host: at.forger,
    uuid: cams.forged.uuid,
    openDeviceInfo: true,
    record: true,
    rtspTrapPort: cams.forged.rtsp.port,
  });
  stopAtEnd.push(forger);

  cams.outside = await register(at.oldOutside, "Kelas 1B");
  cams.mismatch = await register(at.oldMismatch, "Kelas 1C");
  cams.auth = await register(at.oldAuth, "Kelas 1D");
  cams.digest = await register(at.oldDigest, "Kelas 1E");
  cams.honest = await register(at.oldHonest, "Kelas 1F");
  cams.legacy = await register(at.oldLegacy, "Kelas 1G");
  // As a camera registered before identities were kept (migration 004 leaves its columns empty).
  const db = new Database(join(gw.dataDir, "pantau.db"));
  db.prepare("UPDATE cameras SET onvif_serial = NULL, onvif_hardware_id = NULL WHERE id = ?").run(
    cams.legacy.id,
  );
  db.close();

  const outside = await moveTo(cams.outside, at.outside, { openDeviceInfo: true, record: true });
  await overheard(at.ear, at.outside, cams.outside.uuid, outside.xaddr);
  await moveTo(cams.mismatch, at.mismatch, { openDeviceInfo: true, serial: "FORGED-0001", record: true });
  await moveTo(cams.auth, at.auth, { record: true });
  await cams.digest.onvif.stop();
  await cams.digest.rtsp.stop();
  await digestHost(at.digest, cams.digest.uuid);
  await moveTo(cams.honest, at.honest, { openDeviceInfo: true, record: true });
  await moveTo(cams.legacy, at.legacy, { openDeviceInfo: true, record: true });

  firstRound = await gw.addressWatcher.runOnce();
}, 180_000);

afterAll(async () => {
  for (const s of stopAtEnd.reverse()) await s.stop();
  await gw.close();
}, 60_000);

it("keeps each camera's ONVIF serial number and hardware id from registration", async () => {
  const c = (await gw.admin.expect(200, "GET", `/api/cameras/${cams.forged.id}`)) as {
    source: Record<string, unknown>;
  };
  expect(c.source).toMatchObject({ serialNumber: "DS-2CD2043G2-I20220101AAWRJ00000001", hardwareId: "88" });
});

it("documents the camera-move routes in the OpenAPI document", async () => {
  const doc = (await gw.admin.expect(200, "GET", "/api/openapi.json")) as {
    paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
  };
  expect(doc.paths["/api/camera-moves"]?.get?.parameters?.map((p) => p.name)).toEqual(["schoolId", "status"]);
  expect(doc.paths["/api/camera-moves/{id}/confirm"]?.post).toBeDefined();
  expect(doc.paths["/api/camera-moves/{id}/dismiss"]?.post).toBeDefined();
});

describe("a forged camera that answers first with the camera's UUID", () => {
  it("does not move the camera while it still answers at its address", async () => {
    expect(firstRound.map((m) => m.cameraId)).not.toContain(cams.forged.id);
    expect(await cameraHost(cams.forged.id)).toBe(at.real);
  });

  it("never receives a credential: no WS-Security, no Authorization header, no RTSP login", async () => {
    expect(credentialsIn(forger)).toEqual([]);
    expect(forger.received().filter((r) => r.kind === "rtsp")).toEqual([]);
    // The camera still plays, from the real camera.
    const w = await gw.watch(cams.forged.id);
    expect((await ffprobe(w.hls)).codec).toBe("h264");
    expect(credentialsIn(forger)).toEqual([]);
  }, 60_000);

  it("becomes one pending item, audited once, however many rounds see it", async () => {
    const move = await onlyPending(cams.forged.id);
    expect(move).toMatchObject({
      cameraId: cams.forged.id,
      cameraName: "Kelas 1A depan",
      schoolId,
      deviceUuid: cams.forged.uuid,
      from: at.real,
      to: at.forger,
      status: "pending",
      reason: {
        code: "old_address_answers",
        messages: { id: expect.stringMatching(/masih menjawab/), en: expect.stringMatching(/still answers/) },
      },
    });
    expect(move.seenAt).toEqual(move.firstSeenAt);
    await gw.addressWatcher.runOnce();
    const again = await onlyPending(cams.forged.id);
    expect(again.id).toBe(move.id);
    expect(again.seenAt > move.seenAt).toBe(true);
    const audit = await audited("camera.move.pending", cams.forged.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: { kind: "system" },
      detail: { moveId: move.id, from: at.real, to: at.forger, reason: "old_address_answers" },
    });
    expect(await cameraHost(cams.forged.id)).toBe(at.real);
  }, 30_000);

  it("is refused to a teacher of the school and to another school's admin, unknown ids are 404; nothing changes", async () => {
    const move = await onlyPending(cams.forged.id);
    const before = dbSnapshot(gw.dataDir);
    expect((await teacherA.get(`/api/camera-moves?schoolId=${schoolId}`)).status).toBe(403);
    expect((await teacherA.post(`/api/camera-moves/${move.id}/confirm`)).status).toBe(403);
    expect((await teacherA.post(`/api/camera-moves/${move.id}/dismiss`)).status).toBe(403);
    expect((await adminB.get(`/api/camera-moves?schoolId=${schoolId}`)).status).toBe(404);
    expect(((await adminB.expect(200, "GET", "/api/camera-moves")) as { moves: unknown[] }).moves).toEqual(
      [],
    );
    for (const action of ["confirm", "dismiss"]) {
      const r = await adminB.post(`/api/camera-moves/${move.id}/${action}`);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("not_found");
      expect((await adminA.post(`/api/camera-moves/mov_nope/${action}`)).status).toBe(404);
      expect((await adminA.post(`/api/camera-moves/..%2F..%2Fetc/${action}`)).status).toBe(404);
    }
    expect((await new ApiClient(gw.url).post(`/api/camera-moves/${move.id}/confirm`)).status).toBe(401);
    expect((await adminA.get("/api/camera-moves?status=nonsense")).status).toBe(400);
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });

  it("dismissed by the school admin: the camera stays, audited, and the forger is not asked about again", async () => {
    const move = await onlyPending(cams.forged.id);
    const r = await adminA.post(`/api/camera-moves/${move.id}/dismiss`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.move).toMatchObject({ id: move.id, status: "dismissed", decidedBy: adminAId });
    expect(await cameraHost(cams.forged.id)).toBe(at.real);
    expect(await audited("camera.move.dismiss", cams.forged.id)).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ moveId: move.id, to: at.forger }) }),
    ]);

    await gw.addressWatcher.runOnce();
    expect(await pendingOf(adminA, cams.forged.id)).toEqual([]);
    expect((await pendingOf(adminA, cams.forged.id, "all")).map((m) => m.id)).toEqual([move.id]);

    // Decided is decided: a second answer changes nothing.
    const before = dbSnapshot(gw.dataDir);
    for (const action of ["dismiss", "confirm"]) {
      const again = await adminA.post(`/api/camera-moves/${move.id}/${action}`);
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({
        code: "move_decided",
        messages: { id: expect.any(String), en: expect.stringMatching(/already decided/) },
      });
    }
    expect(dbSnapshot(gw.dataDir)).toBe(before);
    expect(credentialsIn(forger)).toEqual([]);
  }, 30_000);
});

describe("the camera's old address is silent", () => {
  it("a new host outside onvif.reprobeRanges is pending, and is not even asked who it is", async () => {
    expect(firstRound.map((m) => m.cameraId)).not.toContain(cams.outside.id);
    expect(await cameraHost(cams.outside.id)).toBe(at.oldOutside);
    const move = await onlyPending(cams.outside.id);
    expect(move).toMatchObject({ from: at.oldOutside, to: at.outside, reason: { code: "outside_ranges" } });
    expect(cams.outside.onvif.received()).toEqual([]);
  });

  it("a host with another serial number is pending; it was asked only GetDeviceInformation, without credentials", async () => {
    expect(await cameraHost(cams.mismatch.id)).toBe(at.oldMismatch);
    const move = await onlyPending(cams.mismatch.id);
    expect(move).toMatchObject({ to: at.mismatch, reason: { code: "identity_mismatch" } });
    expectOnlyAskedWhoItIs(cams.mismatch.onvif);
  });

  it("a host that wants a WS-Security login for GetDeviceInformation is pending, and gets no digest", async () => {
    expect(await cameraHost(cams.auth.id)).toBe(at.oldAuth);
    const move = await onlyPending(cams.auth.id);
    expect(move).toMatchObject({ to: at.auth, reason: { code: "identity_needs_auth" } });
    expectOnlyAskedWhoItIs(cams.auth.onvif);
  });

  it("a host that challenges with HTTP Digest is pending, and the challenge is not answered", async () => {
    expect(await cameraHost(cams.digest.id)).toBe(at.oldDigest);
    const move = await onlyPending(cams.digest.id);
    expect(move).toMatchObject({ to: at.digest, reason: { code: "identity_needs_auth" } });
    // Asked again each round (it may yet answer), never with an answer to the challenge.
    expect(digestSeen.length).toBeGreaterThan(0);
    expect(digestSeen.filter((r) => r.authorization !== undefined)).toEqual([]);
  });

  it("in range with the same serial number and hardware id: moved without a person, audited, plays there", async () => {
    expect(firstRound).toEqual([
      { cameraId: cams.honest.id, deviceUuid: cams.honest.uuid, from: at.oldHonest, to: at.honest },
    ]);
    expect(await cameraHost(cams.honest.id)).toBe(at.honest);
    expect(await pendingOf(adminA, cams.honest.id)).toEqual([]);
    expect(await audited("camera.address_changed", cams.honest.id)).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({ kind: "system" }),
        detail: expect.objectContaining({ deviceUuid: cams.honest.uuid, from: at.oldHonest, to: at.honest }),
      }),
    ]);
    // The identity was asked before any credential went there.
    expect(cams.honest.onvif.received()[0]).toEqual({
      kind: "soap",
      operation: "tds:GetDeviceInformation",
      wsSecurity: false,
      authorization: false,
    });
    const w = await gw.watch(cams.honest.id);
    expect((await ffprobe(w.hls)).codec).toBe("h264");
  }, 60_000);

  it("a camera registered before identities were kept is pending, though the new host would match", async () => {
    expect(await cameraHost(cams.legacy.id)).toBe(at.oldLegacy);
    const move = await onlyPending(cams.legacy.id);
    expect(move).toMatchObject({ to: at.legacy, reason: { code: "no_identity" } });
    expect(cams.legacy.onvif.received()).toEqual([]);
  });

  it("confirmed by the school admin: the camera moves there as an automatic move would, audited, plays", async () => {
    const move = await onlyPending(cams.outside.id);
    const r = await adminA.post(`/api/camera-moves/${move.id}/confirm`);
    expect(r.status, r.text).toBe(200);
    expect(r.body.move).toMatchObject({ id: move.id, status: "confirmed", decidedBy: adminAId });
    expect(r.body.camera.source).toMatchObject({
      host: at.outside,
      url: cams.outside.rtsp.url("main"),
      subUrl: cams.outside.rtsp.url("sub"),
      hasPassword: true,
    });
    expect(await audited("camera.move.confirm", cams.outside.id)).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({ kind: "user", id: adminAId }),
        detail: expect.objectContaining({ moveId: move.id, from: at.oldOutside, to: at.outside }),
      }),
    ]);
    const w = await gw.watch(cams.outside.id);
    expect((await ffprobe(w.hls)).codec).toBe("h264");
    expect((await adminA.post(`/api/camera-moves/${move.id}/confirm`)).status).toBe(409);
    // Found where it now is, nothing is pending about it any more.
    await gw.addressWatcher.runOnce();
    expect(await pendingOf(adminA, cams.outside.id)).toEqual([]);
  }, 60_000);
});
