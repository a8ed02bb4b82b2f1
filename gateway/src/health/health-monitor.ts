import type { AccessState } from "../access/access-state.js";
import type { Camera } from "../cameras/camera.js";
import type { Clock, TimerHandle } from "../common/clock.js";
import { ConcurrencyLimit } from "../common/concurrency-limit.js";
import type { Logger } from "../log/logger.js";
import type { RenditionHealth } from "../streaming/rendition.js";
import {
  CameraHealthTracker,
  degradedReasons,
  drift,
  type CameraState,
  type DeviceFacts,
  type DriftEvent,
  type HealthEvent,
  type Observation,
} from "./camera-state.js";
import type { CameraFacts, HealthRepository, NewHealthEvent } from "./health.repository.js";

/** What one probe of a camera found (RTSP OPTIONS + DESCRIBE, and ONVIF where the camera is ONVIF). */
export interface ProbeOutcome {
  ok: boolean;
  ms: number;
  /** A code (unreachable, timeout, auth_failed, …) when not ok. */
  error?: string | undefined;
  video?: {
    codec: string;
    width?: number | undefined;
    height?: number | undefined;
    fps?: number | undefined;
  };
  /** What an ONVIF camera said about itself; undefined for a plain RTSP camera or when it did not answer. */
  device?:
    | {
        serial?: string | undefined;
        firmware?: string | undefined;
        model?: string | undefined;
        clockSkewMs?: number | undefined;
      }
    | undefined;
}

/** Probes one camera within `deadlineMs`; never throws (a failure is an outcome). */
export interface CameraProber {
  probe(camera: Camera, deadlineMs: number): Promise<ProbeOutcome>;
}

/** What the monitor tells its listeners (alerts, the console's events, logs), after it is stored. */
export type MonitorEvent =
  | {
      kind: "state";
      cameraId: string;
      schoolId: string | null;
      at: number;
      from: CameraState;
      to: CameraState;
      reason: string;
    }
  | { kind: "flapping"; cameraId: string; schoolId: string | null; at: number; on: boolean }
  | { kind: "drift"; cameraId: string; schoolId: string | null; at: number; drift: DriftEvent };

/** One camera's health as the API, the metrics and the console read it. */
export interface CameraHealthView {
  cameraId: string;
  schoolId: string | null;
  name: string;
  state: CameraState;
  since: number;
  reason: string;
  flapping: boolean;
  /** A rendition is running: its evidence replaces probing. */
  live: boolean;
  fps: number | undefined;
  lastProbe: { at: number; ok: boolean; ms: number; error?: string | undefined } | undefined;
  facts: CameraFacts;
}

export interface HealthMonitorOptions {
  probeMs: number;
  probeTimeoutMs: number;
  offlineAfterMs: number;
  recoverAfterMs: number;
  maxConcurrentProbes: number;
  /** How often debounces are applied and due probes started (default 1 s). */
  tickMs?: number;
  /**
   * Why a camera cannot be observed now (at a hub: its edge is off the link), or undefined. Such a camera is
   * shown unknown with that reason, neither offline nor online, so no outage is counted or alerted for it.
   */
  unobservable?: (camera: Camera) => string | undefined;
}

/** The running renditions' evidence, by camera (the stream manager). */
export interface LiveEvidence {
  renditionsOf(cameraId: string): readonly { health(): RenditionHealth }[];
}

interface Watched {
  camera: Camera;
  tracker: CameraHealthTracker;
  nextAt: number;
  inFlight: boolean;
  /** While live: when the camera's own facts are next asked for. */
  factsDueAt: number;
  lastProbe: CameraHealthView["lastProbe"];
  facts: CameraFacts;
  /** Restart counts seen on the live rendition, with when: reconnects in the last hour. */
  restarts: { count: number; seen: number[] };
  fps: number | undefined;
  live: boolean;
  /** The camera's own frame rate, as its stream described it. */
  expectedFps: number | undefined;
}

const hourMs = 3_600_000;
const liveOnlyMs = 10_000;
/** A rendition live this long has a frame rate worth judging. */
const settleMs = 10_000;
/** While a rendition runs, a probe for facts every this many intervals. */
const factsEvery = 10;

/**
 * Watches every registered camera, watched by a parent or not: a probe every `probeMs` (jittered, at most
 * `maxConcurrentProbes` at once, each within `probeTimeoutMs`), or the live rendition's evidence while one
 * runs. Each camera's state follows from a CameraHealthTracker (debounced, flapping detected); every change
 * is stored (uptime is computed from these rows) and then told to the listeners.
 */
export class HealthMonitor {
  private readonly watched = new Map<string, Watched>();
  private readonly limit: ConcurrencyLimit;
  private readonly listeners: ((e: MonitorEvent) => void)[] = [];
  private timer: TimerHandle | undefined;
  private closed = false;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly access: AccessState,
    private readonly live: LiveEvidence,
    private readonly prober: CameraProber,
    private readonly repo: HealthRepository,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: HealthMonitorOptions,
  ) {
    // Every camera may wait its turn: the queue is the fleet, never a refusal.
    this.limit = new ConcurrencyLimit(opts.maxConcurrentProbes, Number.MAX_SAFE_INTEGER);
  }

  onEvent(listener: (e: MonitorEvent) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    const restored = this.repo.lastStates();
    const facts = this.repo.allFacts();
    this.sync(restored, facts);
    this.schedule();
  }

  /**
   * Stops probing and stores every camera as `unknown` from now: while the gateway is down nobody knows,
   * and uptime must not count that time as the last state (a crash cannot do this; its gap counts as it was).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.pending]);
    const at = this.clock.now();
    const rows: NewHealthEvent[] = [];
    for (const w of this.watched.values()) {
      const state = w.tracker.state;
      if (state === "unknown") continue;
      rows.push({
        cameraId: w.camera.id,
        schoolId: w.camera.schoolId,
        at: Math.max(at, w.tracker.since),
        kind: "state",
        from: state,
        to: "unknown",
        reason: "gateway_stopped",
        detail: null,
      });
    }
    try {
      this.repo.append(rows);
    } catch (err) {
      this.log.warn({ err }, "health: the stop was not stored");
    }
  }

  /** Every registered camera (one added a moment ago too, as unknown until its first check). */
  list(): CameraHealthView[] {
    this.sync();
    return [...this.watched.values()].map((w) => this.view(w));
  }

  get(cameraId: string): CameraHealthView | undefined {
    // A camera added since the last tick is picked up here; known ones cost a map lookup (a scrape asks each).
    if (!this.watched.has(cameraId)) this.sync();
    const w = this.watched.get(cameraId);
    return w && this.view(w);
  }

  private view(w: Watched): CameraHealthView {
    return {
      cameraId: w.camera.id,
      schoolId: w.camera.schoolId,
      name: w.camera.name,
      state: w.tracker.state,
      since: w.tracker.since,
      reason: w.tracker.reason,
      flapping: w.tracker.flapping,
      live: w.live,
      fps: w.fps,
      lastProbe: w.lastProbe,
      facts: w.facts,
    };
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      this.round();
      this.schedule();
    }, this.opts.tickMs ?? 1000);
  }

  /** One tick: follow the registry, start due checks, apply debounces and administrative states. */
  private round(): void {
    try {
      this.sync();
      const now = this.clock.now();
      for (const w of this.watched.values()) {
        if (!w.inFlight && now >= w.nextAt) void this.check(w, now);
      }
      this.apply(now);
    } catch (err) {
      this.log.error({ err }, "health round failed");
    }
  }

  /** Adds cameras registered since, drops removed ones, keeps each record current. */
  private sync(
    restored?: Map<string, { to: string; at: number; reason: string }>,
    facts?: Map<string, CameraFacts>,
  ): void {
    const snap = this.access.snapshot();
    const now = this.clock.now();
    for (const id of this.watched.keys()) if (!snap.cameras.has(id)) this.watched.delete(id);
    for (const camera of snap.cameras.values()) {
      const w = this.watched.get(camera.id);
      if (w) {
        w.camera = camera;
        continue;
      }
      const last = restored?.get(camera.id);
      const initial = last
        ? { state: last.to as CameraState, since: last.at, reason: last.reason }
        : undefined;
      this.watched.set(camera.id, {
        camera,
        tracker: new CameraHealthTracker(
          { offlineAfterMs: this.opts.offlineAfterMs, recoverAfterMs: this.opts.recoverAfterMs },
          initial,
        ),
        // Spread the first probes over one interval, so 200 cameras are not asked at once.
        nextAt: now + Math.floor(Math.random() * Math.min(this.opts.probeMs || liveOnlyMs, 10_000)),
        inFlight: false,
        factsDueAt: 0,
        lastProbe: undefined,
        facts: facts?.get(camera.id) ?? this.repo.facts(camera.id) ?? {},
        restarts: { count: 0, seen: [] },
        fps: undefined,
        live: false,
        expectedFps: undefined,
      });
    }
  }

  /** Paused and disabled come from the registry; debounces run on time alone. */
  private apply(now: number): void {
    const snap = this.access.snapshot();
    for (const w of this.watched.values()) {
      const room = w.camera.classroomId === null ? undefined : snap.classrooms.get(w.camera.classroomId);
      const pause = room?.pause;
      const paused = pause != null && (pause.until === null || Date.parse(pause.until) > now);
      const away = this.opts.unobservable?.(w.camera);
      const admin = !w.camera.enabled
        ? "disabled"
        : paused
          ? "paused"
          : away !== undefined
            ? "unknown"
            : undefined;
      this.record(w, w.tracker.setAdministrative(admin, now, admin === "unknown" ? away : undefined));
      this.record(w, w.tracker.tick(now));
    }
  }

  /** Live evidence when a rendition runs, else a probe; the next check about one interval later. */
  private async check(w: Watched, now: number): Promise<void> {
    // With probing off (probeSeconds 0) a running rendition's evidence is still read, every 10 s.
    const every = this.opts.probeMs > 0 ? this.opts.probeMs : liveOnlyMs;
    w.nextAt = now + Math.round(every * (0.9 + Math.random() * 0.2));
    const liveObservation = this.fromLive(w, now);
    if (liveObservation !== null) {
      if (liveObservation !== undefined) this.record(w, w.tracker.observe(liveObservation));
      // The rendition says whether the camera works; what the camera says about itself (its own frame
      // rate, serial, firmware, clock) still takes a probe now and then: first, then every 10 intervals.
      if (this.opts.probeMs > 0 && now >= w.factsDueAt && w.camera.source.kind === "rtsp") {
        w.factsDueAt = now + factsEvery * this.opts.probeMs;
        await this.track(w, this.probe(w, true));
      }
      return;
    }
    if (this.opts.probeMs === 0) return;
    if (w.camera.source.kind === "test-pattern" || !w.camera.enabled) {
      // The test pattern is drawn by ffmpeg itself: nothing to reach. A disabled camera is not asked.
      if (w.camera.enabled) {
        this.record(w, w.tracker.observe({ at: now, reachable: true, source: "probe", problems: [] }));
      }
      return;
    }
    await this.track(w, this.probe(w, false));
  }

  /** Marks the camera busy while `work` runs, and keeps it for close() to wait on. */
  private async track(w: Watched, work: Promise<void>): Promise<void> {
    w.inFlight = true;
    const run = work.finally(() => {
      w.inFlight = false;
      this.pending.delete(run);
    });
    this.pending.add(run);
    await run;
  }

  /** One probe; `factsOnly` while a rendition runs (its evidence, not the probe, decides reachability). */
  private async probe(w: Watched, factsOnly: boolean): Promise<void> {
    let outcome: ProbeOutcome;
    try {
      outcome = await this.limit.run(() => this.prober.probe(w.camera, this.opts.probeTimeoutMs));
    } catch (err) {
      outcome = { ok: false, ms: 0, error: "probe_failed" };
      this.log.warn({ err, camera: w.camera.id }, "camera probe threw");
    }
    if (this.closed || !this.watched.has(w.camera.id)) return;
    const at = this.clock.now();
    w.lastProbe = { at, ok: outcome.ok, ms: outcome.ms, error: outcome.error };
    if (outcome.video?.fps !== undefined) w.expectedFps = outcome.video.fps;
    const next: CameraFacts = {
      ...w.facts,
      lastProbeAt: at,
      lastOkAt: outcome.ok ? at : w.facts.lastOkAt,
      lastError: outcome.ok ? undefined : outcome.error,
    };
    if (outcome.video?.width !== undefined) next.width = outcome.video.width;
    if (outcome.video?.height !== undefined) next.height = outcome.video.height;
    const device = outcome.device;
    if (device) {
      if (device.serial !== undefined) next.serial = device.serial;
      if (device.firmware !== undefined) next.firmware = device.firmware;
      if (device.model !== undefined) next.model = device.model;
      next.clockSkewMs = device.clockSkewMs;
    }
    this.drifted(w, next, at);
    if (factsOnly) return;
    const problems = outcome.ok ? degradedReasons({ clockSkewMs: next.clockSkewMs }) : [];
    const observation: Observation = {
      at,
      reachable: outcome.ok,
      source: "probe",
      problems,
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    };
    this.record(w, w.tracker.observe(observation));
  }

  /**
   * The live rendition's evidence: undefined while it is starting (nothing to say yet), null when none
   * runs (probe instead).
   */
  private fromLive(w: Watched, now: number): Observation | undefined | null {
    const main = this.live
      .renditionsOf(w.camera.id)
      .map((r) => r.health())
      .find((h) => h.rendition === "main");
    w.live = main !== undefined && main.state !== "idle" && main.state !== "stopping";
    if (!w.live || main === undefined) {
      w.fps = undefined;
      return null;
    }
    w.fps = main.fps;
    if (main.restarts > w.restarts.count) {
      for (let i = w.restarts.count; i < main.restarts; i++) w.restarts.seen.push(now);
    }
    w.restarts.count = main.restarts;
    w.restarts.seen = w.restarts.seen.filter((t) => now - t < hourMs);
    if (main.state === "starting") return undefined;
    if (main.width !== undefined && main.height !== undefined) {
      this.drifted(w, { ...w.facts, width: main.width, height: main.height }, now);
    }
    if (main.state === "live") {
      return {
        at: now,
        reachable: true,
        source: "live",
        problems: degradedReasons({
          // The frame rate is measured over the last 5 s: judged only once the rendition has been live longer.
          fps: now - main.since >= settleMs ? main.fps : undefined,
          expectedFps: w.expectedFps,
          reconnectsLastHour: w.restarts.seen.length,
          clockSkewMs: w.facts.clockSkewMs,
        }),
      };
    }
    // stalled, failed, backoff: the camera does not deliver.
    return { at: now, reachable: false, source: "live", problems: [], error: main.lastError ?? main.state };
  }

  /** Compares what the camera says now with what it said before; stores the new facts. */
  private drifted(w: Watched, next: CameraFacts, at: number): void {
    const changes = drift(deviceFacts(w.facts), deviceFacts(next));
    w.facts = next;
    try {
      this.repo.saveFacts(w.camera.id, next, at);
    } catch (err) {
      this.log.warn({ err, camera: w.camera.id }, "camera facts not stored");
    }
    for (const d of changes) {
      this.store(w, [
        {
          cameraId: w.camera.id,
          schoolId: w.camera.schoolId,
          at,
          kind: "drift",
          from: null,
          to: d.kind,
          reason: d.kind,
          detail: { ...d },
        },
      ]);
      this.tell({ kind: "drift", cameraId: w.camera.id, schoolId: w.camera.schoolId, at, drift: d });
    }
  }

  private record(w: Watched, events: readonly HealthEvent[]): void {
    if (events.length === 0) return;
    const camera = w.camera;
    const rows: NewHealthEvent[] = events.map((e) =>
      e.kind === "state"
        ? {
            cameraId: camera.id,
            schoolId: camera.schoolId,
            at: e.at,
            kind: "state",
            from: e.from,
            to: e.to,
            reason: e.reason,
            detail: null,
          }
        : {
            cameraId: camera.id,
            schoolId: camera.schoolId,
            at: e.at,
            kind: "flapping",
            from: null,
            to: e.on ? "on" : "off",
            reason: "flapping",
            detail: null,
          },
    );
    this.store(w, rows);
    for (const e of events) {
      if (e.kind === "state") {
        this.log.info(`[cam ${camera.id}] health ${e.from} → ${e.to} (${e.reason})`);
        this.tell({
          kind: "state",
          cameraId: camera.id,
          schoolId: camera.schoolId,
          at: e.at,
          from: e.from,
          to: e.to,
          reason: e.reason,
        });
      } else {
        this.tell({ kind: "flapping", cameraId: camera.id, schoolId: camera.schoolId, at: e.at, on: e.on });
      }
    }
  }

  private store(w: Watched, rows: NewHealthEvent[]): void {
    try {
      this.repo.append(rows);
    } catch (err) {
      this.log.error({ err, camera: w.camera.id }, "health events not stored");
    }
  }

  private tell(e: MonitorEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.error({ err }, "health listener failed");
      }
    }
  }
}

function deviceFacts(f: CameraFacts): DeviceFacts {
  return { serial: f.serial, firmware: f.firmware, width: f.width, height: f.height, bootedAt: f.bootedAt };
}
