import type { Clock, TimerHandle } from "../common/clock.js";
import type { Logger } from "../log/logger.js";
import type { Edge } from "./edge.js";
import type { EdgeRepository } from "./edge.repository.js";
import type { EdgeStatus } from "./link-messages.js";

/** What the console shows of an edge's link now. */
export interface EdgeLinkView {
  online: boolean;
  /** Last heartbeat (this hub process) or the stored last contact; null when never heard from. */
  lastContactAt: string | null;
  version: string | null;
  /** Its round trip to the NATS server, as it measured it. */
  rttMs: number | null;
  cameras: number;
  relay: { droppedFragments: number; sentBytes: number; activeRenditions: number } | null;
}

export type EdgeCameraStatus = EdgeStatus["cameras"][number];

interface Heard {
  status: EdgeStatus;
  at: number;
  online: boolean;
  storedAt: number;
}

const storeEveryMs = 60_000;

/**
 * Which edges are on the link, from their heartbeats (subjects.status): online from the first, offline after
 * `offlineAfterMs` without one. Told by the hub link; asked by the health monitor (an offline edge's cameras
 * are unknown, not offline), the console and the relay. The subject names the edge, and the NATS server lets
 * only that edge publish on it, so a heartbeat is the edge's own word.
 */
export class EdgeDirectory {
  private readonly heard = new Map<string, Heard>();
  private readonly listeners = new Set<(edgeId: string, online: boolean) => void>();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly edges: EdgeRepository,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly offlineAfterMs: number,
  ) {}

  start(): void {
    const tick = () => {
      this.sweep();
      this.timer = this.clock.setTimeout(tick, 1000);
    };
    this.timer = this.clock.setTimeout(tick, 1000);
  }

  close(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
  }

  /** A heartbeat of `edgeId`; one from an edge the hub does not know (removed since) is ignored. */
  status(edgeId: string, status: EdgeStatus): void {
    const edge = this.edges.get(edgeId);
    if (!edge) {
      this.log.warn(`[edge ${edgeId}] heartbeat from an edge this hub does not know: ignored`);
      return;
    }
    const now = this.clock.now();
    const before = this.heard.get(edgeId);
    const restarted = before !== undefined && before.status.bootId !== status.bootId;
    const entry: Heard = { status, at: now, online: true, storedAt: before?.storedAt ?? 0 };
    this.heard.set(edgeId, entry);
    if (now - entry.storedAt >= storeEveryMs || before?.status.version !== status.version) {
      entry.storedAt = now;
      this.edges.contact(edgeId, status.version, new Date(now));
    }
    if (!before?.online) {
      this.log.info(`[edge ${edge.name}] offline → online: heartbeat (version ${status.version})`);
      this.tell(edgeId, true);
    } else if (restarted) {
      this.log.info(`[edge ${edge.name}] restarted (version ${status.version})`);
    }
  }

  online(edgeId: string): boolean {
    return this.heard.get(edgeId)?.online ?? false;
  }

  /** The edge's own school record id, as it last said; undefined until heard from. */
  localSchool(edgeId: string): string | undefined {
    return this.heard.get(edgeId)?.status.schoolId;
  }

  /** What the edge last said of one of its cameras, while the edge is online. */
  camera(edgeId: string, cameraId: string): EdgeCameraStatus | undefined {
    const h = this.heard.get(edgeId);
    return h?.online ? h.status.cameras.find((c) => c.id === cameraId) : undefined;
  }

  /** Every camera the edge last said it has, while the edge is online. */
  cameras(edgeId: string): readonly EdgeCameraStatus[] | undefined {
    const h = this.heard.get(edgeId);
    return h?.online ? h.status.cameras : undefined;
  }

  /** The link of `edge` (the stored record its caller already read: no second read per edge). */
  view(edge: Edge): EdgeLinkView {
    const h = this.heard.get(edge.id);
    return {
      online: h?.online ?? false,
      lastContactAt: h ? new Date(h.at).toISOString() : edge.lastContactAt,
      version: h?.status.version ?? edge.version,
      rttMs: h?.status.rttMs ?? null,
      cameras: h?.status.cameras.length ?? 0,
      relay: h?.status.relay ?? null,
    };
  }

  onChange(listener: (edgeId: string, online: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [edgeId, h] of this.heard) {
      if (h.online && now - h.at > this.offlineAfterMs) {
        h.online = false;
        this.edges.contact(edgeId, h.status.version, new Date(h.at));
        this.log.warn(
          `[edge ${this.edges.get(edgeId)?.name ?? edgeId}] online → offline: no heartbeat for ${String(Math.round(this.offlineAfterMs / 1000))} s`,
        );
        this.tell(edgeId, false);
      }
    }
  }

  private tell(edgeId: string, online: boolean): void {
    for (const l of this.listeners) l(edgeId, online);
  }
}
