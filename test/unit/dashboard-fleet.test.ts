import { describe, expect, it } from "vitest";
import {
  applyEvent,
  filterFleet,
  type FleetCamera,
  type FleetSchool,
} from "../../viewer/console/src/components/fleet.js";

// The dashboard's arithmetic: what a filter keeps, the worst first, counts, and live events on the rows.

const cam = (id: string, schoolId: string, state: FleetCamera["state"], since: string): FleetCamera => ({
  id,
  name: id,
  schoolId,
  state,
  since,
  reason: "",
});

const schools = new Map<string, FleetSchool>([
  ["a", { id: "a", name: "SD Negeri 1 Coblong", area: "Coblong", counts: {} }],
  ["b", { id: "b", name: "SMP Negeri 2 Regol", area: "Regol", counts: {} }],
]);

const rows = [
  cam("on", "a", "online", "2026-12-01T00:00:00Z"),
  cam("off-new", "a", "offline", "2026-12-03T00:00:00Z"),
  cam("paused", "b", "paused", "2026-12-01T00:00:00Z"),
  cam("off-old", "b", "offline", "2026-11-30T00:00:00Z"),
  cam("deg", "b", "degraded", "2026-12-02T00:00:00Z"),
  cam("unk", "a", "unknown", "2026-12-02T00:00:00Z"),
  cam("dis", "a", "disabled", "2026-11-01T00:00:00Z"),
];

describe("filterFleet", () => {
  it("puts offline first (the longest first), then degraded, unknown, paused, online, disabled", () => {
    expect(filterFleet(rows, schools, {}).shown.map((c) => c.id)).toEqual([
      "off-old",
      "off-new",
      "deg",
      "unk",
      "paused",
      "on",
      "dis",
    ]);
  });

  it("counts what the area and school filters keep, and shows only the chosen state", () => {
    const r = filterFleet(rows, schools, { area: "Regol", state: "offline" });
    expect(r.shown.map((c) => c.id)).toEqual(["off-old"]);
    expect(r.counts).toEqual({ online: 0, degraded: 1, offline: 1, paused: 1, disabled: 0, unknown: 0 });
    expect(filterFleet(rows, schools, { school: "  negeri 1 " }).shown.map((c) => c.id)).toEqual([
      "off-new",
      "unk",
      "on",
      "dis",
    ]);
    expect(filterFleet(rows, schools, { school: "nowhere" }).shown).toEqual([]);
  });
});

describe("applyEvent", () => {
  it("moves a camera to its new state, ignores one older than what is shown and unknown cameras", () => {
    const next = applyEvent(rows, {
      type: "state",
      cameraId: "on",
      at: "2026-12-03T01:00:00Z",
      to: "offline",
      reason: "timeout",
    });
    expect(next.find((c) => c.id === "on")).toMatchObject({ state: "offline", reason: "timeout" });
    const stale = {
      type: "state",
      cameraId: "on",
      at: "2026-11-01T00:00:00Z",
      to: "offline",
      reason: "",
    } as const;
    expect(applyEvent(rows, stale)).toBe(rows);
    expect(applyEvent(rows, { ...stale, cameraId: "nope", at: "2026-12-09T00:00:00Z" })).toBe(rows);
  });

  it("sets the live counters of the cameras listed and clears those no longer live", () => {
    const live = applyEvent(rows, {
      type: "counters",
      at: "2026-12-03T01:00:00Z",
      cameras: [{ cameraId: "on", viewers: 3, fps: 24.96, bitrate: 1_234_567 }],
    });
    expect(live.find((c) => c.id === "on")).toMatchObject({ fps: 25, bitrateKbps: 1235, viewers: 3 });
    const again = applyEvent(live, {
      type: "counters",
      at: "x",
      cameras: [{ cameraId: "on", viewers: 3, fps: 25, bitrate: 1_234_567 }],
    });
    expect(again).toBe(live);
    const none = applyEvent(live, { type: "counters", at: "x", cameras: [] });
    expect(none.find((c) => c.id === "on")?.fps).toBeUndefined();
    expect(
      applyEvent(rows, { type: "flapping", cameraId: "deg", at: "x", on: true }).find((c) => c.id === "deg")
        ?.flapping,
    ).toBe(true);
  });
});
