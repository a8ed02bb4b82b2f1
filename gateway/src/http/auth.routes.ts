import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import { signInRefused, type SignInService } from "../users/sign-in.service.js";
import { loginSchema, type User } from "../users/user.js";
import { actorOf, type AdminAuth, clearCookie, sessionCookie, setBearerCookie } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { errorBody } from "../common/errors.js";

export interface AuthOptions {
  sessionHours: number;
  loginAttemptsPerIpPer15Min: number;
  secureCookies: boolean;
  /** This gateway's role: the console shows the fleet's screens only at a hub. */
  role: "standalone" | "edge" | "hub";
  /** rtmp.enabled: the console offers cameras an NVR pushes only where the listener runs. */
  rtmpEnabled: boolean;
}

/** An account as the API shows it: never its password hash. */
export function publicUser(u: User): Record<string, unknown> {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    schoolId: u.schoolId,
    classroomIds: u.classroomIds,
    disabled: u.disabled,
  };
}

/**
 * `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`. Guessing is slowed three ways: argon2id,
 * a per-IP attempt limit (here), and growing waits per account and address (SignInService), which never lock
 * the account itself.
 */
export function authRoutes(signIns: SignInService, auth: AdminAuth, o: AuthOptions): ApiRouter {
  const api = new ApiRouter(auth);
  api.router.use(
    "/api/auth/login",
    rateLimit({
      windowMs: 15 * 60 * 1000,
      limit: o.loginAttemptsPerIpPer15Min,
      standardHeaders: "draft-7",
      legacyHeaders: false,
      handler: (_req, res) => {
        res
          .status(429)
          .json(errorBody("rate_limited", "too many sign-in attempts from here; wait 15 minutes"));
      },
    }),
  );

  api.post(
    "/api/auth/login",
    {
      summary:
        "Sign in; sets the session cookie. Any failure is 401 invalid_credentials, with Retry-After once " +
        "this address must wait before its next try on this account",
      tag: "auth",
      auth: "public",
      body: loginSchema,
    },
    async (req, res, body) => {
      // The throttle counts tries per client address as the rate limit keys it (an IPv6 client by its /56).
      const address = ipKeyGenerator(req.ip ?? "");
      const r = await signIns.signIn(body.username, body.password, address, req.ip);
      if (!r.ok) {
        if (r.retryAfterSeconds !== undefined) res.set("Retry-After", String(r.retryAfterSeconds));
        throw signInRefused();
      }
      setBearerCookie(res, sessionCookie, r.token, Math.floor(o.sessionHours * 3600), o.secureCookies);
      res.json({ user: publicUser(r.user), expiresAt: r.expiresAt });
    },
  );

  api.post(
    "/api/auth/logout",
    {
      summary: "Sign out; ends the session",
      tag: "auth",
      auth: "admin",
      returns: { status: 204, description: "Signed out" },
    },
    (req, res) => {
      const s = auth.current(req);
      if (s) signIns.signOut({ user: s.user, actor: actorOf(req, s) }, s.sessionId);
      clearCookie(res, sessionCookie, o.secureCookies);
      res.status(204).end();
    },
  );

  api.get(
    "/api/auth/me",
    {
      summary:
        "Who is signed in, this gateway's role (standalone, edge or hub), and whether it takes RTMP pushes " +
        "(gateway.rtmpEnabled, the setting rtmp.enabled)",
      tag: "auth",
      auth: "admin",
    },
    (req, res) => {
      const s = auth.require(req);
      res.json({ user: publicUser(s.user), gateway: { role: o.role, rtmpEnabled: o.rtmpEnabled } });
    },
  );
  return api;
}
