import type { Request } from "express";
import { managesUser } from "../access/permissions.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import type { ClassroomRepository } from "../schools/classroom.repository.js";
import type { SchoolRepository } from "../schools/school.repository.js";
import { hashPassword } from "../users/passwords.js";
import { userCreateSchema, userPatchSchema, type User } from "../users/user.js";
import type { UserRepository } from "../users/user.repository.js";
import { actorOf, type AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { publicUser } from "./auth.routes.js";
import { HttpError, forbidden, notFound } from "../common/errors.js";
import { pathId } from "./errors.js";

/** Admin accounts: an operator manages all; a school_admin the admins and teachers of their own school. */
export function userRoutes(
  users: UserRepository,
  schools: SchoolRepository,
  classrooms: ClassroomRepository,
  auth: AdminAuth,
  work: UnitOfWork,
): ApiRouter {
  const api = new ApiRouter(auth);

  const checkScope = (schoolId: string | undefined, classroomIds: readonly string[]) => {
    if (schoolId !== undefined && !schools.get(schoolId)) {
      throw new HttpError(400, "invalid_input", "schoolId: no such school", "schoolId");
    }
    classroomIds.forEach((id, i) => {
      if (classrooms.get(id)?.schoolId !== schoolId) {
        throw new HttpError(
          400,
          "invalid_input",
          `classroomIds.${String(i)}: no such classroom in this school`,
          `classroomIds.${String(i)}`,
        );
      }
    });
  };

  const target = (req: Request) => {
    const s = auth.require(req);
    const u = users.get(pathId(req.params.id, "user"));
    if (!u || !managesUser(s.user, u)) throw notFound("user");
    return { s, u };
  };

  api.get("/api/users", { summary: "Accounts you manage", tag: "users", auth: "admin" }, (req, res) => {
    const s = auth.require(req);
    if (s.user.role === "teacher") throw forbidden();
    res.json({
      users: users
        .list()
        .filter((u) => managesUser(s.user, u))
        .map(publicUser),
    });
  });

  api.post(
    "/api/users",
    {
      summary: "Add an account",
      tag: "users",
      auth: "admin",
      body: userCreateSchema,
      returns: { status: 201, description: "Created" },
    },
    async (req, res, body) => {
      const s = auth.require(req);
      if (!managesUser(s.user, { role: body.role, schoolId: body.schoolId ?? null })) throw forbidden();
      checkScope(body.schoolId, body.classroomIds);
      const hash = await hashPassword(body.password);
      const user = work.apply(
        actorOf(req, s),
        (r: User) => ({
          schoolId: r.schoolId,
          action: "user.create",
          targetKind: "user",
          targetId: r.id,
          detail: { username: r.username, role: r.role },
        }),
        () => users.create(body, hash),
      );
      res.status(201).json(publicUser(user));
    },
  );

  api.patch(
    "/api/users/:id",
    {
      summary: "Change an account (a new password or disabling ends its sessions)",
      tag: "users",
      auth: "admin",
      body: userPatchSchema,
    },
    async (req, res, body) => {
      const { s, u } = target(req);
      if (body.classroomIds && u.role !== "teacher") {
        throw new HttpError(
          400,
          "invalid_input",
          "classroomIds: only a teacher has own classrooms",
          "classroomIds",
        );
      }
      if (body.classroomIds) checkScope(u.schoolId ?? undefined, body.classroomIds);
      const hash = body.password === undefined ? undefined : await hashPassword(body.password);
      const { password: _omit, ...shown } = body;
      const updated = work.apply(
        actorOf(req, s),
        {
          schoolId: u.schoolId,
          action: "user.update",
          targetKind: "user",
          targetId: u.id,
          detail: { ...shown, passwordChanged: hash !== undefined },
        },
        () => {
          const r = users.update(u.id, body, hash);
          if (hash !== undefined || body.disabled === true) users.deleteSessionsOf(u.id);
          return r;
        },
      );
      res.json(publicUser(updated));
    },
  );

  api.delete(
    "/api/users/:id",
    {
      summary: "Remove an account",
      tag: "users",
      auth: "admin",
      returns: { status: 204, description: "Removed" },
    },
    (req, res) => {
      const { s, u } = target(req);
      if (u.id === s.user.id) throw new HttpError(409, "conflict", "you cannot remove your own account");
      work.apply(
        actorOf(req, s),
        {
          schoolId: u.schoolId,
          action: "user.delete",
          targetKind: "user",
          targetId: u.id,
          detail: { username: u.username },
        },
        () => {
          users.delete(u.id);
        },
      );
      res.status(204).end();
    },
  );
  return api;
}
