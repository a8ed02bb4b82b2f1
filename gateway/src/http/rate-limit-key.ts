import type { Request } from "express";
import type { GuardianRepository } from "../guardians/guardian.repository.js";
import { deviceOf, type AdminAuth } from "./admin-auth.js";

/**
 * The phone or admin sign-in the API rate limit counts a request against, or undefined to count it against
 * the client address. Only a cookie that is a live device or session counts: a made-up cookie-shaped value
 * would otherwise be a fresh share of the limit on every request. The device and the admin sign-in are
 * each read once per request and reused by the route.
 */
export function liveBearerKey(
  auth: AdminAuth,
  guardians: GuardianRepository,
): (req: Request) => string | undefined {
  return (req) => {
    const device = deviceOf(req, guardians);
    if (device && device.revokedAt === null) return `device:${device.id}`;
    const signedIn = auth.current(req);
    return signedIn === undefined ? undefined : `session:${signedIn.sessionId}`;
  };
}
