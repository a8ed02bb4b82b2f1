import type { CameraRepository } from "../cameras/camera.repository.js";
import { isDemoCamera, type Camera } from "../cameras/camera.js";
import type { Db } from "../db/database.js";
import type { GuardianRepository } from "../guardians/guardian.repository.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import type { Schedule, Weekday } from "../schools/schedule.js";

export interface DemoRepos {
  db: Db;
  schools: SchoolRepository;
  classrooms: ClassroomRepository;
  cameras: CameraRepository;
  guardians: GuardianRepository;
}

/** The demo classroom is viewable around the clock, so the demo link plays whenever someone tries it. */
const allWeek: Schedule = {
  windows: ([1, 2, 3, 4, 5, 6, 7] as Weekday[]).map((day) => ({ day, start: "00:00", end: "24:00" })),
  holidays: [],
};

/**
 * The demo (PANTAU_DEMO, default on for an empty database): a demo school, classroom, test-pattern camera with
 * a running clock and a guardian with an access link, all labelled demo, so a fresh `npm start` has something
 * to watch. Anyone may watch the test pattern at /demo (nothing is written per visit); the printed link tries
 * the real guardian path under a parent's rules (confirmation page, device slots). The link token is derived
 * from the gateway's key, so the same link is printed on every start while only its hash is stored. Returns
 * undefined when the demo is off: then nothing of it is watchable (AccessSnapshot.demo).
 */
export function ensureDemo(
  r: DemoRepos,
  setting: boolean | undefined,
  linkToken: string,
): { camera: Camera; linkToken: string } | undefined {
  const existing = r.cameras.list().find(isDemoCamera);
  if (setting === false) return undefined;
  if (!existing && setting === undefined && (r.cameras.count() > 0 || r.schools.list().length > 0))
    return undefined;
  return r.db.transaction(() => {
    const school =
      r.schools.list().find((s) => s.demo) ??
      r.schools.create(
        { name: "Sekolah Demo", address: "", area: "", contact: "", timeZone: "Asia/Jakarta" },
        { demo: true },
      );
    const room =
      r.classrooms.list(school.id).find((c) => c.demo) ??
      r.classrooms.create(school.id, "Kelas Contoh (demo)", allWeek, { demo: true });
    let camera =
      existing ??
      r.cameras.create(
        {
          schoolId: school.id,
          classroomId: room.id,
          name: "Demo — Kelas Contoh",
          source: { kind: "test-pattern" },
          audio: false,
          alwaysOn: false,
          enabled: true,
        },
        { demo: true },
      );
    if (camera.schoolId === null) {
      // A demo camera from before schools existed joins the demo classroom.
      r.db
        .prepare("UPDATE cameras SET school_id = ?, classroom_id = ? WHERE id = ?")
        .run(school.id, room.id, camera.id);
      camera = r.cameras.get(camera.id) as Camera;
    }
    const guardian =
      r.guardians.list(school.id).find((g) => g.demo) ??
      r.guardians.create(
        school.id,
        { name: "Wali Demo", children: [{ name: "Anak Demo", classroomId: room.id }] },
        { demo: true },
      );
    // Its consent is on record like any guardian's, so the demo shows the rule without being blocked by it.
    if (!r.guardians.consent(guardian.id))
      r.guardians.recordConsent(guardian.id, {
        method: "other",
        note: "demo",
        recordedBy: null,
      });
    if (!r.guardians.linkByToken(linkToken)) r.guardians.createLink(guardian.id, null, "demo", linkToken);
    return { camera, linkToken };
  })();
}
