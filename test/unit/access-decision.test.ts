import { describe, expect, it } from "vitest";
import { decideCamera, type AccessSnapshot } from "../../gateway/src/access/access-decision.js";
import {
  managesSchool,
  managesUser,
  pausesClassroom,
  seesSchool,
} from "../../gateway/src/access/permissions.js";
import type { Camera } from "../../gateway/src/cameras/camera.js";
import type { User } from "../../gateway/src/users/user.js";

const camera = (id: string, schoolId: string, classroomId: string, extra: Partial<Camera> = {}): Camera => ({
  id,
  schoolId,
  classroomId,
  name: id,
  source: { kind: "test-pattern" },
  onvif: null,
  videoCodec: null,
  audio: false,
  alwaysOn: false,
  enabled: true,
  demo: false,
  publishGeneration: 0,
  createdAt: "",
  updatedAt: "",
  ...extra,
});

const weekdays = {
  windows: [1, 2, 3, 4, 5].map((day) => ({ day: day as 1, start: "07:00", end: "12:00" })),
  holidays: ["2026-12-25"],
};
const wib = (t: string) => new Date(`${t}+07:00`);
const schoolHours = wib("2026-12-01T08:00:00");

function snapshot(): AccessSnapshot {
  return {
    schools: new Map([
      ["A", { name: "SD A", timeZone: "Asia/Jakarta", area: "" }],
      ["B", { name: "SD B", timeZone: "Asia/Jakarta", area: "" }],
    ]),
    classrooms: new Map([
      ["A1", { schoolId: "A", name: "1A", schedule: weekdays, pause: null }],
      ["A2", { schoolId: "A", name: "2A", schedule: weekdays, pause: null }],
      ["B1", { schoolId: "B", name: "1B", schedule: weekdays, pause: null }],
    ]),
    cameras: new Map([
      ["camA1", camera("camA1", "A", "A1")],
      ["camA2", camera("camA2", "A", "A2")],
      ["camB1", camera("camB1", "B", "B1")],
      ["camOff", camera("camOff", "A", "A1", { enabled: false })],
    ]),
    guardians: new Map([
      ["g1", { schoolId: "A", name: "Ibu Sari", revoked: false, demo: false, classroomIds: new Set(["A1"]) }],
      [
        "g2",
        { schoolId: "A", name: "Pak Revoked", revoked: true, demo: false, classroomIds: new Set(["A1"]) },
      ],
    ]),
    devices: new Map([
      ["dv_1", { guardianId: "g1", revoked: false }],
      ["dv_old", { guardianId: "g1", revoked: true }],
      ["dv_2", { guardianId: "g2", revoked: false }],
    ]),
    users: new Map([
      ["op", { name: "op", role: "operator", schoolId: null, classroomIds: new Set(), disabled: false }],
      [
        "adminA",
        { name: "a", role: "school_admin", schoolId: "A", classroomIds: new Set(), disabled: false },
      ],
      [
        "teachA1",
        { name: "t", role: "teacher", schoolId: "A", classroomIds: new Set(["A1"]), disabled: false },
      ],
      ["gone", { name: "g", role: "operator", schoolId: null, classroomIds: new Set(), disabled: true }],
    ]),
    sessions: new Map([
      ["as_op", { userId: "op", expiresAt: Date.parse("2027-01-01") }],
      ["as_adminA", { userId: "adminA", expiresAt: Date.parse("2027-01-01") }],
      ["as_teach", { userId: "teachA1", expiresAt: Date.parse("2027-01-01") }],
      ["as_expired", { userId: "op", expiresAt: Date.parse("2026-11-01") }],
      ["as_disabled", { userId: "gone", expiresAt: Date.parse("2027-01-01") }],
    ]),
    demo: true,
  };
}

const code = (d: ReturnType<typeof decideCamera>) => (d.ok ? "ok" : d.code);

describe("decideCamera", () => {
  it.each([
    // [sid, camera, at, expected]
    ["dv_1", "camA1", schoolHours, "ok"],
    ["dv_1", "camA2", schoolHours, "not_authorized"], // no child in that classroom
    ["dv_1", "camB1", schoolHours, "not_authorized"],
    ["dv_1", "camOff", schoolHours, "camera_unavailable"],
    ["dv_1", "nope", schoolHours, "camera_unavailable"],
    ["dv_old", "camA1", schoolHours, "revoked"],
    ["dv_2", "camA1", schoolHours, "revoked"], // guardian revoked
    ["dv_unknown", "camA1", schoolHours, "revoked"],
    ["dv_1", "camA1", wib("2026-12-01T12:00:00"), "outside_hours"],
    ["dv_1", "camA1", wib("2026-12-01T23:59:59"), "outside_hours"],
    ["dv_1", "camA1", wib("2026-12-25T08:00:00"), "holiday"],
    ["as_op", "camB1", schoolHours, "ok"],
    ["as_op", "camB1", wib("2026-12-01T23:00:00"), "ok"], // staff are not bound to parents' hours
    ["as_adminA", "camA2", schoolHours, "ok"],
    ["as_adminA", "camB1", schoolHours, "not_authorized"],
    ["as_teach", "camA1", schoolHours, "ok"],
    ["as_teach", "camA2", schoolHours, "not_authorized"],
    ["as_expired", "camA1", schoolHours, "session_ended"],
    ["as_disabled", "camA1", schoolHours, "session_ended"],
    ["as_unknown", "camA1", schoolHours, "session_ended"],
    ["xs_anyone", "camA1", schoolHours, "not_authorized"], // open streams off
    ["garbage", "camA1", schoolHours, "not_authorized"],
  ])("%s on %s at %s → %s", (sid, cam, at, expected) => {
    expect(code(decideCamera(snapshot(), sid, cam, at, false))).toBe(expected);
  });

  it("a privacy pause holds for guardians and staff alike, and says when viewing resumes", () => {
    const s = snapshot();
    const until = wib("2026-12-01T08:15:00").toISOString();
    s.classrooms.set("A1", { ...s.classrooms.get("A1")!, pause: { since: "", until, by: "t" } });
    for (const sid of ["dv_1", "as_op", "as_teach"]) {
      const d = decideCamera(s, sid, "camA1", schoolHours, false);
      expect(d.ok ? "ok" : { code: d.code, next: d.nextOpenAt?.toISOString() }).toEqual({
        code: "paused",
        next: until,
      });
    }
    expect(code(decideCamera(s, "dv_1", "camA1", wib("2026-12-01T08:15:00"), false))).toBe("ok");
  });

  it("revocation is checked before the window: a revoked phone hears 'revoked' at night too", () => {
    expect(code(decideCamera(snapshot(), "dv_old", "camA1", wib("2026-12-01T23:00:00"), false))).toBe(
      "revoked",
    );
  });

  it("dev viewers get every camera only with openStreams, and the demo test pattern only while the demo is on", () => {
    const s = snapshot();
    expect(code(decideCamera(s, "xs_1", "camA1", schoolHours, true))).toBe("ok");
    expect(code(decideCamera(s, "xs_1", "camA1", schoolHours, false))).toBe("not_authorized");
    s.cameras.set("demo", camera("demo", "A", "A1", { demo: true }));
    const d = decideCamera(s, "xs_1", "demo", schoolHours, false);
    expect(d.ok && d.viewer.kind).toBe("demo");
    // A demo camera on a real source is a real camera; with the demo off the test pattern is closed too.
    s.cameras.set(
      "real",
      camera("real", "A", "A1", { demo: true, source: { kind: "rtsp", url: "rtsp://x/" } }),
    );
    expect(code(decideCamera(s, "xs_1", "real", schoolHours, false))).toBe("not_authorized");
    expect(code(decideCamera({ ...s, demo: false }, "xs_1", "demo", schoolHours, false))).toBe(
      "not_authorized",
    );
  });

  it("the demo guardian's phones watch nothing while the demo is off", () => {
    const s = snapshot();
    s.guardians.set("gd", {
      schoolId: "A",
      name: "Wali Demo",
      revoked: false,
      demo: true,
      classroomIds: new Set(["A1"]),
    });
    s.devices.set("dv_demo", { guardianId: "gd", revoked: false });
    expect(code(decideCamera(s, "dv_demo", "camA1", schoolHours, false))).toBe("ok");
    expect(code(decideCamera({ ...s, demo: false }, "dv_demo", "camA1", schoolHours, false))).toBe("revoked");
  });
});

describe("remembered viewing states", () => {
  it("give the same answers as working each one out, across window ends, midnight and a clock going back", () => {
    const memo = { ...snapshot(), viewingMemo: new Map() };
    const times = [
      "2026-12-01T06:59:59",
      "2026-12-01T07:00:00",
      "2026-12-01T11:59:59",
      "2026-12-01T12:00:00",
      "2026-12-01T23:59:59",
      "2026-12-02T00:00:00",
      "2026-12-02T07:00:00",
      "2026-12-01T08:00:00", // back
      "2026-12-25T08:00:00",
      "2026-12-24T08:00:00",
    ].map(wib);
    for (const at of times) {
      for (const [sid, cam] of [
        ["dv_1", "camA1"],
        ["as_teach", "camA1"],
      ] as const) {
        expect(code(decideCamera(memo, sid, cam, at, false)), `${sid} at ${at.toISOString()}`).toBe(
          code(decideCamera(snapshot(), sid, cam, at, false)),
        );
      }
    }
    expect(memo.viewingMemo.size).toBe(1);
  });
});

const user = (role: User["role"], schoolId: string | null, classroomIds: string[] = []): User => ({
  id: role,
  username: role,
  displayName: role,
  role,
  schoolId,
  classroomIds,
  disabled: false,
  createdAt: "",
  updatedAt: "",
});

describe("permissions", () => {
  const op = user("operator", null);
  const adminA = user("school_admin", "A");
  const teacher = user("teacher", "A", ["A1"]);
  it.each([
    ["operator manages any school", managesSchool(op, "B"), true],
    ["school_admin manages own school", managesSchool(adminA, "A"), true],
    ["school_admin not another", managesSchool(adminA, "B"), false],
    ["school_admin not unassigned cameras", managesSchool(adminA, null), false],
    ["teacher manages nothing", managesSchool(teacher, "A"), false],
    ["teacher sees own school", seesSchool(teacher, "A"), true],
    ["teacher pauses own classroom", pausesClassroom(teacher, { id: "A1", schoolId: "A" }), true],
    ["teacher not another classroom", pausesClassroom(teacher, { id: "A2", schoolId: "A" }), false],
    [
      "school_admin pauses any classroom of the school",
      pausesClassroom(adminA, { id: "A2", schoolId: "A" }),
      true,
    ],
    [
      "school_admin makes a teacher of own school",
      managesUser(adminA, { role: "teacher", schoolId: "A" }),
      true,
    ],
    ["school_admin no operator", managesUser(adminA, { role: "operator", schoolId: null }), false],
    ["school_admin no admin elsewhere", managesUser(adminA, { role: "school_admin", schoolId: "B" }), false],
    ["teacher no accounts", managesUser(teacher, { role: "teacher", schoolId: "A" }), false],
  ])("%s", (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });
});
