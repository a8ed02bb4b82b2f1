import type { Db } from "../db/database.js";

export type ActorKind = "user" | "guardian" | "system";

/** Who did something: an admin, a guardian's device, or the gateway itself. */
export interface Actor {
  kind: ActorKind;
  id: string | null;
  name: string;
  ip?: string | undefined;
}

export interface AuditEvent {
  seq: number;
  at: string;
  schoolId: string | null;
  actor: Actor;
  action: string;
  target: { kind: string | null; id: string | null };
  detail: Record<string, unknown>;
}

export interface AuditFilter {
  schoolId?: string | undefined;
  /** Only these schools (a school_admin's view); undefined = all. */
  schoolIds?: readonly string[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
  action?: string | undefined;
  actor?: string | undefined;
  target?: string | undefined;
  before?: number | undefined;
  limit: number;
}

interface AuditRow {
  seq: number;
  at: string;
  school_id: string | null;
  actor_kind: ActorKind;
  actor_id: string | null;
  actor_name: string;
  action: string;
  target_kind: string | null;
  target_id: string | null;
  detail_json: string;
  ip: string | null;
}

export const systemActor: Actor = { kind: "system", id: null, name: "Pantau" };

/**
 * The audit log: append-only. Callers record inside the same transaction as the change they describe, so a
 * change is never on disk without its record (nor the other way round).
 */
export class AuditRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(e: {
    actor: Actor;
    schoolId: string | null;
    action: string;
    targetKind?: string;
    targetId?: string;
    detail?: Record<string, unknown>;
  }): void {
    this.db
      .prepare(
        `INSERT INTO audit_events (at, school_id, actor_kind, actor_id, actor_name, action, target_kind, target_id, detail_json, ip)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        this.now().toISOString(),
        e.schoolId,
        e.actor.kind,
        e.actor.id,
        e.actor.name,
        e.action,
        e.targetKind ?? null,
        e.targetId ?? null,
        JSON.stringify(e.detail ?? {}),
        e.actor.ip ?? null,
      );
  }

  query(f: AuditFilter): AuditEvent[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.schoolId !== undefined) {
      where.push("school_id = ?");
      args.push(f.schoolId);
    }
    if (f.schoolIds !== undefined) {
      where.push(`school_id IN (${f.schoolIds.map(() => "?").join(",") || "NULL"})`);
      args.push(...f.schoolIds);
    }
    if (f.from !== undefined) {
      where.push("at >= ?");
      args.push(f.from);
    }
    if (f.to !== undefined) {
      where.push("at < ?");
      args.push(f.to);
    }
    if (f.action !== undefined) {
      where.push("(action = ? OR action LIKE ? ESCAPE '\\')");
      args.push(f.action, f.action.replace(/[%_\\]/g, "\\$&") + ".%");
    }
    if (f.actor !== undefined) {
      where.push("(actor_name = ? OR actor_id = ?)");
      args.push(f.actor, f.actor);
    }
    if (f.target !== undefined) {
      where.push("target_id = ?");
      args.push(f.target);
    }
    if (f.before !== undefined) {
      where.push("seq < ?");
      args.push(f.before);
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM audit_events ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY seq DESC LIMIT ?`,
      )
      .all(...args, f.limit) as AuditRow[];
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      schoolId: r.school_id,
      actor: { kind: r.actor_kind, id: r.actor_id, name: r.actor_name, ...(r.ip !== null && { ip: r.ip }) },
      action: r.action,
      target: { kind: r.target_kind, id: r.target_id },
      detail: JSON.parse(r.detail_json) as Record<string, unknown>,
    }));
  }
}
