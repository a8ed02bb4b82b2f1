import { describe, expect, it } from "vitest";
import type { CameraMute, MaintenanceWindow } from "../../gateway/src/alerts/maintenance.js";
import {
  excludedIntervals,
  inMaintenance,
  mergeIntervals,
  Suppressions,
  suppressed,
  type Interval,
} from "../../gateway/src/alerts/suppression.js";
import type { CommitListener } from "../../gateway/src/audit/unit-of-work.js";

// Hand-computed: Jakarta is WIB (UTC+7), Makassar WITA (UTC+8), neither has daylight saving. 2026-12-04 is a
// Friday. Every expected instant below is written in UTC.
const jakarta = "Asia/Jakarta";
const makassar = "Asia/Makassar";
const t = (iso: string) => Date.parse(iso);
const shown = (list: Interval[]) =>
  list.map((i) => [new Date(i.from).toISOString(), new Date(i.to).toISOString()]);

const stood = {
  reason: "",
  createdBy: "operator",
  createdAt: "2026-01-01T00:00:00.000Z",
  deletedAt: null,
  deletedBy: null,
};
const weekly = (over: Partial<MaintenanceWindow & { kind: "weekly" }> = {}): MaintenanceWindow => ({
  id: "mnt_w",
  schoolId: "sch_a",
  cameraId: null,
  kind: "weekly",
  weekdays: [5],
  start: "22:00",
  end: "02:00",
  ...stood,
  ...over,
});
const once = (over: Partial<MaintenanceWindow & { kind: "once" }> = {}): MaintenanceWindow => ({
  id: "mnt_o",
  schoolId: "sch_a",
  cameraId: null,
  kind: "once",
  startsAt: "2026-12-05T01:00:00.000Z",
  endsAt: "2026-12-05T05:00:00.000Z",
  ...stood,
  ...over,
});
const mute = (over: Partial<CameraMute> = {}): CameraMute => ({
  id: "mut_1",
  cameraId: "cam_1",
  until: "2026-12-05T06:00:00.000Z",
  reason: "",
  createdBy: "operator",
  createdAt: "2026-12-05T00:00:00.000Z",
  liftedAt: null,
  liftedBy: null,
  ...over,
});

describe("a weekly window across midnight: Friday 22:00–02:00 local", () => {
  const w = [weekly()];
  it.each([
    // [instant, zone, on]
    ["2026-12-04T14:59:59.999Z", jakarta, false], // Friday 21:59:59 WIB
    ["2026-12-04T15:00:00.000Z", jakarta, true], // Friday 22:00 WIB
    ["2026-12-04T17:00:00.000Z", jakarta, true], // Saturday 00:00 WIB, past midnight
    ["2026-12-04T18:59:59.999Z", jakarta, true], // Saturday 01:59:59 WIB
    ["2026-12-04T19:00:00.000Z", jakarta, false], // Saturday 02:00 WIB: the end is exclusive
    ["2026-12-05T15:30:00.000Z", jakarta, false], // Saturday 22:30 WIB: not a Friday
    ["2026-12-03T16:00:00.000Z", jakarta, false], // Thursday 23:00 WIB
    ["2026-12-04T14:00:00.000Z", makassar, true], // Friday 22:00 WITA is an hour earlier in UTC
    ["2026-12-04T14:00:00.000Z", jakarta, false], // … when it is 21:00 in Jakarta
    ["2026-12-04T18:30:00.000Z", makassar, false], // Saturday 02:30 WITA, 01:30 WIB
    ["2026-12-04T18:30:00.000Z", jakarta, true],
  ])("at %s in %s: %s", (at, zone, on) => {
    expect(inMaintenance(w, zone, "sch_a", "cam_1", t(at))).toBe(on);
    expect(suppressed(w, [], zone, "sch_a", "cam_1", t(at))).toBe(on);
  });

  it("is laid out in the school's zone over a week, also when the period starts inside an occurrence", () => {
    const week = [t("2026-11-29T17:00:00Z"), t("2026-12-06T17:00:00Z")]; // Monday to Monday, WIB
    expect(shown(excludedIntervals(w, [], jakarta, "sch_a", "cam_1", week[0] ?? 0, week[1] ?? 0))).toEqual([
      ["2026-12-04T15:00:00.000Z", "2026-12-04T19:00:00.000Z"],
    ]);
    expect(
      shown(
        excludedIntervals(
          w,
          [],
          makassar,
          "sch_a",
          "cam_1",
          t("2026-11-29T16:00:00Z"),
          t("2026-12-06T16:00:00Z"),
        ),
      ),
    ).toEqual([["2026-12-04T14:00:00.000Z", "2026-12-04T18:00:00.000Z"]]);
    // From Saturday 00:00 WIB: the occurrence that began on Friday is still on until 02:00.
    expect(
      shown(
        excludedIntervals(
          w,
          [],
          jakarta,
          "sch_a",
          "cam_1",
          t("2026-12-04T17:00:00Z"),
          t("2026-12-05T17:00:00Z"),
        ),
      ),
    ).toEqual([["2026-12-04T17:00:00.000Z", "2026-12-04T19:00:00.000Z"]]);
  });

  it("crosses a month end: Monday 30 November 22:00 WIB to Tuesday 1 December 02:00 WIB", () => {
    const monday = [weekly({ weekdays: [1] })];
    expect(
      shown(
        excludedIntervals(
          monday,
          [],
          jakarta,
          "sch_a",
          "cam_1",
          t("2026-11-30T17:00:00Z"),
          t("2026-12-31T17:00:00Z"),
        ),
      ),
    ).toEqual([
      ["2026-11-30T17:00:00.000Z", "2026-11-30T19:00:00.000Z"], // December's share of the 30 November one
      ["2026-12-07T15:00:00.000Z", "2026-12-07T19:00:00.000Z"],
      ["2026-12-14T15:00:00.000Z", "2026-12-14T19:00:00.000Z"],
      ["2026-12-21T15:00:00.000Z", "2026-12-21T19:00:00.000Z"],
      ["2026-12-28T15:00:00.000Z", "2026-12-28T19:00:00.000Z"],
    ]);
  });
});

describe("Makassar vs Jakarta: weekdays 07:00–09:00 local", () => {
  const w = [weekly({ weekdays: [1, 2, 3, 4, 5], start: "07:00", end: "09:00" })];
  const day = [t("2026-12-07T00:00:00Z"), t("2026-12-08T00:00:00Z")]; // a UTC day, Monday 7 December
  it.each([
    [
      jakarta,
      [["2026-12-07T00:00:00.000Z", "2026-12-07T02:00:00.000Z"]], // Monday 07:00–09:00 WIB
    ],
    [
      makassar,
      [
        ["2026-12-07T00:00:00.000Z", "2026-12-07T01:00:00.000Z"], // Monday's began 6 December 23:00 UTC
        ["2026-12-07T23:00:00.000Z", "2026-12-08T00:00:00.000Z"], // Tuesday 07:00 WITA, clipped at the end
      ],
    ],
    [
      "Asia/Jayapura",
      [["2026-12-07T22:00:00.000Z", "2026-12-08T00:00:00.000Z"]], // WIT, UTC+9: Tuesday's from 22:00 UTC
    ],
  ])("%s", (zone, expected) => {
    expect(shown(excludedIntervals(w, [], zone, "sch_a", "cam_1", day[0] ?? 0, day[1] ?? 0))).toEqual(
      expected,
    );
  });

  it("lays out local times through Intl, so a zone with daylight saving gets its short night", () => {
    // Sunday 29 March 2026 01:00–04:00 in Berlin: 01:00 CET = 00:00 UTC, 04:00 CEST = 02:00 UTC (2 h).
    const berlin = [weekly({ weekdays: [7], start: "01:00", end: "04:00" })];
    expect(
      shown(
        excludedIntervals(
          berlin,
          [],
          "Europe/Berlin",
          "sch_a",
          "cam_1",
          t("2026-03-28T00:00:00Z"),
          t("2026-03-30T00:00:00Z"),
        ),
      ),
    ).toEqual([["2026-03-29T00:00:00.000Z", "2026-03-29T02:00:00.000Z"]]);
  });

  it("00:00–24:00 is the whole day", () => {
    const allDay = [weekly({ weekdays: [6], start: "00:00", end: "24:00" })];
    expect(
      shown(
        excludedIntervals(
          allDay,
          [],
          jakarta,
          "sch_a",
          "cam_1",
          t("2026-11-30T17:00:00Z"),
          t("2026-12-07T17:00:00Z"),
        ),
      ),
    ).toEqual([["2026-12-04T17:00:00.000Z", "2026-12-05T17:00:00.000Z"]]);
  });
});

describe("a one-off window: 5 December 01:00–05:00 UTC", () => {
  it.each([
    // [window, instant, on]
    [once(), "2026-12-05T00:59:59.999Z", false],
    [once(), "2026-12-05T01:00:00.000Z", true],
    [once(), "2026-12-05T04:59:59.999Z", true],
    [once(), "2026-12-05T05:00:00.000Z", false],
    // Made at 02:00: it applies from then, never to the hour before it existed.
    [once({ createdAt: "2026-12-05T02:00:00.000Z" }), "2026-12-05T01:30:00.000Z", false],
    [once({ createdAt: "2026-12-05T02:00:00.000Z" }), "2026-12-05T02:00:00.000Z", true],
    // Deleted at 04:00: it applied until then.
    [once({ deletedAt: "2026-12-05T04:00:00.000Z" }), "2026-12-05T03:59:59.999Z", true],
    [once({ deletedAt: "2026-12-05T04:00:00.000Z" }), "2026-12-05T04:00:00.000Z", false],
  ])("%# at %s: %s", (w, at, on) => {
    expect(inMaintenance([w], jakarta, "sch_a", "cam_1", t(at))).toBe(on);
  });

  it("is clipped to the period, and to when it stood", () => {
    const period = [t("2026-12-05T03:00:00Z"), t("2026-12-06T00:00:00Z")];
    const ex = (w: MaintenanceWindow) =>
      shown(excludedIntervals([w], [], jakarta, "sch_a", "cam_1", period[0] ?? 0, period[1] ?? 0));
    expect(ex(once())).toEqual([["2026-12-05T03:00:00.000Z", "2026-12-05T05:00:00.000Z"]]);
    expect(ex(once({ deletedAt: "2026-12-05T04:00:00.000Z" }))).toEqual([
      ["2026-12-05T03:00:00.000Z", "2026-12-05T04:00:00.000Z"],
    ]);
    expect(ex(once({ createdAt: "2026-12-05T06:00:00.000Z" }))).toEqual([]);
    expect(ex(once({ endsAt: "2026-12-05T02:00:00.000Z" }))).toEqual([]); // over before the period
  });

  it("a weekly window made on Friday evening does not reach back to that Friday's start", () => {
    const w = weekly({ createdAt: "2026-12-04T16:00:00.000Z" }); // Friday 23:00 WIB
    expect(
      shown(
        excludedIntervals(
          [w],
          [],
          jakarta,
          "sch_a",
          "cam_1",
          t("2026-12-04T00:00:00Z"),
          t("2026-12-12T00:00:00Z"),
        ),
      ),
    ).toEqual([
      ["2026-12-04T16:00:00.000Z", "2026-12-04T19:00:00.000Z"],
      ["2026-12-11T15:00:00.000Z", "2026-12-11T19:00:00.000Z"],
    ]);
  });
});

describe("a school-wide window vs a camera's, and every school's", () => {
  const schoolWide = once({ id: "mnt_school" });
  const cameraOnly = once({ id: "mnt_cam", cameraId: "cam_1" });
  const everySchool = once({ id: "mnt_all", schoolId: null });
  const at = t("2026-12-05T02:00:00Z");
  it.each([
    // [window, school, camera (undefined: the school itself), on]
    [schoolWide, "sch_a", "cam_1", true],
    [schoolWide, "sch_a", "cam_2", true],
    [schoolWide, "sch_a", undefined, true],
    [schoolWide, "sch_b", "cam_9", false],
    [cameraOnly, "sch_a", "cam_1", true],
    [cameraOnly, "sch_a", "cam_2", false],
    [cameraOnly, "sch_a", undefined, false], // a school's own alert (its gateway unreachable) is not held back
    [everySchool, "sch_a", "cam_1", true],
    [everySchool, "sch_b", "cam_9", true],
    [everySchool, "sch_b", undefined, true],
  ])("%# %s/%s: %s", (w, school, camera, on) => {
    expect(inMaintenance([w], jakarta, school, camera, at)).toBe(on);
  });

  it("a global weekly window is laid out in each school's own zone", () => {
    const w = [weekly({ schoolId: null })];
    expect(inMaintenance(w, jakarta, "sch_a", "cam_1", t("2026-12-04T14:30:00Z"))).toBe(false); // 21:30 WIB
    expect(inMaintenance(w, makassar, "sch_b", "cam_9", t("2026-12-04T14:30:00Z"))).toBe(true); // 22:30 WITA
  });
});

describe("a mute", () => {
  it.each([
    // [mute, camera, instant, suppressed]
    [mute(), "cam_1", "2026-12-04T23:59:59.999Z", false], // before it was made
    [mute(), "cam_1", "2026-12-05T00:00:00.000Z", true],
    [mute(), "cam_1", "2026-12-05T05:59:59.999Z", true],
    [mute(), "cam_1", "2026-12-05T06:00:00.000Z", false], // until is exclusive
    [mute(), "cam_2", "2026-12-05T03:00:00.000Z", false], // another camera
    [mute({ until: null }), "cam_1", "2027-06-01T00:00:00.000Z", true], // until unmuted
    [mute({ until: null, liftedAt: "2026-12-05T03:00:00.000Z" }), "cam_1", "2026-12-05T03:00:00.000Z", false],
    [mute({ liftedAt: "2026-12-05T03:00:00.000Z" }), "cam_1", "2026-12-05T02:59:59.999Z", true], // lifted early
  ])("%# %s at %s: %s", (m, camera, at, on) => {
    expect(suppressed([], [m], jakarta, "sch_a", camera, t(at))).toBe(on);
  });

  it("holds back a camera's alerts, not the school's own, and is not maintenance", () => {
    const at = t("2026-12-05T03:00:00Z");
    expect(suppressed([], [mute()], jakarta, "sch_a", undefined, at)).toBe(false);
    expect(inMaintenance([], jakarta, "sch_a", "cam_1", at)).toBe(false);
  });

  it("is left out until its end, or to the end of the period when it has none", () => {
    const from = t("2026-12-04T00:00:00Z");
    const to = t("2026-12-06T00:00:00Z");
    expect(shown(excludedIntervals([], [mute()], jakarta, "sch_a", "cam_1", from, to))).toEqual([
      ["2026-12-05T00:00:00.000Z", "2026-12-05T06:00:00.000Z"],
    ]);
    expect(
      shown(excludedIntervals([], [mute({ until: null })], jakarta, "sch_a", "cam_1", from, to)),
    ).toEqual([["2026-12-05T00:00:00.000Z", "2026-12-06T00:00:00.000Z"]]);
    expect(excludedIntervals([], [mute()], jakarta, "sch_a", "cam_2", from, to)).toEqual([]);
  });
});

describe("overlaps are merged, sorted and clipped", () => {
  it("a weekly window, a one-off window that overlaps it and a mute that touches it become one", () => {
    const windows = [
      once({ id: "later", startsAt: "2026-12-05T10:00:00.000Z", endsAt: "2026-12-05T11:00:00.000Z" }),
      weekly({ weekdays: [6], start: "00:00", end: "06:00" }), // Saturday 00:00–06:00 WIB: 4 Dec 17:00–23:00 UTC
      once({ startsAt: "2026-12-04T20:00:00.000Z", endsAt: "2026-12-05T01:00:00.000Z" }),
    ];
    const mutes = [mute({ createdAt: "2026-12-05T01:00:00.000Z", until: "2026-12-05T02:00:00.000Z" })];
    const from = t("2026-12-04T18:00:00Z");
    const to = t("2026-12-05T10:30:00Z");
    expect(shown(excludedIntervals(windows, mutes, jakarta, "sch_a", "cam_1", from, to))).toEqual([
      ["2026-12-04T18:00:00.000Z", "2026-12-05T02:00:00.000Z"], // clipped at the period's start
      ["2026-12-05T10:00:00.000Z", "2026-12-05T10:30:00.000Z"], // and at its end
    ]);
    // Another camera of the school: the school's windows, not cam_1's mute.
    expect(shown(excludedIntervals(windows, mutes, jakarta, "sch_a", "cam_2", from, to))).toEqual([
      ["2026-12-04T18:00:00.000Z", "2026-12-05T01:00:00.000Z"],
      ["2026-12-05T10:00:00.000Z", "2026-12-05T10:30:00.000Z"],
    ]);
  });

  it("refuses an endless period rather than lay out weekly windows forever", () => {
    expect(() =>
      excludedIntervals([weekly()], [], jakarta, "sch_a", "cam_1", 0, Number.POSITIVE_INFINITY),
    ).toThrow(RangeError);
  });

  it("mergeIntervals", () => {
    expect(
      mergeIntervals([
        { from: 50, to: 60 },
        { from: 0, to: 10 },
        { from: 5, to: 20 },
        { from: 20, to: 30 },
        { from: 40, to: 45 },
      ]),
    ).toEqual([
      { from: 0, to: 30 },
      { from: 40, to: 45 },
      { from: 50, to: 60 },
    ]);
    expect(mergeIntervals([])).toEqual([]);
  });
});

describe("Suppressions: the stored windows and mutes in memory, read again on every commit", () => {
  function world() {
    const windows: MaintenanceWindow[] = [weekly({ schoolId: "sch_b" })];
    const mutes: CameraMute[] = [];
    const zones = [{ id: "sch_b", timeZone: makassar }];
    const listeners: CommitListener[] = [];
    let reads = 0;
    const source = {
      listWindows: (opts: { includeDeleted: boolean }) => {
        reads++;
        expect(opts.includeDeleted).toBe(true);
        return [...windows];
      },
      listMutes: () => [...mutes],
    };
    const s = new Suppressions(source, { list: () => [...zones] }, { onCommit: (l) => listeners.push(l) });
    const commit = () => {
      for (const l of listeners) void l({ schoolId: null, action: "x", targetKind: "x" });
    };
    return { s, windows, mutes, zones, commit, reads: () => reads };
  }

  it("answers from memory, in the school's zone, and sees a change once it commits", () => {
    const w = world();
    const fridayWita = t("2026-12-04T14:30:00Z"); // 22:30 WITA, 21:30 WIB
    expect(w.s.suppressed("sch_b", "cam_9", fridayWita)).toBe(true);
    expect(w.s.suppressed("sch_b", "cam_9", fridayWita)).toBe(true);
    expect(w.reads()).toBe(1);
    w.mutes.push(mute({ cameraId: "cam_9" }));
    expect(w.s.suppressed("sch_b", "cam_9", t("2026-12-05T03:00:00Z"))).toBe(false); // not committed yet
    w.commit();
    expect(w.s.suppressed("sch_b", "cam_9", t("2026-12-05T03:00:00Z"))).toBe(true);
    expect(w.s.suppressed("sch_b", undefined, t("2026-12-05T03:00:00Z"))).toBe(false);
    expect(w.reads()).toBe(2);
    expect(
      shown(w.s.excluded("sch_b", "cam_9", t("2026-12-04T00:00:00Z"), t("2026-12-06T00:00:00Z"))),
    ).toEqual([
      ["2026-12-04T14:00:00.000Z", "2026-12-04T18:00:00.000Z"],
      ["2026-12-05T00:00:00.000Z", "2026-12-05T06:00:00.000Z"],
    ]);
  });

  it("follows a school's new time zone, and takes Asia/Jakarta for a school it does not know", () => {
    const w = world();
    const at = t("2026-12-04T14:30:00Z");
    expect(w.s.suppressed("sch_b", "cam_9", at)).toBe(true);
    w.zones[0] = { id: "sch_b", timeZone: jakarta };
    w.commit();
    expect(w.s.suppressed("sch_b", "cam_9", at)).toBe(false);
    w.windows.push(weekly({ id: "mnt_all", schoolId: null }));
    w.commit();
    expect(w.s.suppressed("sch_new", "cam_1", t("2026-12-04T15:30:00Z"))).toBe(true); // 22:30 WIB
    expect(w.s.suppressed("sch_new", "cam_1", at)).toBe(false);
  });
});
