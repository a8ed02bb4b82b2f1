import { rateLimit } from "express-rate-limit";
import type { AuditRepository } from "../audit/audit.repository.js";
import { decoyHash, verifyPassword } from "../users/passwords.js";
import { loginSchema, type User } from "../users/user.js";
import type { UserRepository } from "../users/user.repository.js";
import type { AccessState } from "../access/access-state.js";
import { actorOf, AdminAuth, clearCookie, sessionCookie, setBearerCookie } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { errorBody, HttpError } from "./errors.js";

export interface AuthOptions {
  sessionHours: number;
  loginMaxFailures: number;
  lockoutMinutes: number;
  loginAttemptsPerIpPer15Min: number;
  secureCookies: boolean;
}

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
 * a per-IP attempt limit, and a lockout of the account after repeated wrong passwords.
 */
export function authRoutes(
  users: UserRepository,
  auth: AdminAuth,
  audit: AuditRepository,
  state: AccessState,
  o: AuthOptions,
  now: () => number = Date.now,
): ApiRouter {
  const api = new ApiRouter();
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
    { summary: "Sign in; sets the session cookie", tag: "auth", auth: "public", body: loginSchema },
    async (req, res, body) => {
      const creds = users.credentials(body.username.trim());
      const wrong = () => new HttpError(401, "invalid_credentials", "wrong username or password");
      if (!creds || creds.user.disabled) {
        await verifyPassword(await decoyHash, body.password);
        throw wrong();
      }
      if (creds.lockedUntil !== null && Date.parse(creds.lockedUntil) > now()) {
        res.set("Retry-After", String(Math.ceil((Date.parse(creds.lockedUntil) - now()) / 1000)));
        throw new HttpError(
          429,
          "account_locked",
          "too many wrong passwords; the account is locked for a while",
        );
      }
      const actor = { kind: "user" as const, id: creds.user.id, name: creds.user.username, ip: req.ip };
      if (!(await verifyPassword(creds.passwordHash, body.password))) {
        users.recordFailure(creds.user.id, o.loginMaxFailures, o.lockoutMinutes * 60_000);
        audit.record({
          actor,
          schoolId: creds.user.schoolId,
          action: "auth.login_failed",
          targetKind: "user",
          targetId: creds.user.id,
        });
        throw wrong();
      }
      users.recordSuccess(creds.user.id);
      const { session, token } = users.createSession(creds.user.id, o.sessionHours * 3_600_000, req.ip);
      audit.record({
        actor,
        schoolId: creds.user.schoolId,
        action: "auth.login",
        targetKind: "user",
        targetId: creds.user.id,
      });
      state.invalidate();
      setBearerCookie(res, sessionCookie, token, Math.floor(o.sessionHours * 3600), o.secureCookies);
      res.json({ user: publicUser(creds.user), expiresAt: session.expiresAt });
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
      if (s) {
        users.deleteSession(s.sessionId);
        audit.record({
          actor: actorOf(req, s),
          schoolId: s.user.schoolId,
          action: "auth.logout",
          targetKind: "user",
          targetId: s.user.id,
        });
        state.invalidate();
      }
      clearCookie(res, sessionCookie, o.secureCookies);
      res.status(204).end();
    },
  );

  api.get("/api/auth/me", { summary: "Who is signed in", tag: "auth", auth: "admin" }, (req, res) => {
    const s = auth.require(req);
    res.json({ user: publicUser(s.user) });
  });
  return api;
}
