import { z } from "zod";
import { auditCsv } from "../audit/audit-csv.js";
import type { AuditService } from "../audit/audit.service.js";
import { idSchema } from "../common/ids.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
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
    actor: z.string().trim().min(1).max(200).optional().describe("Who did it: an account's username or id"),
    target: idSchema.optional().describe("What it was done to: the id of a camera, classroom, guardian …"),
    before: z.coerce
      .number()
      .int()
      .min(1)
      .optional()
      .describe("Only events older than this seq: the next page is before = the last seq shown"),
    format: z.enum(["json", "csv"]).default("json"),
    limit: z.coerce.number().int().min(1).max(100_000).default(1000),
  })
  .strict();

/** `GET /api/audit`: every admin change and every viewing session, by school and time, as JSON or CSV. */
export function auditRoutes(audit: AuditService, auth: AdminAuth): ApiRouter {
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
      const by = auth.caller(req);
      const q = parseOr400(auditQuery, req.query);
      const events = audit.query(by, q);
      res.set("Cache-Control", "no-store");
      if (q.format === "json") {
        res.json({ events });
        return;
      }
      res
        .type("text/csv; charset=utf-8")
        .set("Content-Disposition", 'attachment; filename="pantau-audit.csv"')
        .send(auditCsv(events));
    },
  );
  return api;
}
