import { onvifHostOf, type Camera } from "../cameras/camera.js";
import type { CameraMoveRepository } from "../cameras/camera-move.repository.js";
import type { CameraMoveService } from "../cameras/camera-move.service.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import type { Logger } from "../log/logger.js";
import { decideMove, type MoveSituation } from "./move-decision.js";
import { onHost, type OnvifInspector } from "./onvif-inspector.js";
import { scanHosts } from "../net/scan-targets.js";
import type { DiscoveredDevice, WsDiscovery } from "./ws-discovery.js";

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

/**
 * Follows ONVIF cameras whose address changed (DHCP). Each round probes for the registered device UUIDs (the
 * known addresses by unicast, the ranges, multicast); where a UUID answers from another host, decideMove says
 * whether the camera moves there on its own or the sighting waits for a school admin as a pending item. It
 * reads cameras and dismissed hosts from the repositories; every change goes through the CameraMoveService.
 */
export class OnvifAddressWatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Move[]> | undefined;
  private readonly rangeHosts: Set<string>;

  constructor(
    private readonly cameras: CameraRepository,
    private readonly moves: CameraMoveRepository,
    private readonly service: CameraMoveService,
    private readonly discovery: WsDiscovery,
    private readonly inspector: OnvifInspector,
    private readonly log: Logger,
    private readonly opts: AddressWatcherOptions,
  ) {
    // A bad range in the settings is found at start, not at the first round minutes later.
    this.rangeHosts = new Set(opts.ranges.flatMap((cidr) => scanHosts({ cidr })));
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

  /** One round; a round already under way is joined rather than doubled. Resolves with the automatic moves. */
  runOnce(): Promise<Move[]> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<Move[]> {
    const byUuid = this.cameras.listByOnvifUuid();
    if (byUuid.size === 0) return [];
    const known = [...byUuid.values()]
      .flat()
      .map(onvifHostOf)
      .filter((h) => /^\d+\.\d+\.\d+\.\d+$/.test(h));
    const report = await this.discovery.probe({
      multicast: this.opts.multicast,
      interfaceAddress: this.opts.interfaceAddress,
      hosts: [...new Set([...known, ...this.rangeHosts])],
      port: this.opts.port,
      timeoutMs: this.opts.scanMs,
    });
    const seen = new Map<string, DiscoveredDevice[]>();
    for (const d of report.sightings) seen.set(d.uuid, [...(seen.get(d.uuid) ?? []), d]);
    const moved: Move[] = [];
    for (const [uuid, cameras] of byUuid) {
      for (const camera of cameras) {
        const m = await this.follow(camera, seen.get(uuid) ?? []);
        if (m) moved.push(m);
      }
    }
    return moved;
  }

  /** Decides, for each other host that answered with this camera's UUID, whether it moves there. */
  private async follow(camera: Camera, sightings: readonly DiscoveredDevice[]): Promise<Move | undefined> {
    const { onvif, source } = camera;
    if (onvif === null || source.kind !== "rtsp") return undefined;
    const from = onvifHostOf(camera);
    this.service.supersedeStale(camera);
    const dismissed = this.moves.dismissedHosts(camera.id);
    const elsewhere = sightings.filter((d) => d.address !== from);
    const live = elsewhere.filter((d) => !dismissed.has(d.address));
    for (const d of elsewhere) {
      const to = d.address;
      const deviceServiceUrl = d.deviceServiceUrl ?? onHost(onvif.deviceServiceUrl, to).url;
      const situation: MoveSituation = {
        oldAnswers: sightings.some((s) => s.address === from),
        rivals: live.filter((s) => s.address !== to).length,
        inRanges: this.rangeHosts.has(to),
        dismissed: dismissed.has(to),
        recorded: onvif.identity,
      };
      let decision = decideMove(situation);
      if (decision.kind === "check_identity") {
        decision = decideMove({ ...situation, seen: await this.inspector.identityOf(deviceServiceUrl) });
        // Changed (confirmed elsewhere, edited, deleted) while the host was asked: this sighting is out of date.
        const now = this.cameras.get(camera.id);
        if (!now || onvifHostOf(now) !== from) return undefined;
      }
      const where = { deviceUuid: d.uuid, to, deviceServiceUrl };
      switch (decision.kind) {
        case "ignore":
        case "check_identity":
          continue;
        case "move":
          this.service.followAddress(camera, where);
          return { cameraId: camera.id, deviceUuid: d.uuid, from, to };
        case "pending":
          this.service.recordSighting(camera, { ...where, from, reason: decision.reason });
          continue;
      }
    }
    return undefined;
  }
}
