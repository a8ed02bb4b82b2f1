import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SecretKeys } from "../../gateway/src/common/secret-box.js";
import { publishSign } from "../../gateway/src/ingest/rtmp-publish-sign.js";
import { ApiClient } from "../helpers/api-client.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { followLlHls } from "../helpers/llhls-client.js";
import { waitFor } from "../helpers/media.js";
import { memoryLog } from "../helpers/memory-log.js";
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
  gw = await startTestGateway(
    {
      rtmp: { enabled: true, host: "127.0.0.1", port: 0 },
      streaming: { stallSeconds: 3 },
      health: { probeSeconds: 1, offlineAfterSeconds: 0, recoverAfterSeconds: 0 },
    },
    { log: memoryLog(logLines) },
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

const rotate = async (id: string) =>
  (await gw.admin.expect(200, "POST", `/api/cameras/${id}/publish-url`)) as Awaited<
    ReturnType<typeof publishUrlOf>
  >;

/** The generation a publish URL names: absent (the v1 form) for generation 0. */
const generationOf = (url: string) => Number(/sign=\d+(?:-(\d+))?-[0-9a-f]{64}$/.exec(url)?.[1] ?? 0);

const auditOf = async (client: ApiClient, action: string, id: string) => {
  const body = (await client.expect(200, "GET", "/api/audit")) as {
    events: { action: string; target: { id: string }; detail: Record<string, unknown> }[];
  };
  return body.events.filter((e) => e.action === action && e.target.id === id);
};

/** Rendition `main` of a camera, as /api/health shows it (its supervisor's state). */
const renditionState = async (id: string) =>
  (await gw.health()).renditions.find((r) => r.cameraId === id && r.rendition === "main")?.state;

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
    // Nothing plays: while nobody pushes, the rendition starts no ffmpeg (it could only be refused) and waits
    // like an offline camera, saying why.
    const w = await gw.watch(camB);
    const playlist = await fetch(w.hls.replace("index.m3u8", "main/index.m3u8"));
    expect(playlist.status).not.toBe(200);
    await waitFor("camera B offline", async () => (await cameraHealth(camB))?.state === "offline");
    expect((await cameraHealth(camB))?.reason).toBe("not_publishing");
  });

  it("a watched camera nobody pushes starts no ffmpeg, and plays the moment its NVR begins to push", async () => {
    const w = await gw.watch(camB);
    await waitFor("camera B's rendition waiting, not publishing", () =>
      logLines.some((l) => l.includes("[cam NVR kelas 1B/main]") && l.includes("→ backoff")),
    );
    const camBLines = () => logLines.filter((l) => l.includes("[cam NVR kelas 1B/main]")).join("");
    expect(camBLines()).toContain("not_publishing");
    expect(camBLines()).not.toContain("ffmpeg exited");
    const pusher = push((await publishUrlOf(camB)).url);
    const playlist = await waitFor("camera B's playlist", async () => {
      const r = await fetch(w.hls.replace("index.m3u8", "main/index.m3u8"));
      return r.ok ? r.text() : undefined;
    });
    expect(playlist).toContain("#EXT-X-PART:");
    // Started by the push, not by a backoff step that happened to end.
    expect(camBLines()).toContain("backoff → starting: its source is back");
    pusher.stop();
    await pusher.exit;
    await waitFor("camera B's push to end", () => gw.rtmp?.isPublishing(camB) === false);
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

  it("a new publish URL cuts the push on the old one, refuses the old one as revoked, and plays the new one", async () => {
    const old = await publishUrlOf(camA);
    const first = push(old.url);
    await waitFor("the push on the current URL", () => gw.rtmp?.isPublishing(camA));
    const w = await gw.watch(camA);
    const media = w.hls.replace("index.m3u8", "main/index.m3u8");
    expect((await followLlHls(media, 30_000, { untilParts: 5 })).errors).toEqual([]);
    await waitFor("rendition live", async () => (await renditionState(camA)) === "live");

    const fresh = await rotate(camA);
    // The contract the console relies on: the same JSON as GET, nothing more.
    expect(Object.keys(fresh).sort()).toEqual(["expiresAt", "server", "streamKey", "url"]);
    expect(`${fresh.server}/${fresh.streamKey}`).toBe(fresh.url);
    expect(generationOf(fresh.url)).toBe(generationOf(old.url) + 1);
    // The push on the old URL is cut at once: the pusher (the NVR stand-in) loses its connection.
    expect(await first.exit).not.toBe(0);
    await waitFor("the push to end", () => gw.rtmp?.isPublishing(camA) === false);
    await waitFor("the cut in the log", () =>
      logLines.join("").includes(`[cam ${camA}] push from 127.0.0.1 cut: revoked`),
    );
    await waitFor("rendition no longer live", async () => (await renditionState(camA)) !== "live");
    const [rotated, ...more] = await auditOf(gw.admin, "camera.publish_url_rotated", camA);
    expect(more).toEqual([]);
    expect(rotated?.detail).toMatchObject({
      generation: generationOf(fresh.url),
      expiresAt: fresh.expiresAt,
    });

    // The old URL is refused, with its own reason (and never its signature in the log).
    expect(await push(old.url, 20).exit).not.toBe(0);
    await waitFor("the revoked refusal in the log", () =>
      logLines.join("").includes(`publish /live/${camA} from 127.0.0.1 refused: revoked`),
    );
    expect(gw.rtmp?.isPublishing(camA)).toBe(false);
    // GET gives the current generation and changes nothing.
    const again = await publishUrlOf(camA);
    expect(generationOf(again.url)).toBe(generationOf(fresh.url));
    expect(await auditOf(gw.admin, "camera.publish_url_rotated", camA)).toHaveLength(1);

    // The new URL publishes, and the camera plays again: new fragments from the new push.
    const second = push(fresh.url);
    await waitFor("the push on the new URL", () => gw.rtmp?.isPublishing(camA));
    await waitFor("rendition live again", async () => (await renditionState(camA)) === "live", 60_000);
    expect((await followLlHls(media, 30_000, { untilParts: 5 })).errors).toEqual([]);
    second.stop();
    await second.exit;
    await waitFor("the push to end", () => gw.rtmp?.isPublishing(camA) === false);
    for (const u of [old, fresh]) expect(logLines.join("")).not.toContain(u.url.slice(-64));
  });

  it("issues a new URL only for a pushed camera, and only to who may see its URL", async () => {
    const { id: pattern } = await gw.addCamera({ name: "Pola 2", source: { kind: "test-pattern" } });
    const r = await gw.admin.post(`/api/cameras/${pattern}/publish-url`);
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe("not_rtmp");
    expect(r.body.error.messages.id).toMatch(/rtmp/);
    expect(r.body.error.messages.en).toMatch(/Only cameras of kind rtmp/);
    expect(await auditOf(gw.admin, "camera.publish_url_rotated", pattern)).toEqual([]);
    expect(
      ((await gw.admin.expect(200, "GET", `/api/cameras/${pattern}`)) as { publishGeneration: number })
        .publishGeneration,
    ).toBe(0);
    expect((await gw.admin.post("/api/cameras/cam_nope/publish-url")).status).toBe(404);
    const doc = (await gw.admin.expect(200, "GET", "/api/openapi.json")) as {
      paths: Record<string, Record<string, { summary: string }>>;
    };
    expect(doc.paths["/api/cameras/{id}/publish-url"]?.post?.summary).toMatch(/revoking every earlier one/);

    // The generation is the gateway's to raise: a body cannot set it.
    const before = (await gw.admin.expect(200, "GET", `/api/cameras/${camB}`)) as {
      publishGeneration: number;
    };
    const patched = await gw.admin.patch(`/api/cameras/${camB}`, { publishGeneration: 0 });
    expect(patched.status).toBe(400);
    expect(patched.body.error.code).toBe("invalid_input");
    expect(patched.body.error.message).toMatch(/publishGeneration/);
    const created = await gw.admin.post("/api/cameras", {
      schoolId: (await gw.admin.expect(200, "GET", `/api/cameras/${camB}`)).schoolId,
      name: "x",
      source: { kind: "rtmp" },
      publishGeneration: 7,
    });
    expect(created.status).toBe(400);
    expect(created.body.error.message).toMatch(/publishGeneration/);
    expect(await gw.admin.expect(200, "GET", `/api/cameras/${camB}`)).toEqual(before);

    // A school admin of another school does not see the camera; one of its own school may rotate its URL.
    const { schoolId } = before as unknown as { schoolId: string };
    const other = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Lain" })) as { id: string };
    for (const [username, school] of [
      ["tu.lain", other.id],
      ["tu.sini", schoolId],
    ] as const) {
      await gw.admin.expect(201, "POST", "/api/users", {
        username,
        displayName: username,
        password: `kata-sandi-${username}-1`,
        role: "school_admin",
        schoolId: school,
      });
    }
    const outsider = await new ApiClient(gw.url).login("tu.lain", "kata-sandi-tu.lain-1");
    expect((await outsider.post(`/api/cameras/${camB}/publish-url`)).status).toBe(404);
    expect(await auditOf(gw.admin, "camera.publish_url_rotated", camB)).toEqual([]);
    const own = await new ApiClient(gw.url).login("tu.sini", "kata-sandi-tu.sini-1");
    const u = (await own.expect(200, "POST", `/api/cameras/${camB}/publish-url`)) as { url: string };
    expect(generationOf(u.url)).toBe(before.publishGeneration + 1);
    expect(await auditOf(gw.admin, "camera.publish_url_rotated", camB)).toHaveLength(1);
  });

  it("cuts the push of a camera that stops being pushed, and refuses its URL, also once it is pushed again", async () => {
    const { id } = await gw.addCamera({ name: "NVR sementara", source: { kind: "rtmp" } });
    const { url } = await publishUrlOf(id);
    const pusher = push(url);
    await waitFor("the push", () => gw.rtmp?.isPublishing(id));
    await gw.admin.expect(200, "PATCH", `/api/cameras/${id}`, { source: { kind: "test-pattern" } });
    expect(await pusher.exit).not.toBe(0);
    await waitFor("the cut in the log", () =>
      logLines.join("").includes(`[cam ${id}] push from 127.0.0.1 cut: unknown_camera`),
    );
    expect(await push(url, 20).exit).not.toBe(0);
    await waitFor("the refusal in the log", () =>
      logLines.join("").includes(`publish /live/${id} from 127.0.0.1 refused: unknown_camera`),
    );
    // Pushed again later: the URL of before stays dead, a new one is needed.
    const back = (await gw.admin.expect(200, "PATCH", `/api/cameras/${id}`, {
      source: { kind: "rtmp" },
    })) as {
      publishGeneration: number;
    };
    expect(back.publishGeneration).toBe(1);
    expect(await push(url, 20).exit).not.toBe(0);
    await waitFor("the old URL refused as revoked", () =>
      logLines.join("").includes(`publish /live/${id} from 127.0.0.1 refused: revoked`),
    );
    await gw.admin.expect(204, "DELETE", `/api/cameras/${id}`);
  });

  it("keeps a camera's generation across a gateway restart; without the listener a new URL is refused", async () => {
    const lines: string[] = [];
    const log = memoryLog(lines);
    const rtmp = { enabled: true, host: "127.0.0.1", port: 0 };
    let first: TestGateway | undefined = await startTestGateway({ rtmp }, { keepData: true, log });
    const dataDir = first.dataDir;
    let again: TestGateway | undefined;
    try {
      const { id } = await first.addCamera({ name: "NVR", source: { kind: "rtmp" } });
      const v1 = (await first.admin.expect(200, "GET", `/api/cameras/${id}/publish-url`)) as { url: string };
      expect(generationOf(v1.url)).toBe(0);
      await first.admin.expect(200, "POST", `/api/cameras/${id}/publish-url`);
      await first.close();
      first = undefined;

      again = await startTestGateway({ rtmp }, { dataDir, keepData: true, log });
      const now = (await again.admin.expect(200, "GET", `/api/cameras/${id}/publish-url`)) as { url: string };
      expect(generationOf(now.url)).toBe(1);
      // The URL from before the rotation is still refused by the new gateway's listener.
      expect(await push(v1.url.replace(/:\d+\//, `:${String(again.rtmp?.port)}/`), 20).exit).not.toBe(0);
      await waitFor("the revoked refusal", () =>
        lines.join("").includes(`publish /live/${id} from 127.0.0.1 refused: revoked`),
      );
      await again.close();
      again = undefined;

      // Listener off: a new URL is refused with the reason, and nothing is recorded.
      again = await startTestGateway({}, { dataDir, keepData: true });
      const off = await again.admin.post(`/api/cameras/${id}/publish-url`);
      expect(off.status).toBe(409);
      expect(off.body.error.code).toBe("rtmp_disabled");
      expect(off.body.error.messages.id).toMatch(/rtmp\.enabled/);
      expect(off.body.error.messages.en).toMatch(/RTMP push is off/);
      expect(await auditOf(again.admin, "camera.publish_url_rotated", id)).toHaveLength(1);
      expect(
        ((await again.admin.expect(200, "GET", `/api/cameras/${id}`)) as { publishGeneration: number })
          .publishGeneration,
      ).toBe(1);
    } finally {
      await first?.close();
      await again?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
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
    // The restarted child learned the generations afresh: camera A's first URL (generation 0) stays revoked.
    const revoked = () =>
      logLines.join("").split(`publish /live/${camA} from 127.0.0.1 refused: revoked`).length;
    const seen = revoked();
    expect(
      await push(
        `${(await publishUrlOf(camA)).server}/${camA}?sign=${publishSign(rtmpKey(), camA, Math.floor(Date.now() / 1000) + 3600)}`,
        20,
      ).exit,
    ).not.toBe(0);
    await waitFor("the revoked refusal from the new child", () => revoked() > seen);
    const { url } = await publishUrlOf(camA);
    const pusher = push(url, 30);
    // Listening again: the restarted child takes the push.
    await waitFor("the push to the restarted child", () => gw.rtmp?.isPublishing(camA));
    pusher.stop();
    await pusher.exit;
  });
});
