import { systemActor, type Actor } from "../audit/audit.repository.js";
import type { ChangeRecord, UnitOfWork } from "../audit/unit-of-work.js";
import type { Camera } from "../cameras/camera.js";
import type { CameraMove, CameraMoveRepository } from "../cameras/camera-move.repository.js";
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

const hostOf = (c: Camera) => (c.onvif ? new URL(c.onvif.deviceServiceUrl).hostname : "");

/**
 * Follows ONVIF cameras whose address changed (DHCP). Each round probes for the registered device UUIDs (the
 * known addresses by unicast, the ranges, multicast); where a UUID answers from another host, decideMove says
 * whether the camera moves there on its own or the sighting waits for a school admin as a pending item.
 * A move (automatic or confirmed) is audited, and the camera's streams restart at the new address.
 */
export class OnvifAddressWatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<Move[]> | undefined;
  private readonly rangeHosts: Set<string>;

  constructor(
    private readonly cameras: CameraRepository,
    private readonly moves: CameraMoveRepository,
    private readonly discovery: WsDiscovery,
    private readonly inspector: OnvifInspector,
    private readonly work: UnitOfWork,
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

  /** A school admin confirmed a pending item: the camera moves there, as an automatic move would. */
  confirm(move: CameraMove, actor: Actor & { id: string }): Camera {
    const camera = this.cameras.get(move.cameraId);
    if (!camera) throw new Error(`camera ${move.cameraId} of move ${move.id} is gone`);
    return this.move(
      camera,
      { deviceUuid: move.deviceUuid, to: move.to, deviceServiceUrl: move.deviceServiceUrl },
      actor,
      {
        schoolId: camera.schoolId,
        action: "camera.move.confirm",
        targetKind: "camera",
        targetId: camera.id,
        detail: {
          moveId: move.id,
          name: camera.name,
          deviceUuid: move.deviceUuid,
          from: move.from,
          to: move.to,
        },
      },
      () => this.moves.decide(move.id, "confirmed", actor.id),
    );
  }

  /** A school admin dismissed a pending item: the camera stays, and this host is not asked about again. */
  dismiss(move: CameraMove, actor: Actor & { id: string }): CameraMove {
    return this.work.apply(
      actor,
      {
        schoolId: move.schoolId,
        action: "camera.move.dismiss",
        targetKind: "camera",
        targetId: move.cameraId,
        detail: {
          moveId: move.id,
          name: move.cameraName,
          deviceUuid: move.deviceUuid,
          from: move.from,
          to: move.to,
        },
      },
      () => this.moves.decide(move.id, "dismissed", actor.id),
    );
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
    const from = hostOf(camera);
    this.moves.supersedeStale(camera.id, from);
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
        if (!now || hostOf(now) !== from) return undefined;
      }
      const where = { deviceUuid: d.uuid, to, deviceServiceUrl };
      switch (decision.kind) {
        case "ignore":
        case "check_identity":
          continue;
        case "move":
          this.move(camera, where, systemActor, {
            schoolId: camera.schoolId,
            action: "camera.address_changed",
            targetKind: "camera",
            targetId: camera.id,
            detail: {
              name: camera.name,
              deviceUuid: d.uuid,
              from,
              to,
              serialNumber: onvif.identity?.serialNumber,
            },
          });
          return { cameraId: camera.id, deviceUuid: d.uuid, from, to };
        case "pending":
          this.pend(camera, { ...where, from, reason: decision.reason });
          continue;
      }
    }
    return undefined;
  }

  private pend(camera: Camera, s: Omit<Parameters<CameraMoveRepository["sighted"]>[0], "cameraId">): void {
    const sighting = { cameraId: camera.id, ...s };
    // Seen again: the open item is brought up to date, unaudited (one record per question, not per round).
    if (this.moves.pendingAt(camera.id, s.to)) {
      this.moves.sighted(sighting);
      return;
    }
    const { move } = this.work.apply(
      systemActor,
      (r: { move: CameraMove }) => ({
        schoolId: camera.schoolId,
        action: "camera.move.pending",
        targetKind: "camera",
        targetId: camera.id,
        detail: {
          moveId: r.move.id,
          name: camera.name,
          deviceUuid: s.deviceUuid,
          from: s.from,
          to: s.to,
          reason: s.reason,
        },
      }),
      () => this.moves.sighted(sighting),
    );
    this.log.warn(
      { cameraId: camera.id, moveId: move.id, from: s.from, to: s.to, reason: s.reason },
      `[cam ${camera.name}] seen at another address ${s.from} → ${s.to}, not followed (${s.reason}): waits for an admin`,
    );
  }

  /**
   * Moves a camera (its ONVIF URL and stream URLs; credentials and identity stay) in one audited transaction,
   * with `also` (a confirmation) inside it; whatever else was pending about the camera is superseded. Its
   * streams then restart at the new address.
   */
  private move(
    camera: Camera,
    where: { deviceUuid: string; to: string; deviceServiceUrl: string },
    actor: Actor,
    record: ChangeRecord,
    also?: () => void,
  ): Camera {
    const { onvif, source } = camera;
    if (onvif === null || source.kind !== "rtsp")
      throw new Error(`camera ${camera.id} is not an ONVIF camera`);
    const from = hostOf(camera);
    const moved = this.work.apply(actor, record, () => {
      also?.();
      const c = this.cameras.moveOnvif(
        camera.id,
        { ...onvif, deviceServiceUrl: onHost(where.deviceServiceUrl, where.to).url },
        onHost(source.url, where.to).url,
        source.subUrl === undefined ? undefined : onHost(source.subUrl, where.to).url,
      );
      this.moves.supersedePending(camera.id);
      return c;
    });
    this.log.info(
      { cameraId: camera.id, deviceUuid: where.deviceUuid, from, to: where.to, by: actor.kind },
      `[cam ${camera.name}] moved to a new address ${from} → ${where.to}`,
    );
    return moved;
  }
}
