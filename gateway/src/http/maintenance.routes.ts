import { maintenanceQuery, maintenanceWindowCreateSchema, muteSchema } from "../alerts/maintenance.js";
import type { MaintenanceService } from "../alerts/maintenance.service.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { parseOr400, pathId } from "./errors.js";

/**
 * Maintenance windows (one-off and weekly, for a camera, a school or every school) and camera mutes: alerts
 * held back, time left out of uptime. MaintenanceService decides who may.
 */
export function maintenanceRoutes(service: MaintenanceService, auth: AdminAuth): ApiRouter {
  const api = new ApiRouter(auth);
  const cameraId = (raw: unknown) => pathId(raw, "camera");

  api.get(
    "/api/maintenance-windows",
    {
      summary: "Maintenance windows standing now (schoolId: those that apply to that school)",
      tag: "alerts",
      auth: "admin",
      query: maintenanceQuery,
    },
    (req, res) => {
      const caller = auth.caller(req);
      const windows = service.listWindows(caller, parseOr400(maintenanceQuery, req.query));
      res.set("Cache-Control", "no-store");
      res.json({ windows });
    },
  );

  api.post(
    "/api/maintenance-windows",
    {
      summary: "Add a maintenance window: once (startsAt–endsAt) or weekly (weekdays, start–end, local time)",
      tag: "alerts",
      auth: "admin",
      body: maintenanceWindowCreateSchema,
      returns: { status: 201, description: "Created" },
    },
    (req, res, body) => {
      res.status(201).json(service.createWindow(auth.caller(req), body));
    },
  );

  api.delete(
    "/api/maintenance-windows/:id",
    {
      summary: "End a maintenance window now (the time it stood stays left out of uptime)",
      tag: "alerts",
      auth: "admin",
      returns: { status: 204, description: "Ended" },
    },
    (req, res) => {
      const caller = auth.caller(req);
      service.deleteWindow(caller, pathId(req.params.id, "maintenance window"));
      res.status(204).end();
    },
  );

  api.get(
    "/api/camera-mutes",
    { summary: "Cameras muted now", tag: "alerts", auth: "admin", query: maintenanceQuery },
    (req, res) => {
      const caller = auth.caller(req);
      const mutes = service.listMutes(caller, parseOr400(maintenanceQuery, req.query));
      res.set("Cache-Control", "no-store");
      res.json({ mutes });
    },
  );

  api.post(
    "/api/cameras/:id/mute",
    {
      summary: "Mute a camera's alerts until a time, or until unmuted (replaces a mute it has)",
      tag: "alerts",
      auth: "admin",
      body: muteSchema,
      returns: { status: 201, description: "Muted" },
    },
    (req, res, body) => {
      const caller = auth.caller(req);
      res.status(201).json(service.mute(caller, cameraId(req.params.id), body));
    },
  );

  api.delete(
    "/api/cameras/:id/mute",
    {
      summary: "Unmute a camera",
      tag: "alerts",
      auth: "admin",
      returns: { status: 204, description: "Unmuted" },
    },
    (req, res) => {
      const caller = auth.caller(req);
      service.unmute(caller, cameraId(req.params.id));
      res.status(204).end();
    },
  );

  return api;
}
