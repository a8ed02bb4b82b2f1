import type { Caller } from "../access/caller.js";
import { LoginThrottle } from "../access/login-throttle.js";
import type { Actor, AuditRepository } from "../audit/audit.repository.js";
import type { UnitOfWork } from "../audit/unit-of-work.js";
import { explainedError, type HttpError } from "../common/errors.js";
import { decoyHash, verifyPassword } from "./passwords.js";
import type { User } from "./user.js";
import type { UserRepository } from "./user.repository.js";

export interface SignInSettings {
  sessionHours: number;
  loginFailuresBeforeDelay: number;
  loginMaxDelayMinutes: number;
}

/** A sign-in that worked (the session token, returned once), or one refused with how long to wait. */
export type SignInResult =
  | { ok: true; user: User; token: string; expiresAt: string }
  | { ok: false; retryAfterSeconds: number | undefined };

/**
 * The one answer to a sign-in that did not work, whatever the reason: a wrong password, an unknown or
 * disabled account, or a try from an address that must still wait. It names no reason, so it cannot tell a
 * stranger which accounts exist; the text covers the wait, so the real user is not misled into doubting a
 * right password.
 */
export const signInRefused = (): HttpError =>
  explainedError(401, "invalid_credentials", {
    id: "Nama pengguna atau kata sandi salah. Setelah beberapa kali salah, tunggu sebentar sebelum mencoba lagi.",
    en: "Wrong username or password. After several wrong tries, wait a moment before trying again.",
  });

/**
 * Admin sign-in and sign-out. Guessing is slowed by argon2id and by growing waits per account and address
 * (LoginThrottle), which never lock the account itself; every sign-in, failed try and sign-out is audited.
 */
export class SignInService {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly users: UserRepository,
    private readonly audit: AuditRepository,
    private readonly work: UnitOfWork,
    private readonly settings: SignInSettings,
    now: () => number,
  ) {
    this.throttle = new LoginThrottle(
      { freeFailures: settings.loginFailuresBeforeDelay, maxDelayMs: settings.loginMaxDelayMinutes * 60_000 },
      now,
    );
  }

  /**
   * Checks the password of `username` tried from `address` (the throttle's key for the client) and opens a
   * session. The wait told back counts only this address's own tries on this name, kept the same for names no
   * account has: it tells the caller what they did, never whether the account exists or the password was right.
   */
  async signIn(
    rawUsername: string,
    password: string,
    address: string,
    ip: string | undefined,
  ): Promise<SignInResult> {
    const username = rawUsername.trim();
    const attempt = this.throttle.attempt(username, address);
    const refused: SignInResult = {
      ok: false,
      retryAfterSeconds: attempt.waitMs > 0 ? Math.ceil(attempt.waitMs / 1000) : undefined,
    };
    // Still waiting: answered without a password check, so a guess made now is never tested.
    if (!attempt.allowed) return refused;
    const creds = this.users.credentials(username);
    if (!creds || creds.user.disabled) {
      // As slow as a wrong password for a real account (argon2 against a decoy hash).
      await verifyPassword(await decoyHash, password);
      return refused;
    }
    const user = creds.user;
    const actor: Actor = { kind: "user", id: user.id, name: user.username, ip };
    const record = { schoolId: user.schoolId, targetKind: "user", targetId: user.id };
    if (!(await verifyPassword(creds.passwordHash, password))) {
      // Nothing changed, so the access state need not hear of it: only the audit log does.
      this.audit.record({ actor, ...record, action: "auth.login_failed" });
      return refused;
    }
    this.throttle.succeeded(username, address);
    const { session, token } = this.work.apply(actor, { ...record, action: "auth.login" }, () =>
      this.users.createSession(user.id, this.settings.sessionHours * 3_600_000, ip),
    );
    return { ok: true, user, token, expiresAt: session.expiresAt };
  }

  /** Ends the caller's session. */
  signOut(caller: Caller, sessionId: string): void {
    this.work.apply(
      caller.actor,
      { schoolId: caller.user.schoolId, action: "auth.logout", targetKind: "user", targetId: caller.user.id },
      () => {
        this.users.deleteSession(sessionId);
      },
    );
  }
}
