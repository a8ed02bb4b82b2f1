import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SecretKeys } from "../../gateway/src/common/secret-box.js";
import { publishSign } from "../../gateway/src/ingest/rtmp-publish-sign.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { followLlHls } from "../helpers/llhls-client.js";
import { waitFor } from "../helpers/media.js";
import { killPushers, pushTestPattern as push } from "../helpers/rtmp-pusher.js";

// RTMP push (issue 13): an NVR that can only push reaches the same pipeline as a pulled camera, and only
// with its own camera's signed URL. Real parts: the node-media-server child, ffmpeg pushing and pulling.

let gw: TestGateway;
let camA: string;
let camB: string;
const logLines: string[] = [];

function rtmpKey(): Buffer {
  return SecretKeys.fromConfig(undefined, join(gw.dataDir, "secret.key")).derive("rtmp-publish");
}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  gw = await startTestGateway(
    {
      rtmp: { enabled: true, host: "127.0.0.1", port: 0 },
      streaming: { stallSeconds: 3 },
      health: { probeSeconds: 1, offlineAfterSeconds: 0, recoverAfterSeconds: 0 },
    },
    { log: pino({ level: "debug" }, sink) },
  );
  ({ id: camA } = await gw.addCamera({ name: "NVR kelas 1A", source: { kind: "rtmp" } }));
  ({ id: camB } = await gw.addCamera({ name: "NVR kelas 1B", source: { kind: "rtmp" } }));
});

afterAll(async () => {
  killPushers();
  await gw.close();
});

const publishUrlOf = async (id: string) =>
  (await gw.admin.expect(200, "GET", `/api/cameras/${id}/publish-url`)) as {
    url: string;
    server: string;
    streamKey: string;
    expiresAt: string;
  };

const cameraHealth = async (id: string) => {
  const body = (await gw.admin.expect(200, "GET", "/api/health")) as {
    cameras: { cameraId: string; state: string; reason: string }[];
  };
  return body.cameras.find((c) => c.cameraId === id);
};

describe("RTMP push", () => {
  it("gives an admin the camera's signed publish URL, whole and as server + stream key", async () => {
    const u = await publishUrlOf(camA);
    const port = String(gw.rtmp?.port);
    expect(u.url).toMatch(
      new RegExp(`^rtmp://127\\.0\\.0\\.1:${port}/live/${camA}\\?sign=\\d+-[0-9a-f]{64}$`),
    );
    expect(u.server).toBe(`rtmp://127.0.0.1:${port}/live`);
    expect(`${u.server}/${u.streamKey}`).toBe(u.url);
    expect(Date.parse(u.expiresAt)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    // A credential handed out: audited.
    const audit = (await gw.admin.expect(200, "GET", "/api/audit")) as {
      events: { action: string; target: { id: string } }[];
    };
    expect(audit.events.some((e) => e.action === "camera.publish_url" && e.target.id === camA)).toBe(true);
    // The console offers the push path where the listener runs.
    const me = (await gw.admin.expect(200, "GET", "/api/auth/me")) as { gateway: { rtmpEnabled: boolean } };
    expect(me.gateway.rtmpEnabled).toBe(true);
  });

  it("answers bad input with a clear error", async () => {
    const extra = await gw.admin.post("/api/cameras", {
      schoolId: (await gw.admin.expect(200, "GET", "/api/schools")).schools[0].id,
      name: "x",
      source: { kind: "rtmp", url: "rtmp://elsewhere/live/x" },
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe("invalid_input");
    expect(extra.body.error.field).toMatch(/^source/);
    const { id: pattern } = await gw.addCamera({ name: "Pola", source: { kind: "test-pattern" } });
    const notPushed = await gw.admin.get(`/api/cameras/${pattern}/publish-url`);
    expect(notPushed.status).toBe(422);
    expect(notPushed.body.error.code).toBe("not_rtmp");
    expect((await gw.admin.get("/api/cameras/cam_nope/publish-url")).status).toBe(404);
    const testStored = await gw.admin.post(`/api/cameras/${camA}/test`);
    expect(testStored.status).toBe(422);
    expect(testStored.body.error.messages.en).toMatch(/pushes to Pantau over RTMP/);
  });

  it("refuses an rtmp camera on a gateway whose RTMP listener is off", async () => {
    const off = await startTestGateway();
    try {
      const me = (await off.admin.expect(200, "GET", "/api/auth/me")) as {
        gateway: { rtmpEnabled: boolean };
      };
      expect(me.gateway.rtmpEnabled).toBe(false);
      const school = (await off.admin.expect(201, "POST", "/api/schools", { name: "S" })) as { id: string };
      const r = await off.admin.post("/api/cameras", {
        schoolId: school.id,
        name: "x",
        source: { kind: "rtmp" },
      });
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe("rtmp_disabled");
      expect(r.body.error.messages.id).toMatch(/rtmp\.enabled/);
    } finally {
      await off.close();
    }
  });

  it("refuses a push without a signature, with a wrong one, with another camera's, or an expired one", async () => {
    const good = await publishUrlOf(camA);
    const server = good.server;
    const signA = /sign=(.+)$/.exec(good.url)?.[1] ?? "";
    const flipped = signA.slice(0, -1) + (signA.endsWith("0") ? "1" : "0");
    const expired = publishSign(rtmpKey(), camB, Math.floor(Date.now() / 1000) - 5);
    const attempts = [
      `${server}/${camB}`,
      `${server}/${camB}?sign=${flipped}`,
      `${server}/${camB}?sign=${signA}`,
      `${server}/${camB}?sign=${expired}`,
      `${server.replace(/\/live$/, "/other")}/${camB}?sign=${signA}`,
    ];
    for (const url of attempts) {
      const code = await push(url, 20).exit;
      expect(code, url).not.toBe(0);
      expect(gw.rtmp?.isPublishing(camB), url).toBe(false);
    }
    const refused = logLines.join("").match(/refused: [a-z_]+/g) ?? [];
    expect(new Set(refused)).toEqual(
      new Set(["refused: no_signature", "refused: bad_signature", "refused: expired", "refused: bad_path"]),
    );
    // Nothing plays: the rendition's ffmpeg is refused by the listener and backs off like an offline camera.
    const w = await gw.watch(camB);
    const playlist = await fetch(w.hls.replace("index.m3u8", "main/index.m3u8"));
    expect(playlist.status).not.toBe(200);
    await waitFor("camera B offline", async () => (await cameraHealth(camB))?.state === "offline");
    expect((await cameraHealth(camB))?.reason).toBe("not_publishing");
  });

  it("a push with the camera's signed URL plays over LL-HLS and the WebSocket", async () => {
    const { url } = await publishUrlOf(camA);
    const pusher = push(url);
    await waitFor("the push to be accepted", () => gw.rtmp?.isPublishing(camA));
    const w = await gw.watch(camA);
    const r = await followLlHls(w.hls.replace("index.m3u8", "main/index.m3u8"), 30_000, {
      keepData: true,
      untilParts: 15,
    });
    expect(r.errors).toEqual([]);
    expect(r.partsFetched).toBeGreaterThanOrEqual(15);
    expect(r.init?.includes(Buffer.from("avc1"))).toBe(true);
    const chunks: Buffer[] = [];
    const ws = new WebSocket(w.ws);
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => {
        ws.close();
        reject(new Error(`only ${String(chunks.length)} binary messages in 20 s`));
      }, 20_000);
      ws.on("message", (data: Buffer, isBinary) => {
        if (isBinary) chunks.push(data);
        if (chunks.length === 25) {
          clearTimeout(guard);
          ws.close();
          resolve();
        }
      });
      ws.on("error", reject);
    });
    expect(chunks.some((c) => c.includes(Buffer.from("moof")))).toBe(true);
    // Copied, not transcoded: the pushed stream is H.264 already.
    const body = (await gw.health()) as { renditions: { cameraId: string; transcoding: boolean }[] };
    expect(body.renditions.find((x) => x.cameraId === camA)?.transcoding).toBe(false);
    await waitFor("camera A online", async () => (await cameraHealth(camA))?.state === "online");

    // While A is live, a second pusher with a wrong signature is refused and A keeps playing.
    const bad = await push(
      url.replace(/.$/, (c) => (c === "0" ? "1" : "0")),
      20,
    ).exit;
    expect(bad).not.toBe(0);
    const after = await followLlHls(w.hls.replace("index.m3u8", "main/index.m3u8"), 20_000, {
      untilParts: 5,
    });
    expect(after.errors).toEqual([]);

    pusher.stop();
    await pusher.exit;
    await waitFor("the push to end", () => gw.rtmp?.isPublishing(camA) === false);
    // The signature never reaches the gateway's log.
    const sign = /sign=\d+-([0-9a-f]+)/.exec(url)?.[1] ?? "";
    expect(sign).toHaveLength(64);
    expect(logLines.join("")).not.toContain(sign);
  });

  it("restarts the RTMP listener when it dies, on the same port", async () => {
    const before = gw.rtmp?.pid;
    const port = gw.rtmp?.port;
    expect(before).toBeGreaterThan(0);
    process.kill(before as number, "SIGKILL");
    await waitFor("a new RTMP child", () => {
      const now = gw.rtmp?.pid;
      return now !== undefined && now !== before && gw.rtmp?.listening === true;
    });
    expect(gw.rtmp?.port).toBe(port);
    const { url } = await publishUrlOf(camA);
    const pusher = push(url, 30);
    // Listening again: the restarted child takes the push.
    await waitFor("the push to the restarted child", () => gw.rtmp?.isPublishing(camA));
    pusher.stop();
    await pusher.exit;
  });
});
