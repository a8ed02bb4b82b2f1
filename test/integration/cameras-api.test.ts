import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";

let gw: TestGateway;
let schoolId: string;
// A player's first request waits this long for a starting stream; far past the test's own timeout, so a
// 503 that came after the wait instead of on the failure would time the test out (no wall-clock bound).
const settings = { streaming: { startTimeoutSeconds: 600 } };

beforeAll(async () => {
  gw = await startTestGateway(settings, { keepData: true });
  ({ id: schoolId } = (await gw.admin.expect(201, "POST", "/api/schools", { name: "SD Negeri 1" })) as {
    id: string;
  });
});

afterAll(async () => {
  await gw.close();
  rmSync(gw.dataDir, { recursive: true, force: true });
});

const post = (path: string, body: string, type = "application/json") =>
  gw.admin.post(path, body, { "content-type": type });
const list = async () =>
  ((await gw.admin.expect(200, "GET", "/api/cameras")) as { cameras: unknown[] }).cameras;

describe("camera API: bad input gets a clear 4xx and changes nothing", () => {
  it.each([
    ["file:///etc/passwd", "source.url", "not_rtsp"],
    ["concat:rtsp://a/x|rtsp://b/y", "source.url", "not_rtsp"],
    ["http://127.0.0.1:1/x.mjpg", "source.url", "not_rtsp"],
    ["garbage", "source.url", "invalid_input"],
    ["rtsp://host/a b", "source.url", "invalid_input"],
  ])("refuses %s without starting a process", async (url, field, code) => {
    const before = await list();
    const res = await post(
      "/api/cameras",
      JSON.stringify({ schoolId, name: "Kelas X", source: { kind: "rtsp", url } }),
    );
    expect(res.status).toBe(400);
    const body = res.body as { error: { code: string; field: string; message: string } };
    expect(body.error).toMatchObject({ code, field });
    expect(body.error.message.length).toBeGreaterThan(5);
    expect(await list()).toEqual(before);
    expect(gw.spawner.count).toBe(0);
  });

  it("answers malformed JSON with 400, an oversized body with 413, a missing camera with 404", async () => {
    const bad = await post("/api/cameras", "{not json");
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { code: string } }).error.code).toBe("invalid_json");
    const big = await post("/api/cameras", JSON.stringify({ name: "x".repeat(200_000) }));
    expect(big.status).toBe(413);
    expect((await gw.admin.get("/api/cameras/..%2f..%2fetc")).status).toBe(404);
    expect((await gw.admin.delete("/api/cameras/cam_nope")).status).toBe(404);
    expect((await fetch(`${gw.url}/api/watch/cam_nope`, { method: "POST" })).status).toBe(404);
  });

  it("keeps cameras across a restart and never shows or stores the password in clear", async () => {
    const { id } = await gw.addCamera({
      name: "Kelas 3C",
      source: { kind: "rtsp", url: "rtsp://operator:Rahasia-123@127.0.0.1:1/stream1" },
    });
    const shown = (await gw.admin.get(`/api/cameras/${id}`)).text;
    expect(shown).not.toContain("Rahasia-123");
    expect(JSON.parse(shown)).toMatchObject({
      source: { url: "rtsp://127.0.0.1:1/stream1", username: "operator", hasPassword: true },
    });
    await gw.close();
    const db = new Database(join(gw.dataDir, "pantau.db"), { readonly: true });
    const row = db.prepare("SELECT * FROM cameras WHERE id = ?").get(id);
    db.close();
    expect(JSON.stringify(row)).not.toContain("Rahasia-123");
    expect(readFileSync(join(gw.dataDir, "pantau.db")).includes("Rahasia-123")).toBe(false);
    gw = await startTestGateway(settings, { dataDir: gw.dataDir, keepData: true });
    expect(((await list()) as { name: string }[]).map((c) => c.name)).toContain("Kelas 3C");
  });

  it("applies an edit and a delete", async () => {
    const { id } = await gw.addCamera({
      name: "Kelas 4D",
      source: { kind: "rtsp", url: "rtsp://127.0.0.1:1/a" },
    });
    const patched = await gw.admin.patch(`/api/cameras/${id}`, { name: "Kelas 4E", enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: "Kelas 4E", enabled: false });
    expect((await fetch(`${gw.url}/api/watch/${id}`, { method: "POST" })).status).toBe(404);
    expect((await gw.admin.delete(`/api/cameras/${id}`)).status).toBe(204);
    expect((await gw.admin.get(`/api/cameras/${id}`)).status).toBe(404);
  });

  it("answers a player quickly with 503 and a reason when the camera cannot be reached", async () => {
    // Port 1 on loopback: connection refused, so ffmpeg fails at once and the rendition backs off.
    const { id } = await gw.addCamera({
      name: "Kelas Mati",
      source: { kind: "rtsp", url: "rtsp://127.0.0.1:1/x" },
    });
    const w = await gw.watch(id);
    const res = await fetch(w.hls.replace("index.m3u8", "main/index.m3u8"));
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("stream_starting");
    const health = (await gw.health()) as {
      renditions: { cameraId: string; state: string; lastError?: string }[];
    };
    const h = health.renditions.find((r) => r.cameraId === id);
    expect(["backoff", "starting", "failed"]).toContain(h?.state);
    expect(h?.lastError).toMatch(/ffmpeg exited|Connection refused/i);
    await gw.admin.delete(`/api/cameras/${id}`);
  });

  it("serves health and security headers with a CSP that allows no inline script", async () => {
    const res = await fetch(`${gw.url}/healthz`);
    expect(await res.json()).toEqual({ ok: true });
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline'; script");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
