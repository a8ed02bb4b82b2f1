import { z } from "zod";
import { idSchema } from "../common/ids.js";
import { uptimeReportHtml } from "../health/uptime-report.js";
import { uptimeCsv, type UptimeService } from "../health/uptime.service.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { parseOr400 } from "./errors.js";

const uptimeQuery = z
  .object({
    month: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "month must be YYYY-MM, e.g. 2026-11")
      .describe("The month, in each school's time zone"),
    schoolId: idSchema.optional(),
    format: z.enum(["json", "csv"]).default("json"),
  })
  .strict();

const reportQuery = uptimeQuery.omit({ format: true });

/**
 * `GET /api/uptime`: uptime per camera and school, per day and for the month, as JSON or CSV;
 * `GET /api/reports/uptime`: the same month as a printable page (ID/EN) to print or send.
 */
export function uptimeRoutes(uptime: UptimeService, auth: AdminAuth, now: () => number): ApiRouter {
  const api = new ApiRouter(auth);
  api.get(
    "/api/uptime",
    {
      summary: "Camera uptime for a month: around the clock and within viewing windows (JSON, or CSV)",
      tag: "health",
      auth: "admin",
      query: uptimeQuery,
    },
    (req, res) => {
      const caller = auth.caller(req);
      const q = parseOr400(uptimeQuery, req.query);
      const report = uptime.report(caller, q);
      res.set("Cache-Control", "no-store");
      if (q.format === "json") {
        res.json(report);
        return;
      }
      res
        .type("text/csv; charset=utf-8")
        .set("Content-Disposition", `attachment; filename="pantau-uptime-${q.month}.csv"`)
        .send(uptimeCsv(report));
    },
  );
  api.get(
    "/api/reports/uptime",
    {
      summary: "The monthly uptime report as a printable page, in Bahasa Indonesia and English",
      tag: "health",
      auth: "admin",
      query: reportQuery,
    },
    (req, res) => {
      const caller = auth.caller(req);
      const q = parseOr400(reportQuery, req.query);
      const report = uptime.report(caller, q);
      res
        .set("Cache-Control", "no-store")
        .type("text/html; charset=utf-8")
        .send(uptimeReportHtml(report, now()));
    },
  );
  return api;
}
