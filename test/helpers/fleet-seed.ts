import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { CameraRepository } from "../../gateway/src/cameras/camera.repository.js";
import { SecretBox } from "../../gateway/src/common/secret-box.js";
import { openDatabase } from "../../gateway/src/db/database.js";
import type { CameraState } from "../../gateway/src/health/camera-state.js";
import { HealthRepository, type NewHealthEvent } from "../../gateway/src/health/health.repository.js";
import type { Schedule } from "../../gateway/src/schools/schedule.js";
import { ClassroomRepository } from "../../gateway/src/schools/classroom.repository.js";
import { SchoolRepository } from "../../gateway/src/schools/school.repository.js";

/**
 * A regency's fleet for the dashboard's tests and benchmark: `schools` × `camerasPerSchool` cameras written
 * straight into a data folder's database, before a gateway opens it, through the gateway's own repositories
 * in one transaction (the API would take minutes for 10 000 cameras, and what is measured is reading them).
 *
 * The cameras are RTSP cameras at a loopback port nothing listens on: run the gateway with probes off
 * (`health.probeSeconds: 0`, the test default) and no camera is ever contacted. Their health comes from
 * state transitions stored through HealthRepository, as the health monitor stores them: each camera came
 * online nine days ago, had a few outages since (so the month's uptime has something to show), and sits now
 * in a state from a fixed mix (about 80 % online, 6 % degraded, 8 % offline, 3 % unknown, 2 % paused, 1 %
 * disabled). At start the monitor restores each camera's last stored state and, with nothing observed since,
 * keeps it. Paused cameras sit in a paused classroom (every tenth school's first room), disabled ones are
 * disabled in the registry, so the monitor's own administrative states agree.
 */
export interface FleetSeed {
  schools: { id: string; name: string; area: string }[];
  cameras: { id: string; schoolId: string; name: string; state: CameraState; since: number }[];
  /** Cameras per state, as seeded. */
  counts: Record<CameraState, number>;
}

/** The kecamatan the seeded schools are spread over. */
export const seedAreas = [
  "Andir",
  "Bojongloa",
  "Cibeunying",
  "Cicendo",
  "Cidadap",
  "Coblong",
  "Kiaracondong",
  "Lengkong",
  "Regol",
  "Sukajadi",
  "Sukasari",
  "Sumur Bandung",
] as const;

const minute = 60_000;
const day = 24 * 60 * minute;
const roomsPerSchool = 5;

/** A small deterministic generator: the same seed gives the same fleet in every run. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function stateOf(r: number, schoolIndex: number, room: number, enabled: boolean): CameraState {
  if (!enabled) return "disabled";
  if (schoolIndex % 10 === 0 && room === 0) return "paused";
  if (r < 0.06) return "degraded";
  if (r < 0.14) return "offline";
  if (r < 0.17) return "unknown";
  return "online";
}

const offlineReasons = ["timeout", "unreachable", "auth_failed", "stream_error"] as const;

export function seedFleet(
  dataDir: string,
  opts: { schools: number; camerasPerSchool: number; now?: number; namePrefix?: string },
): FleetSeed {
  const now = opts.now ?? Date.now();
  const db = openDatabase(join(dataDir, "pantau.db"));
  const nowDate = () => new Date(now);
  const schoolsRepo = new SchoolRepository(db, nowDate);
  const rooms = new ClassroomRepository(db, nowDate);
  // No seeded camera has a password: the box seals nothing, so its key need not be the gateway's.
  const cameras = new CameraRepository(db, new SecretBox(randomBytes(32)), nowDate);
  const health = new HealthRepository(db);
  const rnd = random(20_261_203);
  const seed: FleetSeed = {
    schools: [],
    cameras: [],
    counts: { online: 0, degraded: 0, offline: 0, paused: 0, disabled: 0, unknown: 0 },
  };
  const allWeek: Schedule = {
    windows: ([1, 2, 3, 4, 5, 6, 7] as const).map((d) => ({ day: d, start: "00:00", end: "24:00" })),
    holidays: [],
  };
  db.transaction(() => {
    const events: NewHealthEvent[] = [];
    for (let si = 0; si < opts.schools; si++) {
      const area = seedAreas[si % seedAreas.length] ?? "";
      const kind = si % 3 === 0 ? "SMP Negeri" : "SD Negeri";
      const name = `${opts.namePrefix ?? ""}${kind} ${String(si + 1)} ${area}`;
      const school = schoolsRepo.create({ name, address: "", area, contact: "", timeZone: "Asia/Jakarta" });
      seed.schools.push({ id: school.id, name: school.name, area });
      const roomIds: string[] = [];
      for (let r = 0; r < roomsPerSchool; r++) {
        const room = rooms.create(school.id, `Kelas ${String(r + 1)}A`, allWeek);
        if (si % 10 === 0 && r === 0) rooms.pause(room.id, null, "seed");
        roomIds.push(room.id);
      }
      for (let ci = 0; ci < opts.camerasPerSchool; ci++) {
        const room = ci % roomsPerSchool;
        const enabled = rnd() >= 0.01;
        const state = stateOf(rnd(), si, room, enabled);
        const camera = cameras.create({
          schoolId: school.id,
          classroomId: roomIds[room],
          name: `Kamera ${String(ci + 1)} Kelas ${String(room + 1)}A`,
          // Port 9 (discard) on loopback: nothing answers, and with probes off nothing asks.
          source: { kind: "rtsp", url: `rtsp://127.0.0.1:9/seed/${String(si)}/${String(ci)}` },
          audio: false,
          alwaysOn: false,
          enabled,
        });
        // History: online nine days ago, up to three outages since, then the state it is in now.
        let at = now - 9 * day;
        const push = (from: CameraState, to: CameraState, reason: string, when: number) => {
          events.push({
            cameraId: camera.id,
            schoolId: school.id,
            at: when,
            kind: "state",
            from,
            to,
            reason,
            detail: null,
          });
        };
        push("unknown", "online", "probe_ok", at);
        const outages = Math.floor(rnd() * 4);
        for (let o = 0; o < outages; o++) {
          at += Math.floor(rnd() * 2 * day) + minute;
          const reason = offlineReasons[Math.floor(rnd() * offlineReasons.length)] ?? "timeout";
          push("online", "offline", reason, at);
          at += Math.floor(rnd() * 6 * 60 * minute) + 5 * minute;
          push("offline", "online", "probe_ok", at);
        }
        const since = Math.min(now - minute, at + Math.floor(rnd() * (now - at)));
        const reason =
          state === "offline"
            ? (offlineReasons[Math.floor(rnd() * offlineReasons.length)] ?? "timeout")
            : state === "degraded"
              ? "low_fps"
              : state;
        if (state !== "online") push("online", state, reason, since);
        if (state === "offline")
          health.saveFacts(camera.id, { lastProbeAt: now - minute, lastError: reason }, now - minute);
        seed.counts[state]++;
        seed.cameras.push({
          id: camera.id,
          schoolId: school.id,
          name: camera.name,
          state,
          since: state === "online" ? at : since,
        });
      }
    }
    health.append(events);
  })();
  db.close();
  return seed;
}
