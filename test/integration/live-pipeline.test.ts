import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { followLlHls, parseMediaPlaylist } from "../helpers/llhls-client.js";
import { ffprobe, waitFor } from "../helpers/media.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";

let camera: TestCamera;
let gw: TestGateway;
let cameraId: string;

beforeAll(async () => {
  camera = await startTestCamera();
  gw = await startTestGateway({ streaming: { stallSeconds: 3 } });
  ({ id: cameraId } = await gw.addCamera({
    name: "Kelas 1A",
    source: { kind: "rtsp", url: camera.url("main"), subUrl: camera.url("sub") },
  }));
});

afterAll(async () => {
  await gw.close();
  await camera.stop();
});

const health = async (rendition = "main") => {
  const body = (await gw.health()) as {
    renditions: {
      cameraId: string;
      rendition: string;
      state: string;
      restarts: number;
      lastError?: string;
      fps: number;
    }[];
  };
  return body.renditions.find((r) => r.cameraId === cameraId && r.rendition === rendition);
};

describe("live pipeline with the GStreamer test camera", () => {
  it("serves a master playlist with both renditions and LL-HLS media playlists", async () => {
    const w = await gw.watch(cameraId);
    const media = await fetch(w.hls.replace("index.m3u8", "main/index.m3u8"));
    expect(media.status).toBe(200);
    expect(media.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    const pl = parseMediaPlaylist(await media.text());
    expect(pl.partTarget).toBeCloseTo(0.2, 1);
    expect(pl.parts[0]?.independent).toBe(true);
    expect(pl.preloadHint).toMatch(/^part\/\d+\.m4s$/);
    const master = await (await fetch(w.hls)).text();
    expect(master).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6}",RESOLUTION=640x360/);
    expect(master.indexOf("sub/index.m3u8")).toBeLessThan(master.indexOf("main/index.m3u8"));
  });

  it("an LL-HLS client following blocking reloads gets every part, none missing", async () => {
    const w = await gw.watch(cameraId);
    // 30 parts (6 s), asked for rather than counted in a fixed time; 30 s is only the limit.
    const r = await followLlHls(w.hls.replace("index.m3u8", "main/index.m3u8"), 30_000, {
      keepData: true,
      untilParts: 30,
    });
    const summary = JSON.stringify({
      ...r,
      data: r.data.length,
      init: r.init?.length,
      delaysMs: r.delaysMs.slice(0, 40),
    });
    expect(r.errors, summary).toEqual([]);
    expect(r.missing, summary).toEqual([]);
    // Blocking reloads mean about one playlist request per part, not a polling storm.
    expect(r.partsFetched, summary).toBeGreaterThanOrEqual(30);
    expect(r.playlistRequests, summary).toBeLessThan(r.partsFetched * 2 + 5);
    const dir = mkdtempSync(join(tmpdir(), "pantau-llhls-"));
    const file = join(dir, "parts.mp4");
    writeFileSync(file, Buffer.concat([r.init ?? Buffer.alloc(0), ...r.data]));
    const p = await ffprobe(file, { countFrames: true });
    expect(p).toMatchObject({ codec: "h264", width: 640, height: 360 });
    expect(p.frames, summary).toBeGreaterThanOrEqual(100);
  });

  it("ffprobe plays the gateway's playlist URL", async () => {
    const w = await gw.watch(cameraId);
    const p = await ffprobe(w.hls);
    expect(p.codec).toBe("h264");
    expect([320, 640]).toContain(p.width);
  });

  it("answers blocking-reload requests too far ahead with 400 and bad parameters with 400", async () => {
    const w = await gw.watch(cameraId);
    const url = w.hls.replace("index.m3u8", "main/index.m3u8");
    const pl = parseMediaPlaylist(await (await fetch(url)).text());
    const last = pl.parts.at(-1);
    expect(last).toBeDefined();
    expect((await fetch(`${url}?_HLS_msn=${String((last?.msn ?? 0) + 10)}&_HLS_part=0`)).status).toBe(400);
    expect((await fetch(`${url}?_HLS_msn=abc`)).status).toBe(400);
    expect((await fetch(`${url}?_HLS_msn=1&_HLS_part=-1`)).status).toBe(400);
  });

  it("a WebSocket client gets init, the GOP cache and live fragments that ffprobe can read", async () => {
    const w = await gw.watch(cameraId);
    const chunks: Buffer[] = [];
    let header: { type: string; codecs: string } | undefined;
    const ws = new WebSocket(w.ws);
    // Until 60 binary messages (the init, then a fragment of one frame each), not for a fixed 3 s: a loaded
    // machine may deliver fewer frames in any given time.
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => {
        ws.close();
        reject(new Error(`only ${String(chunks.length)} binary messages in 20 s`));
      }, 20_000);
      ws.on("message", (data: Buffer, isBinary) => {
        if (!isBinary) header = JSON.parse(data.toString()) as typeof header;
        else chunks.push(data);
        if (chunks.length === 60) {
          clearTimeout(guard);
          ws.close();
          resolve();
        }
      });
      ws.on("error", reject);
    });
    expect(header).toMatchObject({ type: "init", codecs: expect.stringMatching(/^avc1\./) as unknown });
    const dir = mkdtempSync(join(tmpdir(), "pantau-ws-"));
    const file = join(dir, "ws.mp4");
    writeFileSync(file, Buffer.concat(chunks));
    const p = await ffprobe(file, { countFrames: true });
    expect(p).toMatchObject({ codec: "h264", width: 640, height: 360 });
    expect(p.frames).toBeGreaterThanOrEqual(50);
  });

  it("refuses media with a tampered or missing token", async () => {
    const w = await gw.watch(cameraId);
    // Forge the signature's first character (its last carries base64url padding bits: some changes decode alike).
    const [body = "", sig = ""] = w.token.split(".");
    const tampered = w.hls.replace(w.token, `${body}.${sig.startsWith("A") ? "B" : "A"}${sig.slice(1)}`);
    const res = await fetch(tampered);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("token_invalid");
    expect((await fetch(`${gw.url}/live/nothing/main/index.m3u8`)).status).toBe(403);
    // A refused WebSocket is told why over the socket: a browser would only see 1006 for a refused upgrade.
    const ws = new WebSocket(tampered.replace("index.m3u8", "ws").replace(/^http/, "ws"));
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on("close", (code, reason) => {
        resolve({ code, reason: reason.toString() });
      }),
    );
    expect(closed).toEqual({ code: 4403, reason: "token_invalid" });
  });

  it("comes back by itself when the camera is killed and restarted", async () => {
    const w = await gw.watch(cameraId);
    const url = w.hls.replace("index.m3u8", "main/index.m3u8");
    await followLlHls(url, 500);
    const before = (await health())?.restarts ?? 0;
    await camera.kill();
    await waitFor("the rendition to notice", async () =>
      (await health())?.state !== "live" ? true : undefined,
    );
    await camera.restart();
    await waitFor(
      "the rendition to be live again",
      async () => {
        const h = await health();
        return h?.state === "live" && h.restarts > before ? h : undefined;
      },
      30_000,
    );
    const r = await followLlHls(url, 20_000, { untilParts: 4 });
    expect(r.partsFetched).toBeGreaterThan(3);
  });

  it("detects a stall when the camera's timestamps jump back, and recovers", async () => {
    const w = await gw.watch(cameraId);
    const url = w.hls.replace("index.m3u8", "main/index.m3u8");
    await followLlHls(url, 500);
    const before = (await health())?.restarts ?? 0;
    camera.jumpBack(10_000);
    const recovered = await waitFor(
      "a restart after the jump",
      async () => {
        const h = await health();
        return h && h.restarts > before && h.state === "live" ? h : undefined;
      },
      30_000,
    );
    expect(recovered.lastError).toMatch(/timestamps stopped advancing/);
    const r = await followLlHls(url, 20_000, { untilParts: 4 });
    expect(r.partsFetched).toBeGreaterThan(3);
  });
});
