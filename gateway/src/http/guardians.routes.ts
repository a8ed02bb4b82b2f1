import express, { type Request } from "express";
import { z } from "zod";
import {
  classroomLinksSchema,
  consentCreateSchema,
  guardianCreateSchema,
  guardianPatchSchema,
  linkCreateSchema,
} from "../guardians/guardian.js";
import type { GuardianService } from "../guardians/guardian.service.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { parseOr400, pathId } from "./errors.js";

const importQuery = z
  .object({
    roster: z
      .literal("replace")
      .optional()
      .describe(
        "replace: the file is the school's whole roster: also move children, update phones and e-mails, and revoke guardians it no longer names",
      ),
    digest: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "must be the digest the preview returned")
      .optional()
      .describe("with roster=replace: the preview's digest; 409 roster_changed when anything changed since"),
  })
  .strict();

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
    {
      summary: "Guardians of a school, with links and devices, and whether a link needs consent on record",
      tag: "guardians",
      auth: "admin",
    },
    (req, res) => {
      const caller = auth.caller(req);
      res.json({ guardians: service.list(caller, schoolId(req)), requireConsent: service.requiresConsent });
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
  for (const path of ["/api/schools/:id/guardians/import", "/api/schools/:id/guardians/import/preview"]) {
    api.router.post(
      path,
      (req, _res, next) => {
        const caller = auth.caller(req);
        service.managedSchool(caller, schoolId(req));
        next();
      },
      express.raw({ type: () => true, limit: csvLimitBytes }),
    );
  }
  const csvOf = (req: Request) => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
  api.post(
    "/api/schools/:id/guardians/import/preview",
    {
      summary:
        "What importing the roster CSV as the whole roster would do (added, changed, moved, missing); changes nothing",
      tag: "guardians",
      auth: "admin",
      bodyType: "text/csv",
    },
    (req, res) => {
      const caller = auth.caller(req);
      res.json(service.previewRoster(caller, schoolId(req), csvOf(req)));
    },
  );
  api.post(
    "/api/schools/:id/guardians/import",
    {
      summary:
        "Import guardians from a roster CSV (all rows or none); roster=replace applies it as the whole roster in one transaction",
      tag: "guardians",
      auth: "admin",
      bodyType: "text/csv",
      query: importQuery,
    },
    (req, res) => {
      const caller = auth.caller(req);
      const q = parseOr400(importQuery, req.query);
      const data = csvOf(req);
      res.json(
        q.roster === "replace"
          ? service.replaceRoster(caller, schoolId(req), data, q.digest)
          : service.importRoster(caller, schoolId(req), data),
      );
    },
  );

  api.post(
    "/api/guardians/:id/consent",
    {
      summary: "Record how and when the guardian consented (UU PDP 27/2022)",
      tag: "guardians",
      auth: "admin",
      body: consentCreateSchema,
      returns: { status: 201, description: "The consent" },
    },
    (req, res, body) => {
      const caller = auth.caller(req);
      res.status(201).json(service.recordConsent(caller, guardianId(req), body));
    },
  );

  api.delete(
    "/api/guardians/:id/consent",
    {
      summary: "Withdraw the guardian's consent; revokes their links and phones",
      tag: "guardians",
      auth: "admin",
    },
    (req, res) => {
      const caller = auth.caller(req);
      res.json(service.withdrawConsent(caller, guardianId(req)));
    },
  );

  api.post(
    "/api/classrooms/:id/links",
    {
      summary: "Issue a link for every guardian with a child in the classroom (the printable QR sheet)",
      tag: "guardians",
      auth: "admin",
      body: classroomLinksSchema,
      returns: { status: 201, description: "Created" },
    },
    async (req, res, body) => {
      const caller = auth.caller(req);
      const sheet = await service.issueClassroomLinks(
        caller,
        pathId(req.params.id, "classroom"),
        body.expiresInDays,
        originOf(req),
      );
      res.status(201).set("Cache-Control", "no-store").json(sheet);
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
      const link = await service.issueLink(caller, guardianId(req), body.expiresInDays, originOf(req));
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

const originOf = (req: Request) => `${req.protocol}://${req.get("host") ?? "localhost"}`;
