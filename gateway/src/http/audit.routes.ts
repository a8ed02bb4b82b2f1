import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import type { AuditRepository } from "../audit/audit.repository.js";
import { idSchema } from "../common/ids.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { forbidden } from "../common/errors.js";
import { parseOr400 } from "./errors.js";

const auditQuery = z
  .object({
    schoolId: idSchema.optional(),
    from: z.iso.datetime({ offset: true }).optional().describe("ISO instant, inclusive"),
    to: z.iso.datetime({ offset: true }).optional().describe("ISO instant, exclusive"),
    action: z
      .string()
      .regex(/^[a-z_.]{1,50}$/)
      .optional()
      .describe("An action or its prefix: viewing, guardian, link.revoke …"),
    format: z.enum(["json", "csv"]).default("json"),
    limit: z.coerce.number().int().min(1).max(100_000).default(1000),
  })
  .strict();

/** `GET /api/audit`: every admin change and every viewing session, by school and time, as JSON or CSV. */
export function auditRoutes(audit: AuditRepository, auth: AdminAuth): ApiRouter {
  const api = new ApiRouter(auth);
  api.get(
    "/api/audit",
    {
      summary: "The audit log (JSON, or CSV with format=csv)",
      tag: "audit",
      auth: "admin",
      query: auditQuery,
    },
    (req, res) => {
      const { user } = auth.require(req);
      if (user.role === "teacher") throw forbidden();
      const q = parseOr400(auditQuery, req.query);
      const toIso = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
      const events = audit.query({
        schoolId: q.schoolId,
        // A school_admin reads their own school's log and nothing else, whatever they ask for.
        schoolIds: user.role === "operator" ? undefined : [user.schoolId ?? ""],
        from: toIso(q.from),
        to: toIso(q.to),
        action: q.action,
        limit: q.limit,
      });
      res.set("Cache-Control", "no-store");
      if (q.format === "json") {
        res.json({ events });
        return;
      }
      const csv = stringify(
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
          columns: [
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
          ],
          // A cell starting with = + - @ is a formula to a spreadsheet: quote it as text (CSV injection).
          cast: { string: (v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v) },
        },
      );
      res
        .type("text/csv; charset=utf-8")
        .set("Content-Disposition", 'attachment; filename="pantau-audit.csv"')
        .send(csv);
    },
  );
  return api;
}
