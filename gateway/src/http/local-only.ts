import type { RequestHandler } from "express";
import { HttpError } from "./errors.js";

const loopback = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/**
 * Until admin accounts and sessions exist (the registry and access issue), changing cameras is allowed only
 * from the gateway machine itself, so nobody on the school network can point ffmpeg anywhere.
 */
export const localOnly: RequestHandler = (req, _res, next) => {
  if (loopback.has(req.socket.remoteAddress ?? "")) {
    next();
    return;
  }
  next(
    new HttpError(
      403,
      "admin_local_only",
      "camera administration is only allowed from the gateway machine until sign-in is set up",
    ),
  );
};
