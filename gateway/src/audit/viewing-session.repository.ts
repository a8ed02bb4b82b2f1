import type { Db } from "../db/database.js";

export interface ViewingSessionStart {
  id: string;
  schoolId: string | null;
  cameraId: string;
  cameraName: string;
  viewerKind: "guardian" | "user" | "dev";
  viewerId: string | null;
  viewerName: string;
  deviceId: string | null;
  ip: string | null;
  userAgent: string | null;
  startedAt: string;
}

export interface ViewingSession extends ViewingSessionStart {
  endedAt: string | null;
  bytes: number;
  endReason: string | null;
}

/** Viewing sessions on disk: a row when a viewer starts, completed when they stop (crash-safe: see open()). */
export class ViewingSessionRepository {
  constructor(private readonly db: Db) {}

  start(s: ViewingSessionStart): void {
    this.db
      .prepare(
        `INSERT INTO viewing_sessions (id, school_id, camera_id, camera_name, viewer_kind, viewer_id, viewer_name,
           device_id, ip, user_agent, started_at)
         VALUES (@id, @schoolId, @cameraId, @cameraName, @viewerKind, @viewerId, @viewerName, @deviceId, @ip,
           @userAgent, @startedAt)`,
      )
      .run(s);
  }

  end(id: string, endedAt: string, bytes: number, reason: string): void {
    this.db
      .prepare(
        "UPDATE viewing_sessions SET ended_at = ?, bytes = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
      )
      .run(endedAt, bytes, reason, id);
  }

  addBytes(id: string, bytes: number): void {
    this.db.prepare("UPDATE viewing_sessions SET bytes = ? WHERE id = ?").run(bytes, id);
  }

  get(id: string): ViewingSession | undefined {
    return this.db.prepare(`${select} WHERE id = ?`).get(id) as ViewingSession | undefined;
  }

  /** When each of these guardians last started watching (guardians who never did are absent). */
  lastViewedBy(guardianIds: readonly string[]): Map<string, string> {
    const last = this.db.prepare(
      "SELECT max(started_at) AS at FROM viewing_sessions WHERE viewer_kind = 'guardian' AND viewer_id = ?",
    );
    const map = new Map<string, string>();
    for (const id of guardianIds) {
      const row = last.get(id) as { at: string | null };
      if (row.at !== null) map.set(id, row.at);
    }
    return map;
  }

  /** Sessions a previous run left open (a crash or kill -9): still to be closed. */
  open(): ViewingSession[] {
    return this.db.prepare(`${select} WHERE ended_at IS NULL`).all() as ViewingSession[];
  }
}

const select = `SELECT id, school_id AS schoolId, camera_id AS cameraId, camera_name AS cameraName,
  viewer_kind AS viewerKind, viewer_id AS viewerId, viewer_name AS viewerName, device_id AS deviceId, ip,
  user_agent AS userAgent, started_at AS startedAt, ended_at AS endedAt, bytes, end_reason AS endReason
  FROM viewing_sessions`;
