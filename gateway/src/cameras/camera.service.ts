import type { Caller } from "../access/caller.js";
import { managesSchool, seesCamera } from "../access/permissions.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import { explainedError, forbidden, HttpError, notFound } from "../common/errors.js";
import type { Explanation } from "../common/explanation.js";
import { publishUrl, type PublishUrl } from "../ingest/rtmp-publish-sign.js";
import type { NetworkGuard } from "../net/network-guard.js";
import { explain } from "../onvif/onvif-error.js";
import type { OnvifInspector } from "../onvif/onvif-inspector.js";
import { resolveOnvifSource } from "../onvif/onvif-onboarding.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import type { User } from "../users/user.js";
import { publicCamera, shownSource, type Camera } from "./camera.js";
import { checkCameraClassroom } from "./camera-classroom.js";
import type { CameraRepository } from "./camera.repository.js";
import type { CameraCreate, CameraPatch } from "./camera.schema.js";
import { addressHttpError, onvifHttpError } from "./source-errors.js";
import type { StreamTestInput, StreamTester, StreamTestResult } from "./stream-tester.js";

/** A camera as the API shows it to its caller: never a password, and to a teacher not even its source. */
export type CameraView = Record<string, unknown>;

/** Whether a device found on the network is registered already, and as which of the caller's cameras. */
export interface Registration {
  registered: boolean;
  cameras: { id: string; name: string; schoolId: string | null }[];
}

/** A stored camera's streams tested with its stored credentials. */
export interface StoredStreamTest {
  main: StreamTestResult;
  sub?: StreamTestResult;
}

/** A hub's camera of a school edge: its source, credentials and stream live at the edge (README "Fleet"). */
const atEdge: Explanation = {
  id: "Sumber dan kata sandi kamera ini disimpan di gateway sekolah (edge), bukan di hub. Uji atau ubah sumbernya di gateway sekolah, atau daftarkan ulang kamera dari halaman Edge.",
  en: "This camera's source and password are kept at the school's edge gateway, not at the hub. Test or change its source at the school's gateway, or register it again from the Edges page.",
};

const testPattern: Explanation = {
  id: "Kamera ini adalah pola uji bawaan Pantau, bukan kamera RTSP; tidak ada aliran yang perlu diuji.",
  en: "This camera is Pantau's built-in test pattern, not an RTSP camera; there is no stream to test.",
};

const pushedCamera: Explanation = {
  id: "Kamera ini mengirim (push) ke Pantau lewat RTMP; tidak ada alamat yang bisa diuji dari sini. Lihat status kamera: daring saat NVR sedang mengirim.",
  en: "This camera pushes to Pantau over RTMP; there is no address to test from here. Its state shows online while the NVR is pushing.",
};

const rtmpOff: Explanation = {
  id: "Penerimaan RTMP mati di gateway ini. Operator menyalakannya dengan pengaturan rtmp.enabled (PANTAU_RTMP_ENABLED=1).",
  en: "RTMP push is off on this gateway. An operator turns it on with the setting rtmp.enabled (PANTAU_RTMP_ENABLED=1).",
};

const notPushed: Explanation = {
  id: "Hanya kamera jenis rtmp yang punya URL publish; kamera ini ditarik Pantau sendiri.",
  en: "Only cameras of kind rtmp have a publish URL; Pantau pulls this camera's stream itself.",
};

/** The gateway's RTMP listener as publish URLs need it; absent when rtmp.enabled is off. */
export interface RtmpPublishing {
  key: Buffer;
  /** rtmp.publicHost, else http.publicUrl's host; undefined: the host the admin reached the API at. */
  host: string | undefined;
  /** The listener's port (the bound one). */
  port: () => number | undefined;
  urlDays: number;
  now: () => number;
}

/**
 * How long a test before adding a camera reads its stream to count frames and bits: two GOPs of a usual
 * camera, enough for a steady rate, short enough to wait for in the wizard.
 */
const testMeasureSeconds = 2;

/** What the audit log keeps of a camera change: never a credential. */
function auditedCamera(c: Camera): Record<string, unknown> {
  const { username: _username, ...source } = shownSource(c);
  return {
    name: c.name,
    classroomId: c.classroomId,
    source,
    enabled: c.enabled,
    alwaysOn: c.alwaysOn,
    audio: c.audio,
  };
}

/** A teacher sees which cameras their classrooms have, not where the cameras' streams come from. */
function shownTo(user: User, c: Camera): CameraView {
  const p = publicCamera(c);
  if (user.role !== "teacher") return p;
  const { source: _source, ...rest } = p;
  return rest;
}

/**
 * Cameras as admins register, change, test and remove them: who may, which classroom, what source is
 * stored (an ONVIF source resolved to its streams and tested first, an RTSP address checked against the
 * allowed networks, one registration per device), and the audit record of each change. Running streams
 * follow through the unit of work's listeners.
 */
export class CameraService {
  constructor(
    private readonly cameras: CameraRepository,
    private readonly schools: SchoolRepository,
    private readonly classrooms: ClassroomRepository,
    private readonly work: UnitOfWork,
    private readonly inspector: OnvifInspector,
    private readonly tester: StreamTester,
    private readonly network: NetworkGuard,
    private readonly rtmp?: RtmpPublishing,
  ) {}

  list(caller: Caller): CameraView[] {
    return this.cameras
      .list()
      .filter((c) => seesCamera(caller.user, c))
      .map((c) => shownTo(caller.user, c));
  }

  get(caller: Caller, id: string): CameraView {
    return shownTo(caller.user, this.visible(caller, id));
  }

  async create(caller: Caller, input: CameraCreate): Promise<CameraView> {
    // Permission first, as for POST /api/users: refused the same way whether or not the school exists.
    if (!managesSchool(caller.user, input.schoolId))
      throw forbidden("you may add cameras only to your own school");
    if (!this.schools.get(input.schoolId)) {
      throw new HttpError(400, "invalid_input", "schoolId: no such school", "schoolId");
    }
    checkCameraClassroom(this.classrooms, input.schoolId, input.classroomId);
    const stored = await this.storedSource(input.source, caller.user);
    const camera = this.work.apply(
      caller.actor,
      (c: Camera) => ({
        schoolId: c.schoolId,
        action: "camera.create",
        targetKind: "camera",
        targetId: c.id,
        detail: auditedCamera(c),
      }),
      () =>
        this.cameras.create(
          { ...input, source: stored.source },
          {
            ...(stored.onvif && { onvif: stored.onvif }),
            ...(stored.videoCodec && { videoCodec: stored.videoCodec }),
          },
        ),
    );
    return publicCamera(camera);
  }

  async update(caller: Caller, id: string, patch: CameraPatch): Promise<CameraView> {
    const camera = this.visible(caller, id);
    if (!managesSchool(caller.user, camera.schoolId)) throw forbidden();
    checkCameraClassroom(this.classrooms, camera.schoolId, patch.classroomId);
    // A source given here would put the camera's credentials at the hub, where they must never be.
    if (patch.source && camera.source.kind === "edge") throw explainedError(422, "source_at_edge", atEdge);
    const stored = patch.source && (await this.storedSource(patch.source, caller.user, camera.id));
    const updated = this.work.apply(
      caller.actor,
      (c: Camera) => ({
        schoolId: c.schoolId,
        action: "camera.update",
        targetKind: "camera",
        targetId: c.id,
        detail: auditedCamera(c),
      }),
      () => {
        // A pushed camera made pulled drops its publish URLs for good: were it pushed again later, the URLs
        // of before (an old NVR's, a leaked one) must not come back to life.
        if (camera.source.kind === "rtmp" && stored !== undefined && stored.source.kind !== "rtmp")
          this.cameras.nextPublishGeneration(camera.id);
        return this.cameras.update(
          camera.id,
          { ...patch, source: stored?.source },
          stored ? { onvif: stored.onvif, ...(stored.videoCodec && { videoCodec: stored.videoCodec }) } : {},
        );
      },
    );
    return publicCamera(updated);
  }

  /**
   * The signed URL an NVR pushes this camera's stream to, of its current publish generation (school admins
   * and operators; audited, as it is a credential; changes nothing else). `requestHost` is where the admin
   * reached the API, used when no public host is configured.
   */
  publishUrl(caller: Caller, id: string, requestHost: string): PublishUrl {
    const { camera, sign } = this.publishing(caller, id, requestHost);
    const url = sign(camera.publishGeneration);
    this.work.apply(
      caller.actor,
      {
        schoolId: camera.schoolId,
        action: "camera.publish_url",
        targetKind: "camera",
        targetId: camera.id,
        detail: { name: camera.name, expiresAt: url.expiresAt },
      },
      () => undefined,
    );
    return url;
  }

  /**
   * A new publish URL for this camera, revoking every earlier one (a leaked URL, a stolen NVR): the
   * generation is raised and audited in one transaction, and the RTMP listener, told by the unit of work's
   * listener, refuses the old URLs and cuts a push live on one at once.
   */
  rotatePublishUrl(caller: Caller, id: string, requestHost: string): PublishUrl {
    const { camera, sign } = this.publishing(caller, id, requestHost);
    let generation = camera.publishGeneration;
    return this.work.apply(
      caller.actor,
      (url: PublishUrl) => ({
        schoolId: camera.schoolId,
        action: "camera.publish_url_rotated",
        targetKind: "camera",
        targetId: camera.id,
        detail: { name: camera.name, generation, expiresAt: url.expiresAt },
      }),
      () => {
        generation = this.cameras.nextPublishGeneration(camera.id);
        return sign(generation);
      },
    );
  }

  /** A pushed camera the caller manages, and how to sign its URL for a generation (from now on). */
  private publishing(caller: Caller, id: string, requestHost: string) {
    const camera = this.visible(caller, id);
    if (!managesSchool(caller.user, camera.schoolId)) throw forbidden();
    if (camera.source.kind !== "rtmp") throw explainedError(422, "not_rtmp", notPushed);
    const rtmp = this.rtmp;
    const port = rtmp?.port();
    if (!rtmp || port === undefined) throw explainedError(409, "rtmp_disabled", rtmpOff);
    const expiresSec = Math.floor(rtmp.now() / 1000) + rtmp.urlDays * 86_400;
    const sign = (generation: number) =>
      publishUrl(rtmp.key, { host: rtmp.host ?? requestHost, port }, camera.id, expiresSec, generation);
    return { camera, sign };
  }

  /** Resolves once the camera's streams have stopped. */
  async delete(caller: Caller, id: string): Promise<void> {
    const camera = this.visible(caller, id);
    if (!managesSchool(caller.user, camera.schoolId)) throw forbidden();
    await this.work.applySettled(
      caller.actor,
      {
        schoolId: camera.schoolId,
        action: "camera.delete",
        targetKind: "camera",
        targetId: camera.id,
        detail: { name: camera.name },
      },
      () => {
        this.cameras.delete(camera.id);
      },
    );
  }

  /**
   * A stream tested before its camera is added, its frame rate and bitrate measured; `schoolId` is the school
   * it is for (default: the caller's).
   */
  async testStream(
    caller: Caller,
    input: StreamTestInput & { schoolId?: string | undefined },
  ): Promise<StreamTestResult> {
    const { user } = caller;
    // A school_admin tests for their own school, named or not; teachers add no cameras.
    if (!managesSchool(user, input.schoolId ?? user.schoolId)) {
      throw forbidden("you may test cameras only for your own school");
    }
    if (input.schoolId !== undefined && !this.schools.get(input.schoolId)) {
      throw new HttpError(400, "invalid_input", "schoolId: no such school", "schoolId");
    }
    return this.tester.test(
      { url: input.url, username: input.username, password: input.password },
      { measureSeconds: testMeasureSeconds },
    );
  }

  /** A stored camera's main (and sub) stream tested with its stored credentials. */
  async testStored(caller: Caller, id: string): Promise<StoredStreamTest> {
    const camera = this.visible(caller, id);
    if (!managesSchool(caller.user, camera.schoolId)) throw forbidden();
    const { source } = camera;
    if (source.kind === "rtmp") throw explainedError(422, "not_rtsp", pushedCamera);
    if (source.kind === "edge") throw explainedError(422, "source_at_edge", atEdge);
    if (source.kind !== "rtsp") throw explainedError(422, "not_rtsp", testPattern);
    const credentials = { username: source.username, password: source.password };
    const [main, sub] = await Promise.all([
      this.tester.test({ url: source.url, ...credentials }),
      source.subUrl === undefined ? undefined : this.tester.test({ url: source.subUrl, ...credentials }),
    ]);
    return { main, ...(sub !== undefined && { sub }) };
  }

  /**
   * For each device UUID (of a scan or an inspection), whether it is registered; another school's camera is
   * only "registered", never named (a school sees only its own).
   */
  registrations(caller: Caller, uuids: readonly (string | null)[]): Registration[] {
    const byUuid = this.cameras.listByOnvifUuid();
    return uuids.map((uuid) => {
      const known = uuid === null ? [] : (byUuid.get(uuid) ?? []);
      return {
        registered: known.length > 0,
        cameras: known
          .filter((c) => managesSchool(caller.user, c.schoolId))
          .map((c) => ({ id: c.id, name: c.name, schoolId: c.schoolId })),
      };
    });
  }

  /** A camera the caller may see; any other (another school's, or none) is "no such camera". */
  private visible(caller: Caller, id: string): Camera {
    const camera = this.cameras.get(id);
    if (!camera || !seesCamera(caller.user, camera)) throw notFound("camera");
    return camera;
  }

  /**
   * The source to store: an ONVIF source is asked of the camera first (profiles → RTSP URIs, device UUID);
   * the same camera cannot be registered twice.
   */
  private async storedSource(source: CameraCreate["source"], user: User, self?: string) {
    if (source.kind === "rtmp" && !this.rtmp) throw explainedError(409, "rtmp_disabled", rtmpOff);
    if (source.kind === "rtsp") {
      // Refused now, with the field named, rather than at every ffmpeg start (which checks again: a name
      // may resolve elsewhere later).
      for (const [url, field] of [
        [source.url, "source.url"],
        [source.subUrl, "source.subUrl"],
      ] as const) {
        if (url === undefined) continue;
        try {
          await this.network.resolve(new URL(url).hostname);
        } catch (e) {
          throw addressHttpError(e, field);
        }
      }
    }
    if (source.kind !== "onvif") return { source, onvif: null, videoCodec: undefined };
    let resolved;
    try {
      resolved = await resolveOnvifSource(this.inspector, source);
    } catch (e) {
      throw onvifHttpError(e, "source.host");
    }
    // ONVIF named the stream; make sure it opens before it is registered (and learn its real codec: some
    // cameras report H.264 over ONVIF while sending H.265).
    const tested = await this.tester.test(resolved.source);
    if (!tested.ok) {
      if (tested.code === "busy") throw explainedError(503, "busy", tested.messages);
      throw explainedError(
        502,
        "stream_unreachable",
        {
          id: `${explain("stream_unreachable").id} ${tested.messages.id}`,
          en: `${explain("stream_unreachable").en} ${tested.messages.en}`,
        },
        { reason: tested.code, ...(tested.detail !== undefined && { detail: tested.detail }) },
      );
    }
    resolved.videoCodec = tested.video.codec;
    const uuid = resolved.onvif.deviceUuid;
    const twin =
      uuid === null
        ? undefined
        : this.cameras
            .listByOnvifUuid()
            .get(uuid)
            ?.find((c) => c.id !== self);
    if (twin) {
      const where = managesSchool(user, twin.schoolId) ? `as "${twin.name}"` : "in another school";
      throw new HttpError(
        409,
        "conflict",
        `this camera (${uuid}) is already registered ${where}`,
        "source.host",
      );
    }
    return resolved;
  }
}
