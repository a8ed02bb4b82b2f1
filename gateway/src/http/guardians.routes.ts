import express, { type Request } from "express";
import { guardianCreateSchema, guardianPatchSchema, linkCreateSchema } from "../guardians/guardian.js";
import type { GuardianService } from "../guardians/guardian.service.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { pathId } from "./errors.js";

/**
 * Guardians of a school, the CSV roster import, access links (with QR) and devices (GuardianService decides
 * who may). `csvLimitBytes` bounds the roster upload.
 */
export function guardianRoutes(service: GuardianService, auth: AdminAuth, csvLimitBytes: number): ApiRouter {
  const api = new ApiRouter(auth);
  const schoolId = (req: Request) => pathId(req.params.id, "school");
  const guardianId = (req: Request) => pathId(req.params.id, "guardian");

  api.get(
    "/api/schools/:id/guardians",
    { summary: "Guardians of a school, with links and devices", tag: "guardians", auth: "admin" },
    (req, res) => {
      const caller = auth.caller(req);
      res.json({ guardians: service.list(caller, schoolId(req)) });
    },
  );

  api.post(
    "/api/schools/:id/guardians",
    {
      summary: "Add a guardian with their children",
      tag: "guardians",
      auth: "admin",
      body: guardianCreateSchema,
      returns: { status: 201, description: "Created" },
    },
    (req, res, body) => {
      const caller = auth.caller(req);
      res.status(201).json(service.create(caller, schoolId(req), body));
    },
  );

  // Who is sending, and whether they manage the school, is settled before a byte of the CSV (up to
  // csvLimitBytes) is read: a stranger's upload is answered 401 from its headers alone.
  api.router.post(
    "/api/schools/:id/guardians/import",
    (req, _res, next) => {
      const caller = auth.caller(req);
      service.managedSchool(caller, schoolId(req));
      next();
    },
    express.raw({ type: () => true, limit: csvLimitBytes }),
  );
  api.post(
    "/api/schools/:id/guardians/import",
    {
      summary: "Import guardians from a roster CSV (all rows or none)",
      tag: "guardians",
      auth: "admin",
      bodyType: "text/csv",
    },
    (req, res) => {
      const caller = auth.caller(req);
      const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      res.json(service.importRoster(caller, schoolId(req), data));
    },
  );

  api.patch(
    "/api/guardians/:id",
    {
      summary: "Change a guardian; revoked: true cuts all their devices",
      tag: "guardians",
      auth: "admin",
      body: guardianPatchSchema,
    },
    (req, res, body) => {
      const caller = auth.caller(req);
      res.json(service.update(caller, guardianId(req), body));
    },
  );

  api.delete(
    "/api/guardians/:id",
    {
      summary: "Remove a guardian, their links and devices",
      tag: "guardians",
      auth: "admin",
      returns: { status: 204, description: "Removed" },
    },
    (req, res) => {
      const caller = auth.caller(req);
      service.delete(caller, guardianId(req));
      res.status(204).end();
    },
  );

  api.post(
    "/api/guardians/:id/links",
    {
      summary: "Issue an access link (URL, QR SVG, expiry); the URL is shown only now",
      tag: "guardians",
      auth: "admin",
      body: linkCreateSchema,
      returns: { status: 201, description: "Created" },
    },
    async (req, res, body) => {
      const caller = auth.caller(req);
      const origin = `${req.protocol}://${req.get("host") ?? "localhost"}`;
      const link = await service.issueLink(caller, guardianId(req), body.expiresInDays, origin);
      res.status(201).set("Cache-Control", "no-store").json(link);
    },
  );

  api.delete(
    "/api/links/:id",
    {
      summary: "Revoke an access link and the devices registered through it",
      tag: "guardians",
      auth: "admin",
    },
    (req, res) => {
      const caller = auth.caller(req);
      res.json(service.revokeLink(caller, pathId(req.params.id, "link")));
    },
  );

  api.delete(
    "/api/devices/:id",
    { summary: "Revoke one device", tag: "guardians", auth: "admin" },
    (req, res) => {
      const caller = auth.caller(req);
      res.json(service.revokeDevice(caller, pathId(req.params.id, "device")));
    },
  );
  return api;
}
