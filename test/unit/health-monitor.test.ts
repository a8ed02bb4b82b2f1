import Database from "better-sqlite3";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { AccessState } from "../../gateway/src/access/access-state.js";
import type { Camera } from "../../gateway/src/cameras/camera.js";
import { migrate } from "../../gateway/src/db/database.js";
import {
  HealthMonitor,
  type CameraProber,
  type LiveEvidence,
  type MonitorEvent,
  type ProbeOutcome,
} from "../../gateway/src/health/health-monitor.js";
import { HealthRepository } from "../../gateway/src/health/health.repository.js";
import type { RenditionHealth } from "../../gateway/src/streaming/rendition.js";
import { FakeClock } from "../helpers/fake-clock.js";

/**
 * The monitor's scheduling and bookkeeping with a fake clock, a scripted prober and SQLite in memory: how many
 * probes run at once, the debounce over ticks, drift stored and told, live evidence instead of probes, and
 * the stop stored as unknown. The real probes and the real camera are in test/integration/camera-health.test.ts.
 */

function camera(n: number, extra: Partial<Camera> = {}): Camera {
  return {
    id: `cam${String(n)}`,
    schoolId: "sch1",
    classroomId: null,
    name: `Kamera ${String(n)}`,
    source: { kind: "rtsp", url: `rtsp://10.0.0.${String(n)}/main` },
    onvif: null,
    videoCodec: "h264",
    audio: false,
    alwaysOn: false,
    enabled: true,
    demo: false,
    publishGeneration: 0,
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
    ...extra,
  };
}

function accessOf(cameras: Camera[]): AccessState {
  const snap = {
    cameras: new Map(cameras.map((c) => [c.id, c])),
    classrooms: new Map(),
    schools: new Map([["sch1", { name: "SD 1", timeZone: "Asia/Jakarta", area: "" }]]),
  };
  return { snapshot: () => snap } as unknown as AccessState;
}

/** Answers each probe when the test says, and counts how many are open at once. */
class ScriptedProber implements CameraProber {
  open = 0;
  maxOpen = 0;
  calls: string[] = [];
  private waiting: ((o: ProbeOutcome) => void)[] = [];
  constructor(private readonly answer?: (camera: Camera, n: number) => ProbeOutcome) {}

  probe(c: Camera): Promise<ProbeOutcome> {
    this.calls.push(c.id);
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    const done = (o: ProbeOutcome) => {
      this.open--;
      return o;
    };
    if (this.answer) return Promise.resolve(done(this.answer(c, this.calls.length)));
    return new Promise((resolve) => this.waiting.push((o) => resolve(done(o))));
  }

  releaseAll(o: ProbeOutcome): void {
    for (const w of this.waiting.splice(0)) w(o);
  }
}

const noLive: LiveEvidence = { renditionsOf: () => [] };
const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

let db: Database.Database | undefined;
afterEach(() => {
  db?.close();
});

function setUp(cameras: Camera[], prober: CameraProber, live: LiveEvidence = noLive, over = {}) {
  db = new Database(":memory:");
  migrate(db);
  db.prepare("INSERT INTO schools (id, name, created_at, updated_at) VALUES ('sch1', 'SD 1', '', '')").run();
  const clock = new FakeClock(Date.parse("2026-11-02T01:00:00Z"));
  const repo = new HealthRepository(db);
  const monitor = new HealthMonitor(accessOf(cameras), live, prober, repo, clock, pino({ level: "silent" }), {
    probeMs: 60_000,
    probeTimeoutMs: 5000,
    offlineAfterMs: 120_000,
    recoverAfterMs: 60_000,
    maxConcurrentProbes: 2,
    ...over,
  });
  const events: MonitorEvent[] = [];
  monitor.onEvent((e) => events.push(e));
  return { clock, repo, monitor, events };
}

const ok: ProbeOutcome = { ok: true, ms: 12, video: { codec: "H264", width: 1280, height: 720, fps: 25 } };
const down: ProbeOutcome = { ok: false, ms: 5000, error: "timeout" };

describe("HealthMonitor", () => {
  it("probes every camera within its first interval, never more than maxConcurrentProbes at once", async () => {
    const cams = Array.from({ length: 10 }, (_, i) => camera(i + 1));
    const prober = new ScriptedProber();
    const { clock, monitor } = setUp(cams, prober);
    monitor.start();
    for (let s = 0; s < 12; s++) {
      clock.advance(1000);
      await flush();
      prober.releaseAll(ok);
      await flush();
    }
    expect(new Set(prober.calls)).toEqual(new Set(cams.map((c) => c.id)));
    expect(prober.maxOpen).toBe(2);
    expect(monitor.list().every((v) => v.state === "online")).toBe(true);
    await monitor.close();
  });

  it("goes offline after the debounce on ticks alone, stores it and tells the listeners; recovers likewise", async () => {
    let answer = ok;
    const { clock, monitor, events, repo } = setUp([camera(1)], new ScriptedProber(() => answer));
    monitor.start();
    clock.advance(11_000);
    await flush();
    expect(monitor.get("cam1")?.state).toBe("online");
    answer = down;
    // Probes every ~60 s (±10 %); offline once unreachable for 120 s.
    for (let s = 0; s < 240 && monitor.get("cam1")?.state !== "offline"; s++) {
      clock.advance(1000);
      await flush();
    }
    expect(monitor.get("cam1")).toMatchObject({ state: "offline", reason: "timeout" });
    answer = ok;
    for (let s = 0; s < 240 && monitor.get("cam1")?.state !== "online"; s++) {
      clock.advance(1000);
      await flush();
    }
    const states = events.flatMap((e) => (e.kind === "state" ? [`${e.from}>${e.to}`] : []));
    expect(states).toEqual(["unknown>online", "online>offline", "offline>online"]);
    const stored = repo.recent("cam1", 10).filter((e) => e.kind === "state");
    expect(stored.map((e) => `${String(e.from)}>${e.to}`).reverse()).toEqual(states);
    await monitor.close();
  });

  it("a camera that says it is another (new serial) is drift: stored and told once", async () => {
    let serial = "SN-1";
    const prober = new ScriptedProber(() => ({ ...ok, device: { serial, firmware: "1.0" } }));
    const { clock, monitor, events, repo } = setUp([camera(1)], prober);
    monitor.start();
    clock.advance(11_000);
    await flush();
    serial = "SN-2";
    clock.advance(70_000);
    await flush();
    clock.advance(70_000);
    await flush();
    const drift = events.filter((e) => e.kind === "drift");
    expect(drift).toEqual([
      expect.objectContaining({ drift: { kind: "replaced", from: "SN-1", to: "SN-2" } }),
    ]);
    expect(
      repo
        .recent("cam1", 10)
        .filter((e) => e.kind === "drift")
        .map((e) => e.to),
    ).toEqual(["replaced"]);
    expect(monitor.get("cam1")?.facts.serial).toBe("SN-2");
    await monitor.close();
  });

  it("a live rendition is the evidence: low fps against the camera's own rate is degraded", async () => {
    const h = { rendition: "main", state: "live", since: 0, fps: 5, restarts: 0, width: 1280, height: 720 };
    const live: LiveEvidence = {
      renditionsOf: () => [{ health: () => h as unknown as RenditionHealth }],
    };
    const prober = new ScriptedProber(() => ok);
    const { clock, monitor } = setUp([camera(1)], prober, live);
    monitor.start();
    for (let s = 0; s < 15; s++) {
      clock.advance(1000);
      await flush();
    }
    // One probe for the camera's own facts (25 fps), none for reachability.
    expect(prober.calls).toEqual(["cam1"]);
    expect(monitor.get("cam1")).toMatchObject({ state: "online", live: true });
    clock.advance(61_000);
    await flush();
    expect(monitor.get("cam1")).toMatchObject({ state: "degraded", reason: "low_fps" });
    await monitor.close();
  });

  it("a disabled camera is not probed; a stop is stored as unknown for every camera it knew", async () => {
    const prober = new ScriptedProber(() => ok);
    const { clock, monitor, repo } = setUp([camera(1), camera(2, { enabled: false })], prober);
    monitor.start();
    clock.advance(11_000);
    await flush();
    expect(prober.calls).toEqual(["cam1"]);
    expect(monitor.get("cam2")?.state).toBe("disabled");
    await monitor.close();
    const last = (id: string) => repo.recent(id, 1)[0];
    expect(last("cam1")).toMatchObject({ from: "online", to: "unknown", reason: "gateway_stopped" });
    expect(last("cam2")).toMatchObject({ from: "disabled", to: "unknown", reason: "gateway_stopped" });
  });
});
