import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { renderAuthorization } from "../../gateway/src/fleet/nats-authorization.js";
import { newNkeyPair } from "../../gateway/src/fleet/nats-nkeys.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";
import { startNatsServer, type TestNatsServer } from "../helpers/nats-server.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// The link in one process: a real nats-server on loopback, a hub and an edge gateway, and a real RTSP camera
// at the edge. (The three-process test in a network namespace is test/e2e/fleet.test.ts.)

const cameraPassword = "rahasia-kamera-77";

/** Boxes of the messages a WebSocket viewer got until it saw `want` fragments. */
async function wsFragments(url: string, want: number): Promise<{ header: unknown; boxes: string[] }> {
  const ws = new WebSocket(url);
  const boxes: string[] = [];
  let header: unknown;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`only ${String(boxes.length)} messages`));
    }, 20_000);
    ws.on("message", (data: Buffer, isBinary) => {
      if (!isBinary) header = JSON.parse(data.toString());
      else boxes.push(data.subarray(4, 8).toString("latin1"));
      if (boxes.filter((b) => b === "moof" || b === "styp").length >= want) {
        clearTimeout(timer);
        resolve();
      }
    });
    ws.on("error", reject);
    ws.on("close", (code, reason) => {
      reject(new Error(`closed ${String(code)} ${reason.toString()}`));
    });
  });
  ws.removeAllListeners("close");
  ws.close();
  return { header, boxes };
}

describe("fleet link: hub and edge over NATS", () => {
  let nats: TestNatsServer;
  let hub: TestGateway;
  let edge: TestGateway;
  let camera: TestCamera;
  let dir: string;
  let edgeId: string;
  let schoolId: string;
  let hubCameraId: string;
  const hubLog: string[] = [];
  const edgeLog: string[] = [];
  const memory = (into: string[]) =>
    pino(
      { level: "debug" },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          into.push(chunk.toString());
          done();
        },
      }),
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pantau-fleet-"));
    const hubKey = newNkeyPair();
    writeFileSync(join(dir, "hub.nk"), hubKey.seed, { mode: 0o600 });
    nats = await startNatsServer({ authorization: renderAuthorization({ hub: hubKey, edges: [] }) });
    camera = await startTestCamera({ username: "admin", password: cameraPassword });
    hub = await startTestGateway(
      {
        role: "hub",
        fleet: {
          servers: [nats.url],
          seedFile: join(dir, "hub.nk"),
          authorizationFile: nats.authorizationFile.path,
          natsPidFile: nats.pidFile,
          offlineAfterSeconds: 3,
        },
      },
      { log: memory(hubLog), keepData: true },
    );
    schoolId = (
      (await hub.admin.expect(201, "POST", "/api/schools", { name: "SDN 1 Sukamaju" })) as { id: string }
    ).id;
    const made = (await hub.admin.expect(201, "POST", "/api/edges", { name: "SDN 1 edge", schoolId })) as {
      edge: { id: string };
      credentials: { seed: string };
    };
    edgeId = made.edge.id;
    writeFileSync(join(dir, "edge.nk"), made.credentials.seed, { mode: 0o600 });
    await waitFor("the NATS server to take the edge's key", () => nats.log().includes("Reloaded"));
    edge = await startTestGateway(
      {
        role: "edge",
        fleet: { servers: [nats.url], edgeId, seedFile: join(dir, "edge.nk"), statusSeconds: 0.5 },
      },
      { log: memory(edgeLog) },
    );
  }, 60_000);

  afterAll(async () => {
    // Whatever beforeAll got to (a failed start leaves the rest undefined at run time).
    const started = [edge, hub, camera, nats] as (
      { close?: () => Promise<void>; stop?: () => Promise<void> } | undefined
    )[];
    for (const p of started) await (p?.close ?? p?.stop)?.call(p);
    rmSync(dir, { recursive: true, force: true });
    if ((hub as TestGateway | undefined) !== undefined) rmSync(hub.dataDir, { recursive: true, force: true });
  });

  it("shows the edge online with its version once it dials in", async () => {
    const view = await waitFor("the edge online", async () => {
      const e = (await hub.admin.expect(200, "GET", `/api/edges/${edgeId}`)) as { link: { online: boolean } };
      return e.link.online ? e : undefined;
    });
    expect(view).toMatchObject({
      name: "SDN 1 edge",
      schoolId,
      link: { online: true, version: expect.any(String) },
    });
    expect(JSON.stringify(view)).not.toContain("publicKey");
  });

  it("registers a camera at the edge from the hub, its password staying at the edge", async () => {
    const classroom = (await hub.admin.expect(201, "POST", `/api/schools/${schoolId}/classrooms`, {
      name: "Kelas 1A",
    })) as { id: string };
    const made = (await hub.admin.expect(201, "POST", `/api/edges/${edgeId}/cameras`, {
      classroomId: classroom.id,
      name: "Kelas 1A depan",
      source: {
        kind: "rtsp",
        url: camera.url("main"),
        subUrl: camera.url("sub"),
        username: "admin",
        password: cameraPassword,
      },
    })) as { id: string; source: { kind: string }; renditions: string[] };
    hubCameraId = made.id;
    expect(made.source).toEqual({ kind: "edge", edgeId, sub: true });
    expect(made.renditions).toEqual(["main", "sub"]);
    const atEdge = (await edge.admin.expect(200, "GET", "/api/cameras")) as { cameras: { id: string }[] };
    expect(atEdge.cameras.map((c) => c.id)).toContain(made.id);
  });

  it("serves the relayed camera over WebSocket and LL-HLS at the hub", async () => {
    const w = await hub.watch(hubCameraId);
    const got = await wsFragments(w.ws, 10);
    expect(got.header).toMatchObject({ type: "init", codecs: expect.stringMatching(/^avc1/) });
    expect(got.boxes[0]).toBe("ftyp");
    const playlist = await waitFor("a relayed playlist with parts", async () => {
      const r = await fetch(w.hls.replace(/index\.m3u8.*/, "") + "main/index.m3u8").catch(() => undefined);
      const t = r?.ok ? await r.text() : "";
      return t.includes("#EXT-X-PART:") ? t : undefined;
    });
    expect(playlist).toContain("#EXT-X-PART-INF");
  });

  it("keeps the camera's password out of the hub's database and log", async () => {
    await hub.close();
    const dump = dbSnapshot(hub.dataDir);
    expect(dump).toContain(hubCameraId);
    expect(dump).not.toContain(cameraPassword);
    expect(hubLog.join("")).not.toContain(cameraPassword);
    expect(dbSnapshot(edge.dataDir)).not.toContain(cameraPassword); // sealed at the edge too
  });
});
