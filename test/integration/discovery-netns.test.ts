import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway-process.js";
import { waitFor } from "../helpers/media.js";
import { createTestNetwork, type TestNetwork } from "../helpers/netns.js";
import {
  profilesOf,
  startOnvifCamera,
  testCameraStreams,
  type OnvifCamera,
  type OnvifCameraOptions,
} from "../helpers/onvif-camera.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// Multicast discovery for real: 20 camera namespaces and a gateway namespace on a bridge, in a test subnet
// that exists only inside them (test/helpers/netns.ts). Each camera is the ONVIF simulator answering
// WS-Discovery on 239.255.255.250; camera 1 also streams from the GStreamer test camera in its namespace.
// The gateway runs as `npm start` runs it, inside the gateway namespace; requests reach it from there.
// Needs root, as CI has: without it createTestNetwork throws and this file fails (it never skips).

const CAMERAS = 20;
const creds = { username: "admin", password: "Kamera-123" };
const streams = { ...testCameraStreams, ...creds };
const admin = { username: "operator", password: "operator-netns-password" };
const TSX = ["--import", "tsx"];

let net: TestNetwork;
let sims: OnvifCamera[] = [];
let rtsp: TestCamera;
let gw: GatewayProcess;
const uuids = Array.from({ length: CAMERAS }, () => `urn:uuid:${randomUUID()}`);

const simulator = (i: number, host: string, extra: OnvifCameraOptions = {}) =>
  startOnvifCamera({
    netns: net.cameras[i]?.ns ?? "",
    host,
    multicast: true,
    uuid: uuids[i] ?? "",
    name: `Kelas ${String(i + 1)}`,
    ...creds,
    ...extra,
  });

interface Discovered {
  uuid: string;
  address: string;
  answeredAfterMs: number;
  deviceServiceUrl: string;
}

/** scripts/onvif-discover.ts in the gateway namespace: the gateway's own prober. */
async function discover(args: string[]): Promise<{ devices: Discovered[]; durationMs: number }> {
  const r = await net.exec(
    net.gateway.ns,
    process.execPath,
    [...TSX, "scripts/onvif-discover.ts", "--json", ...args],
    { timeoutMs: 30_000 },
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "") as {
    devices: Discovered[];
    durationMs: number;
  };
}

/** Calls the gateway's API from inside the gateway namespace, signed in as the operator. */
async function api(
  requests: { method: string; path: string; body?: unknown }[],
): Promise<{ status: number; body: any }[]> {
  const r = await net.exec(net.gateway.ns, process.execPath, [...TSX, "test/helpers/netns-fetch.ts"], {
    input: JSON.stringify({ base: gw.url, login: admin, requests }),
    timeoutMs: 30_000,
  });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim()) as { status: number; body: any }[];
}

const expectEveryCamera = (devices: Discovered[]) => {
  const found = new Map(devices.map((d) => [d.uuid, d.address]));
  for (let i = 0; i < CAMERAS; i++)
    expect(found.get(uuids[i] ?? ""), `camera ${String(i + 1)}`).toBe(net.cameras[i]?.ip);
};

beforeAll(async () => {
  net = await createTestNetwork({ cameras: CAMERAS, name: "disc" });
  const first = net.cameras[0];
  if (!first) throw new Error("no camera namespace");
  rtsp = await startTestCamera({
    netns: first.ns,
    host: first.ip,
    port: 8554,
    ...streams,
  });
  sims = await Promise.all(net.cameras.map((c, i) => simulator(i, c.ip, i === 0 ? profilesOf(rtsp) : {})));
}, 120_000);

afterAll(async () => {
  await Promise.all(sims.map((s) => s.stop()));
  await rtsp.stop();
  await gw.cleanup();
  await net.destroy();
}, 60_000);

describe("WS-Discovery across network namespaces", () => {
  it("one multicast probe from the gateway namespace finds all 20 cameras, each at its own address", async () => {
    // Until all 20 answered (--expect), with a long wait only as the limit: a count of the answers in a
    // 3 s wait failed when a loaded machine was slower than the cameras' 500 ms APP_MAX_DELAY spread.
    const r = await discover([
      "--interface",
      net.gateway.ip,
      "--timeout-ms",
      "20000",
      "--expect",
      String(CAMERAS),
    ]);
    expect(r.devices).toHaveLength(CAMERAS);
    expectEveryCamera(r.devices);
  });

  it("a unicast scan of the /24 finds them too, without multicast", async () => {
    const r = await discover([
      ...["--no-multicast", "--cidr", net.subnet],
      ...["--timeout-ms", "20000", "--expect", String(CAMERAS)],
    ]);
    expect(r.devices).toHaveLength(CAMERAS);
    expectEveryCamera(r.devices);
  });
});

describe("the gateway in the school's network", () => {
  let cameraId: string;

  beforeAll(async () => {
    gw = await startGatewayProcess(
      {
        PANTAU_DEMO: "0",
        PANTAU_ADMIN_USER: admin.username,
        PANTAU_ADMIN_PASSWORD: admin.password,
        PANTAU_ONVIF_SCAN_SECONDS: "1.5",
        PANTAU_ONVIF_REPROBE_SECONDS: "1",
        // The school's camera network: a camera re-found inside it may be followed without a person.
        PANTAU_ONVIF_REPROBE_RANGES: net.subnet,
      },
      { netns: net.gateway.ns },
    );
  }, 60_000);

  it("POST /api/discovery/scan by multicast lists all 20, none registered", async () => {
    // The interface by name, as an admin picks it; the gateway resolves it to its address.
    const [scan] = await api([
      { method: "POST", path: "/api/discovery/scan", body: { interface: net.gateway.ifname } },
    ]);
    expect(scan?.status).toBe(200);
    expect(scan?.body.probed).toMatchObject({ multicast: true, interface: net.gateway.ip });
    expectEveryCamera(scan?.body.devices);
    expect(scan?.body.devices.every((d: { registered: boolean }) => !d.registered)).toBe(true);
  });

  it("registers camera 1 by ONVIF across the bridge, and it plays", async () => {
    const [school] = await api([
      { method: "POST", path: "/api/schools", body: { name: "SD Negeri Jaringan" } },
    ]);
    const [created] = await api([
      {
        method: "POST",
        path: "/api/cameras",
        body: {
          schoolId: school?.body.id,
          name: "Kelas 1",
          source: { kind: "onvif", host: net.cameras[0]?.ip, port: sims[0]?.httpPort, ...creds },
        },
      },
    ]);
    expect(created?.status, JSON.stringify(created?.body)).toBe(201);
    cameraId = created?.body.id;
    expect(created?.body.source).toMatchObject({
      kind: "onvif",
      deviceUuid: uuids[0],
      host: net.cameras[0]?.ip,
    });
    await expectPlays();
  }, 60_000);

  it("follows camera 1 when DHCP gives it a new address: the multicast re-probe finds its UUID, audited", async () => {
    const cam = net.cameras[0];
    if (!cam) throw new Error("no camera 1");
    const oldIp = cam.ip;
    await sims[0]?.stop();
    await rtsp.stop();
    const newIp = net.subnet.replace(/\.0\/24$/, ".200");
    await net.moveCamera(0, newIp);
    rtsp = await startTestCamera({
      netns: cam.ns,
      host: newIp,
      port: 8554,
      ...streams,
    });
    // Followed on its own: the old address is silent, the new one is inside onvif.reprobeRanges, and it
    // tells the same serial number and hardware id without being given credentials.
    sims[0] = await simulator(0, newIp, {
      ...profilesOf(rtsp),
      openDeviceInfo: true,
    });

    // The gateway re-probes every second (PANTAU_ONVIF_REPROBE_SECONDS=1) by multicast on its interface.
    const moved = await waitFor<{ source: Record<string, unknown> }>(
      "the camera to be found at its new address",
      async () => {
        const [c] = await api([{ method: "GET", path: `/api/cameras/${cameraId}` }]);
        return c?.body.source.host === newIp ? (c.body as { source: Record<string, unknown> }) : undefined;
      },
      30_000,
    );
    expect(moved.source).toMatchObject({
      url: `rtsp://${newIp}:8554/main`,
      subUrl: `rtsp://${newIp}:8554/sub`,
    });
    const [audit] = await api([{ method: "GET", path: "/api/audit?action=camera.address_changed" }]);
    expect(audit?.body.events).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({ kind: "system" }),
        detail: expect.objectContaining({ deviceUuid: uuids[0], from: oldIp, to: newIp }),
      }),
    ]);
    await expectPlays();
  }, 90_000);

  async function expectPlays(): Promise<void> {
    const [w] = await api([{ method: "POST", path: `/api/watch/${cameraId}`, body: {} }]);
    expect(w?.status).toBe(200);
    const url = new URL(w?.body.hls as string, gw.url).toString();
    const probe = await net.exec(
      net.gateway.ns,
      "ffprobe",
      [
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=codec_name,width",
        "-of",
        "json",
        url,
      ],
      { timeoutMs: 30_000 },
    );
    expect(probe.code, probe.stderr).toBe(0);
    const stream = (JSON.parse(probe.stdout) as { streams: { codec_name: string; width: number }[] })
      .streams[0];
    expect(stream?.codec_name).toBe("h264");
    expect([320, 640]).toContain(stream?.width);
  }
});

describe("a network without a multicast route", () => {
  // The `onvif` package's probe returns an empty list and no error here; an admin would read "no cameras".
  beforeAll(async () => {
    const r = await net.exec(net.gateway.ns, "ip", ["route", "del", "239.0.0.0/8"]);
    expect(r.code, r.stderr).toBe(0);
  });

  it("the prober says the multicast Probe could not be sent", async () => {
    const r = await net.exec(
      net.gateway.ns,
      process.execPath,
      [...TSX, "scripts/onvif-discover.ts", "--json", "--timeout-ms", "1000"],
      { timeoutMs: 30_000 },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/multicast Probe could not be sent \(ENETUNREACH\)/);
  });

  it("the scan API answers 502 multicast_unavailable, explained, and the gateway carries on", async () => {
    const [scan, cameras] = await api([
      { method: "POST", path: "/api/discovery/scan", body: { timeoutMs: 1000 } },
      { method: "GET", path: "/api/cameras" },
    ]);
    expect(scan?.status).toBe(502);
    expect(scan?.body.error).toMatchObject({
      code: "multicast_unavailable",
      messages: {
        id: expect.stringMatching(/multicast/),
        en: expect.stringMatching(/cannot send multicast/),
      },
    });
    expect(cameras?.status).toBe(200);
    // A range scan still works without multicast. Regression: it missed camera 1, now at .200, because the
    // probes to a /24's empty addresses (each held ~3 s for ARP) filled the one socket's send buffer, and the
    // probe to .200 left only after the 1.5 s scan had ended.
    const [range] = await api([
      { method: "POST", path: "/api/discovery/scan", body: { multicast: false, cidr: net.subnet } },
    ]);
    expect(range?.status).toBe(200);
    expect(range?.body.devices).toHaveLength(CAMERAS);
  });
});
