import { NotFoundError } from "../common/errors.js";
import { newId } from "../common/ids.js";
import type { SecretBox } from "../common/secret-box.js";
import type { Db } from "../db/database.js";
import type {
  AlertChannel,
  AlertChannelConfig,
  AlertChannelKind,
  StoredAlertChannelCreate,
} from "./alert-channel.js";

interface AlertChannelRow {
  id: string;
  school_id: string | null;
  kind: AlertChannelKind;
  name: string;
  config_json: string;
  secret_enc: string | null;
  enabled: number;
  created_at: string;
}

/** Where alerts go; webhook keys and bot tokens are sealed before they reach the table. */
export class AlertChannelRepository {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(): AlertChannel[] {
    const rows = this.db
      .prepare("SELECT * FROM alert_channels ORDER BY created_at, id")
      .all() as AlertChannelRow[];
    return rows.map((r) => this.toChannel(r));
  }

  get(id: string): AlertChannel | undefined {
    const row = this.db.prepare("SELECT * FROM alert_channels WHERE id = ?").get(id) as
      AlertChannelRow | undefined;
    return row && this.toChannel(row);
  }

  /** The enabled channels a school's alerts go to: its own and those for every school. */
  forSchool(schoolId: string): AlertChannel[] {
    const rows = this.db
      .prepare(
        "SELECT * FROM alert_channels WHERE enabled = 1 AND (school_id = ? OR school_id IS NULL) ORDER BY created_at, id",
      )
      .all(schoolId) as AlertChannelRow[];
    return rows.map((r) => this.toChannel(r));
  }

  create(input: StoredAlertChannelCreate): AlertChannel {
    const id = newId("alc");
    const { kind, ...config } = input.config;
    this.db
      .prepare(
        `INSERT INTO alert_channels (id, school_id, kind, name, config_json, secret_enc, enabled, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.schoolId,
        kind,
        input.name,
        JSON.stringify(config),
        input.secret === undefined ? null : this.box.seal(input.secret),
        Number(input.enabled),
        this.now().toISOString(),
      );
    return this.get(id) as AlertChannel;
  }

  update(id: string, patch: { name?: string | undefined; enabled?: boolean | undefined }): AlertChannel {
    const current = this.get(id);
    if (!current) throw new NotFoundError(`alert channel ${id} does not exist`);
    this.db
      .prepare("UPDATE alert_channels SET name = ?, enabled = ? WHERE id = ?")
      .run(patch.name ?? current.name, Number(patch.enabled ?? current.enabled), id);
    return this.get(id) as AlertChannel;
  }

  delete(id: string): void {
    const r = this.db.prepare("DELETE FROM alert_channels WHERE id = ?").run(id);
    if (r.changes === 0) throw new NotFoundError(`alert channel ${id} does not exist`);
  }

  private toChannel(r: AlertChannelRow): AlertChannel {
    return {
      id: r.id,
      schoolId: r.school_id,
      name: r.name,
      config: { kind: r.kind, ...(JSON.parse(r.config_json) as object) } as AlertChannelConfig,
      secret: r.secret_enc === null ? undefined : this.box.open(r.secret_enc),
      enabled: r.enabled === 1,
      createdAt: r.created_at,
    };
  }
}
