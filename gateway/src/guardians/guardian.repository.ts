import { newId } from "../common/ids.js";
import { newSecret, sha256Hex } from "../common/tokens.js";
import { NotFoundError } from "../common/errors.js";
import type { Db } from "../db/database.js";
import type {
  AccessLink,
  Child,
  Consent,
  ConsentMethod,
  Device,
  DeviceRevokedReason,
  Guardian,
  GuardianCreate,
  GuardianPatch,
} from "./guardian.js";

interface GuardianRow {
  id: string;
  school_id: string;
  name: string;
  phone: string | null;
  email: string | null;
  revoked_at: string | null;
  demo: number;
  created_at: string;
  updated_at: string;
}

interface LinkRow {
  id: string;
  guardian_id: string;
  created_by: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

interface DeviceRow {
  id: string;
  guardian_id: string;
  link_id: string | null;
  user_agent: string;
  created_at: string;
  last_seen_at: string;
  revoked_at: string | null;
  revoked_reason: DeviceRevokedReason | null;
}

interface ConsentRow {
  id: string;
  guardian_id: string;
  recorded_at: string;
  method: ConsentMethod;
  note: string;
  recorded_by: string | null;
  recorded_by_name: string;
  created_at: string;
  withdrawn_at: string | null;
}

const toConsent = (r: ConsentRow): Consent => ({
  id: r.id,
  guardianId: r.guardian_id,
  recordedAt: r.recorded_at,
  method: r.method,
  note: r.note,
  recordedBy: r.recorded_by === null ? null : { id: r.recorded_by, name: r.recorded_by_name },
  createdAt: r.created_at,
  withdrawnAt: r.withdrawn_at,
});

const toLink = (r: LinkRow): AccessLink => ({
  id: r.id,
  guardianId: r.guardian_id,
  createdBy: r.created_by,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
});

const toDevice = (r: DeviceRow): Device => ({
  id: r.id,
  guardianId: r.guardian_id,
  linkId: r.link_id,
  userAgent: r.user_agent,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  revokedAt: r.revoked_at,
  revokedReason: r.revoked_reason,
});

/**
 * Guardians with their children, access links and devices (one aggregate: everything that decides whether a
 * parent's phone may watch). Link and device tokens are returned once and stored only as SHA-256 hashes.
 */
export class GuardianRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(schoolId: string): Guardian[] {
    const rows = this.db
      .prepare("SELECT * FROM guardians WHERE school_id = ? ORDER BY name, id")
      .all(schoolId) as GuardianRow[];
    const children = this.childrenBy(schoolId);
    return rows.map((r) => this.toGuardian(r, children.get(r.id) ?? []));
  }

  /** Every guardian's grants and every device, for the in-memory access state. */
  accessRows(): {
    guardians: { id: string; schoolId: string; name: string; revoked: boolean; demo: boolean }[];
    children: { guardianId: string; classroomId: string }[];
    devices: { id: string; guardianId: string; revoked: boolean }[];
  } {
    return {
      guardians: (
        this.db.prepare("SELECT id, school_id, name, revoked_at, demo FROM guardians").all() as GuardianRow[]
      ).map((r) => ({
        id: r.id,
        schoolId: r.school_id,
        name: r.name,
        revoked: r.revoked_at !== null,
        demo: r.demo === 1,
      })),
      children: this.db
        .prepare(
          "SELECT DISTINCT guardian_id AS guardianId, classroom_id AS classroomId FROM guardian_children",
        )
        .all() as { guardianId: string; classroomId: string }[],
      devices: (this.db.prepare("SELECT id, guardian_id, revoked_at FROM devices").all() as DeviceRow[]).map(
        (r) => ({ id: r.id, guardianId: r.guardian_id, revoked: r.revoked_at !== null }),
      ),
    };
  }

  get(id: string): Guardian | undefined {
    const row = this.db.prepare("SELECT * FROM guardians WHERE id = ?").get(id) as GuardianRow | undefined;
    if (!row) return undefined;
    const children = this.db
      .prepare(
        "SELECT child_name AS name, classroom_id AS classroomId FROM guardian_children WHERE guardian_id = ? ORDER BY child_name",
      )
      .all(id) as Child[];
    return this.toGuardian(row, children);
  }

  /** Guardians matched for a CSV import: same school, same name (any case) and same phone (or both none). */
  findSame(schoolId: string, name: string, phone: string | null): Guardian | undefined {
    const row = this.db
      .prepare(
        "SELECT id FROM guardians WHERE school_id = ? AND name = ? COLLATE NOCASE AND coalesce(phone, '') = ?",
      )
      .get(schoolId, name, phone ?? "") as { id: string } | undefined;
    return row && this.get(row.id);
  }

  create(schoolId: string, input: GuardianCreate, opts: { demo?: boolean } = {}): Guardian {
    const id = newId("grd");
    const at = this.stamp();
    this.db
      .prepare(
        `INSERT INTO guardians (id, school_id, name, phone, email, demo, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        schoolId,
        input.name,
        input.phone ?? null,
        input.email ?? null,
        Number(opts.demo ?? false),
        at,
        at,
      );
    this.addChildren(id, input.children);
    return this.get(id) as Guardian;
  }

  /** Adds the children not yet recorded; returns how many were new. */
  addChildren(guardianId: string, children: readonly Child[]): number {
    const insert = this.db.prepare(
      "INSERT OR IGNORE INTO guardian_children (guardian_id, classroom_id, child_name) VALUES (?, ?, ?)",
    );
    let added = 0;
    for (const c of children) added += insert.run(guardianId, c.classroomId, c.name).changes;
    return added;
  }

  update(id: string, patch: GuardianPatch): Guardian {
    const current = this.require(id);
    const at = this.stamp();
    const revokedAt =
      patch.revoked === undefined ? current.revokedAt : patch.revoked ? (current.revokedAt ?? at) : null;
    this.db
      .prepare(
        "UPDATE guardians SET name = ?, phone = ?, email = ?, revoked_at = ?, updated_at = ? WHERE id = ?",
      )
      .run(
        patch.name ?? current.name,
        patch.phone === undefined ? current.phone : patch.phone,
        patch.email === undefined ? current.email : patch.email,
        revokedAt,
        at,
        id,
      );
    if (patch.children) {
      this.db.prepare("DELETE FROM guardian_children WHERE guardian_id = ?").run(id);
      this.addChildren(id, patch.children);
    }
    return this.require(id);
  }

  delete(id: string): void {
    const r = this.db.prepare("DELETE FROM guardians WHERE id = ?").run(id);
    if (r.changes === 0) throw new NotFoundError(`guardian ${id} does not exist`);
  }

  /** A new access link; the token is in the returned value only. */
  createLink(
    guardianId: string,
    expiresAt: Date | null,
    createdBy: string | null,
    token = newSecret(),
  ): { link: AccessLink; token: string } {
    this.require(guardianId);
    const id = newId("lnk");
    this.db
      .prepare(
        "INSERT INTO access_links (id, guardian_id, token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(id, guardianId, sha256Hex(token), createdBy, this.stamp(), expiresAt?.toISOString() ?? null);
    return { link: this.link(id) as AccessLink, token };
  }

  link(id: string): AccessLink | undefined {
    const row = this.db.prepare("SELECT * FROM access_links WHERE id = ?").get(id) as LinkRow | undefined;
    return row && toLink(row);
  }

  linkByToken(token: string): AccessLink | undefined {
    const row = this.db.prepare("SELECT * FROM access_links WHERE token_hash = ?").get(sha256Hex(token)) as
      LinkRow | undefined;
    return row && toLink(row);
  }

  /** The links and devices of every guardian of a school, in two reads (the guardian list shows them all). */
  accessOf(schoolId: string): { links: Map<string, AccessLink[]>; devices: Map<string, Device[]> } {
    const group = <T extends { guardianId: string }>(items: T[]) => {
      const map = new Map<string, T[]>();
      for (const x of items) map.set(x.guardianId, [...(map.get(x.guardianId) ?? []), x]);
      return map;
    };
    const of = (table: "access_links" | "devices") =>
      this.db
        .prepare(
          `SELECT t.* FROM ${table} t JOIN guardians g ON g.id = t.guardian_id WHERE g.school_id = ? ORDER BY t.created_at`,
        )
        .all(schoolId);
    return {
      links: group((of("access_links") as LinkRow[]).map(toLink)),
      devices: group((of("devices") as DeviceRow[]).map(toDevice)),
    };
  }

  links(guardianId: string): AccessLink[] {
    return (
      this.db
        .prepare("SELECT * FROM access_links WHERE guardian_id = ? ORDER BY created_at")
        .all(guardianId) as LinkRow[]
    ).map(toLink);
  }

  /** Revokes a link and every device registered through it (a leaked link must not keep working anywhere). */
  revokeLink(id: string): { link: AccessLink; devicesRevoked: number } {
    const link = this.link(id);
    if (!link) throw new NotFoundError(`link ${id} does not exist`);
    const at = this.stamp();
    this.db.prepare("UPDATE access_links SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?").run(at, id);
    const r = this.db
      .prepare(
        "UPDATE devices SET revoked_at = ?, revoked_reason = 'link' WHERE link_id = ? AND revoked_at IS NULL",
      )
      .run(at, id);
    return { link: this.link(id) as AccessLink, devicesRevoked: r.changes };
  }

  devices(guardianId: string): Device[] {
    return (
      this.db
        .prepare("SELECT * FROM devices WHERE guardian_id = ? ORDER BY created_at")
        .all(guardianId) as DeviceRow[]
    ).map(toDevice);
  }

  device(id: string): Device | undefined {
    const row = this.db.prepare("SELECT * FROM devices WHERE id = ?").get(id) as DeviceRow | undefined;
    return row && toDevice(row);
  }

  deviceByToken(token: string): Device | undefined {
    const row = this.db.prepare("SELECT * FROM devices WHERE token_hash = ?").get(sha256Hex(token)) as
      DeviceRow | undefined;
    return row && toDevice(row);
  }

  /** The school removes a phone: it stays removed, whichever of the guardian's links it opens again. */
  revokeDevice(id: string): Device {
    const r = this.db
      .prepare(
        "UPDATE devices SET revoked_at = coalesce(revoked_at, ?), revoked_reason = 'device' WHERE id = ?",
      )
      .run(this.stamp(), id);
    if (r.changes === 0) throw new NotFoundError(`device ${id} does not exist`);
    return this.device(id) as Device;
  }

  /**
   * Cuts a guardian off: every live link and phone revoked (phones as `link`: a new link may register them
   * again), and with `guardian` the guardian too. Returns what it revoked.
   */
  revokeAccess(
    guardianId: string,
    opts: { guardian: boolean },
  ): { linksRevoked: number; devicesRevoked: number } {
    const at = this.stamp();
    if (opts.guardian) {
      this.db
        .prepare("UPDATE guardians SET revoked_at = coalesce(revoked_at, ?), updated_at = ? WHERE id = ?")
        .run(at, at, guardianId);
    }
    const links = this.db
      .prepare("UPDATE access_links SET revoked_at = ? WHERE guardian_id = ? AND revoked_at IS NULL")
      .run(at, guardianId).changes;
    const devices = this.db
      .prepare(
        "UPDATE devices SET revoked_at = ?, revoked_reason = 'link' WHERE guardian_id = ? AND revoked_at IS NULL",
      )
      .run(at, guardianId).changes;
    return { linksRevoked: links, devicesRevoked: devices };
  }

  /** A new consent record; an earlier one still in force stays as it was (the history is the proof). */
  recordConsent(
    guardianId: string,
    c: {
      /** Now when not given. */
      recordedAt?: string;
      method: ConsentMethod;
      note: string;
      recordedBy: { id: string; name: string } | null;
    },
  ): Consent {
    this.require(guardianId);
    const id = newId("cns");
    const at = this.stamp();
    this.db
      .prepare(
        `INSERT INTO guardian_consents (id, guardian_id, recorded_at, method, note, recorded_by, recorded_by_name, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        guardianId,
        c.recordedAt ?? at,
        c.method,
        c.note,
        c.recordedBy?.id ?? null,
        c.recordedBy?.name ?? "",
        at,
      );
    return toConsent(this.db.prepare("SELECT * FROM guardian_consents WHERE id = ?").get(id) as ConsentRow);
  }

  /** The consent in force: the latest one recorded and not withdrawn. */
  consent(guardianId: string): Consent | undefined {
    const row = this.db
      .prepare(
        "SELECT * FROM guardian_consents WHERE guardian_id = ? AND withdrawn_at IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1",
      )
      .get(guardianId) as ConsentRow | undefined;
    return row && toConsent(row);
  }

  /** The consent in force of every guardian of a school, in one read. */
  consentsOf(schoolId: string): Map<string, Consent> {
    const rows = this.db
      .prepare(
        `SELECT c.* FROM guardian_consents c JOIN guardians g ON g.id = c.guardian_id
         WHERE g.school_id = ? AND c.withdrawn_at IS NULL ORDER BY c.created_at, c.rowid`,
      )
      .all(schoolId) as ConsentRow[];
    return new Map(rows.map((r) => [r.guardian_id, toConsent(r)]));
  }

  /** Withdraws every consent in force; returns the latest of them, or undefined when none was. */
  withdrawConsent(guardianId: string, by: string | null): Consent | undefined {
    const current = this.consent(guardianId);
    if (!current) return undefined;
    this.db
      .prepare(
        "UPDATE guardian_consents SET withdrawn_at = ?, withdrawn_by = ? WHERE guardian_id = ? AND withdrawn_at IS NULL",
      )
      .run(this.stamp(), by, guardianId);
    return toConsent(
      this.db.prepare("SELECT * FROM guardian_consents WHERE id = ?").get(current.id) as ConsentRow,
    );
  }

  /** Runs fn in one transaction: a check and the write it allows are never split by another writer. */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Devices of the guardian that still watch (the ones counted against their slots). */
  liveDeviceCount(guardianId: string): number {
    return (
      this.db
        .prepare("SELECT count(*) AS n FROM devices WHERE guardian_id = ? AND revoked_at IS NULL")
        .get(guardianId) as { n: number }
    ).n;
  }

  /** A new device of the guardian, registered through the link; its token is in the returned value only. */
  addDevice(guardianId: string, linkId: string, userAgent: string): { device: Device; token: string } {
    const id = newId("dv");
    const token = newSecret();
    const at = this.stamp();
    this.db
      .prepare(
        `INSERT INTO devices (id, guardian_id, link_id, token_hash, user_agent, created_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, guardianId, linkId, sha256Hex(token), userAgent.slice(0, 300), at, at);
    return { device: this.device(id) as Device, token };
  }

  /** The device opened its guardian's link again. */
  touchDevice(id: string): void {
    this.db.prepare("UPDATE devices SET last_seen_at = ? WHERE id = ?").run(this.stamp(), id);
  }

  /** The phone now watches for another guardian: its old device is revoked as `replaced`. */
  markReplaced(id: string): Device {
    this.db
      .prepare(
        "UPDATE devices SET revoked_at = ?, revoked_reason = 'replaced' WHERE id = ? AND revoked_at IS NULL",
      )
      .run(this.stamp(), id);
    const device = this.device(id);
    if (!device) throw new NotFoundError(`device ${id} does not exist`);
    return device;
  }

  private childrenBy(schoolId: string): Map<string, Child[]> {
    const rows = this.db
      .prepare(
        `SELECT gc.guardian_id AS gid, gc.child_name AS name, gc.classroom_id AS classroomId
         FROM guardian_children gc JOIN guardians g ON g.id = gc.guardian_id
         WHERE g.school_id = ? ORDER BY gc.child_name`,
      )
      .all(schoolId) as { gid: string; name: string; classroomId: string }[];
    const map = new Map<string, Child[]>();
    for (const r of rows) {
      const list = map.get(r.gid) ?? [];
      list.push({ name: r.name, classroomId: r.classroomId });
      map.set(r.gid, list);
    }
    return map;
  }

  private require(id: string): Guardian {
    const g = this.get(id);
    if (!g) throw new NotFoundError(`guardian ${id} does not exist`);
    return g;
  }

  private toGuardian(r: GuardianRow, children: Child[]): Guardian {
    return {
      id: r.id,
      schoolId: r.school_id,
      name: r.name,
      phone: r.phone,
      email: r.email,
      children,
      revokedAt: r.revoked_at,
      demo: r.demo === 1,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  private stamp(): string {
    return this.now().toISOString();
  }
}
