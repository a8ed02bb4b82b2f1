import { randomBytes } from "node:crypto";
import { NotFoundError } from "../common/errors.js";
import type { Db } from "../db/database.js";
import type { SecretBox } from "../common/secret-box.js";
import type { Camera, CameraSource, EdgeSource, OnvifBinding, VideoCodec } from "./camera.js";
import {
  separateCredentials,
  type StoredCameraCreate,
  type StoredCameraPatch,
  type StoredSource,
} from "./camera.schema.js";

interface CameraRow {
  id: string;
  school_id: string | null;
  classroom_id: string | null;
  name: string;
  source_kind: "rtsp" | "test-pattern" | "rtmp" | "edge";
  source_json: string;
  username: string | null;
  password_enc: string | null;
  video_codec: VideoCodec | null;
  audio: number;
  always_on: number;
  enabled: number;
  demo: number;
  onvif_json: string | null;
  onvif_uuid: string | null;
  onvif_serial: string | null;
  onvif_hardware_id: string | null;
  publish_generation: number;
  created_at: string;
  updated_at: string;
}

/** The one place cameras are read and written; passwords are sealed before they reach the table. */
export class CameraRepository {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(): Camera[] {
    const rows = this.db.prepare("SELECT * FROM cameras ORDER BY created_at, id").all() as CameraRow[];
    return rows.map((r) => this.toCamera(r));
  }

  get(id: string): Camera | undefined {
    const row = this.db.prepare("SELECT * FROM cameras WHERE id = ?").get(id) as CameraRow | undefined;
    return row && this.toCamera(row);
  }

  /** The cameras registered through ONVIF with a known device UUID: what a re-probe looks for. */
  listByOnvifUuid(): Map<string, Camera[]> {
    const rows = this.db
      .prepare("SELECT * FROM cameras WHERE onvif_uuid IS NOT NULL ORDER BY created_at, id")
      .all() as CameraRow[];
    const out = new Map<string, Camera[]>();
    for (const r of rows) {
      const uuid = r.onvif_uuid ?? "";
      const list = out.get(uuid);
      if (list) list.push(this.toCamera(r));
      else out.set(uuid, [this.toCamera(r)]);
    }
    return out;
  }

  /** `opts.id`: a hub keeps the id its edge gave the camera, so both name it alike on the link. */
  create(
    input: Omit<StoredCameraCreate, "source"> & { source: StoredSource | EdgeSource },
    opts: { demo?: boolean; onvif?: OnvifBinding; videoCodec?: VideoCodec; id?: string } = {},
  ): Camera {
    const id = opts.id ?? "cam_" + randomBytes(8).toString("base64url");
    const at = this.now().toISOString();
    const s = this.sourceColumns(input.source);
    this.db
      .prepare(
        `INSERT INTO cameras (id, school_id, classroom_id, name, source_kind, source_json, username, password_enc,
           audio, always_on, enabled, demo, onvif_json, onvif_uuid, onvif_serial, onvif_hardware_id, video_codec,
           created_at, updated_at)
         VALUES (@id, @school_id, @classroom_id, @name, @source_kind, @source_json, @username, @password_enc,
           @audio, @always_on, @enabled, @demo, @onvif_json, @onvif_uuid, @onvif_serial, @onvif_hardware_id,
           @video_codec, @at, @at)`,
      )
      .run({
        id,
        school_id: input.schoolId,
        classroom_id: input.classroomId ?? null,
        name: input.name,
        ...s,
        audio: Number(input.audio),
        always_on: Number(input.alwaysOn),
        enabled: Number(input.enabled),
        demo: Number(opts.demo ?? false),
        ...onvifColumns(opts.onvif ?? null),
        video_codec: opts.videoCodec ?? null,
        at,
      });
    return this.get(id) as Camera;
  }

  /**
   * `onvif`: the binding that comes with a new source (null when the new source is a plain RTSP URL);
   * leave it out to keep the current one, as a change that does not touch the source does.
   */
  update(
    id: string,
    patch: StoredCameraPatch,
    opts: { onvif?: OnvifBinding | null; videoCodec?: VideoCodec } = {},
  ): Camera {
    const tx = this.db.transaction(() => {
      const current = this.get(id);
      if (!current) throw new NotFoundError(`camera ${id} does not exist`);
      const s = patch.source ? this.sourceColumns(patch.source) : undefined;
      this.db
        .prepare(
          `UPDATE cameras SET classroom_id = @classroom_id, name = @name, audio = @audio, always_on = @always_on,
             enabled = @enabled, demo = @demo, updated_at = @at
             ${s ? ", source_kind = @source_kind, source_json = @source_json, username = @username, password_enc = @password_enc, video_codec = @video_codec" : ""}
             ${s || opts.onvif !== undefined ? ", onvif_json = @onvif_json, onvif_uuid = @onvif_uuid, onvif_serial = @onvif_serial, onvif_hardware_id = @onvif_hardware_id" : ""}
           WHERE id = @id`,
        )
        .run({
          id,
          classroom_id: patch.classroomId === undefined ? current.classroomId : patch.classroomId,
          name: patch.name ?? current.name,
          audio: Number(patch.audio ?? current.audio),
          always_on: Number(patch.alwaysOn ?? current.alwaysOn),
          enabled: Number(patch.enabled ?? current.enabled),
          // A demo camera given a real source stops being the demo (isDemoCamera): it shows a classroom now.
          demo: Number(current.demo && (s === undefined || s.source_kind === "test-pattern")),
          at: this.now().toISOString(),
          ...s,
          video_codec: opts.videoCodec ?? null,
          ...onvifColumns(opts.onvif === undefined ? (s ? null : current.onvif) : opts.onvif),
        });
      return this.get(id) as Camera;
    });
    return tx();
  }

  delete(id: string): void {
    const r = this.db.prepare("DELETE FROM cameras WHERE id = ?").run(id);
    if (r.changes === 0) throw new NotFoundError(`camera ${id} does not exist`);
  }

  /** Raises a camera's publish generation (revoking its earlier publish URLs); returns the new one. */
  nextPublishGeneration(id: string): number {
    const row = this.db
      .prepare(
        "UPDATE cameras SET publish_generation = publish_generation + 1, updated_at = ? WHERE id = ? RETURNING publish_generation",
      )
      .get(this.now().toISOString(), id) as { publish_generation: number } | undefined;
    if (!row) throw new NotFoundError(`camera ${id} does not exist`);
    return row.publish_generation;
  }

  /** Every camera of kind rtmp and its publish generation: what the RTMP listener lets push. */
  publishGenerations(): Record<string, number> {
    const rows = this.db
      .prepare("SELECT id, publish_generation FROM cameras WHERE source_kind = 'rtmp'")
      .all() as Pick<CameraRow, "id" | "publish_generation">[];
    return Object.fromEntries(rows.map((r) => [r.id, r.publish_generation]));
  }

  setVideoCodec(id: string, codec: VideoCodec): void {
    this.db.prepare("UPDATE cameras SET video_codec = ? WHERE id = ?").run(codec, id);
  }

  /**
   * Moves credentials out of the stream URLs of cameras stored before `user=`/`password=` parameters were
   * recognised (cameras/url-credentials.ts); a stored username or password wins over the URL's, as on
   * create. Returns the ids of the cameras changed.
   */
  separateStoredUrlCredentials(): string[] {
    const rows = this.db
      .prepare("SELECT id, source_json, username, password_enc FROM cameras WHERE source_kind = 'rtsp'")
      .all() as Pick<CameraRow, "id" | "source_json" | "username" | "password_enc">[];
    const changed: string[] = [];
    const update = this.db.prepare(
      "UPDATE cameras SET source_json = @source_json, username = @username, password_enc = @password_enc WHERE id = @id",
    );
    for (const r of rows) {
      const j = JSON.parse(r.source_json) as { url: string; subUrl?: string };
      const main = separateCredentials(j.url);
      const sub = j.subUrl === undefined ? undefined : separateCredentials(j.subUrl);
      const username = main.username ?? sub?.username;
      const password = main.password ?? sub?.password;
      if (username === undefined && password === undefined) continue;
      update.run({
        id: r.id,
        source_json: JSON.stringify({ url: main.url, ...(sub && { subUrl: sub.url }) }),
        username: r.username ?? username ?? null,
        password_enc: r.password_enc ?? (password === undefined ? null : this.box.seal(password)),
      });
      changed.push(r.id);
    }
    return changed;
  }

  count(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM cameras").get() as { n: number }).n;
  }

  /**
   * A camera re-found at a new address (DHCP): its ONVIF URL and stream URLs move there, credentials and
   * everything else (its recorded identity too) stay. Returns the camera as it is now.
   */
  moveOnvif(id: string, onvif: OnvifBinding, url: string, subUrl: string | undefined): Camera {
    this.db
      .prepare(
        "UPDATE cameras SET onvif_json = @onvif_json, onvif_uuid = @onvif_uuid, onvif_serial = @onvif_serial, onvif_hardware_id = @onvif_hardware_id, source_json = @source_json, updated_at = @at WHERE id = @id",
      )
      .run({
        id,
        ...onvifColumns(onvif),
        source_json: JSON.stringify({ url, ...(subUrl !== undefined && { subUrl }) }),
        at: this.now().toISOString(),
      });
    const moved = this.get(id);
    if (!moved) throw new NotFoundError(`camera ${id} does not exist`);
    return moved;
  }

  private sourceColumns(source: StoredSource | EdgeSource) {
    if (source.kind === "test-pattern" || source.kind === "rtmp") {
      return { source_kind: source.kind, source_json: "{}", username: null, password_enc: null };
    }
    if (source.kind === "edge") {
      const json = JSON.stringify({ edgeId: source.edgeId, sub: source.sub });
      return { source_kind: source.kind, source_json: json, username: null, password_enc: null };
    }
    const main = separateCredentials(source.url);
    const sub = source.subUrl === undefined ? undefined : separateCredentials(source.subUrl);
    // One camera, one account: the sub URL's credentials count when the main URL carries none.
    const username = source.username ?? main.username ?? sub?.username ?? null;
    const password = source.password ?? main.password ?? sub?.password;
    return {
      source_kind: source.kind,
      source_json: JSON.stringify({ url: main.url, ...(sub && { subUrl: sub.url }) }),
      username,
      password_enc: password === undefined ? null : this.box.seal(password),
    };
  }

  private toCamera(r: CameraRow): Camera {
    let source: CameraSource;
    if (r.source_kind === "rtsp") {
      const j = JSON.parse(r.source_json) as { url: string; subUrl?: string };
      source = {
        kind: "rtsp",
        url: j.url,
        subUrl: j.subUrl,
        username: r.username ?? undefined,
        password: r.password_enc === null ? undefined : this.box.open(r.password_enc),
      };
    } else if (r.source_kind === "edge") {
      const j = JSON.parse(r.source_json) as { edgeId: string; sub: boolean };
      source = { kind: "edge", edgeId: j.edgeId, sub: j.sub };
    } else {
      source = { kind: r.source_kind };
    }
    return {
      id: r.id,
      schoolId: r.school_id,
      classroomId: r.classroom_id,
      name: r.name,
      source,
      videoCodec: r.video_codec,
      audio: r.audio === 1,
      alwaysOn: r.always_on === 1,
      enabled: r.enabled === 1,
      demo: r.demo === 1,
      publishGeneration: r.publish_generation,
      onvif:
        r.onvif_json === null
          ? null
          : {
              ...(JSON.parse(r.onvif_json) as Omit<OnvifBinding, "identity">),
              identity:
                r.onvif_serial === null
                  ? null
                  : { serialNumber: r.onvif_serial, hardwareId: r.onvif_hardware_id ?? "" },
            },
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }
}

/** The binding's JSON, its UUID (indexed, for re-probes) and its identity (in columns of their own). */
function onvifColumns(b: OnvifBinding | null) {
  if (b === null) return { onvif_json: null, onvif_uuid: null, onvif_serial: null, onvif_hardware_id: null };
  const { identity, ...rest } = b;
  return {
    onvif_json: JSON.stringify(rest),
    onvif_uuid: b.deviceUuid,
    onvif_serial: identity?.serialNumber ?? null,
    onvif_hardware_id: identity?.hardwareId ?? null,
  };
}
