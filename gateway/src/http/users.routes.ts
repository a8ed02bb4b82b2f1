import { userCreateSchema, userPatchSchema } from "../users/user.js";
import type { UserService } from "../users/user.service.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { publicUser } from "./auth.routes.js";
import { pathId } from "./errors.js";

/** Admin accounts (UserService decides who manages whom). */
export function userRoutes(service: UserService, auth: AdminAuth): ApiRouter {
  const api = new ApiRouter(auth);
  const userId = (raw: unknown) => pathId(raw, "user");

  api.get("/api/users", { summary: "Accounts you manage", tag: "users", auth: "admin" }, (req, res) => {
    res.json({ users: service.list(auth.caller(req)).map(publicUser) });
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
      const user = await service.create(auth.caller(req), body);
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
      const caller = auth.caller(req);
      res.json(publicUser(await service.update(caller, userId(req.params.id), body)));
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
      const caller = auth.caller(req);
      service.delete(caller, userId(req.params.id));
      res.status(204).end();
    },
  );
  return api;
}
