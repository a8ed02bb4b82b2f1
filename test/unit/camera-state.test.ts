import { describe, expect, it } from "vitest";
import {
  CameraHealthTracker,
  cameraStates,
  defaultHealthTrackerOptions,
  degradedReasons,
  drift,
  type DegradedReason,
  type HealthEvent,
  type Observation,
} from "../../gateway/src/health/camera-state.js";

const t0 = Date.parse("2026-12-01T02:00:00Z");
const s = (seconds: number) => t0 + seconds * 1000;
const up = (sec: number, problems: DegradedReason[] = []): Observation => ({
  at: s(sec),
  reachable: true,
  source: "probe",
  problems,
});
const down = (sec: number, error = "timeout"): Observation => ({
  at: s(sec),
  reachable: false,
  source: "probe",
  problems: [],
  error,
});
const state = (sec: number, from: string, to: string, reason: string): HealthEvent =>
  ({ kind: "state", at: s(sec), from, to, reason }) as HealthEvent;

/** offline after 120 s unreachable, back after 60 s reachable; probes every 30 s in these tables. */
const opts = { offlineAfterMs: 120_000, recoverAfterMs: 60_000 };
const onlineSince0 = () =>
  new CameraHealthTracker(opts, { state: "online", since: s(0), reason: "reachable" });

/** Feeds a script of observations and ticks; returns every event, in order. */
function run(tracker: CameraHealthTracker, steps: (Observation | number)[]): HealthEvent[] {
  return steps.flatMap((step) => (typeof step === "number" ? tracker.tick(s(step)) : tracker.observe(step)));
}

describe("CameraHealthTracker: debounce", () => {
  it("lists every state once, for the metrics", () => {
    expect(cameraStates).toEqual(["online", "degraded", "offline", "paused", "disabled", "unknown"]);
  });

  it("goes from unknown to online at the first reachable result, dated then", () => {
    const t = new CameraHealthTracker(opts);
    expect(t.state).toBe("unknown");
    expect(t.observe(up(0))).toEqual([state(0, "unknown", "online", "reachable")]);
    expect([t.state, t.since, t.reason, t.flapping]).toEqual(["online", s(0), "reachable", false]);
  });

  it("dates a new camera's unknown at the first time it sees, and takes a late result as of the latest time", () => {
    const t = new CameraHealthTracker(opts);
    expect(t.since).toBe(0);
    expect(t.tick(s(5))).toEqual([]);
    expect([t.state, t.since]).toEqual(["unknown", s(5)]);
    t.observe(up(10));
    // A probe that started earlier but reports after a newer result does not go back in time.
    expect(t.observe(down(8))).toEqual([]);
    expect(t.tick(s(129))).toEqual([]);
    expect(t.tick(s(130))).toEqual([state(10, "online", "offline", "timeout")]);
  });

  it("ignores a 90 s blip when offline takes 120 s", () => {
    const t = onlineSince0();
    expect(run(t, [down(30), down(60), down(90), 100, 110, up(120), 149, 300])).toEqual([]);
    expect(t.state).toBe("online");
  });

  it("tick() takes the camera offline once unreachable for 120 s, with no new result, dated at the first failure", () => {
    const t = onlineSince0();
    // The run of failures starts at 30 s; 149 s is 119 s into it, 150 s is 120 s.
    expect(run(t, [down(30, "timeout"), down(60, "auth_failed"), down(90, "auth_failed"), 149])).toEqual([]);
    expect(t.tick(s(150))).toEqual([state(30, "online", "offline", "auth_failed")]);
    expect([t.state, t.since, t.reason]).toEqual(["offline", s(30), "auth_failed"]);
    expect(run(t, [down(180), 400])).toEqual([]);
  });

  it("goes offline from unknown only after the debounce too", () => {
    const t = new CameraHealthTracker(opts);
    expect(run(t, [down(0, "unreachable"), 119])).toEqual([]);
    expect(t.tick(s(120))).toEqual([state(0, "unknown", "offline", "unreachable")]);
  });

  it("debounces recovery: a reachable result is forgotten when the next fails", () => {
    const t = new CameraHealthTracker(opts, { state: "offline", since: s(0), reason: "timeout" });
    const events = run(t, [
      up(200), // run starts…
      up(230),
      down(240), // …and breaks 40 s in
      up(270), // a new run
      up(300),
      329, // 59 s
      up(330), // 60 s: back, dated at the run's start
    ]);
    expect(events).toEqual([state(270, "offline", "online", "recovered")]);
    expect([t.state, t.since]).toEqual(["online", s(270)]);
  });

  it("recovers into degraded when the camera answers but not well", () => {
    const t = new CameraHealthTracker(opts, { state: "offline", since: s(0), reason: "timeout" });
    expect(run(t, [up(200, ["low_fps"]), up(230, ["low_fps"]), 260])).toEqual([
      state(200, "offline", "degraded", "low_fps"),
    ]);
  });

  it("degrades at once, updates the reason in place, and clears after 60 s without problems", () => {
    const t = onlineSince0();
    expect(t.observe(up(30, ["low_fps"]))).toEqual([state(30, "online", "degraded", "low_fps")]);
    expect(t.observe(up(60, ["low_fps", "reconnects"]))).toEqual([]);
    expect([t.state, t.since, t.reason]).toEqual(["degraded", s(30), "low_fps,reconnects"]);
    // Clean from 90 s; a problem at 120 s restarts the wait; clean again from 150 s → online at 210 s.
    expect(run(t, [up(90), up(120, ["clock_skew"]), up(150), up(180), 209])).toEqual([]);
    expect(t.reason).toBe("clock_skew");
    expect(t.tick(s(210))).toEqual([state(150, "degraded", "online", "recovered")]);
  });

  it("takes a degraded camera offline by the same debounce", () => {
    const t = new CameraHealthTracker(opts, { state: "degraded", since: s(0), reason: "low_fps" });
    expect(run(t, [down(10, "stalled"), 129, 130])).toEqual([state(10, "degraded", "offline", "stalled")]);
  });

  it("uses the documented defaults when given only offlineAfterMs (as the monitor does)", () => {
    expect(defaultHealthTrackerOptions).toEqual({
      offlineAfterMs: 120_000,
      recoverAfterMs: 60_000,
      flapWindow: 21,
      flapHigh: 50,
      flapLow: 25,
    });
    const t = new CameraHealthTracker({ offlineAfterMs: 10_000 }, { state: "online", since: s(0) });
    // No error code given: the reason says unreachable.
    expect(run(t, [{ at: s(0), reachable: false, source: "live", problems: [] }, 9])).toEqual([]);
    expect(t.tick(s(10))).toEqual([state(0, "online", "offline", "unreachable")]);
  });

  it("refuses options that cannot work", () => {
    expect(() => new CameraHealthTracker({ flapLow: 60, flapHigh: 50 })).toThrow(RangeError);
    expect(() => new CameraHealthTracker({ flapWindow: 2 })).toThrow(RangeError);
    expect(() => new CameraHealthTracker({ offlineAfterMs: -1 })).toThrow(RangeError);
  });
});

describe("CameraHealthTracker: flapping (Nagios percent state change)", () => {
  it("raises the flag over 21 results without a storm of state changes, and lowers it with hysteresis", () => {
    // Alternating answers every 30 s: each failure lasts 30 s, far under the 120 s debounce, so the state
    // never changes. Percent after k alternating results (m = k − 1 changes at the newest end of the window,
    // weights 0.8 + 0.4·(x−1)/19 at positions x = 1…20): 4m + m(39 − m)/19.
    const t = onlineSince0();
    const percents: number[] = [];
    const events: HealthEvent[] = [];
    for (let k = 1; k <= 21; k++) {
      events.push(...t.observe(k % 2 === 1 ? up(30 * k) : down(30 * k)));
      percents.push(t.percentStateChange);
    }
    expect(percents).toEqual([
      0, 6, 11.89, 17.68, 23.37, 28.95, 34.42, 39.79, 45.05, 50.21, 55.26, 60.21, 65.05, 69.79, 74.42, 78.95,
      83.37, 87.68, 91.89, 96, 100,
    ]);
    expect(events).toEqual([{ kind: "flapping", at: s(300), on: true, percent: 50.21 }]);
    expect([t.state, t.flapping]).toEqual(["online", true]);

    // Then steady: after n steady results M = 20 − n changes remain at the oldest end: 4M + M(M − 1)/19.
    const calm: number[] = [];
    const after: HealthEvent[] = [];
    for (let n = 1; n <= 15; n++) {
      after.push(...t.observe(up(630 + 30 * n)));
      calm.push(t.percentStateChange);
    }
    expect(calm).toEqual([
      94, 88.11, 82.32, 76.63, 71.05, 65.58, 60.21, 54.95, 49.79, 44.74, 39.79, 34.95, 30.21, 25.58, 21.05,
    ]);
    // Still on at 44.74 and 25.58 (above the low threshold; it rose through 45.05 without turning on), off at ≤ 25.
    expect(after).toEqual([{ kind: "flapping", at: s(630 + 30 * 15), on: false, percent: 21.05 }]);
    expect(t.flapping).toBe(false);
  });

  it("turns on at ≥ high, stays between the thresholds, turns off at ≤ low (window of 5)", () => {
    // Window 5: change weights 0.8, 0.9333, 1.0667, 1.2 (oldest → newest), percent = 25 · sum.
    const t = new CameraHealthTracker({ ...opts, offlineAfterMs: 3_600_000, flapWindow: 5 });
    const rows: [Observation, number, boolean][] = [
      [up(0), 0, false],
      [down(30), 30, false], // one change at the newest position: 1.2
      [up(60), 56.67, true], // 1.0667 + 1.2
      [up(90), 50, true], // 0.9333 + 1.0667
      [up(120), 43.33, true], // 0.8 + 0.9333: between the thresholds, still on
      [up(150), 20, false], // 0.8
      [down(180), 30, false], // 1.2: between the thresholds, still off
      [up(210), 56.67, true],
    ];
    for (const [o, percent, flapping] of rows) {
      t.observe(o);
      expect([o.at - t0, t.percentStateChange, t.flapping]).toEqual([o.at - t0, percent, flapping]);
    }
  });

  it("counts online ↔ degraded answers as changes too", () => {
    const t = new CameraHealthTracker({ ...opts, flapWindow: 5 }, { state: "online", since: s(0) });
    for (const o of [up(0), up(30, ["low_fps"]), up(60)]) t.observe(o);
    expect(t.percentStateChange).toBe(56.67);
    expect(t.flapping).toBe(true);
  });
});

describe("CameraHealthTracker: paused and disabled", () => {
  it("hides the observed state while paused and resumes into what the results meanwhile say", () => {
    const t = onlineSince0();
    expect(t.setAdministrative("paused", s(10))).toEqual([state(10, "online", "paused", "paused")]);
    expect(t.setAdministrative("paused", s(20))).toEqual([]);
    // Unreachable during the pause: the camera goes offline underneath, nobody is told.
    expect(run(t, [down(30, "timeout"), down(60), down(90), down(120), 150, 200])).toEqual([]);
    expect([t.state, t.since]).toEqual(["paused", s(10)]);
    expect(t.setAdministrative(undefined, s(210))).toEqual([state(210, "paused", "offline", "timeout")]);
    expect([t.state, t.since, t.reason]).toEqual(["offline", s(210), "timeout"]);
  });

  it("resumes into online when the camera answered during the pause", () => {
    const t = new CameraHealthTracker(opts, { state: "offline", since: s(0), reason: "timeout" });
    t.setAdministrative("paused", s(10));
    expect(run(t, [up(30), up(60), up(90)])).toEqual([]);
    expect(t.setAdministrative(undefined, s(100))).toEqual([state(100, "paused", "online", "recovered")]);
  });

  it("applies a debounce that fell due during the pause at the moment of resuming", () => {
    const t = onlineSince0();
    t.setAdministrative("paused", s(10));
    t.observe(down(20));
    expect(t.setAdministrative(undefined, s(60))).toEqual([state(60, "paused", "online", "reachable")]);
    // 120 s after the failure at 20 s, but not before the resume at 60 s.
    expect(t.tick(s(140))).toEqual([state(60, "online", "offline", "timeout")]);
  });

  it("resumes a disabled camera into unknown when nothing was heard meanwhile; the next result decides", () => {
    const t = onlineSince0();
    expect(t.setAdministrative("disabled", s(10), "disabled_by_operator")).toEqual([
      state(10, "online", "disabled", "disabled_by_operator"),
    ]);
    expect(t.setAdministrative("paused", s(20))).toEqual([state(20, "disabled", "paused", "paused")]);
    expect(t.setAdministrative(undefined, s(500))).toEqual([state(500, "paused", "unknown", "resumed")]);
    expect(t.observe(up(530))).toEqual([state(530, "unknown", "online", "reachable")]);
  });

  it("keeps an unknown camera unknown when only the reason changes (its edge went off the link)", () => {
    const t = onlineSince0();
    expect(t.setAdministrative("unknown", s(10), "unknown_at_edge")).toEqual([
      state(10, "online", "unknown", "unknown_at_edge"),
    ]);
    expect(t.setAdministrative("unknown", s(20), "edge_offline")).toEqual([]);
    expect({ state: t.state, reason: t.reason }).toEqual({ state: "unknown", reason: "edge_offline" });
  });

  it("restores a paused camera from its last stored state", () => {
    const t = new CameraHealthTracker(opts, { state: "paused", since: s(0), reason: "paused" });
    expect(t.setAdministrative("paused", s(5))).toEqual([]);
    expect(t.setAdministrative(undefined, s(10))).toEqual([state(10, "paused", "unknown", "resumed")]);
  });

  it("lowers the flapping flag when the camera is disabled", () => {
    const t = new CameraHealthTracker({ ...opts, flapWindow: 5 }, { state: "online", since: s(0) });
    for (const o of [up(0), down(30), up(60)]) t.observe(o);
    expect(t.flapping).toBe(true);
    expect(t.setAdministrative("disabled", s(70))).toEqual([
      state(70, "online", "disabled", "disabled"),
      { kind: "flapping", at: s(70), on: false, percent: 0 },
    ]);
  });
});

describe("degradedReasons", () => {
  it.each([
    // [facts, reasons]
    [{}, []],
    [{ fps: 12.4, expectedFps: 25 }, ["low_fps"]], // under half of the camera's own rate
    [{ fps: 12.5, expectedFps: 25 }, []], // exactly half is fine
    [{ fps: 5, expectedFps: 10 }, []], // a 10 fps camera at 5 fps: its own rate, halved, not a fixed number
    [{ fps: 0 }, []], // no expected rate: cannot judge
    [{ fps: 1, expectedFps: 0 }, []],
    [{ reconnectsLastHour: 2 }, []],
    [{ reconnectsLastHour: 3 }, ["reconnects"]],
    [{ clockSkewMs: 300_000 }, []],
    [{ clockSkewMs: -300_001 }, ["clock_skew"]], // behind counts as much as ahead
    [{ streamErrors: 4 }, []],
    [{ streamErrors: 5 }, ["stream_errors"]],
    [{ fps: Number.NaN, expectedFps: 25, clockSkewMs: undefined }, []],
    [
      { fps: 2, expectedFps: 25, reconnectsLastHour: 9, clockSkewMs: 3_600_000, streamErrors: 50 },
      ["low_fps", "reconnects", "clock_skew", "stream_errors"],
    ],
  ])("%j → %j", (facts, reasons) => {
    expect(degradedReasons(facts)).toEqual(reasons);
  });

  it("takes other thresholds", () => {
    expect(degradedReasons({ fps: 20, expectedFps: 25 }, { minFpsRatio: 0.9 })).toEqual(["low_fps"]);
    expect(degradedReasons({ clockSkewMs: 60_000 }, { maxClockSkewMs: 30_000 })).toEqual(["clock_skew"]);
  });
});

describe("drift", () => {
  const before = { serial: "SN-1", firmware: "V5.5.0", width: 1920, height: 1080, bootedAt: s(0) };
  it.each([
    ["nothing changed", before, []],
    ["nothing known now", {}, []],
    ["an empty serial is unknown", { ...before, serial: "  " }, []],
    ["boot time wobbling within a minute", { ...before, bootedAt: s(59) }, []],
    ["boot time earlier (clock corrected)", { ...before, bootedAt: s(-600) }, []],
    ["rebooted", { ...before, bootedAt: s(3600) }, [{ kind: "rebooted", from: s(0), to: s(3600) }]],
    ["firmware", { ...before, firmware: "V5.7.3" }, [{ kind: "firmware", from: "V5.5.0", to: "V5.7.3" }]],
    [
      "resolution",
      { ...before, width: 1280, height: 720 },
      [{ kind: "resolution", from: { width: 1920, height: 1080 }, to: { width: 1280, height: 720 } }],
    ],
    [
      "height alone, width unknown now",
      { ...before, width: undefined, height: 720 },
      [{ kind: "resolution", from: { width: 1920, height: 1080 }, to: { width: undefined, height: 720 } }],
    ],
    [
      "replaced: stands for its new firmware and boot time, picture size still told",
      { serial: "SN-2", firmware: "V5.7.3", width: 2560, height: 1440, bootedAt: s(7200) },
      [
        { kind: "replaced", from: "SN-1", to: "SN-2" },
        { kind: "resolution", from: { width: 1920, height: 1080 }, to: { width: 2560, height: 1440 } },
      ],
    ],
  ])("%s", (_name, now, events) => {
    expect(drift(before, now)).toEqual(events);
  });

  it("never counts a value that was unknown before as a change", () => {
    expect(drift({}, before)).toEqual([]);
    expect(drift({ serial: "SN-1" }, { serial: "SN-1", firmware: "V1" })).toEqual([]);
  });

  it("takes another reboot tolerance", () => {
    expect(drift(before, { bootedAt: s(30) }, { rebootToleranceMs: 10_000 })).toEqual([
      { kind: "rebooted", from: s(0), to: s(30) },
    ]);
  });
});
