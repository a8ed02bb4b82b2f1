// The link/device policy moved from guardian.repository.ts into GuardianService (issue 10): what a phone may
// do with a link, and that each registration commits with its audit records and tells the unit of work's
// listeners, on a real SQLite file and a clock the test moves.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Caller } from "../../gateway/src/access/caller.js";
import { AuditRepository, type AuditEvent } from "../../gateway/src/audit/audit.repository.js";
import { UnitOfWork, type ChangeRecord } from "../../gateway/src/audit/unit-of-work.js";
import { ViewingSessionRepository } from "../../gateway/src/audit/viewing-session.repository.js";
import { openDatabase, type Db } from "../../gateway/src/db/database.js";
import { GuardianRepository } from "../../gateway/src/guardians/guardian.repository.js";
import { GuardianService, type GuardianSettings } from "../../gateway/src/guardians/guardian.service.js";
import { ClassroomRepository } from "../../gateway/src/schools/classroom.repository.js";
import { schoolCreateSchema } from "../../gateway/src/schools/school.js";
import { SchoolRepository } from "../../gateway/src/schools/school.repository.js";
import type { User } from "../../gateway/src/users/user.js";

const day = 86_400_000;
const operator: Caller = {
  user: {
    id: "usr_op",
    username: "operator",
    displayName: "Operator",
    role: "operator",
    schoolId: null,
    classroomIds: [],
    disabled: false,
    createdAt: "",
    updatedAt: "",
  } satisfies User,
  actor: { kind: "user", id: "usr_op", name: "operator", ip: "127.0.0.1" },
};

let dir: string;
let db: Db;
let t: number;
let audit: AuditRepository;
let work: UnitOfWork;
let heard: ChangeRecord[];
let repos: { schools: SchoolRepository; classrooms: ClassroomRepository; guardians: GuardianRepository };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pantau-guardian-service-"));
  db = openDatabase(join(dir, "pantau.db"));
  t = Date.parse("2026-03-02T03:00:00Z");
  const nowDate = () => new Date(t);
  repos = {
    schools: new SchoolRepository(db, nowDate),
    classrooms: new ClassroomRepository(db, nowDate),
    guardians: new GuardianRepository(db, nowDate),
  };
  audit = new AuditRepository(db, nowDate);
  work = new UnitOfWork(db, audit, pino({ level: "silent" }));
  heard = [];
  work.onCommit((c) => {
    heard.push(c);
  });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function service(settings: Partial<GuardianSettings> = {}): GuardianService {
  return new GuardianService(
    repos.schools,
    repos.classrooms,
    repos.guardians,
    new ViewingSessionRepository(db),
    work,
    () => t,
    {
      linkDays: 30,
      publicUrl: undefined,
      maxDevicesPerGuardian: 2,
      demo: false,
      requireConsent: true,
      ...settings,
    },
  );
}

/** A school with one classroom and one guardian holding a fresh link. */
async function guardianWithLink(s: GuardianService, school: string, guardian: string) {
  const sch = repos.schools.create(schoolCreateSchema.parse({ name: school }));
  const room = repos.classrooms.create(sch.id, "Kelas 1A");
  const g = s.create(operator, sch.id, {
    name: guardian,
    children: [{ name: "Anak", classroomId: room.id }],
  });
  s.recordConsent(operator, g.id, { method: "paper_form" });
  const link = await s.issueLink(operator, g.id, undefined, "http://gateway.test");
  return { school: sch, guardian: g, link, token: link.url.slice(link.url.lastIndexOf("/") + 1) };
}

const events = (action: string): AuditEvent[] =>
  audit.query({ action, limit: 100 }).sort((a, b) => a.seq - b.seq);

describe("GuardianService, the link/device policy", () => {
  it("moves a phone from another school's guardian only on confirmation, audited in both schools", async () => {
    const s = service();
    const a = await guardianWithLink(s, "SD Satu", "Ibu Sari");
    const b = await guardianWithLink(s, "SD Dua", "Bapak Budi");
    const first = s.registerDevice(a.token, undefined, "Phone/1", false, "10.0.0.5");
    if (!first.ok || first.registered === undefined) throw new Error("first registration failed");
    const phone = first.registered.token;

    const asked = s.registerDevice(b.token, phone, "Phone/1", false, "10.0.0.5");
    expect(asked.ok && asked.phone.kind === "other" && asked.registered === undefined).toBe(true);
    expect(events("device.register")).toHaveLength(1);

    heard = [];
    const moved = s.registerDevice(b.token, phone, "Phone/1", true, "10.0.0.5");
    if (!moved.ok || moved.registered === undefined) throw new Error("the confirmed move registered nothing");
    expect(moved.registered.replaced?.id).toBe(first.registered.device.id);
    expect(moved.registered.replaced?.revokedReason).toBe("replaced");
    expect(heard.map((c) => c.action)).toEqual(["device.revoke", "device.register"]);

    const [revoke] = events("device.revoke");
    expect(revoke?.schoolId).toBe(a.school.id);
    // The other school's log names no one of this school.
    expect(revoke?.actor).toEqual({ kind: "system", id: null, name: "Pantau", ip: "10.0.0.5" });
    expect(revoke?.detail).toEqual({ guardian: a.guardian.id, reason: "replaced" });
    const register = events("device.register").at(-1);
    expect(register?.schoolId).toBe(b.school.id);
    expect(register?.actor).toEqual({
      kind: "guardian",
      id: b.guardian.id,
      name: "Bapak Budi",
      ip: "10.0.0.5",
    });
    expect(register?.detail).toEqual({
      link: b.link.id,
      userAgent: "Phone/1",
      replaced: first.registered.device.id,
    });
  });

  it("keeps to the device cap, recognises a registered phone after its link expired, and refuses a new one", async () => {
    const s = service({ maxDevicesPerGuardian: 1 });
    const a = await guardianWithLink(s, "SD Satu", "Ibu Sari");
    const first = s.registerDevice(a.token, undefined, "Phone/1", false, undefined);
    if (!first.ok || first.registered === undefined) throw new Error("first registration failed");
    expect(s.checkLink(a.token, undefined)).toEqual({ ok: false, problem: "device_limit" });

    t += 31 * day;
    heard = [];
    const again = s.registerDevice(a.token, first.registered.token, "Phone/1", false, undefined);
    expect(again.ok && again.phone.kind === "registered").toBe(true);
    expect(repos.guardians.device(first.registered.device.id)?.lastSeenAt).toBe(new Date(t).toISOString());
    // Seen again is no change: nothing audited, nobody told.
    expect(heard).toEqual([]);
    repos.guardians.revokeDevice(first.registered.device.id);
    expect(s.checkLink(a.token, undefined)).toEqual({ ok: false, problem: "link_expired" });
    expect(s.checkLink(a.token, first.registered.token)).toEqual({ ok: false, problem: "device_removed" });
  });

  it("opens the demo guardian's link only while the demo is on", async () => {
    const on = service({ demo: true });
    const a = await guardianWithLink(on, "SD Demo", "Ibu Demo");
    db.prepare("UPDATE guardians SET demo = 1 WHERE id = ?").run(a.guardian.id);
    expect(on.checkLink(a.token, undefined)).toMatchObject({ ok: true, phone: { kind: "new" } });
    expect(service({ demo: false }).checkLink(a.token, undefined)).toEqual({
      ok: false,
      problem: "link_revoked",
    });
  });
});

describe("GuardianService, consent", () => {
  it("refuses a link without consent while guardians.requireConsent is on, issues one when it is off", async () => {
    const sch = repos.schools.create(schoolCreateSchema.parse({ name: "SD Tiga" }));
    const room = repos.classrooms.create(sch.id, "Kelas 1A");
    const g = service().create(operator, sch.id, {
      name: "Ibu Tanpa Formulir",
      children: [{ name: "Anak", classroomId: room.id }],
    });
    await expect(service().issueLink(operator, g.id, undefined, "http://gateway.test")).rejects.toMatchObject(
      {
        status: 409,
        code: "consent_required",
      },
    );
    const link = await service({ requireConsent: false }).issueLink(
      operator,
      g.id,
      undefined,
      "http://gateway.test",
    );
    expect(link.guardianId).toBe(g.id);
  });
});
