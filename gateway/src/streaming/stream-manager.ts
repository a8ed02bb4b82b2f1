import { renditionsOf, type Camera, type RenditionName } from "../cameras/camera.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import type { Clock, TimerHandle } from "../common/clock.js";
import type { ProcessSpawner } from "../ffmpeg/process-spawner.js";
import type { Logger } from "../log/logger.js";
import { Rendition, type CameraTotals, type RenditionHealth, type StreamSettings } from "./rendition.js";

/** One camera's counters for metrics: totals since the gateway started, and its viewers now. */
export interface CameraCounters extends CameraTotals {
  cameraId: string;
  /** Open WebSockets; LL-HLS viewer sessions (one session on both renditions counts once). */
  viewers: { hls: number; ws: number };
}

/**
 * All renditions of all cameras: created when first asked for, started on demand (or at boot for alwaysOn
 * cameras), stopped idleStopSeconds after their last viewer. Camera edits reach running streams here.
 */
export class StreamManager {
  private readonly renditions = new Map<string, Rendition>();
  /** Per camera, from its first rendition until the camera is deleted. */
  private readonly totals = new Map<string, CameraTotals>();
  private sweepTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly cameras: CameraRepository,
    private readonly spawner: ProcessSpawner,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly settings: StreamSettings,
  ) {}

  /** Starts alwaysOn cameras and the idle sweep. */
  start(): void {
    for (const camera of this.cameras.list()) {
      if (camera.enabled && camera.alwaysOn)
        for (const name of renditionsOf(camera)) this.get(camera.id, name)?.acquire();
    }
    this.sweep();
  }

  /** The rendition of an enabled camera, created (not started) on first use; undefined if there is none. */
  get(cameraId: string, name: RenditionName): Rendition | undefined {
    if (this.closed) return undefined;
    const key = `${cameraId}/${name}`;
    const existing = this.renditions.get(key);
    if (existing) return existing;
    const camera = this.cameras.get(cameraId);
    if (!camera?.enabled || !renditionsOf(camera).includes(name)) return undefined;
    // An edge's camera plays only at a hub, through the relay.
    if (camera.source.kind === "edge" && !this.settings.relay) return undefined;
    let totals = this.totals.get(cameraId);
    if (!totals) {
      totals = { ingestBytes: 0, reconnects: 0, lastFragmentAt: undefined };
      this.totals.set(cameraId, totals);
    }
    const onCodec = (id: string, codec: "h264" | "h265") => {
      if (camera.videoCodec !== codec) this.cameras.setVideoCodec(id, codec);
    };
    const r = new Rendition(camera, name, this.settings, this.spawner, this.clock, this.log, onCodec, totals);
    this.renditions.set(key, r);
    return r;
  }

  /**
   * Starts the rendition a player is about to ask for (`prefer`, else the smallest), counted as viewer
   * session `sid`: saves the time between issuing URLs or the master playlist and the first media request.
   */
  warm(camera: Camera, sid: string, prefer: unknown): void {
    const offered = renditionsOf(camera);
    const name =
      (prefer === "main" || prefer === "sub") && offered.includes(prefer)
        ? prefer
        : offered.includes("sub")
          ? "sub"
          : "main";
    const r = this.get(camera.id, name);
    r?.touchHls(sid);
    r?.acquire();
  }

  /** Renditions that exist for a camera right now (running or not). */
  renditionsOf(cameraId: string): Rendition[] {
    return [...this.renditions.values()].filter((r) => r.cameraId === cameraId);
  }

  /** A camera's source is there again (an NVR began to push): its renditions waiting to retry start now. */
  sourceBack(cameraId: string): void {
    for (const r of this.renditionsOf(cameraId)) r.sourceBack();
  }

  /** Apply an edited (or deleted: undefined) camera to what is running, without a gateway restart. */
  async cameraChanged(cameraId: string, camera: Camera | undefined): Promise<void> {
    const names = camera?.enabled ? renditionsOf(camera) : [];
    const stopping: Promise<void>[] = [];
    for (const r of this.renditionsOf(cameraId)) {
      if (camera && names.includes(r.name)) {
        r.update(camera);
      } else {
        this.renditions.delete(`${cameraId}/${r.name}`);
        stopping.push(r.stop(camera ? "camera disabled" : "camera deleted"));
      }
    }
    // A deleted camera's totals go with it (a rendition still stopping adds to an orphan, read by no one).
    if (!camera) this.totals.delete(cameraId);
    if (camera?.enabled && camera.alwaysOn) for (const name of names) this.get(camera.id, name)?.acquire();
    await Promise.all(stopping);
  }

  /** Every camera that has had a rendition since the gateway started (and was not deleted): its counters. */
  counters(): CameraCounters[] {
    const viewers = new Map<string, { ws: number; hls: Set<string> }>();
    for (const r of this.renditions.values()) {
      const v = r.viewersByProtocol();
      const sum = viewers.get(r.cameraId) ?? { ws: 0, hls: new Set<string>() };
      sum.ws += v.ws;
      for (const sid of v.hlsSessions) sum.hls.add(sid);
      viewers.set(r.cameraId, sum);
    }
    return [...this.totals].map(([cameraId, t]) => {
      const v = viewers.get(cameraId);
      return { cameraId, ...t, viewers: { hls: v?.hls.size ?? 0, ws: v?.ws ?? 0 } };
    });
  }

  health(): RenditionHealth[] {
    return [...this.renditions.values()].map((r) => r.health());
  }

  /** Stops every ffmpeg and waits until all have exited. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweepTimer) this.clock.clearTimeout(this.sweepTimer);
    await Promise.all([...this.renditions.values()].map((r) => r.stop("gateway stopping")));
    this.renditions.clear();
  }

  private sweep(): void {
    const { idleStopSeconds } = this.settings.streaming;
    this.sweepTimer = this.clock.setTimeout(() => {
      for (const r of this.renditions.values()) {
        if (r.state !== "idle" && !r.alwaysOn && r.idleSeconds() >= idleStopSeconds) {
          void r.stop(`no viewer for ${String(idleStopSeconds)} s`);
        }
      }
      if (!this.closed) this.sweep();
    }, 1000);
  }
}
