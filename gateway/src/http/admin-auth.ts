import type { IncomingMessage } from "node:http";
import type { Request, Response } from "express";
import { parse as parseCookies, serialize } from "cookie";
import type { Caller } from "../access/caller.js";
import type { Actor } from "../audit/audit.repository.js";
import type { Device } from "../guardians/guardian.js";
import type { User } from "../users/user.js";
import type { UserRepository } from "../users/user.repository.js";
import { HttpError } from "../common/errors.js";

export const sessionCookie = "pantau_session";
export const deviceCookie = "pantau_device";

export interface SignedIn {
  user: User;
  sessionId: string;
}

export function cookieOf(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined || header.length > 8192) return undefined;
  const value = parseCookies(header)[name];
  return value !== undefined && /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
}

const devicesSeen = new WeakMap<Request, Device | null>();

/** Whatever finds a device by its cookie's token (the guardian repository, or the guardian service). */
export interface DeviceLookup {
  deviceByToken(token: string): Device | undefined;
}

/**
 * The device behind the request's device cookie (a revoked one too), looked up once per request: the API rate
 * limit and the route both ask.
 */
export function deviceOf(req: Request, guardians: DeviceLookup): Device | undefined {
  let d = devicesSeen.get(req);
  if (d === undefined) {
    const token = cookieOf(req, deviceCookie);
    d = (token === undefined ? undefined : guardians.deviceByToken(token)) ?? null;
    devicesSeen.set(req, d);
  }
  return d ?? undefined;
}

/**
 * SameSite per cookie. The admin session is Strict: no other site's page can make the browser send it (the
 * CSRF defence, with JSON-only bodies and the Origin check). The device cookie is Lax: a parent re-opens the
 * link from WhatsApp, a cross-site navigation, and a Strict cookie would be missing there, so the same phone
 * would register as a new device each time and soon hit the device cap. Lax cookies ride only on top-level
 * GET navigations, and every guardian action that matters is a POST or a same-origin fetch.
 */
const sameSiteOf = (name: string): "strict" | "lax" => (name === deviceCookie ? "lax" : "strict");

/** Sets a bearer cookie: HttpOnly (no script reads it), SameSite as above, Secure when served over TLS. */
export function setBearerCookie(
  res: Response,
  name: string,
  value: string,
  maxAgeSeconds: number,
  secure: boolean,
): void {
  res.append(
    "Set-Cookie",
    serialize(name, value, {
      httpOnly: true,
      sameSite: sameSiteOf(name),
      secure,
      path: "/",
      maxAge: maxAgeSeconds,
    }),
  );
}

export function clearCookie(res: Response, name: string, secure: boolean): void {
  res.append(
    "Set-Cookie",
    serialize(name, "", { httpOnly: true, sameSite: sameSiteOf(name), secure, path: "/", maxAge: 0 }),
  );
}

/**
 * Reads the admin sign-in from the session cookie; expired, disabled or unknown sessions count as none.
 * Read once per request: the router's gate and the handler both ask.
 */
export class AdminAuth {
  private readonly seen = new WeakMap<IncomingMessage, SignedIn | null>();

  constructor(
    private readonly users: UserRepository,
    private readonly now: () => number = Date.now,
  ) {}

  /** The signed-in admin of a request (an API call or a WebSocket upgrade), if any. */
  current(req: IncomingMessage): SignedIn | undefined {
    let s = this.seen.get(req);
    if (s === undefined) {
      s = this.read(req) ?? null;
      this.seen.set(req, s);
    }
    return s ?? undefined;
  }

  /** Reads the sign-in again, uncached: for a long-lived connection that must end with its session. */
  reread(req: IncomingMessage): SignedIn | undefined {
    return this.read(req);
  }

  private read(req: IncomingMessage): SignedIn | undefined {
    const token = cookieOf(req, sessionCookie);
    if (token === undefined) return undefined;
    const session = this.users.sessionByToken(token);
    if (!session || Date.parse(session.expiresAt) <= this.now()) return undefined;
    const user = this.users.get(session.userId);
    if (!user || user.disabled) return undefined;
    return { user, sessionId: session.id };
  }

  require(req: Request): SignedIn {
    const s = this.current(req);
    if (!s) throw new HttpError(401, "not_signed_in", "sign in first (POST /api/auth/login)");
    return s;
  }

  /** The signed-in admin as a service's caller; 401 when nobody is signed in. */
  caller(req: Request): Caller {
    const s = this.require(req);
    return { user: s.user, actor: actorOf(req, s) };
  }
}

export function actorOf(req: Request, s: SignedIn): Actor {
  return { kind: "user", id: s.user.id, name: s.user.username, ip: req.ip };
}
