import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  connect,
  errors,
  nkeyAuthenticator,
  type Msg,
  type NatsConnection,
  type Status,
} from "@nats-io/transport-node";
import type { BrowserContext, Page, WebSocket as PageSocket } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderAuthorization } from "../../gateway/src/fleet/nats-authorization.js";
import { newNkeyPair, seedBytes } from "../../gateway/src/fleet/nats-nkeys.js";
import { subjects } from "../../gateway/src/fleet/subjects.js";
import { ApiClient } from "../helpers/api-client.js";
import { launchChromium } from "../helpers/browser.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway-process.js";
import { waitFor } from "../helpers/media.js";
import { startNatsServer, type TestNatsServer } from "../helpers/nats-server.js";
import { createTestNetwork, type TestNetwork, type TestUplink } from "../helpers/netns.js";
import { allWeek, recordConsent } from "../helpers/school-fixture.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// Issue 13's three processes, each a real one: nats-server, a hub gateway and an edge gateway. The edge sits
// in the school's network (a namespace of test/helpers/netns.ts, the GStreamer RTSP camera on its LAN) and
// reaches the hub's NATS server over the school's uplink, which refuses every connection coming in. A
// parent at the hub watches the edge's camera in Chromium while the line is cut and the edge restarted;
// wrong credentials and another edge's subject are refused by the server; a revocation at the hub cuts the
// relayed viewer; the camera's password never reaches the hub's database or log.

const operator = { username: "operator", password: "operator-fleet-e2e" };
const cameraPassword = "sandi-kamera-sd7-9031";

let net: TestNetwork | undefined;
let uplink: TestUplink;
let nats: TestNatsServer | undefined;
let hub: GatewayProcess | undefined;
/** Every edge gateway process started (the edge, its restart, the impostor), for afterAll. */
const edgeProcesses: GatewayProcess[] = [];
let edge: GatewayProcess;
let camera: TestCamera | undefined;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
let phone: BrowserContext | undefined;
let page: Page;
const rawClients: NatsConnection[] = [];
let dir: string | undefined;
const dataDirs: string[] = [];

let admin: ApiClient;
let hubSeed: string;
let edgeId: string;
let edgeSeedFile: string;
let edgeSeed: string;
let otherEdgeId: string;
let guardianId: string;
let linkPath: string;
let cameraId: string;
/** Every WebSocket the parent's page opened, with when it closed. */
const sockets: { ws: PageSocket; closedAt?: number }[] = [];

const configYaml = (config: Record<string, unknown>) =>
  // JSON is YAML: nothing in a path or URL needs quoting by hand.
  JSON.stringify({
    demo: false,
    adminUser: operator.username,
    adminPassword: operator.password,
    http: { rateLimitPerMinute: 100_000 },
    access: { loginAttemptsPerIpPer15Min: 10_000 },
    ...config,
  });

/** An edge gateway process in the school's namespace, listening on every address there (the uplink's too). */
function startEdge(id: string, seedFile: string, dataDir?: string): Promise<GatewayProcess> {
  const started = startGatewayProcess(
    { PANTAU_DEMO: "0", PANTAU_HTTP_HOST: "0.0.0.0" },
    {
      netns: net!.gateway.ns,
      ...(dataDir !== undefined && { dataDir }),
      configYaml: configYaml({
        role: "edge",
        fleet: { servers: [nats!.url], edgeId: id, seedFile, statusSeconds: 0.5 },
      }),
    },
  );
  return started.then((p) => {
    edgeProcesses.push(p);
    return p;
  });
}

interface EdgeView {
  link: { online: boolean; lastContactAt: string | null; version: string | null };
}
const edgeView = (id: string) => admin.expect(200, "GET", `/api/edges/${id}`) as Promise<EdgeView>;
const waitOnline = (id: string, online: boolean) =>
  waitFor(`edge ${id} ${online ? "online" : "offline"} at the hub`, async () => {
    const v = await edgeView(id);
    return v.link.online === online ? v : undefined;
  });
const cameraHealth = () =>
  admin.expect(200, "GET", `/api/cameras/${cameraId}/health`) as Promise<{ state: string; reason: string }>;

/** The hub's renditions of the edge's camera (GET /api/health). */
const relayed = async () =>
  (
    (await admin.expect(200, "GET", "/api/health")) as {
      renditions: { cameraId: string; state: string; lastError: string | null }[];
    }
  ).renditions.filter((r) => r.cameraId === cameraId);

const reloads = () => nats!.log().split("Reloaded server configuration").length - 1;

interface Seen {
  decoded: number;
  currentTime: number;
  phase: string | undefined;
  listStatus: string;
}
// Polled with evaluate, not waitForFunction: the page's CSP (no eval) stays on, as parents get it.
const readPage = `(() => {
  const v = document.querySelector("video");
  const q = v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : undefined;
  return {
    decoded: q ? q.totalVideoFrames : 0,
    currentTime: v ? v.currentTime : 0,
    phase: document.getElementById("stage").dataset.phase,
    listStatus: document.getElementById("list-status").textContent,
  };
})()`;
const seen = () => page.evaluate<Seen>(readPage);

/** The picture moves: live, frames decoded, and playback time a second further than when first seen live. */
async function playing(what: string): Promise<void> {
  const first = await waitFor(
    `${what}: live with frames decoded`,
    async () => {
      const s = await seen();
      return s.decoded > 10 && s.phase === "live" ? s : undefined;
    },
    45_000,
  );
  await waitFor(
    `${what}: playback time advancing`,
    async () => {
      const s = await seen();
      return s.phase === "live" && s.currentTime > first.currentTime + 1 ? s : undefined;
    },
    45_000,
  );
}

/** A raw NATS client with an nkey seed, and every status event it reported. */
async function rawClient(seed: string, name: string): Promise<{ nc: NatsConnection; statuses: Status[] }> {
  const nc = await connect({
    servers: nats!.url,
    name,
    authenticator: nkeyAuthenticator(seedBytes(seed)),
    maxReconnectAttempts: 0,
  });
  rawClients.push(nc);
  const statuses: Status[] = [];
  void (async () => {
    for await (const s of nc.status()) statuses.push(s);
  })();
  return { nc, statuses };
}

beforeAll(async () => {
  // Namespaces need root: createTestNetwork throws (never skips) without it, failing every test below.
  net = await createTestNetwork({ cameras: 1, name: "fleet", uplink: true });
  if (!net.uplink) throw new Error("the test network has no uplink");
  uplink = net.uplink;
  const lan = net.cameras[0]!;
  dir = mkdtempSync(join(tmpdir(), "pantau-fleet-e2e-"));

  const hubKey = newNkeyPair();
  hubSeed = hubKey.seed;
  const hubSeedFile = join(dir, "hub.nk");
  writeFileSync(hubSeedFile, hubKey.seed, { mode: 0o600 });
  // The hub's NATS server listens on the hub's end of the school's uplink only.
  nats = await startNatsServer({
    authorization: renderAuthorization({ hub: hubKey, edges: [] }),
    host: uplink.hostIp,
  });
  camera = await startTestCamera({
    netns: lan.ns,
    host: lan.ip,
    username: "admin",
    password: cameraPassword,
  });
  hub = await startGatewayProcess(
    { PANTAU_DEMO: "0" },
    {
      configYaml: configYaml({
        role: "hub",
        fleet: {
          servers: [nats.url],
          seedFile: hubSeedFile,
          authorizationFile: nats.authorizationFile.path,
          natsPidFile: nats.pidFile,
          offlineAfterSeconds: 3,
        },
      }),
    },
  );
  admin = await new ApiClient(hub.url).login(operator.username, operator.password);

  // The school, its classroom and a guardian with a child there, consent recorded, an access link issued.
  const school = (await admin.expect(201, "POST", "/api/schools", { name: "SD Negeri 7 Sukamaju" })) as {
    id: string;
  };
  const room = (await admin.expect(201, "POST", `/api/schools/${school.id}/classrooms`, {
    name: "Kelas 1A",
    schedule: allWeek,
  })) as { id: string };
  const guardian = (await admin.expect(201, "POST", `/api/schools/${school.id}/guardians`, {
    name: "Ibu Sari",
    phone: "0812-3456-7890",
    children: [{ name: "Budi", classroomId: room.id }],
  })) as { id: string };
  guardianId = guardian.id;
  await recordConsent(admin, guardian.id);
  const link = (await admin.expect(201, "POST", `/api/guardians/${guardian.id}/links`, {})) as {
    url: string;
  };
  linkPath = new URL(link.url).pathname;

  // The school's edge, made at the hub: its seed is shown this once; the hub lets the server know its key.
  const before = reloads();
  const made = (await admin.expect(201, "POST", "/api/edges", {
    name: "SDN 7 edge",
    schoolId: school.id,
  })) as {
    edge: { id: string };
    credentials: { edgeId: string; seed: string };
  };
  edgeId = made.edge.id;
  expect(made.credentials.edgeId).toBe(edgeId);
  edgeSeed = made.credentials.seed;
  edgeSeedFile = join(dir, "edge.nk");
  writeFileSync(edgeSeedFile, made.credentials.seed, { mode: 0o600 });
  await waitFor("the NATS server to take the edge's key", () => reloads() > before);
  edge = await startEdge(edgeId, edgeSeedFile);
  dataDirs.push(edge.dataDir);
  await waitOnline(edgeId, true);

  // The camera, registered from the hub's console at the edge with its password.
  const registered = (await admin.expect(201, "POST", `/api/edges/${edgeId}/cameras`, {
    classroomId: room.id,
    name: "Kelas 1A depan",
    source: {
      kind: "rtsp",
      url: camera.url("main"),
      subUrl: camera.url("sub"),
      username: "admin",
      password: cameraPassword,
    },
  })) as { id: string; source: unknown };
  cameraId = registered.id;
  expect(registered.source).toEqual({ kind: "edge", edgeId, sub: true });

  // A second school's edge: the impostor's and the forger's target.
  const other = (await admin.expect(201, "POST", "/api/schools", { name: "SD Negeri 8 Sukamaju" })) as {
    id: string;
  };
  const reloadsBefore = reloads();
  otherEdgeId = (
    (await admin.expect(201, "POST", "/api/edges", { name: "SDN 8 edge", schoolId: other.id })) as {
      edge: { id: string };
    }
  ).edge.id;
  await waitFor("the NATS server to take the second edge's key", () => reloads() > reloadsBefore);

  browser = await launchChromium();
  phone = await browser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true });
  page = await phone.newPage();
  page.on("websocket", (ws) => {
    const s: { ws: PageSocket; closedAt?: number } = { ws };
    sockets.push(s);
    ws.on("close", () => {
      s.closedAt = Date.now();
    });
  });
  await page.goto(hub.url + linkPath);
  await Promise.all([
    page.waitForURL((u) => u.pathname === "/watch"),
    page.click("text=Tonton di HP ini / Watch on this phone"),
  ]);
  await page.locator(`#cameras button.camera[data-camera="${cameraId}"]`).waitFor();
}, 90_000);

afterAll(async () => {
  // Whatever beforeAll got to; one failing step does not keep the rest from being cleaned up.
  const steps: [string, () => Promise<unknown> | undefined][] = [
    ["raw NATS clients", () => Promise.all(rawClients.map((nc) => nc.close().catch(() => undefined)))],
    ["Chromium", () => browser?.cleanup()],
    ["edges", () => Promise.all(edgeProcesses.map((p) => p.cleanup()))],
    ["hub", () => hub?.cleanup()],
    ["camera", () => camera?.stop()],
    ["nats-server", () => nats?.stop()],
    ["network", () => net?.destroy()],
  ];
  const failed: string[] = [];
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (err) {
      failed.push(`${what}: ${String(err)}`);
    }
  }
  for (const d of [...dataDirs, ...(dir === undefined ? [] : [dir])])
    rmSync(d, { recursive: true, force: true });
  if (failed.length > 0) throw new Error(`cleanup failed: ${failed.join("; ")}`);
}, 60_000);

describe("fleet: hub, edge in a school network, and the hub's NATS server, as three processes", () => {
  it("the edge dials out but accepts no connection in over the school's uplink", async () => {
    expect((await edgeView(edgeId)).link.online).toBe(true);
    const port = Number(new URL(edge.url).port);
    // It listens on the uplink's address: from inside its namespace the API answers there.
    const inside = await net!.exec(
      net!.gateway.ns,
      process.execPath,
      ["--import", "tsx", "test/helpers/netns-fetch.ts"],
      {
        input: JSON.stringify({
          base: `http://${uplink.ip}:${String(port)}`,
          requests: [{ method: "GET", path: "/healthz" }],
        }),
      },
    );
    expect(inside.stdout, inside.stderr).toContain('"status":200');
    // From the hub's side the connection is never made: its SYN and the kernel's retry of it are dropped.
    const dropped = await uplink.dropped();
    let connected = false;
    const socket = createConnection({ host: uplink.ip, port });
    socket.on("connect", () => (connected = true));
    socket.on("error", () => undefined);
    await waitFor(
      "the SYN and its retransmission dropped",
      async () => (await uplink.dropped()) >= dropped + 2,
    );
    socket.destroy();
    expect(connected).toBe(false);
    expect((await edgeView(edgeId)).link.online).toBe(true);
  });

  it("a parent at the hub plays the edge's camera in Chromium", async () => {
    await page.tap(`#cameras button.camera[data-camera="${cameraId}"]`);
    await playing("relayed playback");
    expect(sockets.some((s) => s.closedAt === undefined)).toBe(true);
  });

  it("the line cut mid-stream: the edge offline and its camera unknown at the hub, playback back after", async () => {
    await uplink.cut();
    const cutAt = Date.now();
    try {
      await waitOnline(edgeId, false);
      // (It may have been unknown before, while the edge had not judged it yet: the reason is what tells.)
      let last: unknown;
      await waitFor("the camera unknown at the hub, its edge offline", async () => {
        const h = await cameraHealth();
        last = h;
        return h.state === "unknown" && h.reason === "edge_offline";
      }).catch((err: unknown) => {
        throw new Error(`${String(err)}; last seen: ${JSON.stringify(last)}`);
      });
      console.log(`fleet e2e: edge offline at the hub ${String(Date.now() - cutAt)} ms after the cut`);
      // Held until the hub's relayed rendition has noticed the video stopped (its stall watchdog).
      await waitFor("the relayed rendition stalled at the hub", async () =>
        (await relayed()).some(
          (r) => r.state === "backoff" && /no fragment from the edge/.test(r.lastError ?? ""),
        ),
      );
    } finally {
      await uplink.restore();
    }
    const restoredAt = Date.now();
    await waitOnline(edgeId, true);
    await playing("playback after the line came back");
    expect((await relayed()).some((r) => r.state === "live")).toBe(true);
    console.log(
      `fleet e2e: playback recovered ${String(Date.now() - restoredAt)} ms after the line came back`,
    );
    await waitFor(
      "the camera's health followed again at the hub",
      async () => (await cameraHealth()).reason !== "edge_offline",
    );
  });

  it("the edge restarted: playback recovers", async () => {
    const dataDir = edge.dataDir;
    edge.child.kill("SIGKILL");
    await edge.exited;
    await waitOnline(edgeId, false);
    edge = await startEdge(edgeId, edgeSeedFile, dataDir);
    const startedAt = Date.now();
    await waitOnline(edgeId, true);
    await playing("playback after the edge restarted");
    console.log(
      `fleet e2e: playback recovered ${String(Date.now() - startedAt)} ms after the edge restarted`,
    );
  });

  it("an edge with credentials the hub never issued is refused, and never online", async () => {
    const wrongSeed = join(dir!, "wrong.nk");
    const wrong = newNkeyPair();
    writeFileSync(wrongSeed, wrong.seed, { mode: 0o600 });
    const impostor = await startEdge(otherEdgeId, wrongSeed);
    // Its log (JSON on stderr): refused, and refused again on its retry; the hub never heard of it meanwhile.
    const refusals = () =>
      impostor.stderr
        .join("")
        .split("\n")
        .filter((l) => /Authorization Violation/i.test(l) && l.includes("link: could not connect"));
    await waitFor("the impostor refused twice", () => refusals().length >= 2);
    expect((await edgeView(otherEdgeId)).link).toMatchObject({ online: false, lastContactAt: null });
    expect(nats!.log()).toContain(`authentication error - Nkey "${wrong.publicKey}"`);
    await impostor.cleanup();
  });

  it("an edge publishing on another edge's subject is refused by the server, unseen at the hub", async () => {
    const hubSide = await rawClient(hubSeed, "hub-side test subscriber");
    const forged: Msg[] = [];
    const own: Msg[] = [];
    const forgedSubject = subjects.media(otherEdgeId, cameraId, "main");
    const ownSubject = subjects.media(edgeId, "cam_marker", "main");
    hubSide.nc.subscribe(`pantau.edge.${otherEdgeId}.media.>`, {
      callback: (_e, m) => {
        forged.push(m);
      },
    });
    hubSide.nc.subscribe(ownSubject, {
      callback: (_e, m) => {
        own.push(m);
      },
    });
    await hubSide.nc.flush();

    const forger = await rawClient(edgeSeed, "forger with edge A's seed");
    forger.nc.publish(forgedSubject, "forged fragment");
    forger.nc.publish(ownSubject, "A's own marker");
    await waitFor("the server's permissions violation", () =>
      forger.statuses.find(
        (s) =>
          s.type === "error" &&
          s.error instanceof errors.PermissionViolationError &&
          s.error.operation === "publish" &&
          s.error.subject === forgedSubject,
      ),
    );
    // One server delivers one connection's messages in order: the marker sent after it arrived, it did not.
    await waitFor("the marker at the hub", () => own.length > 0);
    expect(forged).toEqual([]);
  });

  it("a revocation at the hub cuts the relayed viewer within 2 s", async () => {
    await playing("playback before the revocation");
    const open = sockets.filter((s) => s.closedAt === undefined);
    expect(open.length).toBeGreaterThan(0);
    const r = await admin.request("PATCH", `/api/guardians/${guardianId}`, { revoked: true });
    // Counted from the committed revocation, as test/integration/access-media.test.ts counts it.
    const revokedAt = Date.now();
    expect(r.status).toBe(200);
    const closedAt = await waitFor("the viewer's WebSocket closed", () =>
      open.every((s) => s.closedAt !== undefined) ? Math.max(...open.map((s) => s.closedAt ?? 0)) : undefined,
    );
    console.log(`fleet e2e: relayed viewer cut ${String(closedAt - revokedAt)} ms after the revocation`);
    expect(closedAt - revokedAt).toBeLessThanOrEqual(2000);
    await waitFor("the page to say access was revoked", async () =>
      (await seen()).listStatus.includes("Akses Anda sudah dicabut"),
    );
  });

  it("the camera's password is in neither the hub's database nor its log", async () => {
    const h = hub!;
    h.child.kill("SIGTERM");
    await h.exited;
    const dump = dbSnapshot(h.dataDir);
    expect(dump).toContain(cameraId);
    expect(dump).not.toContain(cameraPassword);
    const log = h.stdout.join("") + h.stderr.join("");
    expect(log).toContain("[edge SDN 7 edge] offline → online");
    expect(log).not.toContain(cameraPassword);
  });
});
