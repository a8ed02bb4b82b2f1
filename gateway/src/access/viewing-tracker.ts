import type { AuditRepository } from "../audit/audit.repository.js";
import type {
  ViewingSession,
  ViewingSessionRepository,
  ViewingSessionStart,
} from "../audit/viewing-session.repository.js";
import type { Camera } from "../cameras/camera.js";
import { newId } from "../common/ids.js";
import type { Logger } from "../log/logger.js";
import type { Viewer } from "./access-decision.js";

export interface ClientInfo {
  ip: string | undefined;
  userAgent: string | undefined;
}

interface Session {
  key: string;
  /**
   * The row written at the start; its end is added when the session ends. None for a demo viewer: the test
   * pattern shows no one, and anyone may open it any number of times, so it is counted (caps) but not written.
   */
  record: ViewingSessionStart | undefined;
  cameraId: string;
  startedAt: number;
  lastSeen: number;
  bytes: number;
  flushedBytes: number;
  /** Open WebSockets holding the session; LL-HLS sessions live on their requests alone. */
  sockets: number;
}

/**
 * Viewing sessions: one per (viewer session, camera), begun by the first authorized media request, ended when
 * the viewer's requests stop (LL-HLS players poll every part) or their WebSocket closes. Every session is
 * on disk from its start and in the audit log at its end, but a demo viewer's (in memory only); the counts
 * here enforce viewers per camera.
 */
export class ViewingTracker {
  private readonly sessions = new Map<string, Session>();
  private readonly perCamera = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: ViewingSessionRepository,
    private readonly audit: AuditRepository,
    private readonly log: Logger,
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Closes what a previous run left open (crash, kill -9) and starts the idle sweep. */
  start(): void {
    for (const s of this.repo.open()) {
      this.repo.end(s.id, s.startedAt, s.bytes, "gateway_restart");
      this.audited({ ...s, endedAt: null, endReason: "gateway_restart" });
    }
    this.timer = setInterval(() => {
      this.sweep();
    }, 2000);
    this.timer.unref();
  }

  static key(sid: string, cameraId: string): string {
    return `${sid}|${cameraId}`;
  }

  isActive(key: string): boolean {
    return this.sessions.has(key);
  }

  viewers(cameraId: string): number {
    return this.perCamera.get(cameraId) ?? 0;
  }

  /** An authorized media request: starts the session if it is new. */
  seen(sid: string, camera: Camera, viewer: Viewer, client: ClientInfo): string {
    const key = ViewingTracker.key(sid, camera.id);
    const existing = this.sessions.get(key);
    const at = this.now();
    if (existing) {
      existing.lastSeen = at;
      return key;
    }
    const record: ViewingSessionStart | undefined =
      viewer.kind === "demo"
        ? undefined
        : {
            id: newId("vs"),
            schoolId: camera.schoolId,
            cameraId: camera.id,
            cameraName: camera.name,
            viewerKind: viewer.kind,
            viewerId: viewer.id,
            viewerName: viewer.name,
            deviceId: viewer.kind === "guardian" ? viewer.deviceId : null,
            ip: client.ip ?? null,
            userAgent: client.userAgent?.slice(0, 300) ?? null,
            startedAt: new Date(at).toISOString(),
          };
    this.sessions.set(key, {
      key,
      record,
      cameraId: camera.id,
      startedAt: at,
      lastSeen: at,
      bytes: 0,
      flushedBytes: 0,
      sockets: 0,
    });
    this.perCamera.set(camera.id, this.viewers(camera.id) + 1);
    if (record) this.repo.start(record);
    return key;
  }

  addBytes(key: string, n: number): void {
    const s = this.sessions.get(key);
    if (s) s.bytes += n;
  }

  socketOpened(key: string): void {
    const s = this.sessions.get(key);
    if (s) s.sockets++;
  }

  socketClosed(key: string): void {
    const s = this.sessions.get(key);
    if (!s) return;
    s.sockets--;
    s.lastSeen = this.now();
  }

  /** Ends idle sessions; flushes byte counts of long ones so a crash loses at most a sweep's worth. */
  sweep(): void {
    const at = this.now();
    for (const s of this.sessions.values()) {
      if (s.sockets <= 0 && at - s.lastSeen >= this.idleMs) this.end(s, "viewer_left");
      else if (s.record && s.bytes - s.flushedBytes > 1_000_000) {
        this.repo.addBytes(s.record.id, s.bytes);
        s.flushedBytes = s.bytes;
      }
    }
  }

  /** Ends a session at once (a refused viewer: its place is free for someone else). */
  endNow(key: string, reason: string): void {
    const s = this.sessions.get(key);
    if (s) this.end(s, reason);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of [...this.sessions.values()]) this.end(s, "gateway_stopping");
  }

  private end(s: Session, reason: string): void {
    const { record } = s;
    this.sessions.delete(s.key);
    this.perCamera.set(s.cameraId, Math.max(0, this.viewers(s.cameraId) - 1));
    if (!record) return;
    const endedAt = new Date(Math.max(s.lastSeen, s.startedAt)).toISOString();
    try {
      this.repo.end(record.id, endedAt, s.bytes, reason);
      this.audited({ ...record, endedAt, bytes: s.bytes, endReason: reason });
    } catch (err) {
      this.log.error({ err }, `could not record the end of viewing session ${record.id}`);
    }
  }

  /** The audit log's record of a finished viewing session (who, which device, camera, start, end, bytes, IP). */
  private audited(v: ViewingSession): void {
    this.audit.record({
      actor: {
        kind: v.viewerKind === "dev" ? "system" : v.viewerKind,
        id: v.viewerId,
        name: v.viewerName,
        ip: v.ip ?? undefined,
      },
      schoolId: v.schoolId,
      action: "viewing.session",
      targetKind: "camera",
      targetId: v.cameraId,
      detail: {
        camera: v.cameraName,
        start: v.startedAt,
        end: v.endedAt,
        bytes: v.bytes,
        device: v.deviceId,
        endReason: v.endReason,
      },
    });
  }
}
