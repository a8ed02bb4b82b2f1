import dgram from "node:dgram";
import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultAllowedNetworks } from "../../gateway/src/net/allowed-networks.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startGatewayProcess } from "../helpers/gateway-process.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";

// Regression (issue 9, item 9): ONVIF inspect, camera tests, camera URLs and scans connected wherever an
// admin pointed them — the gateway's own loopback, 169.254.169.254, the internet — and told refused from
// timeout from an HTTP status: a port scanner for anyone with an admin login. Now every target is
// resolved and checked against network.allowedNetworks first and refused before a packet is sent.
//
// The canary: TCP listeners on 127.0.0.1 and ::1 and a UDP socket on the gateway's WS-Discovery port.
// Every loopback target below points at them, so "nothing was contacted" is observed, not assumed. Public
// and metadata targets are only ever refused, never reached: their answer code is the proof.

interface Canary {
  port: number;
  port6: number;
  udpPort: number;
  hits: string[];
  close(): Promise<void>;
}

async function startCanary(): Promise<Canary> {
  const hits: string[] = [];
  const sockets = new Set<net.Socket>();
  const tcp = (host: string) =>
    new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer((s) => {
        hits.push(`tcp ${host} from ${s.remoteAddress ?? "?"}`);
        sockets.add(s);
        s.on("error", () => undefined);
        s.destroy();
      });
      server.once("error", reject);
      server.listen(0, host, () => resolve(server));
    });
  const [v4, v6] = await Promise.all([tcp("127.0.0.1"), tcp("::1")]);
  const udp = dgram.createSocket("udp4");
  udp.on("message", (_m, from) => hits.push(`udp from ${from.address}`));
  await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
  return {
    port: portOf(v4),
    port6: portOf(v6),
    udpPort: udp.address().port,
    hits,
    close: async () => {
      for (const s of sockets) s.destroy();
      udp.close();
      await Promise.all([v4, v6].map((s) => new Promise((r) => s.close(r))));
    },
  };
}

let canary: Canary;
let storedCameraId: string;
let dataDir: string;

beforeAll(async () => {
  canary = await startCanary();
});
afterAll(async () => {
  await canary.close();
});
afterEach(() => {
  expect(canary.hits.splice(0), "the gateway contacted a refused address").toEqual([]);
});

/** A refusal as the API gives it: 422, the field, the reason, and texts naming the setting. */
function expectRefused(
  r: { status: number; body: any; text: string },
  field: string,
  reason: string | RegExp = /.+/,
) {
  expect(r.status, r.text).toBe(422);
  expect(r.body.error).toMatchObject({ code: "address_not_allowed", field });
  if (r.body.error.reason !== undefined) expect(r.body.error.reason).toMatch(reason);
  expect(r.body.error.messages.en).toMatch(/network\.allowedNetworks \(PANTAU_NETWORK_ALLOWED_NETWORKS\)/);
  expect(r.body.error.messages.id).toMatch(/network\.allowedNetworks/);
}

/**
 * Hosts an admin might type that are the gateway's own machine, each pointing at the canary:
 * [as typed in a host field, as written in a URL, whether it is the IPv6 listener].
 */
const loopbackHosts: [string, string, boolean][] = [
  ["127.0.0.1", "127.0.0.1", false],
  ["localhost", "localhost", false],
  ["::1", "[::1]", true],
  ["::ffff:127.0.0.1", "[::ffff:127.0.0.1]", false],
  // Decimal and hex forms that getaddrinfo (ffmpeg's resolver) reads as 127.0.0.1.
  ["2130706433", "2130706433", false],
  ["0x7f.1", "0x7f.1", false],
  // Connecting to 0.0.0.0 reaches the machine itself (Linux connects it to 127.0.0.1).
  ["0.0.0.0", "0.0.0.0", false],
];
const canaryPort = (v6: boolean) => (v6 ? canary.port6 : canary.port);

/** Targets that are never reachable from a test: refused, or the test would send traffic off the machine. */
const farHosts: [string, string][] = [
  ["169.254.169.254", "metadata"],
  ["8.8.8.8", "not_allowed"],
];

describe("a gateway whose setting names loopback (as in tests) still refuses the metadata address", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ onvif: { discoveryPort: canary.udpPort } }, { keepData: true });
    dataDir = gw.dataDir;
  });
  afterAll(async () => {
    await gw.close();
  });

  it("inspect, camera test, camera create and scan refuse 169.254.169.254; nothing stored", async () => {
    const school = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Lab" })) as { id: string };
    const before = dbSnapshot(gw.dataDir);
    expectRefused(
      await gw.admin.request("POST", "/api/onvif/inspect", { host: "169.254.169.254" }),
      "host",
      "metadata",
    );
    expectRefused(
      await gw.admin.request("POST", "/api/cameras/test", { url: "rtsp://169.254.169.254/live" }),
      "url",
    );
    expectRefused(
      await gw.admin.request("POST", "/api/cameras", {
        schoolId: school.id,
        name: "Metadata",
        source: { kind: "rtsp", url: "rtsp://169.254.169.254:80/latest/meta-data" },
      }),
      "source.url",
      "metadata",
    );
    expectRefused(
      await gw.admin.request("POST", "/api/cameras", {
        schoolId: school.id,
        name: "Metadata",
        source: { kind: "onvif", host: "169.254.169.254" },
      }),
      "source.host",
      "metadata",
    );
    expectRefused(
      await gw.admin.request("POST", "/api/discovery/scan", { multicast: false, hosts: ["169.254.169.254"] }),
      "hosts",
      "metadata",
    );
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });

  it("stores a camera on loopback, which is allowed here (for the next gateway, which does not allow it)", async () => {
    const camera = await gw.addCamera({
      name: "Kamera loopback",
      source: { kind: "rtsp", url: `rtsp://localhost:${String(canary.port)}/main` },
    });
    storedCameraId = camera.id;
  });
});

describe("a gateway with the production default networks", () => {
  let gw: TestGateway;
  let schoolId: string;
  let before: string;

  beforeAll(async () => {
    // The same database as above: its camera on localhost is now outside the allowed networks.
    gw = await startTestGateway(
      { network: { allowedNetworks: [...defaultAllowedNetworks] }, onvif: { discoveryPort: canary.udpPort } },
      { dataDir },
    );
    schoolId = gw.cameras.get(storedCameraId)?.schoolId ?? "";
    before = dbSnapshot(gw.dataDir);
  });
  afterAll(async () => {
    await gw.close();
  });

  it.each(loopbackHosts)(
    "POST /api/onvif/inspect {host: %s} is refused before anything is sent (SOAP or UUID probe)",
    async (host, _inUrl, v6) => {
      const r = await gw.admin.request("POST", "/api/onvif/inspect", { host, port: canaryPort(v6) });
      expectRefused(r, "host");
    },
  );

  it.each(farHosts)("POST /api/onvif/inspect {host: %s} is refused: %s", async (host, reason) => {
    expectRefused(await gw.admin.request("POST", "/api/onvif/inspect", { host }), "host", reason);
  });

  const rtspTargets = (): string[] => [
    ...loopbackHosts.map(([, inUrl, v6]) => `rtsp://${inUrl}:${String(canaryPort(v6))}/main`),
    // User info that looks like an allowed host: the host is 127.0.0.1.
    `rtsp://10.0.0.1@127.0.0.1:${String(canary.port)}/main`,
    `rtsp://admin:x@localhost:${String(canary.port)}/main`,
    ...farHosts.map(([host]) => `rtsp://${host}/main`),
  ];

  it("POST /api/cameras/test refuses every one of them with one answer, whatever listens there", async () => {
    for (const url of rtspTargets()) {
      const r = await gw.admin.request("POST", "/api/cameras/test", { url });
      expectRefused(r, "url");
      expect(r.body.error.detail, url).toMatch(/: (loopback|unspecified|metadata|not_allowed)$/);
    }
  });

  it("POST /api/cameras with an RTSP URL (or sub URL) among them is refused and stores nothing", async () => {
    for (const url of rtspTargets()) {
      expectRefused(
        await gw.admin.request("POST", "/api/cameras", {
          schoolId,
          name: "Kamera",
          source: { kind: "rtsp", url },
        }),
        "source.url",
      );
      expectRefused(
        await gw.admin.request("POST", "/api/cameras", {
          schoolId,
          name: "Kamera",
          source: { kind: "rtsp", url: "rtsp://10.0.0.64/main", subUrl: url },
        }),
        "source.subUrl",
      );
    }
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });

  it("POST /api/cameras by ONVIF at any of them is refused and stores nothing", async () => {
    for (const [host, , v6] of loopbackHosts) {
      expectRefused(
        await gw.admin.request("POST", "/api/cameras", {
          schoolId,
          name: "Kamera",
          source: { kind: "onvif", host, port: canaryPort(v6) },
        }),
        "source.host",
      );
    }
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });

  it("PATCH /api/cameras/:id onto one of them is refused and changes nothing", async () => {
    for (const url of rtspTargets()) {
      expectRefused(
        await gw.admin.request("PATCH", `/api/cameras/${storedCameraId}`, { source: { kind: "rtsp", url } }),
        "source.url",
      );
    }
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });

  it("POST /api/discovery/scan refuses a host list or a range outside the allowed networks", async () => {
    expectRefused(
      await gw.admin.request("POST", "/api/discovery/scan", { multicast: false, hosts: ["127.0.0.1"] }),
      "hosts",
      "loopback",
    );
    expectRefused(
      await gw.admin.request("POST", "/api/discovery/scan", {
        multicast: false,
        hosts: ["10.0.0.64", "8.8.8.8"],
      }),
      "hosts",
      "not_allowed",
    );
    expectRefused(
      await gw.admin.request("POST", "/api/discovery/scan", { multicast: false, cidr: "8.8.8.0/30" }),
      "cidr",
      "not_allowed",
    );
    expectRefused(
      await gw.admin.request("POST", "/api/discovery/scan", { multicast: false, cidr: "127.0.0.0/24" }),
      "cidr",
      "loopback",
    );
  });

  it("a stored camera whose address is no longer allowed: its test is refused and ffmpeg never starts", async () => {
    const r = await gw.admin.request("POST", `/api/cameras/${storedCameraId}/test`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ ok: false, main: { ok: false, error: { code: "address_not_allowed" } } });

    // A viewer asks for it: the start is refused where ffmpeg's URL is built, with the reason logged.
    gw.streams.get(storedCameraId, "main")?.acquire();
    const health = await waitFor("the refused start in health", async () => {
      const h = await gw.health();
      const main = h.renditions.find((x) => x.cameraId === storedCameraId);
      return typeof main?.lastError === "string" ? main : undefined;
    });
    expect(health.lastError).toMatch(
      /not started: camera address not allowed \(network\.allowedNetworks\): localhost → 127\.0\.0\.1: loopback/,
    );
    expect(health.pid).toBeUndefined();
    expect(dbSnapshot(gw.dataDir)).toBe(before);
  });
});

describe("network.allowedNetworks at start", () => {
  it("a bad CIDR stops the gateway, naming the setting", async () => {
    await expect(
      startGatewayProcess({ PANTAU_DEMO: "0", PANTAU_NETWORK_ALLOWED_NETWORKS: "10.0.0.0/8 192.168.1.0/40" }),
    ).rejects.toThrow(
      /network\.allowedNetworks\.1 \(PANTAU_NETWORK_ALLOWED_NETWORKS\): "192\.168\.1\.0\/40": a prefix length is at most 32/,
    );
  });
});
