import { renditionsOf, type Camera, type RenditionName } from "../cameras/camera.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import type { Clock, TimerHandle } from "../common/clock.js";
import type { ProcessSpawner } from "../ffmpeg/process-spawner.js";
import type { Logger } from "../log/logger.js";
import { Rendition, type RenditionHealth, type StreamSettings } from "./rendition.js";

/**
 * All renditions of all cameras: created when first asked for, started on demand (or at boot for alwaysOn
 * cameras), stopped idleStopSeconds after their last viewer. Camera edits reach running streams here.
 */
export class StreamManager {
  private readonly renditions = new Map<string, Rendition>();
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
    const r = new Rendition(camera, name, this.settings, this.spawner, this.clock, this.log, (id, codec) => {
      if (camera.videoCodec !== codec) this.cameras.setVideoCodec(id, codec);
    });
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
    if (camera?.enabled && camera.alwaysOn) for (const name of names) this.get(camera.id, name)?.acquire();
    await Promise.all(stopping);
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
