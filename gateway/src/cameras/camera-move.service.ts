import type { Caller } from "../access/caller.js";
import { managesSchool } from "../access/permissions.js";
import { systemActor, type Actor } from "../audit/audit.repository.js";
import type { ChangeRecord, UnitOfWork } from "../audit/unit-of-work.js";
import { explainedError, forbidden, notFound } from "../common/errors.js";
import type { Explanation } from "../common/explanation.js";
import type { Logger } from "../log/logger.js";
import { moveReasonText, type MoveReason } from "../onvif/move-decision.js";
import { onHost } from "../onvif/onvif-inspector.js";
import { onvifHostOf, publicCamera, type Camera } from "./camera.js";
import type {
  CameraMove,
  CameraMoveRepository,
  CameraMoveStatus,
  MoveSighting,
} from "./camera-move.repository.js";
import type { CameraRepository } from "./camera.repository.js";
import type { CameraView } from "./camera.service.js";

/** Where a camera was seen: the host, and its device service there. */
export interface NewAddress {
  deviceUuid: string;
  to: string;
  deviceServiceUrl: string;
}

/** What the API shows of a pending move: the reason explained in both languages, not the device URL. */
export type MoveView = Omit<CameraMove, "reason" | "deviceServiceUrl"> & {
  reason: { code: MoveReason; messages: Explanation };
};

function shownMove(m: CameraMove): MoveView {
  const { reason, deviceServiceUrl: _url, ...rest } = m;
  return { ...rest, reason: { code: reason, messages: moveReasonText[reason] } };
}

/**
 * A camera's ONVIF address moves (DHCP): followed on its own when the re-probe (onvif/address-watcher.ts)
 * found every sign that it is the same device, or recorded as a pending item that whoever may change the
 * camera (its school's admins, operators) confirms or dismisses. Each move is one audited change, and the
 * camera's streams restart at the new address through the unit of work's listeners.
 */
export class CameraMoveService {
  constructor(
    private readonly cameras: CameraRepository,
    private readonly moves: CameraMoveRepository,
    private readonly work: UnitOfWork,
    private readonly log: Logger,
  ) {}

  /** Pending items (or all, or of one status) of the schools the caller manages; teachers decide none. */
  list(
    caller: Caller,
    filter: { schoolId?: string | undefined; status: CameraMoveStatus | "all" },
  ): MoveView[] {
    const { user } = caller;
    if (user.role === "teacher") throw forbidden();
    if (filter.schoolId !== undefined && !managesSchool(user, filter.schoolId)) throw notFound("school");
    const schoolIds =
      filter.schoolId !== undefined
        ? [filter.schoolId]
        : user.role === "operator"
          ? undefined
          : [user.schoolId ?? ""];
    return this.moves
      .list({ schoolIds, status: filter.status === "all" ? undefined : filter.status })
      .map(shownMove);
  }

  /** The admin says the camera is at the new address: it moves there, as an automatic move would. */
  confirm(caller: Caller, id: string): { move: MoveView; camera: CameraView } {
    const move = this.pendingMove(caller, id);
    const camera = this.cameras.get(move.cameraId);
    if (camera === undefined || onvifHostOf(camera) !== move.from) {
      // The camera was moved or changed since the sighting: the question no longer stands.
      throw explainedError(409, "move_outdated", {
        id: "Alamat kamera sudah berubah sejak item ini tercatat; tidak ada yang diubah.",
        en: "The camera's address has changed since this item was recorded; nothing was changed.",
      });
    }
    const moved = this.move(
      camera,
      move,
      caller.actor,
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
      () => this.moves.decide(move.id, "confirmed", caller.user.id),
    );
    return { move: shownMove(this.moves.get(move.id) ?? move), camera: publicCamera(moved) };
  }

  /** The admin says the camera is not there: it stays, and this host is not asked about again. */
  dismiss(caller: Caller, id: string): MoveView {
    const move = this.pendingMove(caller, id);
    const dismissed = this.work.apply(
      caller.actor,
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
      () => this.moves.decide(move.id, "dismissed", caller.user.id),
    );
    return shownMove(dismissed);
  }

  /** The re-probe found every sign that this is the same camera at `at`: it moves there without a person. */
  followAddress(camera: Camera, at: NewAddress): Camera {
    return this.move(camera, at, systemActor, {
      schoolId: camera.schoolId,
      action: "camera.address_changed",
      targetKind: "camera",
      targetId: camera.id,
      detail: {
        name: camera.name,
        deviceUuid: at.deviceUuid,
        from: onvifHostOf(camera),
        to: at.to,
        serialNumber: camera.onvif?.identity?.serialNumber,
      },
    });
  }

  /**
   * The re-probe saw the camera elsewhere but may not follow: a new pending item, audited; an open one seen
   * again is brought up to date, unaudited (one record per question, not per round).
   */
  recordSighting(camera: Camera, s: Omit<MoveSighting, "cameraId">): void {
    const sighting = { cameraId: camera.id, ...s };
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

  /** Items that ask about moving the camera away from an address it no longer has (an admin changed its source). */
  supersedeStale(camera: Camera): void {
    this.moves.supersedeStale(camera.id, onvifHostOf(camera));
  }

  /** An item the caller may decide: another school's is "no such", a teacher of its school is refused. */
  private pendingMove(caller: Caller, id: string): CameraMove {
    const { user } = caller;
    const move = this.moves.get(id);
    if (!move || !managesSchool(user, move.schoolId)) {
      if (move && move.schoolId !== null && user.schoolId === move.schoolId) throw forbidden();
      throw notFound("camera move");
    }
    if (move.status !== "pending") {
      throw explainedError(
        409,
        "move_decided",
        {
          id: `Item ini sudah diputuskan (${move.status}); tidak ada yang diubah.`,
          en: `This item was already decided (${move.status}); nothing was changed.`,
        },
        { status: move.status },
      );
    }
    return move;
  }

  /**
   * Moves a camera (its ONVIF URL and stream URLs; credentials and identity stay) in one audited transaction,
   * with `also` (a confirmation) inside it; whatever else was pending about the camera is superseded.
   */
  private move(
    camera: Camera,
    where: NewAddress,
    actor: Actor,
    record: ChangeRecord,
    also?: () => void,
  ): Camera {
    const { onvif, source } = camera;
    if (onvif === null || source.kind !== "rtsp")
      throw new Error(`camera ${camera.id} is not an ONVIF camera`);
    const from = onvifHostOf(camera);
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
