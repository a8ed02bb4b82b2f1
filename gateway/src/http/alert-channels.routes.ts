import { alertChannelCreateSchema, alertChannelPatchSchema } from "../alerts/alert-channel.js";
import type { AlertChannelService } from "../alerts/alert-channel.service.js";
import type { AdminAuth } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { pathId } from "./errors.js";

/** `GET|POST /api/alert-channels`, `PATCH|DELETE /api/alert-channels/:id`, `POST /api/alert-channels/:id/test`. */
export function alertChannelRoutes(service: AlertChannelService, auth: AdminAuth): ApiRouter {
  const api = new ApiRouter(auth);

  api.get(
    "/api/alert-channels",
    { summary: "Alert channels you configure (never their secrets)", tag: "alerts", auth: "admin" },
    (req, res) => {
      res.json({ channels: service.list(auth.caller(req)) });
    },
  );

  api.post(
    "/api/alert-channels",
    {
      summary:
        "Add an alert channel: webhook {url, secret} (HMAC-SHA256 signed JSON), email {to}, telegram {chatId, botToken}",
      tag: "alerts",
      auth: "admin",
      body: alertChannelCreateSchema,
      returns: { status: 201, description: "Created" },
    },
    (req, res, body) => {
      res.status(201).json(service.create(auth.caller(req), body));
    },
  );

  api.patch(
    "/api/alert-channels/:id",
    {
      summary: "Rename an alert channel, or switch it off and on",
      tag: "alerts",
      auth: "admin",
      body: alertChannelPatchSchema,
    },
    (req, res, body) => {
      res.json(service.update(auth.caller(req), pathId(req.params.id, "alert channel"), body));
    },
  );

  api.delete(
    "/api/alert-channels/:id",
    {
      summary: "Remove an alert channel",
      tag: "alerts",
      auth: "admin",
      returns: { status: 204, description: "Removed" },
    },
    (req, res) => {
      service.delete(auth.caller(req), pathId(req.params.id, "alert channel"));
      res.status(204).end();
    },
  );

  api.post(
    "/api/alert-channels/:id/test",
    {
      summary:
        "Send a test message to the channel now (502 delivery_failed with the reason if it was not taken)",
      tag: "alerts",
      auth: "admin",
    },
    async (req, res) => {
      res.json(await service.test(auth.caller(req), pathId(req.params.id, "alert channel")));
    },
  );
  return api;
}
