import { createHmac, timingSafeEqual } from "node:crypto";

/** What a stream token grants: one camera, to one viewer session, until `exp` (ms since epoch). */
export interface StreamGrant {
  cameraId: string;
  /** Viewer session the token was issued to; the access layer checks it is still alive on every request. */
  sid: string;
  exp: number;
}

export type TokenRejection = "malformed" | "bad_signature" | "expired";

export const maxTokenLifetimeMs = 10 * 60 * 1000;

const idPattern = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * HMAC-SHA256 signed stream tokens that live in the URL path (`/live/<token>/…`), so every relative URI in
 * a playlist carries them: native iOS HLS cannot set headers and drops query strings (design.md).
 * Format: base64url(`v1|cameraId|sid|exp`) "." base64url(hmac) — only path-safe characters.
 */
export class StreamTokens {
  /**
   * Tokens whose signature was already checked, so a player's ~10 requests a second cost a map lookup, not
   * an HMAC (bench:auth). Only an exact, once-verified token string hits; expiry is checked every time.
   */
  private readonly verified = new Map<string, StreamGrant>();

  constructor(
    private readonly key: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  issue(
    cameraId: string,
    sid: string,
    lifetimeMs = maxTokenLifetimeMs,
  ): { token: string; expiresAt: number } {
    if (!idPattern.test(cameraId) || !idPattern.test(sid))
      throw new Error("stream token ids must be path-safe");
    const exp = this.now() + Math.min(lifetimeMs, maxTokenLifetimeMs);
    const body = Buffer.from(`v1|${cameraId}|${sid}|${String(exp)}`).toString("base64url");
    return { token: `${body}.${this.sign(body).toString("base64url")}`, expiresAt: exp };
  }

  /** `allowExpired` is for an open WebSocket, re-checked every second after it was admitted with a valid token. */
  verify(
    token: string,
    opts: { allowExpired?: boolean } = {},
  ): { ok: true; grant: StreamGrant } | { ok: false; reason: TokenRejection } {
    const known = this.verified.get(token);
    if (known) return this.checkExpiry(known, opts);
    if (token.length > 512) return { ok: false, reason: "malformed" };
    const dot = token.indexOf(".");
    if (dot <= 0 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token))
      return { ok: false, reason: "malformed" };
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), "base64url");
    const expected = this.sign(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: "bad_signature" };
    }
    const [v, cameraId, sid, expText] = Buffer.from(body, "base64url").toString("utf8").split("|");
    const exp = Number(expText);
    if (v !== "v1" || cameraId === undefined || sid === undefined || !Number.isSafeInteger(exp)) {
      return { ok: false, reason: "malformed" };
    }
    const grant = { cameraId, sid, exp };
    if (this.verified.size >= 10_000) this.verified.clear();
    this.verified.set(token, grant);
    return this.checkExpiry(grant, opts);
  }

  private checkExpiry(
    grant: StreamGrant,
    opts: { allowExpired?: boolean },
  ): { ok: true; grant: StreamGrant } | { ok: false; reason: TokenRejection } {
    if (grant.exp <= this.now() && opts.allowExpired !== true) return { ok: false, reason: "expired" };
    return { ok: true, grant };
  }

  private sign(body: string): Buffer {
    return createHmac("sha256", this.key).update(body).digest();
  }
}
