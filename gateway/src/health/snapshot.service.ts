import { classroomState } from "../access/access-decision.js";
import type { AccessState } from "../access/access-state.js";
import type { Caller } from "../access/caller.js";
import { seesCamera } from "../access/permissions.js";
import type { AuditRepository } from "../audit/audit.repository.js";
import type { Camera } from "../cameras/camera.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import { BusyError, ConcurrencyLimit } from "../common/concurrency-limit.js";
import { explainedError, HttpError, notFound } from "../common/errors.js";
import type { Explanation } from "../common/explanation.js";
import { FrameGrabError } from "../ffmpeg/frame-grab.js";
import type { Logger } from "../log/logger.js";
import { AddressNotAllowedError } from "../net/network-guard.js";
import { OnvifError } from "../onvif/onvif-error.js";
import type { OnvifInspector } from "../onvif/onvif-inspector.js";
import { SnapshotFetchError, type SnapshotClient } from "../onvif/snapshot-client.js";
import type { Credentials } from "../onvif/ws-security.js";

/** A camera's picture as it was taken: JPEG bytes, when (ms since the epoch), and from where. */
export interface Snapshot {
  readonly jpeg: Buffer;
  readonly takenAt: number;
  readonly source: "live" | "onvif";
}

/**
 * The live side, as main.ts hands it over from the stream manager (streaming sits above services): the init
 * segment and the fragments since the last keyframe of a running rendition, and one frame of them as a JPEG.
 */
export interface LiveFrames {
  gop(cameraId: string): readonly Buffer[] | undefined;
  decode(gop: readonly Buffer[]): Promise<Buffer>;
}

export interface SnapshotSettings {
  /** A kept picture younger than this is served again instead of taking a new one. */
  maxAgeMs: number;
  /** All kept pictures together; the oldest go first. */
  cacheBytes: number;
  /** ffmpeg decodes at once, all cameras together; up to 4× more wait, beyond that the live source is busy. */
  maxConcurrentDecodes: number;
}

/**
 * A person's pictures of one camera are one audit row for this long, as a viewing session is one row however
 * many parts it fetched: a wall of snapshots refreshed every 10 s would otherwise write one row a picture.
 */
export const snapshotAuditRepeatMs = 15 * 60_000;

const texts = {
  unavailable: {
    id: "Belum ada gambar dari kamera ini: tidak ada yang sedang menonton dan kamera tidak menyediakan snapshot ONVIF.",
    en: "There is no picture of this camera yet: nobody is watching it and it offers no ONVIF snapshot.",
  },
  timeout: {
    id: "Kamera tidak mengirim gambar tepat waktu. Kamera mungkin sibuk atau jaringannya lambat; coba lagi.",
    en: "The camera did not send a picture in time. It may be busy or the network slow; try again.",
  },
  notJpeg: {
    id: "Kamera mengirim sesuatu yang bukan gambar JPEG, atau gambar yang terlalu besar. Periksa pengaturan snapshot kamera.",
    en: "The camera sent something that is not a JPEG picture, or one too large. Check the camera's snapshot settings.",
  },
  authFailed: {
    id: "Kamera menolak nama pengguna atau kata sandi untuk snapshot. Periksa akun kamera.",
    en: "The camera refused the username or password for its snapshot. Check the camera's account.",
  },
  unreachable: {
    id: "Kamera tidak dapat dihubungi untuk mengambil gambar. Periksa jaringan dan daya kamera.",
    en: "The camera cannot be reached to take a picture. Check its network and power.",
  },
  liveFailed: {
    id: "Gambar dari video langsung tidak dapat dibuat; coba lagi sebentar lagi.",
    en: "No picture could be made from the live video; try again in a moment.",
  },
  busy: {
    id: "Terlalu banyak gambar diminta sekaligus; coba lagi sebentar lagi.",
    en: "Too many pictures are being asked for at once; try again in a moment.",
  },
  paused: {
    id: "Kelas ini sedang dijeda demi privasi; gambar kamera tidak ditampilkan.",
    en: "This classroom is paused for privacy; the camera's picture is not shown.",
  },
} satisfies Record<string, Explanation>;

const failed = (messages: Explanation, detail: string) =>
  explainedError(502, "snapshot_failed", messages, { detail });
const timedOut = (detail: string) => explainedError(504, "snapshot_timeout", texts.timeout, { detail });

/**
 * The last picture of a camera (GET /api/cameras/:id/snapshot.jpg), for whoever may see the camera: one
 * frame of the live GOP when a rendition runs, else the camera's ONVIF snapshot, else the picture kept
 * last. Pictures live in memory only, per camera, within a byte budget; one taking per camera at a time
 * (concurrent requests share it); a privacy pause shows none. A person's sight of a camera's pictures is
 * audited as viewing sessions are: one row per person and camera for a while (snapshotAuditRepeatMs).
 */
export class SnapshotService {
  private readonly kept = new Map<string, Snapshot>();
  private keptBytes = 0;
  private readonly taking = new Map<string, Promise<Snapshot>>();
  /** When each person's sight of each camera (`userId cameraId`) was last audited. */
  private readonly auditedAt = new Map<string, number>();
  /** Bumped by forget(): a taking begun before a camera changed keeps nothing. */
  private readonly generations = new Map<string, number>();
  /** Snapshot URIs asked once per camera binding; dropped when a fetch from one fails. */
  private readonly uris = new Map<string, { binding: string; uri: string | null }>();
  /** A dashboard asking for every watched camera at once must not start an ffmpeg for each. */
  private readonly decodes: ConcurrencyLimit;

  constructor(
    private readonly cameras: Pick<CameraRepository, "get">,
    private readonly access: Pick<AccessState, "snapshot">,
    private readonly audit: Pick<AuditRepository, "record">,
    private readonly live: LiveFrames,
    private readonly onvif: {
      inspector: Pick<OnvifInspector, "snapshotUri">;
      client: Pick<SnapshotClient, "fetch">;
    },
    private readonly settings: SnapshotSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.decodes = new ConcurrencyLimit(settings.maxConcurrentDecodes, 4 * settings.maxConcurrentDecodes);
  }

  async get(caller: Caller, cameraId: string): Promise<Snapshot> {
    const camera = this.cameras.get(cameraId);
    if (!camera || !seesCamera(caller.user, camera)) throw notFound("camera");
    // A privacy pause holds for everyone, staff included (access-decision.ts): no picture, not even a kept one.
    if (classroomState(this.access.snapshot(), camera, new Date(this.now()))?.reason === "paused")
      throw explainedError(403, "paused", texts.paused);
    const fresh = this.kept.get(camera.id);
    const picture =
      fresh && this.now() - fresh.takenAt < this.settings.maxAgeMs ? fresh : await this.shared(camera);
    this.audited(caller, camera, picture);
    return picture;
  }

  /** The camera changed or went: its kept picture and snapshot URI go, and a taking under way keeps nothing. */
  forget(cameraId: string): void {
    this.generations.set(cameraId, (this.generations.get(cameraId) ?? 0) + 1);
    this.uris.delete(cameraId);
    this.drop(cameraId);
  }

  /** Bytes of pictures held now (the cache budget's measure). */
  get memoryBytes(): number {
    return this.keptBytes;
  }

  private audited(caller: Caller, camera: Camera, picture: Snapshot): void {
    const key = `${caller.user.id} ${camera.id}`;
    const now = this.now();
    const last = this.auditedAt.get(key);
    if (last !== undefined && now - last < snapshotAuditRepeatMs) return;
    if (this.auditedAt.size >= 10_000) {
      for (const [k, at] of this.auditedAt) if (now - at >= snapshotAuditRepeatMs) this.auditedAt.delete(k);
    }
    this.auditedAt.set(key, now);
    this.audit.record({
      actor: caller.actor,
      schoolId: camera.schoolId,
      action: "camera.snapshot",
      targetKind: "camera",
      targetId: camera.id,
      detail: { source: picture.source, takenAt: new Date(picture.takenAt).toISOString() },
    });
  }

  private shared(camera: Camera): Promise<Snapshot> {
    let taking = this.taking.get(camera.id);
    if (!taking) {
      taking = this.take(camera).finally(() => this.taking.delete(camera.id));
      this.taking.set(camera.id, taking);
    }
    return taking;
  }

  private async take(camera: Camera): Promise<Snapshot> {
    const generation = this.generations.get(camera.id) ?? 0;
    let failure: HttpError | undefined;
    const gop = camera.enabled ? this.live.gop(camera.id) : undefined;
    if (gop) {
      try {
        const jpeg = await this.decodes.run(() => this.live.decode(gop));
        return this.keep(camera.id, generation, jpeg, "live");
      } catch (e) {
        if (e instanceof BusyError) {
          failure = explainedError(503, "busy", texts.busy);
        } else {
          if (!(e instanceof FrameGrabError)) throw e;
          this.log.warn(`[cam ${camera.name}] no snapshot from the live stream: ${e.message}`);
          failure = e.reason === "timeout" ? timedOut(e.message) : failed(texts.liveFailed, e.message);
        }
      }
    }
    if (camera.enabled && camera.onvif) {
      try {
        const jpeg = await this.fromOnvif(camera);
        if (jpeg) return this.keep(camera.id, generation, jpeg, "onvif");
      } catch (e) {
        failure = this.failureOf(e);
        this.log.warn(`[cam ${camera.name}] no ONVIF snapshot: ${String(failure.extra?.detail)}`);
      }
    }
    const kept = this.kept.get(camera.id);
    if (kept) return kept;
    throw failure ?? explainedError(404, "snapshot_unavailable", texts.unavailable);
  }

  /** The camera's ONVIF snapshot, or undefined when it names no snapshot URI. */
  private async fromOnvif(camera: Camera): Promise<Buffer | undefined> {
    const onvif = camera.onvif;
    if (!onvif) return undefined;
    const creds = credentialsOf(camera);
    const binding = `${onvif.deviceServiceUrl} ${onvif.profile}`;
    let known = this.uris.get(camera.id);
    if (known?.binding !== binding) {
      const uri = await this.onvif.inspector.snapshotUri(
        onvif.deviceServiceUrl,
        creds ?? { username: "", password: "" },
        onvif.profile,
      );
      known = { binding, uri };
      this.uris.set(camera.id, known);
    }
    if (known.uri === null) return undefined;
    try {
      return await this.onvif.client.fetch(known.uri, creds);
    } catch (e) {
      // A camera may hand out a new URI after a reboot (InvalidAfterReboot): ask again next time.
      this.uris.delete(camera.id);
      throw e;
    }
  }

  private failureOf(e: unknown): HttpError {
    if (e instanceof SnapshotFetchError) {
      switch (e.reason) {
        case "timeout":
          return timedOut(e.detail);
        case "auth_failed":
          return failed(texts.authFailed, e.detail);
        case "unreachable":
          return failed(texts.unreachable, e.detail);
        case "bad_reply":
          return failed(texts.notJpeg, e.detail);
      }
    }
    if (e instanceof OnvifError)
      return e.code === "onvif_timeout" ? timedOut(e.detail) : failed(e.messages, e.detail);
    if (e instanceof AddressNotAllowedError) return failed(e.messages, e.detail);
    throw e;
  }

  private keep(cameraId: string, generation: number, jpeg: Buffer, source: Snapshot["source"]): Snapshot {
    const picture: Snapshot = { jpeg, takenAt: this.now(), source };
    if ((this.generations.get(cameraId) ?? 0) !== generation) return picture;
    this.drop(cameraId);
    if (jpeg.length > this.settings.cacheBytes) return picture;
    // Map order is insertion order: the first entry is the oldest picture.
    for (const [id] of this.kept) {
      if (this.keptBytes + jpeg.length <= this.settings.cacheBytes) break;
      this.drop(id);
    }
    this.kept.set(cameraId, picture);
    this.keptBytes += jpeg.length;
    return picture;
  }

  private drop(cameraId: string): void {
    const old = this.kept.get(cameraId);
    if (!old) return;
    this.kept.delete(cameraId);
    this.keptBytes -= old.jpeg.length;
  }
}

/** The account the camera was registered with (its ONVIF and RTSP login are one), if any. */
function credentialsOf(camera: Camera): Credentials | undefined {
  const { source } = camera;
  if (source.kind !== "rtsp" || source.username === undefined) return undefined;
  return { username: source.username, password: source.password ?? "" };
}
