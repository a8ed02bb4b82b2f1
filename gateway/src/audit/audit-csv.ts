import { stringify } from "csv-stringify/sync";
import type { AuditEvent } from "./audit.repository.js";

const columns = [
  "seq",
  "at",
  "school_id",
  "actor_kind",
  "actor_id",
  "actor_name",
  "ip",
  "action",
  "target_kind",
  "target_id",
  "detail",
];

/** The audit log as CSV for a spreadsheet, one event per row, newest first as queried. */
export function auditCsv(events: readonly AuditEvent[]): string {
  return stringify(
    events.map((e) => [
      e.seq,
      e.at,
      e.schoolId ?? "",
      e.actor.kind,
      e.actor.id ?? "",
      e.actor.name,
      e.actor.ip ?? "",
      e.action,
      e.target.kind ?? "",
      e.target.id ?? "",
      JSON.stringify(e.detail),
    ]),
    {
      header: true,
      columns,
      // A cell starting with = + - @ is a formula to a spreadsheet: quote it as text (CSV injection).
      cast: { string: (v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v) },
    },
  );
}
