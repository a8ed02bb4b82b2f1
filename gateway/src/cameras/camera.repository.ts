import { randomBytes } from "node:crypto";
import { NotFoundError } from "../common/ids.js";
import type { Db } from "../db/database.js";
import type { SecretBox } from "../access/secret-box.js";
import type { Camera, CameraSource, VideoCodec } from "./camera.js";
import { separateCredentials, type CameraCreate, type CameraPatch } from "./camera.schema.js";

interface CameraRow {
  id: string;
  school_id: string | null;
  classroom_id: string | null;
  name: string;
  source_kind: "rtsp" | "test-pattern";
  source_json: string;
  username: string | null;
  password_enc: string | null;
  video_codec: VideoCodec | null;
  audio: number;
  always_on: number;
  enabled: number;
  demo: number;
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

  create(input: CameraCreate, opts: { demo?: boolean } = {}): Camera {
    const id = "cam_" + randomBytes(8).toString("base64url");
    const at = this.now().toISOString();
    const s = this.sourceColumns(input.source);
    this.db
      .prepare(
        `INSERT INTO cameras (id, school_id, classroom_id, name, source_kind, source_json, username, password_enc,
           audio, always_on, enabled, demo, created_at, updated_at)
         VALUES (@id, @school_id, @classroom_id, @name, @source_kind, @source_json, @username, @password_enc,
           @audio, @always_on, @enabled, @demo, @at, @at)`,
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
        at,
      });
    return this.get(id) as Camera;
  }

  update(id: string, patch: CameraPatch): Camera {
    const tx = this.db.transaction(() => {
      const current = this.get(id);
      if (!current) throw new NotFoundError(`camera ${id} does not exist`);
      const s = patch.source ? this.sourceColumns(patch.source) : undefined;
      this.db
        .prepare(
          `UPDATE cameras SET classroom_id = @classroom_id, name = @name, audio = @audio, always_on = @always_on,
             enabled = @enabled, updated_at = @at
             ${s ? ", source_kind = @source_kind, source_json = @source_json, username = @username, password_enc = @password_enc, video_codec = NULL" : ""}
           WHERE id = @id`,
        )
        .run({
          id,
          classroom_id: patch.classroomId === undefined ? current.classroomId : patch.classroomId,
          name: patch.name ?? current.name,
          audio: Number(patch.audio ?? current.audio),
          always_on: Number(patch.alwaysOn ?? current.alwaysOn),
          enabled: Number(patch.enabled ?? current.enabled),
          at: this.now().toISOString(),
          ...s,
        });
      return this.get(id) as Camera;
    });
    return tx();
  }

  delete(id: string): void {
    const r = this.db.prepare("DELETE FROM cameras WHERE id = ?").run(id);
    if (r.changes === 0) throw new NotFoundError(`camera ${id} does not exist`);
  }

  setVideoCodec(id: string, codec: VideoCodec): void {
    this.db.prepare("UPDATE cameras SET video_codec = ? WHERE id = ?").run(codec, id);
  }

  count(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM cameras").get() as { n: number }).n;
  }

  private sourceColumns(source: CameraCreate["source"]) {
    if (source.kind === "test-pattern") {
      return { source_kind: source.kind, source_json: "{}", username: null, password_enc: null };
    }
    const main = separateCredentials(source.url);
    const sub = source.subUrl === undefined ? undefined : separateCredentials(source.subUrl);
    const username = source.username ?? main.username ?? null;
    const password = source.password ?? main.password;
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
    } else {
      source = { kind: "test-pattern" };
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
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }
}
