import { systemActor } from "../audit/audit.repository.js";
import type { Changes } from "../audit/changes.js";
import type { Camera } from "../cameras/camera.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import type { Logger } from "../log/logger.js";
import type { StreamManager } from "../streaming/stream-manager.js";
import { onHost } from "./onvif-inspector.js";
import { scanHosts } from "./scan-targets.js";
import type { WsDiscovery } from "./ws-discovery.js";

export interface AddressWatcherOptions {
  intervalMs: number;
  /** Multicast probe each round (off in tests on loopback, where it would leave by the default route). */
  multicast: boolean;
  interfaceAddress: string | undefined;
  port: number;
  scanMs: number;
  /** CIDR ranges probed by unicast each round, for networks where multicast does not cross. */
  ranges: readonly string[];
}

export interface Move {
  cameraId: string;
  deviceUuid: string;
  from: string;
  to: string;
}

const hostOf = (c: Camera) => (c.onvif ? new URL(c.onvif.deviceServiceUrl).hostname : "");

/**
 * Follows ONVIF cameras whose address changed (DHCP): each round probes for the registered device UUIDs
 * and moves a camera found elsewhere (ONVIF URL and stream URLs), audited, and its streams restart there.
 */
export class OnvifAddressWatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Move[]> | undefined;
  private readonly rangeHosts: string[];

  constructor(
    private readonly cameras: CameraRepository,
    private readonly discovery: WsDiscovery,
    private readonly changes: Changes,
    private readonly streams: StreamManager,
    private readonly log: Logger,
    private readonly opts: AddressWatcherOptions,
  ) {
    // A bad range in the settings is found at start, not at the first round minutes later.
    this.rangeHosts = opts.ranges.flatMap((cidr) => scanHosts({ cidr }));
  }

  start(): void {
    if (this.opts.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((e: unknown) => this.log.warn({ err: e }, "ONVIF re-probe failed"));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One round; a round already under way is joined rather than doubled. */
  runOnce(): Promise<Move[]> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<Move[]> {
    const byUuid = this.cameras.listByOnvifUuid();
    if (byUuid.size === 0) return [];
    const known = [...byUuid.values()]
      .flat()
      .map(hostOf)
      .filter((h) => /^\d+\.\d+\.\d+\.\d+$/.test(h));
    const report = await this.discovery.probe({
      multicast: this.opts.multicast,
      interfaceAddress: this.opts.interfaceAddress,
      hosts: [...new Set([...known, ...this.rangeHosts])],
      port: this.opts.port,
      timeoutMs: this.opts.scanMs,
    });
    const moves: Move[] = [];
    for (const d of report.devices) {
      for (const camera of byUuid.get(d.uuid) ?? []) {
        const { onvif, source } = camera;
        const from = hostOf(camera);
        if (onvif === null || source.kind !== "rtsp" || from === d.address) continue;
        const move = { cameraId: camera.id, deviceUuid: d.uuid, from, to: d.address };
        const moved = this.changes.apply(
          systemActor,
          {
            schoolId: camera.schoolId,
            action: "camera.address_changed",
            targetKind: "camera",
            targetId: camera.id,
            detail: { name: camera.name, deviceUuid: d.uuid, from, to: d.address },
          },
          () =>
            this.cameras.moveOnvif(
              camera.id,
              {
                ...onvif,
                deviceServiceUrl: d.deviceServiceUrl ?? onHost(onvif.deviceServiceUrl, d.address).url,
              },
              onHost(source.url, d.address).url,
              source.subUrl === undefined ? undefined : onHost(source.subUrl, d.address).url,
            ),
        );
        this.log.info(move, `[cam ${camera.name}] found at a new address ${from} → ${d.address}`);
        moves.push(move);
        void this.streams.cameraChanged(moved.id, moved);
      }
    }
    return moves;
  }
}
