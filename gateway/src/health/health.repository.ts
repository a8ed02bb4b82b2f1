import type { Statement } from "better-sqlite3";
import type { Db } from "../db/database.js";

export type HealthEventKind = "state" | "flapping" | "drift";

/** One row of a camera's health history: a state change, the flapping flag, or drift. */
export interface HealthEventRecord {
  id: number;
  cameraId: string;
  schoolId: string | null;
  at: number;
  kind: HealthEventKind;
  /** kind state: the state left; otherwise null. */
  from: string | null;
  /** kind state: the state entered; flapping: "on" | "off"; drift: its kind. */
  to: string;
  reason: string;
  detail: Record<string, unknown> | null;
}

export type NewHealthEvent = Omit<HealthEventRecord, "id">;

/** What a camera last said about itself, and when it was last probed. */
export interface CameraFacts {
  serial?: string | undefined;
  firmware?: string | undefined;
  model?: string | undefined;
  width?: number | undefined;
  height?: number | undefined;
  bootedAt?: number | undefined;
  clockSkewMs?: number | undefined;
  lastProbeAt?: number | undefined;
  lastOkAt?: number | undefined;
  lastError?: string | undefined;
}

interface EventRow {
  id: number;
  camera_id: string;
  school_id: string | null;
  at: number;
  kind: HealthEventKind;
  from_state: string | null;
  to_state: string;
  reason: string;
  detail: string | null;
}

interface FactsRow {
  camera_id: string;
  serial: string | null;
  firmware: string | null;
  model: string | null;
  width: number | null;
  height: number | null;
  booted_at: number | null;
  clock_skew_ms: number | null;
  last_probe_at: number | null;
  last_ok_at: number | null;
  last_error: string | null;
}

const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function toEvent(r: EventRow): HealthEventRecord {
  return {
    id: r.id,
    cameraId: r.camera_id,
    schoolId: r.school_id,
    at: r.at,
    kind: r.kind,
    from: r.from_state,
    to: r.to_state,
    reason: r.reason,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
  };
}

/** Camera health history (for uptime and the console) and each camera's last known facts. */
export class HealthRepository {
  private saveFactsStatement: Statement | undefined;

  constructor(private readonly db: Db) {}

  append(events: readonly NewHealthEvent[]): void {
    if (events.length === 0) return;
    const insert = this.db.prepare(
      `INSERT INTO camera_health_events (camera_id, school_id, at, kind, from_state, to_state, reason, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const e of events) {
        insert.run(
          e.cameraId,
          e.schoolId,
          e.at,
          e.kind,
          e.from,
          e.to,
          e.reason,
          e.detail === null ? null : JSON.stringify(e.detail),
        );
      }
    })();
  }

  /** The newest state event of every camera: where each tracker starts after a restart. */
  lastStates(): Map<string, HealthEventRecord> {
    const rows = this.db
      .prepare(
        `SELECT e.* FROM camera_health_events e
         JOIN (SELECT camera_id, MAX(id) AS id FROM camera_health_events WHERE kind = 'state' GROUP BY camera_id) l
           ON l.id = e.id`,
      )
      .all() as EventRow[];
    return new Map(rows.map((r) => [r.camera_id, toEvent(r)]));
  }

  /**
   * Events of the given cameras (or schools) in [from, to), oldest first, plus, per camera, the last state
   * event before `from` (what it was when the period began).
   */
  events(f: {
    cameraIds?: readonly string[] | undefined;
    schoolIds?: readonly string[] | undefined;
    from: number;
    to: number;
    kinds?: readonly HealthEventKind[] | undefined;
  }): { before: Map<string, HealthEventRecord>; during: HealthEventRecord[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    const list = (col: string, values: readonly string[]) => {
      where.push(`${col} IN (${values.map(() => "?").join(",") || "NULL"})`);
      args.push(...values);
    };
    if (f.cameraIds !== undefined) list("camera_id", f.cameraIds);
    if (f.schoolIds !== undefined) list("school_id", f.schoolIds);
    const scope = where.length > 0 ? `${where.join(" AND ")} AND ` : "";
    const kinds = f.kinds ?? ["state", "flapping", "drift"];
    const during = (
      this.db
        .prepare(
          `SELECT * FROM camera_health_events WHERE ${scope} at >= ? AND at < ?
           AND kind IN (${kinds.map(() => "?").join(",")}) ORDER BY at, id`,
        )
        .all(...args, f.from, f.to, ...kinds) as EventRow[]
    ).map(toEvent);
    const before = (
      this.db
        .prepare(
          `SELECT e.* FROM camera_health_events e
           JOIN (SELECT camera_id, MAX(id) AS id FROM camera_health_events
                 WHERE ${scope} kind = 'state' AND at < ? GROUP BY camera_id) l ON l.id = e.id`,
        )
        .all(...args, f.from) as EventRow[]
    ).map(toEvent);
    return { before: new Map(before.map((e) => [e.cameraId, e])), during };
  }

  /** The newest `limit` events of one camera, newest first. */
  recent(cameraId: string, limit: number): HealthEventRecord[] {
    return (
      this.db
        .prepare(`SELECT * FROM camera_health_events WHERE camera_id = ? ORDER BY id DESC LIMIT ?`)
        .all(cameraId, limit) as EventRow[]
    ).map(toEvent);
  }

  facts(cameraId: string): CameraFacts | undefined {
    const r = this.db.prepare(`SELECT * FROM camera_facts WHERE camera_id = ?`).get(cameraId) as
      FactsRow | undefined;
    return r && factsOf(r);
  }

  allFacts(): Map<string, CameraFacts> {
    const rows = this.db.prepare(`SELECT * FROM camera_facts`).all() as FactsRow[];
    return new Map(rows.map((r) => [r.camera_id, factsOf(r)]));
  }

  /** Stores a camera's facts; a camera removed meanwhile (foreign key) is skipped. */
  saveFacts(cameraId: string, f: CameraFacts, at: number): void {
    // Prepared once: a probe per camera per minute writes here (bench:idle's profile showed the prepare).
    this.saveFactsStatement ??= this.db.prepare(
      `INSERT INTO camera_facts (camera_id, serial, firmware, model, width, height, booted_at, clock_skew_ms,
           last_probe_at, last_ok_at, last_error, updated_at)
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM cameras WHERE id = ?)
         ON CONFLICT (camera_id) DO UPDATE SET serial = excluded.serial, firmware = excluded.firmware,
           model = excluded.model, width = excluded.width, height = excluded.height,
           booted_at = excluded.booted_at, clock_skew_ms = excluded.clock_skew_ms,
           last_probe_at = excluded.last_probe_at, last_ok_at = excluded.last_ok_at,
           last_error = excluded.last_error, updated_at = excluded.updated_at`,
    );
    this.saveFactsStatement.run(
      cameraId,
      f.serial ?? null,
      f.firmware ?? null,
      f.model ?? null,
      f.width ?? null,
      f.height ?? null,
      f.bootedAt ?? null,
      f.clockSkewMs ?? null,
      f.lastProbeAt ?? null,
      f.lastOkAt ?? null,
      f.lastError ?? null,
      at,
      cameraId,
    );
  }
}

function factsOf(r: FactsRow): CameraFacts {
  return {
    serial: orUndefined(r.serial),
    firmware: orUndefined(r.firmware),
    model: orUndefined(r.model),
    width: orUndefined(r.width),
    height: orUndefined(r.height),
    bootedAt: orUndefined(r.booted_at),
    clockSkewMs: orUndefined(r.clock_skew_ms),
    lastProbeAt: orUndefined(r.last_probe_at),
    lastOkAt: orUndefined(r.last_ok_at),
    lastError: orUndefined(r.last_error),
  };
}
