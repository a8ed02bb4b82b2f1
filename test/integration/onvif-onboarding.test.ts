import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiClient } from "../helpers/api-client.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { ffprobe } from "../helpers/media.js";
import {
  profilesOf,
  randomLoopbackHost,
  startOnvifCamera,
  testCameraStreams,
  type OnvifCamera,
} from "../helpers/onvif-camera.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// ONVIF onboarding with the real parts: the ONVIF simulator (scripts/onvif-camera.ts) in front of the
// GStreamer RTSP test camera, both on one loopback address as a real camera's services share one IP, and
// the gateway's discovery, inspection and registration through its HTTP API.

const creds = { username: "admin", password: "Kamera-123" };
const streams = { ...testCameraStreams, ...creds };

let gw: TestGateway;
let host: string;
/** Where DHCP moves the camera later; the gateway re-probes it by unicast (no multicast on loopback). */
let newHost: string;
let rtsp: TestCamera;
let onvif: OnvifCamera;
let schoolId: string;
const uuid = `urn:uuid:${randomUUID()}`;

beforeAll(async () => {
  host = randomLoopbackHost();
  newHost = randomLoopbackHost();
  gw = await startTestGateway({
    onvif: { scanSeconds: 1.5, soapTimeoutSeconds: 2, reprobeRanges: [`${newHost}/32`] },
  });
  schoolId = (
    (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Negeri 1 Onvif" })) as { id: string }
  ).id;
  rtsp = await startTestCamera({ host, ...streams });
  onvif = await startOnvifCamera({
    host,
    uuid,
    ...creds,
    // The camera's clock is an hour behind: the gateway must correct its WS-Security time for it.
    skewSeconds: -3600,
    ...profilesOf(rtsp),
    name: "Kelas 1A depan",
    hardware: "DS-2CD2143G0-I",
    location: "SDN 1/ruang 1A",
  });
}, 60_000);

afterAll(async () => {
  await onvif.stop();
  await rtsp.stop();
  await gw.close();
});

// A scan of named hosts ends once each has answered, so a long wait costs nothing and only bounds a camera
// that never answers; a loaded machine cannot push a live camera's answer past it.
const scanWaitMs = 20_000;
const scan = (client: ApiClient, body: Record<string, unknown>) =>
  client.request("POST", "/api/discovery/scan", { multicast: false, timeoutMs: scanWaitMs, ...body });

describe("discover → inspect → register → watch", () => {
  let cameraId: string;

  it("a unicast scan finds the camera with its UUID, scopes and XAddr on the answering host", async () => {
    const r = await scan(gw.admin, { hosts: [host] });
    expect(r.status).toBe(200);
    expect(r.body.devices).toHaveLength(1);
    expect(r.body.devices[0]).toMatchObject({
      uuid,
      address: host,
      deviceServiceUrl: onvif.xaddr,
      xaddrRewritten: false,
      scopes: { name: "Kelas 1A depan", hardware: "DS-2CD2143G0-I", location: "SDN 1/ruang 1A" },
      registered: false,
      cameras: [],
    });
    expect(r.body.probed).toEqual({ multicast: false, interface: null, unicastHosts: 1 });
    // Every host asked has answered: the scan ends then, not after its whole wait.
    expect(r.body.durationMs).toBeLessThan(scanWaitMs);
  });

  it("a range scan over a /29 finds it too", async () => {
    // Five of the six hosts never answer, so this one waits its whole time: a few seconds, not 20.
    const r = await scan(gw.admin, { cidr: `${host}/29`, timeoutMs: 4000 });
    expect(r.status).toBe(200);
    expect(r.body.devices.map((d: { uuid: string }) => d.uuid)).toEqual([uuid]);
    expect(r.body.probed.unicastHosts).toBeGreaterThanOrEqual(6);
  });

  it("a Dahua-style camera, which names itself uuid:…, is listed and inspected the same way", async () => {
    const dahuaHost = randomLoopbackHost();
    const dahuaUuid = randomUUID();
    const dahua = await startOnvifCamera({
      host: dahuaHost,
      uuid: `urn:uuid:${dahuaUuid}`,
      style: "dahua",
      ...creds,
    });
    try {
      const r = await scan(gw.admin, { hosts: [dahuaHost] });
      expect(r.body.devices[0]).toMatchObject({ uuid: `urn:uuid:${dahuaUuid}`, address: dahuaHost });
      const i = await gw.admin.request("POST", "/api/onvif/inspect", {
        host: dahuaHost,
        port: dahua.httpPort,
        ...creds,
      });
      expect(i.status, i.text).toBe(200);
      expect(i.body.uuid).toBe(`urn:uuid:${dahuaUuid}`);
      expect(i.body.suggested).toEqual({ main: "MediaProfile00000", sub: "MediaProfile00001" });
      // A device service elsewhere than /onvif/device_service is reached by its path (as a scan reports it).
      const other = await gw.admin.request("POST", "/api/onvif/inspect", {
        host: dahuaHost,
        port: dahua.httpPort,
        path: "/onvif/media_service",
        ...creds,
      });
      expect(other.status, other.text).toBe(200);
      expect(other.body.deviceServiceUrl).toBe(
        `http://${dahuaHost}:${String(dahua.httpPort)}/onvif/media_service`,
      );
      expect(i.body.profiles[0].streamUri).toMatch(
        new RegExp(`^rtsp://${dahuaHost.replace(/\./g, "\\.")}(:554)?/cam/realmonitor\\?channel=1&subtype=0`),
      );
    } finally {
      await dahua.stop();
    }
  });

  it("an H.265 profile is marked as needing transcoding, and an H.264 one is suggested as main", async () => {
    const h265Host = randomLoopbackHost();
    const cam = await startOnvifCamera({ host: h265Host, mainEncoding: "H265", ...creds });
    try {
      const i = await gw.admin.request("POST", "/api/onvif/inspect", {
        host: h265Host,
        port: cam.httpPort,
        ...creds,
      });
      expect(i.status, i.text).toBe(200);
      const [main, sub] = i.body.profiles;
      expect(main).toMatchObject({ encoding: "H265", codec: "h265", needsTranscode: true });
      expect(sub).toMatchObject({ encoding: "H264", codec: "h264", needsTranscode: false });
      // Browsers play H.264 as it comes; the larger H.265 stream would cost a transcode.
      expect(i.body.suggested).toEqual({ main: sub.token, sub: null });
    } finally {
      await cam.stop();
    }
  });

  it("inspect reads identity, clock skew, profiles and stream URIs, and suggests main and sub", async () => {
    const r = await gw.admin.request("POST", "/api/onvif/inspect", { host, port: onvif.httpPort, ...creds });
    expect(r.status, r.text).toBe(200);
    const i = r.body;
    expect(i.uuid).toBe(uuid);
    expect(i.device.manufacturer).toBeTruthy();
    expect(Math.abs(Number(i.clock.skewSeconds) + 3600)).toBeLessThanOrEqual(2);
    expect(i.warnings.map((w: { code: string }) => w.code)).toContain("onvif_clock_far_off");
    expect(i.warnings[0].messages.id).toMatch(/Jam kamera/);
    expect(i.profiles).toHaveLength(2);
    const [main, sub] = i.profiles;
    expect(main).toMatchObject({
      codec: "h264",
      width: 640,
      height: 360,
      needsTranscode: false,
      streamUri: rtsp.url("main"),
    });
    expect(sub).toMatchObject({ codec: "h264", width: 320, height: 180, streamUri: rtsp.url("sub") });
    expect(i.suggested).toEqual({ main: main.token, sub: sub.token });
    expect(i.registered).toBe(false);
    expect(JSON.stringify(i)).not.toContain(creds.password);
  });

  it("registers by ONVIF: stream URLs stored without credentials, device UUID kept, and it plays", async () => {
    const r = await gw.admin.request("POST", "/api/cameras", {
      schoolId,
      name: "Kelas 1A",
      source: { kind: "onvif", host, port: onvif.httpPort, ...creds },
    });
    expect(r.status, r.text).toBe(201);
    cameraId = r.body.id;
    expect(r.body.source).toMatchObject({
      kind: "onvif",
      host,
      port: onvif.httpPort,
      deviceUuid: uuid,
      url: rtsp.url("main"),
      subUrl: rtsp.url("sub"),
      username: creds.username,
      hasPassword: true,
    });
    expect(r.body.renditions).toEqual(["main", "sub"]);
    // The stream was opened before registering, so its codec is already known.
    expect(r.body.videoCodec).toBe("h264");
    expect(r.text).not.toContain(creds.password);
    const db = dbSnapshot(gw.dataDir);
    expect(db).not.toContain(creds.password);
    expect(db).not.toContain(`${creds.username}:`);

    const w = await gw.watch(cameraId);
    const p = await ffprobe(w.hls);
    expect(p).toMatchObject({ codec: "h264" });
    expect([320, 640]).toContain(p.width);
  }, 60_000);

  it("a second scan says the camera is registered, and which one", async () => {
    const r = await scan(gw.admin, { hosts: [host] });
    expect(r.body.devices[0]).toMatchObject({
      registered: true,
      cameras: [{ id: cameraId, name: "Kelas 1A", schoolId }],
    });
  });

  it("the same camera cannot be registered twice", async () => {
    const before = dbSnapshot(gw.dataDir);
    const r = await gw.admin.request("POST", "/api/cameras", {
      schoolId,
      name: "Kelas 1A lagi",
      source: { kind: "onvif", host, port: onvif.httpPort, ...creds },
    });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain("Kelas 1A");
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });

  it("a profile the camera does not have is a 400 naming the field and the profiles it has", async () => {
    const r = await gw.admin.request("POST", "/api/cameras", {
      schoolId,
      name: "X",
      source: { kind: "onvif", host, port: onvif.httpPort, ...creds, profile: "Profile_9" },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe("source.profile");
    expect(r.body.error.message).toMatch(/no profile "Profile_9".*has/);
  });

  it("a wrong password is told as such, in Indonesian and English, and changes nothing", async () => {
    const before = dbSnapshot(gw.dataDir);
    const i = await gw.admin.request("POST", "/api/onvif/inspect", {
      host,
      port: onvif.httpPort,
      username: "admin",
      password: "salah",
    });
    expect(i.status).toBe(422);
    expect(i.body.error).toMatchObject({
      code: "onvif_auth_failed",
      messages: { id: expect.stringMatching(/kata sandi/), en: expect.stringMatching(/password/) },
    });
    const c = await gw.admin.request("POST", "/api/cameras", {
      schoolId,
      name: "Salah",
      source: { kind: "onvif", host, port: onvif.httpPort, username: "admin", password: "salah" },
    });
    expect(c.status).toBe(422);
    expect(c.body.error.code).toBe("onvif_auth_failed");
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });

  it("follows the camera to a new address (DHCP) by its UUID, audited, and it plays from there", async () => {
    await onvif.stop();
    await rtsp.stop();
    rtsp = await startTestCamera({
      host: newHost,
      port: rtsp.port,
      ...streams,
    });
    // Followed without a person only because the old address is silent, the new one is in
    // onvif.reprobeRanges, and it tells the same serial number and hardware id without credentials.
    onvif = await startOnvifCamera({
      host: newHost,
      uuid,
      ...creds,
      ...profilesOf(rtsp),
      openDeviceInfo: true,
    });

    const moves = await gw.addressWatcher.runOnce();
    expect(moves).toEqual([{ cameraId, deviceUuid: uuid, from: host, to: newHost }]);
    const c = await gw.admin.expect(200, "GET", `/api/cameras/${cameraId}`);
    expect(c.source).toMatchObject({
      kind: "onvif",
      host: newHost,
      port: onvif.httpPort,
      deviceUuid: uuid,
      url: rtsp.url("main"),
      subUrl: rtsp.url("sub"),
      hasPassword: true,
    });
    const audit = await gw.admin.expect(200, "GET", "/api/audit?action=camera.address_changed");
    expect(audit.events).toHaveLength(1);
    expect(audit.events[0]).toMatchObject({
      actor: { kind: "system" },
      target: { kind: "camera", id: cameraId },
      detail: { deviceUuid: uuid, from: host, to: newHost },
    });
    // A second round finds nothing to move.
    expect(await gw.addressWatcher.runOnce()).toEqual([]);

    const w = await gw.watch(cameraId);
    expect((await ffprobe(w.hls)).codec).toBe("h264");
  }, 90_000);
});
