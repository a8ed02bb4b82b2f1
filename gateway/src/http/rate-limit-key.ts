import type { Request } from "express";
import type { GuardianRepository } from "../guardians/guardian.repository.js";
import { cookieOf, deviceCookie, type AdminAuth } from "./admin-auth.js";

/**
 * The phone or admin sign-in the API rate limit counts a request against, or undefined to count it against
 * the client address. Only a cookie that is a live device or session counts: a made-up cookie-shaped value
 * would otherwise be a fresh share of the limit on every request. One indexed lookup by the cookie's hash
 * (what the route itself does next); the admin sign-in is read once per request and reused by the route.
 */
export function liveBearerKey(
  auth: AdminAuth,
  guardians: GuardianRepository,
): (req: Request) => string | undefined {
  return (req) => {
    const token = cookieOf(req, deviceCookie);
    const device = token === undefined ? undefined : guardians.deviceByToken(token);
    if (device && device.revokedAt === null) return `device:${device.id}`;
    const signedIn = auth.current(req);
    return signedIn === undefined ? undefined : `session:${signedIn.sessionId}`;
  };
}
