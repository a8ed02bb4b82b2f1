import express, { type Request } from "express";
import QRCode from "qrcode";
import { managesSchool } from "../access/permissions.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import { parseRoster, type CsvProblem } from "../guardians/guardian-csv.js";
import {
  guardianCreateSchema,
  guardianPatchSchema,
  linkCreateSchema,
  type Guardian,
} from "../guardians/guardian.js";
import type { GuardianRepository } from "../guardians/guardian.repository.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import { actorOf, type AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { HttpError, forbidden, notFound } from "../common/errors.js";
import { pathId } from "./errors.js";

export interface GuardianRouteOptions {
  csvLimitBytes: number;
  linkDays: number;
  /** Base URL for links; the request's own origin when unset. */
  publicUrl: string | undefined;
}

/**
 * Guardians of a school, the CSV roster import, access links (with QR) and devices. Only the school's admins
 * and operators: a teacher never sees parents' contact details.
 */
export function guardianRoutes(
  schools: SchoolRepository,
  classrooms: ClassroomRepository,
  guardians: GuardianRepository,
  auth: AdminAuth,
  work: UnitOfWork,
  o: GuardianRouteOptions,
  now: () => number = Date.now,
): ApiRouter {
  const api = new ApiRouter(auth);

  const managedSchool = (req: Request) => {
    const s = auth.require(req);
    const school = schools.get(pathId(req.params.id, "school"));
    if (!school || !managesSchool(s.user, school.id)) {
      if (school && s.user.schoolId === school.id) throw forbidden();
      throw notFound("school");
    }
    return { s, school };
  };

  const managedGuardian = (req: Request) => {
    const s = auth.require(req);
    const g = guardians.get(pathId(req.params.id, "guardian"));
    if (!g || !managesSchool(s.user, g.schoolId)) {
      if (g && s.user.schoolId === g.schoolId) throw forbidden();
      throw notFound("guardian");
    }
    return { s, g };
  };

  /** Children must sit in classrooms of the guardian's own school. */
  const checkChildren = (schoolId: string, children: readonly { classroomId: string }[]) => {
    children.forEach((c, i) => {
      if (classrooms.get(c.classroomId)?.schoolId !== schoolId) {
        throw new HttpError(
          400,
          "invalid_input",
          `children.${String(i)}.classroomId: no such classroom in this school`,
          `children.${String(i)}.classroomId`,
        );
      }
    });
  };

  const withAccess = (g: Guardian) => ({
    ...g,
    links: guardians.links(g.id),
    devices: guardians.devices(g.id),
  });

  api.get(
    "/api/schools/:id/guardians",
    { summary: "Guardians of a school, with links and devices", tag: "guardians", auth: "admin" },
    (req, res) => {
      const { school } = managedSchool(req);
      const access = guardians.accessOf(school.id);
      res.json({
        guardians: guardians.list(school.id).map((g) => ({
          ...g,
          links: access.links.get(g.id) ?? [],
          devices: access.devices.get(g.id) ?? [],
        })),
      });
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
      const { s, school } = managedSchool(req);
      checkChildren(school.id, body.children);
      const g = work.apply(
        actorOf(req, s),
        (r: Guardian) => ({
          schoolId: school.id,
          action: "guardian.create",
          targetKind: "guardian",
          targetId: r.id,
          detail: { name: r.name, children: r.children },
        }),
        () => guardians.create(school.id, body),
      );
      res.status(201).json(withAccess(g));
    },
  );

  // Who is sending, and whether they manage the school, is settled before a byte of the CSV (up to
  // csvLimitBytes) is read: a stranger's upload is answered 401 from its headers alone.
  api.router.post(
    "/api/schools/:id/guardians/import",
    (req, _res, next) => {
      managedSchool(req);
      next();
    },
    express.raw({ type: () => true, limit: o.csvLimitBytes }),
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
      const { s, school } = managedSchool(req);
      const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const parsed = parseRoster(data);
      const problems: CsvProblem[] = [...parsed.problems];
      const rooms = new Map<string, string>();
      {
        for (const row of parsed.rows) {
          const room = classrooms.findByName(school.id, row.classroom);
          if (room) rooms.set(row.classroom.toLowerCase(), room.id);
          else
            problems.push({
              line: row.line,
              field: "classroom",
              reason: `no classroom "${row.classroom}" in this school`,
            });
        }
      }
      if (problems.length > 0) {
        problems.sort((x, y) => x.line - y.line);
        throw new HttpError(
          422,
          "invalid_csv",
          `${String(problems.length)} problem(s); nothing was imported`,
          undefined,
          {
            problems: problems.slice(0, 500),
          },
        );
      }
      const result = work.apply(
        actorOf(req, s),
        (r: { created: number; updated: number; childrenAdded: number }) => ({
          schoolId: school.id,
          action: "guardian.import",
          targetKind: "school",
          targetId: school.id,
          detail: { ...r, rows: parsed.rows.length },
        }),
        () => {
          let created = 0;
          let updated = 0;
          let childrenAdded = 0;
          const seen = new Map<string, string>();
          for (const row of parsed.rows) {
            const child = {
              name: row.childName,
              classroomId: rooms.get(row.classroom.toLowerCase()) as string,
            };
            const key = `${row.guardianName.toLowerCase()}|${row.phone ?? ""}`;
            let id = seen.get(key);
            if (id === undefined) {
              const existing = guardians.findSame(school.id, row.guardianName, row.phone);
              if (existing) {
                id = existing.id;
                updated++;
              } else {
                id = guardians.create(school.id, {
                  name: row.guardianName,
                  ...(row.phone !== null && { phone: row.phone }),
                  ...(row.email !== null && { email: row.email }),
                  children: [child],
                }).id;
                created++;
                childrenAdded++;
                seen.set(key, id);
                continue;
              }
              seen.set(key, id);
            }
            childrenAdded += guardians.addChildren(id, [child]);
          }
          return { created, updated, childrenAdded };
        },
      );
      res.json(result);
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
      const { s, g } = managedGuardian(req);
      if (body.children) checkChildren(g.schoolId, body.children);
      const updated = work.apply(
        actorOf(req, s),
        {
          schoolId: g.schoolId,
          action: body.revoked === true ? "guardian.revoke" : "guardian.update",
          targetKind: "guardian",
          targetId: g.id,
          detail: { ...body },
        },
        () => guardians.update(g.id, body),
      );
      res.json(withAccess(updated));
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
      const { s, g } = managedGuardian(req);
      work.apply(
        actorOf(req, s),
        {
          schoolId: g.schoolId,
          action: "guardian.delete",
          targetKind: "guardian",
          targetId: g.id,
          detail: { name: g.name },
        },
        () => {
          guardians.delete(g.id);
        },
      );
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
      const { s, g } = managedGuardian(req);
      if (g.revokedAt !== null)
        throw new HttpError(409, "conflict", "this guardian's access is revoked; restore it first");
      const expiresAt = new Date(now() + (body.expiresInDays ?? o.linkDays) * 86_400_000);
      const { link, token } = work.apply(
        actorOf(req, s),
        (r: ReturnType<typeof guardians.createLink>) => ({
          schoolId: g.schoolId,
          action: "link.create",
          targetKind: "link",
          targetId: r.link.id,
          detail: { guardian: g.id, expiresAt: r.link.expiresAt },
        }),
        () => guardians.createLink(g.id, expiresAt, s.user.username),
      );
      const base = (o.publicUrl ?? `${req.protocol}://${req.get("host") ?? "localhost"}`).replace(/\/$/, "");
      const url = `${base}/a/${token}`;
      const qrSvg = await QRCode.toString(url, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
      res
        .status(201)
        .set("Cache-Control", "no-store")
        .json({ ...link, url, qrSvg });
    },
  );

  const linkOrDevice = (req: Request, kind: "link" | "device") => {
    const s = auth.require(req);
    const id = pathId(req.params.id, kind);
    const owner = kind === "link" ? guardians.link(id)?.guardianId : guardians.device(id)?.guardianId;
    const g = owner === undefined ? undefined : guardians.get(owner);
    if (!g || !managesSchool(s.user, g.schoolId)) throw notFound(kind);
    return { s, g, id };
  };

  api.delete(
    "/api/links/:id",
    {
      summary: "Revoke an access link and the devices registered through it",
      tag: "guardians",
      auth: "admin",
    },
    (req, res) => {
      const { s, g, id } = linkOrDevice(req, "link");
      const r = work.apply(
        actorOf(req, s),
        (x: ReturnType<typeof guardians.revokeLink>) => ({
          schoolId: g.schoolId,
          action: "link.revoke",
          targetKind: "link",
          targetId: id,
          detail: { guardian: g.id, devicesRevoked: x.devicesRevoked },
        }),
        () => guardians.revokeLink(id),
      );
      res.json(r);
    },
  );

  api.delete(
    "/api/devices/:id",
    { summary: "Revoke one device", tag: "guardians", auth: "admin" },
    (req, res) => {
      const { s, g, id } = linkOrDevice(req, "device");
      const device = work.apply(
        actorOf(req, s),
        {
          schoolId: g.schoolId,
          action: "device.revoke",
          targetKind: "device",
          targetId: id,
          detail: { guardian: g.id },
        },
        () => guardians.revokeDevice(id),
      );
      res.json(device);
    },
  );
  return api;
}
