import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { join } from "node:path";
import { createHmac } from "node:crypto";
import { ApiClient } from "../helpers/api-client.js";
import { receiver } from "../helpers/http-receiver.js";
import { startTestGateway, type TestGateway } from "../helpers/gateway.js";
import { waitFor } from "../helpers/media.js";
import { startTestCamera, type TestCamera } from "../helpers/test-camera.js";
import { profilesOf, randomLoopbackHost, startOnvifCamera } from "../helpers/onvif-camera.js";

/**
 * Camera health on the real parts: the GStreamer RTSP camera probed by the gateway (RTSP OPTIONS +
 * DESCRIBE), nobody watching; stopped → offline after the debounce, started again → online; every change
 * stored with its reason, in the SQLite file, and restored after a restart.
 */

interface CameraHealth {
  cameraId: string;
  schoolId: string;
  state: string;
  since: string;
  reason: string;
  flapping: boolean;
  live: boolean;
  lastProbe: { at: string; ok: boolean; ms: number; error: string | null } | null;
  events?: { kind: string; from: string | null; to: string; reason: string }[];
}

const alerts = { groupSeconds: 0.2, retry: { attempts: 4, firstDelaySeconds: 0.2, maxDelaySeconds: 1 } };
const health = {
  probeSeconds: 0.5,
  probeTimeoutSeconds: 2,
  offlineAfterSeconds: 2,
  recoverAfterSeconds: 1,
};

const secret = "rahasia-webhook-sekolah";
let hook: Awaited<ReturnType<typeof receiver>>;
let camera: TestCamera;
let gw: TestGateway;
let cameraId: string;

async function cameraHealth(g: TestGateway = gw): Promise<CameraHealth> {
  const body = (await g.admin.expect(200, "GET", "/api/health")) as { cameras: CameraHealth[] };
  const found = body.cameras.find((c) => c.cameraId === cameraId);
  if (!found) throw new Error(`camera ${cameraId} missing from /api/health`);
  return found;
}

const inState = (state: string, g?: TestGateway) =>
  waitFor(`camera ${state}`, async () => {
    const h = await cameraHealth(g);
    return h.state === state ? h : undefined;
  });

beforeAll(async () => {
  camera = await startTestCamera({ username: "kamera", password: "rahasia-1", auth: "digest" });
  // Kept at close: one test restarts the gateway on the same data (the restarted one removes it).
  // The school's webhook refuses its first delivery: the alert must come again.
  hook = await receiver((n) => (n === 1 ? 500 : 200));
  gw = await startTestGateway({ health, alerts }, { keepData: true });
  ({ id: cameraId } = await gw.addCamera({
    name: "Kelas 3C",
    source: { kind: "rtsp", url: camera.url("main"), username: "kamera", password: "rahasia-1" },
  }));
  const { schoolId } = (await gw.admin.expect(200, "GET", `/api/cameras/${cameraId}`)) as {
    schoolId: string;
  };
  await gw.admin.expect(201, "POST", "/api/alert-channels", {
    kind: "webhook",
    url: `${hook.url}/pantau`,
    secret,
    schoolId,
  });
});

interface Delivered {
  alerts: { kind: string; cameraId: string; reason: string; since?: string }[];
}

/** The webhook deliveries accepted so far (the first was refused) whose signature checks out, parsed. */
function delivered(): Delivered[] {
  return hook.received
    .slice(1)
    .filter(
      (r) =>
        r.headers["x-pantau-signature"] ===
        `sha256=${createHmac("sha256", secret).update(r.body).digest("hex")}`,
    )
    .map((r) => JSON.parse(r.body) as Delivered);
}

const alertOf = (kind: string) =>
  waitFor(`a ${kind} alert`, () =>
    delivered()
      .flatMap((d) => d.alerts)
      .find((a) => a.kind === kind && a.cameraId === cameraId),
  );

afterAll(async () => {
  await (hook as typeof hook | undefined)?.close();
  await (gw as TestGateway | undefined)?.close();
  await (camera as TestCamera | undefined)?.stop();
});

describe("camera health, nobody watching", () => {
  it("a reachable camera is online from its probes alone, with the probe's answer", async () => {
    const h = await inState("online");
    expect(h.live).toBe(false);
    expect(h.lastProbe?.ok).toBe(true);
    expect(h.lastProbe?.error).toBeNull();
    const renditions = (await gw.health()).renditions;
    expect(renditions).toEqual([]);
  });

  it("stopped: offline after the debounce with the probe's reason; started again: online; both stored", async () => {
    const stoppedAt = Date.now();
    await camera.stop();
    const off = await inState("offline");
    // Told only after the debounce, and dated when the camera first stopped answering (uptime counts from there).
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(health.offlineAfterSeconds * 1000);
    expect(Date.parse(off.since)).toBeGreaterThanOrEqual(stoppedAt);
    expect(off.reason).toBe("unreachable");
    // The school's webhook hears of it, signed, though its first delivery was refused (retried).
    const alert = await alertOf("offline");
    expect(alert.reason).toBe("unreachable");
    expect(Date.parse(alert.since ?? "")).toBe(Date.parse(off.since));
    expect(hook.received.length).toBeGreaterThanOrEqual(2);
    await camera.restart();
    const on = await inState("online");
    await alertOf("recovery");
    expect(on.reason).not.toBe("");
    const detail = (await gw.admin.expect(200, "GET", `/api/cameras/${cameraId}/health`)) as CameraHealth;
    const states = (detail.events ?? []).filter((e) => e.kind === "state").map((e) => `${e.from}>${e.to}`);
    // Newest first.
    expect(states.slice(0, 3)).toEqual(["offline>online", "online>offline", "unknown>online"]);
    const db = new Database(join(gw.dataDir, "pantau.db"), { readonly: true });
    const rows = db
      .prepare(
        `SELECT from_state, to_state, reason FROM camera_health_events WHERE camera_id = ? AND kind = 'state' ORDER BY id`,
      )
      .all(cameraId) as { from_state: string; to_state: string; reason: string }[];
    db.close();
    expect(rows.map((r) => `${r.from_state}>${r.to_state}`)).toEqual([
      "unknown>online",
      "online>offline",
      "offline>online",
    ]);
    expect(rows[1]?.reason).toBe("unreachable");
  });

  it("a wrong password is a reason of its own, not a generic failure", async () => {
    await gw.admin.expect(200, "PATCH", `/api/cameras/${cameraId}`, {
      source: { kind: "rtsp", url: camera.url("main"), username: "kamera", password: "salah" },
    });
    const off = await inState("offline");
    expect(off.reason).toBe("auth_failed");
    await gw.admin.expect(200, "PATCH", `/api/cameras/${cameraId}`, {
      source: { kind: "rtsp", url: camera.url("main"), username: "kamera", password: "rahasia-1" },
    });
    await inState("online");
  });

  it("a disabled camera is disabled, not offline, and is not probed", async () => {
    await gw.admin.expect(200, "PATCH", `/api/cameras/${cameraId}`, { enabled: false });
    const h = await inState("disabled");
    const probedAt = h.lastProbe?.at;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await cameraHealth()).lastProbe?.at).toBe(probedAt);
    await gw.admin.expect(200, "PATCH", `/api/cameras/${cameraId}`, { enabled: true });
    await inState("online");
  });

  it("a running rendition is the evidence instead of probes; when the camera dies under it, offline", async () => {
    const { id } = await gw.addCamera({
      name: "Kelas 3C (selalu hidup)",
      alwaysOn: true,
      source: { kind: "rtsp", url: camera.url("main"), username: "kamera", password: "rahasia-1" },
    });
    const live = await waitFor("a live camera", async () => {
      const body = (await gw.admin.expect(200, "GET", "/api/health")) as {
        cameras: (CameraHealth & { fps: number | null })[];
      };
      const h = body.cameras.find((c) => c.cameraId === id);
      return h?.live === true && h.state === "online" && (h.fps ?? 0) > 0 ? h : undefined;
    });
    // Its state is the rendition's word; a probe only asked the camera about itself.
    expect(live.reason).not.toBe("");
    await camera.kill();
    await waitFor("the live camera offline", async () => {
      const h = (await gw.admin.expect(200, "GET", `/api/cameras/${id}/health`)) as CameraHealth;
      return h.state === "offline" ? h : undefined;
    });
    await camera.restart();
    await inState("online");
    await gw.admin.expect(204, "DELETE", `/api/cameras/${id}`);
  });

  it("a stop is stored as unknown (its downtime is no outage), and a restarted gateway goes on from there", async () => {
    await inState("online");
    const dataDir = gw.dataDir;
    await gw.close();
    gw = await startTestGateway({ health, alerts }, { dataDir });
    const h = await inState("online");
    const detail = (await gw.admin.expect(200, "GET", `/api/cameras/${cameraId}/health`)) as CameraHealth;
    const states = (detail.events ?? []).filter((e) => e.kind === "state");
    expect(states.slice(0, 2).map((e) => `${e.from}>${e.to}:${e.reason}`)).toEqual([
      `unknown>online:${h.reason}`,
      "online>unknown:gateway_stopped",
    ]);
  });

  it("is for operators and school admins: a teacher is refused", async () => {
    const h = await cameraHealth();
    await gw.admin.expect(201, "POST", "/api/users", {
      username: "guru.kesehatan",
      displayName: "Guru",
      password: "password-for-tests",
      role: "teacher",
      schoolId: h.schoolId,
    });
    const teacher = await new ApiClient(gw.url).login("guru.kesehatan", "password-for-tests");
    await teacher.expect(403, "GET", "/api/health");
    await teacher.expect(403, "GET", `/api/cameras/${cameraId}/health`);
    await gw.admin.expect(404, "GET", `/api/cameras/nope/health`);
  });

  it("an ONVIF camera that answers with another serial number was replaced: drift stored and alerted", async () => {
    const host = randomLoopbackHost();
    const rtsp = await startTestCamera({ host });
    const creds = { username: "admin", password: "onvif-rahasia" };
    const sim = (serial: string, httpPort?: number) =>
      startOnvifCamera({
        host,
        httpPort,
        uuid: "7d3f5a10-0000-4000-8000-00000000d81f",
        ...creds,
        ...profilesOf(rtsp),
        serial,
      });
    let onvif = await sim("SN-LAMA-0001");
    try {
      const { id } = (await gw.admin.expect(201, "POST", "/api/cameras", {
        schoolId: ((await gw.admin.expect(200, "GET", `/api/cameras/${cameraId}`)) as { schoolId: string })
          .schoolId,
        name: "Kelas ONVIF",
        source: { kind: "onvif", host, port: onvif.httpPort, ...creds },
      })) as { id: string };
      await waitFor("the first serial read", async () => {
        const h = (await gw.admin.expect(200, "GET", `/api/cameras/${id}/health`)) as {
          device: { serial: string | null };
        };
        return h.device.serial === "SN-LAMA-0001" || undefined;
      });
      // The same address and UUID, another device behind it.
      await onvif.stop();
      onvif = await sim("SN-BARU-0002", onvif.httpPort);
      const drift = await waitFor("the drift", async () => {
        const h = (await gw.admin.expect(200, "GET", `/api/cameras/${id}/health`)) as CameraHealth;
        return h.events?.find((e) => e.kind === "drift");
      });
      expect(drift).toMatchObject({ to: "replaced", reason: "replaced" });
      const alert = await waitFor("a drift alert", () =>
        delivered()
          .flatMap((d) => d.alerts)
          .find((a) => a.kind === "drift" && a.cameraId === id),
      );
      expect(alert.reason).toBe("replaced");
      await gw.admin.expect(204, "DELETE", `/api/cameras/${id}`);
    } finally {
      await onvif.stop();
      await rtsp.stop();
    }
  });

  it("a camera delivering far below its own frame rate is degraded (low_fps), watched or not", async () => {
    // 25 fps said in its stream, four frames in five dropped: every frame a keyframe, so what is left plays.
    const slow = await startTestCamera({ fps: 25, gop: 1, drop: 0.8 });
    try {
      const { id } = await gw.addCamera({
        name: "Kelas lambat",
        alwaysOn: true,
        source: { kind: "rtsp", url: slow.url("main") },
      });
      const h = await waitFor(
        "the slow camera degraded",
        async () => {
          const v = (await gw.admin.expect(200, "GET", `/api/cameras/${id}/health`)) as CameraHealth & {
            fps: number | null;
          };
          return v.state === "degraded" ? v : undefined;
        },
        40_000,
      );
      expect(h.reason).toContain("low_fps");
      expect(h.fps).toBeLessThan(12.5);
      await gw.admin.expect(204, "DELETE", `/api/cameras/${id}`);
    } finally {
      await slow.stop();
    }
  });
});
