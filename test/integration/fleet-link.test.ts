import { connect, nkeyAuthenticator } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ApiClient } from "../helpers/api-client.js";
import { dbSnapshot } from "../helpers/db-snapshot.js";
import { startFleet, waitEdgeOnline, type TestFleet } from "../helpers/fleet.js";
import { memoryLog } from "../helpers/memory-log.js";
import type { TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

// The link in one process: a real nats-server on loopback, a hub and an edge gateway, and a real RTSP camera
// at the edge. (The three-process test with the edge in a network namespace is test/e2e/fleet.test.ts.)

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
  let fleet: TestFleet;
  let hub: TestGateway;
  let edge: TestGateway;
  let camera: TestCamera;
  let edgeId: string;
  let schoolId: string;
  let hubCameraId: string;
  let adoptedId: string;
  const edgeLog: string[] = [];

  beforeAll(async () => {
    camera = await startTestCamera({ username: "admin", password: cameraPassword });
    fleet = await startFleet();
    ({ hub, edgeId, schoolId } = fleet);
    edge = await fleet.startEdge({ log: memoryLog(edgeLog) });
  }, 60_000);

  afterAll(async () => {
    // Whatever beforeAll got to (a failed start leaves the rest undefined at run time).
    await (fleet as TestFleet | undefined)?.close();
    await (camera as TestCamera | undefined)?.stop();
  });

  it("shows the edge online with its version once it dials in", async () => {
    const view = await waitEdgeOnline(hub, edgeId);
    expect(view).toMatchObject({
      name: "SDN 1 edge",
      schoolId,
      link: { online: true, version: expect.any(String) },
    });
    expect(JSON.stringify(view)).not.toContain("publicKey");
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    expect(metrics).toContain(`pantau_edge_up{edge="${edgeId}",school="${schoolId}"} 1`);
    expect(metrics).toMatch(
      new RegExp(`pantau_edge_link_rtt_seconds\\{edge="${edgeId}",school="${schoolId}"\\} [0-9.e-]+`),
    );
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
    // Its source is the edge's: the hub refuses to take one (it would hold the password) or to test it.
    const edit = await hub.admin.request("PATCH", `/api/cameras/${made.id}`, {
      source: { kind: "rtsp", url: camera.url("main"), username: "admin", password: cameraPassword },
    });
    expect(edit.status).toBe(422);
    expect(edit.body.error.code).toBe("source_at_edge");
    const tested = await hub.admin.request("POST", `/api/cameras/${made.id}/test`);
    expect(tested.body.error.code).toBe("source_at_edge");
    await hub.admin.expect(200, "PATCH", `/api/cameras/${made.id}`, { name: "Kelas 1A depan (pintu)" });
  });

  it("passes the edge's refusal on and writes nothing at the hub", async () => {
    const before = (await hub.admin.expect(200, "GET", "/api/cameras")) as { cameras: unknown[] };
    const r = await hub.admin.request("POST", `/api/edges/${edgeId}/cameras`, {
      name: "Salah",
      // Outside the edge's network.allowedNetworks (loopback in tests): the edge refuses it.
      source: { kind: "rtsp", url: "rtsp://10.9.8.7/none", username: "admin", password: "x" },
    });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.body.error.code).toEqual(expect.any(String));
    const after = (await hub.admin.expect(200, "GET", "/api/cameras")) as { cameras: unknown[] };
    expect(after.cameras).toHaveLength(before.cameras.length);
    const bad = await hub.admin.request("POST", `/api/edges/${edgeId}/cameras`, {
      name: "x",
      source: { kind: "nope" },
    });
    expect(bad.status).toBe(400);
    const none = await hub.admin.request("POST", "/api/edges/edg_nosuch/discovery/scan", {});
    expect(none.status).toBe(404);
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

  it("ignores a heartbeat it cannot read, and the server refuses one on another edge's subject", async () => {
    const nc = await connect({
      servers: fleet.nats.url,
      authenticator: nkeyAuthenticator(
        new TextEncoder().encode((await import("node:fs")).readFileSync(fleet.seedFile, "utf8")),
      ),
    });
    nc.publish(`pantau.edge.${edgeId}.status`, new TextEncoder().encode('{"version": 7}'));
    nc.publish("pantau.edge.edg_someone_else.status", new TextEncoder().encode("{}"));
    await nc.flush();
    await waitFor("the hub to log the unreadable heartbeat", () =>
      fleet.hubLog.join("").includes("unreadable heartbeat"),
    );
    await nc.close();
    expect(fleet.hubLog.join("")).not.toContain("edg_someone_else");
    await waitEdgeOnline(hub, edgeId);
  });

  it("shows the edge's cameras unknown while the edge is away, and back when it returns", async () => {
    await edge.close();
    await waitEdgeOnline(hub, edgeId, false);
    // The edge's last heartbeat may have said its camera was not judged yet ("unknown_at_edge"); the monitor's
    // next round, within a second of the edge going offline, gives the reason that holds now.
    await waitFor("the camera unknown because its edge is offline", async () => {
      const h = (await hub.admin.expect(200, "GET", `/api/cameras/${hubCameraId}/health`)) as {
        state: string;
        reason: string;
      };
      return h.state === "unknown" && h.reason === "edge_offline" ? h : undefined;
    });
    const away = await hub.admin.request("GET", `/api/edges/${edgeId}/cameras`);
    expect(away.status).toBe(503);
    expect(away.body.error).toMatchObject({ code: "edge_offline", messages: { id: expect.any(String) } });
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    expect(metrics).toContain(`pantau_edge_up{edge="${edgeId}",school="${schoolId}"} 0`);
    expect(metrics).toContain(
      `pantau_camera_state{school="${schoolId}",camera="${hubCameraId}",state="unknown"} 1`,
    );
    edge = await fleet.startEdge({ log: memoryLog(edgeLog), dataDir: edge.dataDir });
    await waitEdgeOnline(hub, edgeId);
    const w = await hub.watch(hubCameraId);
    const got = await wsFragments(w.ws, 5);
    expect(got.boxes[0]).toBe("ftyp");
  });

  // A school that ran Pantau standalone has cameras (and their passwords) the hub never saw: they are adopted.
  it("adopts a camera registered at the edge itself, its password staying at the edge", async () => {
    const [local] = ((await edge.admin.expect(200, "GET", "/api/schools")) as { schools: { id: string }[] })
      .schools;
    const before = (await edge.admin.expect(201, "POST", "/api/cameras", {
      schoolId: local?.id,
      name: "Kelas 2B (dulu standalone)",
      source: { kind: "rtsp", url: camera.url("main"), username: "admin", password: cameraPassword },
    })) as { id: string };
    adoptedId = before.id;
    // What the hub's adoption reads of it, over the link: the edge's own list, which holds no password.
    const atEdge = await edge.admin.request("GET", "/api/cameras");
    expect(atEdge.text).toContain(before.id);
    expect(atEdge.text).not.toContain(cameraPassword);
    type Listed = { id: string; name: string; atHub: boolean };
    const listed = await waitFor("the edge's heartbeat to list its own camera", async () => {
      const r = (await hub.admin.expect(200, "GET", `/api/edges/${edgeId}/cameras`)) as { cameras: Listed[] };
      return r.cameras.some((c) => c.id === before.id) ? r.cameras : undefined;
    });
    expect(listed.find((c) => c.id === before.id)).toMatchObject({
      name: "Kelas 2B (dulu standalone)",
      atHub: false,
    });
    expect(listed.find((c) => c.id === hubCameraId)?.atHub).toBe(true);
    const hubCameras = async () =>
      ((await hub.admin.expect(200, "GET", "/api/cameras")) as { cameras: { id: string }[] }).cameras;
    const audited = async () =>
      ((await hub.admin.expect(200, "GET", "/api/audit?format=json")) as { events: unknown[] }).events.length;
    const adopt = (id: string) => `/api/edges/${edgeId}/cameras/${id}/adopt`;
    const otherSchool = (await hub.admin.expect(201, "POST", "/api/schools", { name: "SDN 2" })) as {
      id: string;
    };
    const otherRoom = (await hub.admin.expect(201, "POST", `/api/schools/${otherSchool.id}/classrooms`, {
      name: "Kelas lain",
    })) as { id: string };
    const room = (await hub.admin.expect(201, "POST", `/api/schools/${schoolId}/classrooms`, {
      name: "Kelas 2B",
    })) as { id: string };
    await hub.admin.expect(201, "POST", "/api/users", {
      username: "guru.edge",
      displayName: "Guru Edge",
      password: "kata-sandi-guru-1",
      role: "teacher",
      schoolId,
      classroomIds: [room.id],
    });
    await hub.admin.expect(201, "POST", "/api/users", {
      username: "tu.lain",
      displayName: "TU lain",
      password: "kata-sandi-tu-1",
      role: "school_admin",
      schoolId: otherSchool.id,
    });
    const teacher = await new ApiClient(hub.url).login("guru.edge", "kata-sandi-guru-1");
    const stranger = await new ApiClient(hub.url).login("tu.lain", "kata-sandi-tu-1");
    const [countBefore, auditBefore] = [(await hubCameras()).length, await audited()];

    // Bad input, unknown cameras and those who may not manage the school change nothing.
    const badRoom = await hub.admin.request("POST", adopt(before.id), { classroomId: "cls_nosuch" });
    expect(badRoom.status).toBe(400);
    expect(badRoom.body.error.field).toBe("classroomId");
    expect((await hub.admin.request("POST", adopt(before.id), { name: "x" })).status).toBe(400);
    const unknown = await hub.admin.request("POST", adopt("cam_nosuch"), {});
    expect(unknown.status).toBe(404);
    expect((await hub.admin.request("POST", adopt(before.id), { classroomId: otherRoom.id })).status).toBe(
      400,
    );
    expect((await teacher.request("POST", adopt(before.id), {})).status).toBe(403);
    expect((await teacher.request("GET", `/api/edges/${edgeId}/cameras`)).status).toBe(403);
    expect((await stranger.request("POST", adopt(before.id), {})).status).toBe(404);
    expect((await stranger.request("GET", `/api/edges/${edgeId}/cameras`)).status).toBe(404);
    expect(await hubCameras()).toHaveLength(countBefore);
    expect(await audited()).toBe(auditBefore);

    // Two adoptions at once (two admins, a double tap): one record, and the other is told it is there.
    const both = await Promise.all(
      [1, 2].map(() => hub.admin.request("POST", adopt(before.id), { classroomId: room.id })),
    );
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    const made = both.find((r) => r.status === 201)?.body as {
      id: string;
      name: string;
      classroomId: string;
      source: unknown;
      renditions: string[];
    };
    expect(made).toMatchObject({
      id: before.id,
      name: "Kelas 2B (dulu standalone)",
      classroomId: room.id,
      source: { kind: "edge", edgeId, sub: false },
      renditions: ["main"],
    });
    expect(JSON.stringify(made)).not.toContain("rtsp://");
    expect((await hubCameras()).map((c) => c.id)).toContain(before.id);
    const { events } = (await hub.admin.expect(200, "GET", `/api/audit?target=${before.id}`)) as {
      events: unknown[];
    };
    expect(events).toMatchObject([
      { action: "camera.create", detail: { adopted: true, source: { kind: "edge", edgeId } } },
    ]);
    const again = (await hub.admin.expect(200, "GET", `/api/edges/${edgeId}/cameras`)) as {
      cameras: Listed[];
    };
    expect(again.cameras.find((c) => c.id === before.id)?.atHub).toBe(true);

    const twice = await hub.admin.request("POST", adopt(before.id), {});
    expect(twice.status).toBe(409);
    expect(twice.body.error.messages).toMatchObject({ id: expect.any(String), en: expect.any(String) });

    const w = await hub.watch(before.id);
    const got = await wsFragments(w.ws, 5);
    expect(got.header).toMatchObject({ type: "init", codecs: expect.stringMatching(/^avc1/) });
    expect(got.boxes[0]).toBe("ftyp");
  });

  it("keeps the camera's password out of the hub's database and log", async () => {
    await hub.close();
    const dump = dbSnapshot(hub.dataDir);
    expect(dump).toContain(hubCameraId);
    expect(dump).toContain(adoptedId);
    expect(dump).not.toContain(cameraPassword);
    expect(fleet.hubLog.join("")).not.toContain(cameraPassword);
    expect(dbSnapshot(edge.dataDir)).not.toContain(cameraPassword); // sealed at the edge too
  });
});

describe("fleet link over WebSocket (a school that lets only 443 out)", () => {
  it("brings the edge online through nats-server's WebSocket listener", async () => {
    const fleet = await startFleet({
      natsExtraConfig: "websocket { host: 127.0.0.1, port: -1, no_tls: true }",
    });
    try {
      const port = await waitFor(
        "the WebSocket listener",
        () => /websocket clients on ws:\/\/[^:]+:(\d+)/.exec(fleet.nats.log())?.[1],
      );
      await fleet.startEdge({ servers: [`ws://127.0.0.1:${port}`] });
      await waitEdgeOnline(fleet.hub, fleet.edgeId);
    } finally {
      await fleet.close();
    }
  });
});
