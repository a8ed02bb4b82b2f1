import { ConflictError } from "../common/errors.js";
import { newId } from "../common/ids.js";
import type { Db } from "../db/database.js";
import type { MoveReason } from "../onvif/move-decision.js";

export type CameraMoveStatus = "pending" | "confirmed" | "dismissed" | "superseded";

/** A camera seen at another address that was not followed on its own: waits for a school admin. */
export interface CameraMove {
  id: string;
  cameraId: string;
  cameraName: string;
  schoolId: string | null;
  deviceUuid: string;
  from: string;
  to: string;
  deviceServiceUrl: string;
  reason: MoveReason;
  status: CameraMoveStatus;
  firstSeenAt: string;
  /** The last round that saw it there. */
  seenAt: string;
  decidedAt: string | null;
  /** The admin's user id. */
  decidedBy: string | null;
}

/** One round's sighting of a camera at another host, with why it was not followed. */
export interface MoveSighting {
  cameraId: string;
  deviceUuid: string;
  from: string;
  to: string;
  deviceServiceUrl: string;
  reason: MoveReason;
}

interface MoveRow {
  id: string;
  camera_id: string;
  camera_name: string;
  school_id: string | null;
  device_uuid: string;
  from_host: string;
  to_host: string;
  device_service_url: string;
  reason: MoveReason;
  status: CameraMoveStatus;
  first_seen_at: string;
  last_seen_at: string;
  decided_at: string | null;
  decided_by: string | null;
}

const SELECT = `SELECT m.*, c.name AS camera_name, c.school_id FROM camera_moves m JOIN cameras c ON c.id = m.camera_id`;

/** Pending camera moves ("seen at another address") and what admins decided about them. */
export class CameraMoveRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get(id: string): CameraMove | undefined {
    const row = this.db.prepare(`${SELECT} WHERE m.id = ?`).get(id) as MoveRow | undefined;
    return row && toMove(row);
  }

  /** Newest sighting first; `schoolIds` limits to those schools (a school_admin's view). */
  list(f: {
    schoolIds?: readonly string[] | undefined;
    status?: CameraMoveStatus | undefined;
  }): CameraMove[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.schoolIds !== undefined) {
      where.push(`c.school_id IN (${f.schoolIds.map(() => "?").join(",") || "NULL"})`);
      args.push(...f.schoolIds);
    }
    if (f.status !== undefined) {
      where.push("m.status = ?");
      args.push(f.status);
    }
    const rows = this.db
      .prepare(
        `${SELECT} ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY m.last_seen_at DESC, m.id`,
      )
      .all(...args) as MoveRow[];
    return rows.map(toMove);
  }

  /** The open item about this camera at this host, if any. */
  pendingAt(cameraId: string, to: string): CameraMove | undefined {
    const row = this.db
      .prepare(`${SELECT} WHERE m.camera_id = ? AND m.to_host = ? AND m.status = 'pending'`)
      .get(cameraId, to) as MoveRow | undefined;
    return row && toMove(row);
  }

  /** Hosts at which an admin said this camera is not (never asked about again). */
  dismissedHosts(cameraId: string): Set<string> {
    const rows = this.db
      .prepare("SELECT to_host FROM camera_moves WHERE camera_id = ? AND status = 'dismissed'")
      .all(cameraId) as { to_host: string }[];
    return new Set(rows.map((r) => r.to_host));
  }

  /**
   * Records that this round saw the camera at `to`: a new pending item, or the open one brought up to date.
   * `created` tells the two apart (only a new item is audited).
   */
  sighted(s: MoveSighting): { move: CameraMove; created: boolean } {
    const at = this.now().toISOString();
    const open = this.db
      .prepare("SELECT id FROM camera_moves WHERE camera_id = ? AND to_host = ? AND status = 'pending'")
      .get(s.cameraId, s.to) as { id: string } | undefined;
    if (open) {
      this.db
        .prepare(
          `UPDATE camera_moves SET from_host = ?, device_uuid = ?, device_service_url = ?, reason = ?, last_seen_at = ?
           WHERE id = ?`,
        )
        .run(s.from, s.deviceUuid, s.deviceServiceUrl, s.reason, at, open.id);
      return { move: this.get(open.id) as CameraMove, created: false };
    }
    const id = newId("mov");
    this.db
      .prepare(
        `INSERT INTO camera_moves (id, camera_id, device_uuid, from_host, to_host, device_service_url, reason, status,
           first_seen_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(id, s.cameraId, s.deviceUuid, s.from, s.to, s.deviceServiceUrl, s.reason, at, at);
    return { move: this.get(id) as CameraMove, created: true };
  }

  /** A pending item decided by an admin; refused when it is no longer pending (decided meanwhile). */
  decide(id: string, status: "confirmed" | "dismissed", userId: string): CameraMove {
    const r = this.db
      .prepare(
        "UPDATE camera_moves SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? AND status = 'pending'",
      )
      .run(status, this.now().toISOString(), userId, id);
    if (r.changes === 0) throw new ConflictError(`camera move ${id} is no longer pending`);
    return this.get(id) as CameraMove;
  }

  /** Items that ask about moving the camera away from an address it no longer has (an admin changed its source). */
  supersedeStale(cameraId: string, from: string): void {
    this.db
      .prepare(
        "UPDATE camera_moves SET status = 'superseded', decided_at = ? WHERE camera_id = ? AND status = 'pending' AND from_host <> ?",
      )
      .run(this.now().toISOString(), cameraId, from);
  }

  /** The camera moved: whatever else was pending about it asked about an address it no longer has. */
  supersedePending(cameraId: string): void {
    this.db
      .prepare(
        "UPDATE camera_moves SET status = 'superseded', decided_at = ? WHERE camera_id = ? AND status = 'pending'",
      )
      .run(this.now().toISOString(), cameraId);
  }
}

function toMove(r: MoveRow): CameraMove {
  return {
    id: r.id,
    cameraId: r.camera_id,
    cameraName: r.camera_name,
    schoolId: r.school_id,
    deviceUuid: r.device_uuid,
    from: r.from_host,
    to: r.to_host,
    deviceServiceUrl: r.device_service_url,
    reason: r.reason,
    status: r.status,
    firstSeenAt: r.first_seen_at,
    seenAt: r.last_seen_at,
    decidedAt: r.decided_at,
    decidedBy: r.decided_by,
  };
}
