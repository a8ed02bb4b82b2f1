/**
 * A camera's health as a pure state machine: observations (probe results, live-rendition evidence) and the
 * time go in, state changes and flapping changes come out. No timers and no I/O: the health monitor feeds it
 * and stores what it returns (uptime is computed from those rows, see uptime.ts).
 */

export type CameraState = "online" | "degraded" | "offline" | "paused" | "disabled" | "unknown";

/** Every state, in a fixed order (one `pantau_camera_state{state}` series each). */
export const cameraStates: readonly CameraState[] = [
  "online",
  "degraded",
  "offline",
  "paused",
  "disabled",
  "unknown",
];

/** Why a reachable camera is degraded. */
export type DegradedReason = "low_fps" | "reconnects" | "clock_skew" | "stream_errors";

export const degradedReasonList: readonly DegradedReason[] = [
  "low_fps",
  "reconnects",
  "clock_skew",
  "stream_errors",
];

/** Set by an operator or the registry, never by an observation. */
/** Overrides of the observed state: paused, disabled, or unknown (a hub's camera whose edge is away). */
export type AdministrativeState = "paused" | "disabled" | "unknown";

/** One result: a probe, or the running rendition's evidence. */
export interface Observation {
  /** ms since the epoch. */
  at: number;
  reachable: boolean;
  source: "probe" | "live";
  /** Reachable but not well (empty when well); ignored when unreachable. */
  problems: DegradedReason[];
  /** A code (timeout, auth_failed, …) when unreachable: the offline reason. */
  error?: string | undefined;
}

/** What was measured about a camera; undefined means not measured, never a problem. */
export interface HealthFacts {
  fps?: number | undefined;
  /** The camera's own frame rate (as its stream describes it): fps is judged against it, not a fixed number. */
  expectedFps?: number | undefined;
  reconnectsLastHour?: number | undefined;
  /** Camera clock minus gateway clock. */
  clockSkewMs?: number | undefined;
  /** Stream errors in the caller's window (e.g. since the last observation). */
  streamErrors?: number | undefined;
}

export interface DegradedThresholds {
  /** low_fps below this share of the camera's own rate (0.5: 12 fps of a 25 fps camera is low). */
  minFpsRatio: number;
  /** reconnects when at least this many in the last hour. */
  reconnectsPerHour: number;
  /** clock_skew when the camera's clock is further off than this, either way (5 min). */
  maxClockSkewMs: number;
  /** stream_errors when at least this many in the caller's window. */
  streamErrors: number;
}

export const defaultDegradedThresholds: Readonly<DegradedThresholds> = Object.freeze({
  minFpsRatio: 0.5,
  reconnectsPerHour: 3,
  maxClockSkewMs: 5 * 60_000,
  streamErrors: 5,
});

const finite = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n);

/** The problems the measured facts show, in `degradedReasonList` order; none when nothing was measured. */
export function degradedReasons(
  facts: HealthFacts,
  thresholds: Partial<DegradedThresholds> = {},
): DegradedReason[] {
  const t = { ...defaultDegradedThresholds, ...thresholds };
  const out: DegradedReason[] = [];
  const { fps, expectedFps, reconnectsLastHour, clockSkewMs, streamErrors } = facts;
  if (finite(fps) && finite(expectedFps) && expectedFps > 0 && fps < expectedFps * t.minFpsRatio) {
    out.push("low_fps");
  }
  if (finite(reconnectsLastHour) && reconnectsLastHour >= t.reconnectsPerHour) out.push("reconnects");
  if (finite(clockSkewMs) && Math.abs(clockSkewMs) > t.maxClockSkewMs) out.push("clock_skew");
  if (finite(streamErrors) && streamErrors >= t.streamErrors) out.push("stream_errors");
  return out;
}

export interface HealthTrackerOptions {
  /** Unreachable continuously this long → offline (health.offlineAfterSeconds). */
  offlineAfterMs: number;
  /** Reachable continuously this long → out of offline; also problem-free this long → degraded to online. */
  recoverAfterMs: number;
  /** Flapping is judged over the last N results (Nagios keeps 21). */
  flapWindow: number;
  /** Percent state change at or above which flapping starts… */
  flapHigh: number;
  /** …and at or below which it stops (hysteresis, as Nagios). */
  flapLow: number;
}

export const defaultHealthTrackerOptions: Readonly<HealthTrackerOptions> = Object.freeze({
  offlineAfterMs: 120_000,
  recoverAfterMs: 60_000,
  flapWindow: 21,
  flapHigh: 50,
  flapLow: 25,
});

/** A change of the state others see. */
export interface Transition {
  at: number;
  from: CameraState;
  to: CameraState;
  /** A code: the error (offline), the problems joined by "," (degraded), recovered, paused, … */
  reason: string;
}

export type StateEvent = { kind: "state" } & Transition;

/** The flapping flag went on or off; `percent` is the weighted percent state change that decided it. */
export interface FlappingEvent {
  kind: "flapping";
  at: number;
  on: boolean;
  percent: number;
}

export type HealthEvent = StateEvent | FlappingEvent;

/** How the monitor restores a tracker after a restart (the last stored state). */
export interface InitialHealth {
  state: CameraState;
  since: number;
  reason?: string | undefined;
}

/** What the tracker itself decides; paused and disabled lie over it. */
type ObservedState = "online" | "degraded" | "offline" | "unknown";

/** A result as flapping counts it: a change between any two of these is a state change. */
type ResultClass = "ok" | "problem" | "down";

/**
 * One camera's health. Rules (each in a test in test/unit/camera-state.test.ts):
 * - online/degraded/unknown → offline when unreachable continuously for offlineAfterMs (a shorter blip changes
 *   nothing); reason: the last error code.
 * - offline → online/degraded when reachable continuously for recoverAfterMs; unknown → online/degraded at the
 *   first reachable result (nothing to debounce against).
 * - online → degraded at once; degraded → online when problem-free for recoverAfterMs (quick to warn, slow
 *   to clear, so a measurement hovering at a threshold does not toggle every minute).
 * - "Continuously" assumes the last result holds until the next one, so tick() applies a debounce between
 *   results (a camera whose probes keep timing out goes offline on time).
 * - A debounced change is dated at the first result of the run that confirmed it (the outage began when the
 *   camera first stopped answering, not two minutes later): uptime then counts exactly the runs longer than the
 *   debounce. State events never go back before the previous state event.
 * - paused/disabled (setAdministrative) hide the observed state; results still update it, and lifting the
 *   override shows it, or `unknown` when no result arrived meanwhile (what was true before is no evidence).
 * - Flapping: Nagios' percent state change over the last flapWindow results, weighted linearly from 0.8 (oldest
 *   change) to 1.2 (newest) (nagioscore base/flapping.c uses 0.75–1.25); on at ≥ flapHigh, off at ≤ flapLow.
 *   It is a flag with its own events; state changes go on as they are (uptime needs them, the debounce bounds
 *   them) and the alerts hold per-change notices back while the flag is on.
 */
export class CameraHealthTracker {
  private readonly opts: HealthTrackerOptions;
  private observed: ObservedState = "unknown";
  private observedReason = "";
  private admin: AdministrativeState | undefined;
  private adminSince = 0;
  /** The state others see, as last told. */
  private shown: { state: CameraState; since: number; reason: string };
  private started: boolean;
  private lastAt: number | undefined;
  private lastError: string | undefined;
  private lastProblems: DegradedReason[] = [];
  /** Starts of the current runs of unreachable, reachable, problem-free and problem results. */
  private downSince: number | undefined;
  private upSince: number | undefined;
  private cleanSince: number | undefined;
  private problemSince: number | undefined;
  private history: ResultClass[] = [];
  private isFlapping = false;
  private percent = 0;

  constructor(opts: Partial<HealthTrackerOptions> = {}, initial?: InitialHealth) {
    this.opts = { ...defaultHealthTrackerOptions, ...opts };
    const o = this.opts;
    if (!(o.offlineAfterMs >= 0 && o.recoverAfterMs >= 0)) throw new RangeError("debounces must be ≥ 0 ms");
    if (!(Number.isInteger(o.flapWindow) && o.flapWindow >= 3))
      throw new RangeError("flapWindow must be ≥ 3");
    if (!(o.flapLow >= 0 && o.flapLow <= o.flapHigh && o.flapHigh <= 100)) {
      throw new RangeError("need 0 ≤ flapLow ≤ flapHigh ≤ 100");
    }
    const state = initial?.state ?? "unknown";
    const since = initial?.since ?? 0;
    const reason = initial?.reason ?? (state === "unknown" ? "" : state);
    this.started = initial !== undefined;
    this.shown = { state, since, reason };
    if (state === "paused" || state === "disabled") {
      this.admin = state;
      this.adminSince = since;
    } else {
      this.observed = state;
      this.observedReason = reason;
    }
  }

  get state(): CameraState {
    return this.shown.state;
  }

  /** When the current state began (0 until the tracker has seen any time). */
  get since(): number {
    return this.shown.since;
  }

  /** Why: the current problems while degraded, the error while offline, else the reason of the last change. */
  get reason(): string {
    return this.shown.reason;
  }

  get flapping(): boolean {
    return this.isFlapping;
  }

  /** The weighted percent state change over the last results (0–100). */
  get percentStateChange(): number {
    return this.percent;
  }

  observe(o: Observation): HealthEvent[] {
    // Results arrive in order; one that finished a little late is taken as of the latest time seen.
    const at = Math.max(o.at, this.lastAt ?? o.at);
    this.begin(at);
    const out: HealthEvent[] = [];
    let result: ResultClass;
    if (o.reachable) {
      result = o.problems.length > 0 ? "problem" : "ok";
      this.downSince = undefined;
      this.upSince ??= at;
      this.lastProblems = [...new Set(o.problems)];
      if (result === "ok") {
        this.cleanSince ??= at;
        this.problemSince = undefined;
      } else {
        this.problemSince ??= at;
        this.cleanSince = undefined;
      }
    } else {
      result = "down";
      this.downSince ??= at;
      this.upSince = this.cleanSince = this.problemSince = undefined;
      this.lastError = o.error;
    }
    this.lastAt = at;
    this.evaluate(at, out);
    this.flap(result, at, out);
    return out;
  }

  /** Applies the debounces at `at` without a new result. */
  tick(at: number): HealthEvent[] {
    this.begin(at);
    const out: HealthEvent[] = [];
    this.evaluate(at, out);
    return out;
  }

  /** Paused or disabled override the observed state; undefined lifts the override. */
  setAdministrative(kind: AdministrativeState | undefined, at: number, reason?: string): HealthEvent[] {
    if (kind === this.admin) {
      // Still unknown, for another reason now (a hub's camera of an edge: not judged at the edge yet, then the
      // edge off the link): told by the getter, not as a change.
      if (kind !== undefined && reason !== undefined) this.shown.reason = reason;
      return [];
    }
    this.begin(at);
    const out: HealthEvent[] = [];
    if (kind !== undefined) {
      this.admin = kind;
      this.adminSince = at;
      this.show(kind, at, reason ?? kind, out);
      if (kind === "disabled") {
        // A disabled camera is not asked: its history stops meaning anything.
        this.history = [];
        this.percent = 0;
        if (this.isFlapping) {
          this.isFlapping = false;
          out.push({ kind: "flapping", at, on: false, percent: 0 });
        }
      }
      return out;
    }
    this.admin = undefined;
    if (this.lastAt === undefined || this.lastAt < this.adminSince) {
      this.observed = "unknown";
      this.observedReason = "resumed";
      this.downSince = this.upSince = this.cleanSince = this.problemSince = undefined;
    }
    this.show(this.observed, at, reason ?? this.observedReason, out);
    this.evaluate(at, out);
    return out;
  }

  /** The first time seen dates an `unknown` that had no initial state. */
  private begin(at: number): void {
    if (this.started) return;
    this.started = true;
    this.shown.since = at;
  }

  private evaluate(now: number, out: HealthEvent[]): void {
    // A change can enable the next (unknown → online → degraded); a few steps at most, bounded anyway.
    for (let i = 0; i < 4; i++) if (!this.step(now, out)) return;
  }

  /** One rule applied; true when the observed state changed. */
  private step(now: number, out: HealthEvent[]): boolean {
    const { offlineAfterMs, recoverAfterMs } = this.opts;
    const downDue = this.downSince !== undefined && now - this.downSince >= offlineAfterMs;
    const problems = this.lastProblems.join(",");
    switch (this.observed) {
      case "unknown":
        if (this.downSince !== undefined) {
          return downDue && this.move("offline", this.downSince, this.lastError ?? "unreachable", out);
        }
        if (this.upSince === undefined) return false;
        return this.problemSince !== undefined
          ? this.move("degraded", this.upSince, problems, out)
          : this.move("online", this.upSince, "reachable", out);
      case "online":
        if (downDue) return this.move("offline", this.downSince ?? now, this.lastError ?? "unreachable", out);
        if (this.problemSince !== undefined) return this.move("degraded", this.problemSince, problems, out);
        return false;
      case "degraded":
        if (downDue) return this.move("offline", this.downSince ?? now, this.lastError ?? "unreachable", out);
        if (this.cleanSince !== undefined && now - this.cleanSince >= recoverAfterMs) {
          return this.move("online", this.cleanSince, "recovered", out);
        }
        if (this.problemSince !== undefined && problems !== this.observedReason) {
          // Still degraded, for other reasons now: told by the getter, not as a change.
          this.observedReason = problems;
          if (this.admin === undefined) this.shown.reason = problems;
        }
        return false;
      case "offline":
        if (this.upSince === undefined || now - this.upSince < recoverAfterMs) return false;
        return this.problemSince !== undefined
          ? this.move("degraded", this.upSince, problems, out)
          : this.move("online", this.upSince, "recovered", out);
    }
  }

  private move(to: ObservedState, at: number, reason: string, out: HealthEvent[]): true {
    this.observed = to;
    this.observedReason = reason;
    if (this.admin === undefined) this.show(to, at, reason, out);
    return true;
  }

  private show(to: CameraState, at: number, reason: string, out: HealthEvent[]): void {
    const when = Math.max(at, this.shown.since);
    out.push({ kind: "state", at: when, from: this.shown.state, to, reason });
    this.shown = { state: to, since: when, reason };
  }

  private flap(result: ResultClass, at: number, out: HealthEvent[]): void {
    const n = this.opts.flapWindow;
    this.history.push(result);
    if (this.history.length > n) this.history.shift();
    // A short history sits at the newest end of the window; the missing older results count as no change.
    const offset = n - this.history.length;
    let weighted = 0;
    for (let i = 1; i < this.history.length; i++) {
      if (this.history[i] !== this.history[i - 1]) weighted += 0.8 + (0.4 * (i + offset - 1)) / (n - 2);
    }
    this.percent = Math.round(((weighted * 100) / (n - 1)) * 100) / 100;
    const on = this.isFlapping ? this.percent > this.opts.flapLow : this.percent >= this.opts.flapHigh;
    if (on === this.isFlapping) return;
    this.isFlapping = on;
    out.push({ kind: "flapping", at, on, percent: this.percent });
  }
}

/** What a camera says about itself; undefined (or an empty string) is unknown, never a change. */
export interface DeviceFacts {
  serial?: string | undefined;
  firmware?: string | undefined;
  width?: number | undefined;
  height?: number | undefined;
  /** When the camera last booted (its clock's uptime subtracted from now), ms since the epoch. */
  bootedAt?: number | undefined;
}

export type DriftKind = "replaced" | "firmware" | "resolution" | "rebooted";

export type DriftEvent =
  | { kind: "replaced"; from: string; to: string }
  | { kind: "firmware"; from: string; to: string }
  | {
      kind: "resolution";
      from: { width?: number | undefined; height?: number | undefined };
      to: { width?: number | undefined; height?: number | undefined };
    }
  | { kind: "rebooted"; from: number; to: number };

export interface DriftOptions {
  /** bootedAt is derived from an uptime counter and the probe's timing: it wobbles by this much. */
  rebootToleranceMs: number;
}

const known = (s: string | undefined): string | undefined => {
  const t = s?.trim();
  return t === undefined || t === "" ? undefined : t;
};

/**
 * What changed between two sightings of a camera. A new serial is a new device: "replaced" then stands for
 * its firmware and boot time too (reporting them as well would be noise); the picture size is still reported,
 * as it changes the renditions.
 */
export function drift(
  previous: DeviceFacts,
  now: DeviceFacts,
  opts: Partial<DriftOptions> = {},
): DriftEvent[] {
  const tolerance = opts.rebootToleranceMs ?? 60_000;
  const out: DriftEvent[] = [];
  const [s0, s1] = [known(previous.serial), known(now.serial)];
  const replaced = s0 !== undefined && s1 !== undefined && s0 !== s1;
  if (replaced) out.push({ kind: "replaced", from: s0, to: s1 });
  const [f0, f1] = [known(previous.firmware), known(now.firmware)];
  if (!replaced && f0 !== undefined && f1 !== undefined && f0 !== f1) {
    out.push({ kind: "firmware", from: f0, to: f1 });
  }
  const differs = (a: number | undefined, b: number | undefined) => finite(a) && finite(b) && a !== b;
  if (differs(previous.width, now.width) || differs(previous.height, now.height)) {
    out.push({
      kind: "resolution",
      from: { width: previous.width, height: previous.height },
      to: { width: now.width, height: now.height },
    });
  }
  const [b0, b1] = [previous.bootedAt, now.bootedAt];
  if (!replaced && finite(b0) && finite(b1) && b1 - b0 > tolerance) {
    out.push({ kind: "rebooted", from: b0, to: b1 });
  }
  return out;
}
