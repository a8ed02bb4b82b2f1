import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import type { AccessState } from "../access/access-state.js";
import { LoginThrottle } from "../access/login-throttle.js";
import type { AuditRepository } from "../audit/audit.repository.js";
import { decoyHash, verifyPassword } from "../users/passwords.js";
import { loginSchema, type User } from "../users/user.js";
import type { UserRepository } from "../users/user.repository.js";
import { actorOf, AdminAuth, clearCookie, sessionCookie, setBearerCookie } from "./admin-auth.js";
import { ApiRouter } from "./api-router.js";
import { errorBody, explainedError } from "../common/errors.js";

export interface AuthOptions {
  sessionHours: number;
  loginFailuresBeforeDelay: number;
  loginMaxDelayMinutes: number;
  loginAttemptsPerIpPer15Min: number;
  secureCookies: boolean;
}

/**
 * The one answer to a sign-in that did not work, whatever the reason: a wrong password, an unknown or
 * disabled account, or a try from an address that must still wait. It names no reason, so it cannot tell a
 * stranger which accounts exist; the text covers the wait, so the real user is not misled into doubting a
 * right password.
 */
const notSignedIn = {
  id: "Nama pengguna atau kata sandi salah. Setelah beberapa kali salah, tunggu sebentar sebelum mencoba lagi.",
  en: "Wrong username or password. After several wrong tries, wait a moment before trying again.",
};

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
 * a per-IP attempt limit, and growing waits per account and address (LoginThrottle), which never lock the
 * account itself.
 */
export function authRoutes(
  users: UserRepository,
  auth: AdminAuth,
  audit: AuditRepository,
  state: AccessState,
  o: AuthOptions,
  now: () => number = Date.now,
): ApiRouter {
  const api = new ApiRouter(auth);
  const throttle = new LoginThrottle(
    { freeFailures: o.loginFailuresBeforeDelay, maxDelayMs: o.loginMaxDelayMinutes * 60_000 },
    now,
  );
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
      const username = body.username.trim();
      // Retry-After counts only this address's own tries on this name, kept the same for names no account
      // has: it tells the caller what they did, never whether the account exists or the password was right.
      const address = ipKeyGenerator(req.ip ?? "");
      const attempt = throttle.attempt(username, address);
      const refuse = () => {
        if (attempt.waitMs > 0) res.set("Retry-After", String(Math.ceil(attempt.waitMs / 1000)));
        return explainedError(401, "invalid_credentials", notSignedIn);
      };
      // Still waiting: answered without a password check, so a guess made now is never tested.
      if (!attempt.allowed) throw refuse();
      const creds = users.credentials(username);
      if (!creds || creds.user.disabled) {
        // As slow as a wrong password for a real account (argon2 against a decoy hash).
        await verifyPassword(await decoyHash, body.password);
        throw refuse();
      }
      const actor = { kind: "user" as const, id: creds.user.id, name: creds.user.username, ip: req.ip };
      if (!(await verifyPassword(creds.passwordHash, body.password))) {
        audit.record({
          actor,
          schoolId: creds.user.schoolId,
          action: "auth.login_failed",
          targetKind: "user",
          targetId: creds.user.id,
        });
        throw refuse();
      }
      throttle.succeeded(username, address);
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
