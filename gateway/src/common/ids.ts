import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";

/** A new opaque id with a readable prefix (`sch_…`, `cls_…`); path-safe, so it can sit in URLs and tokens. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString("base64url")}`;
}

/** A bearer secret (session, link or device token): 256 random bits, shown once, stored as sha256Hex. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Ids in paths and bodies: letters, digits, _ and -, never anything a file system would read as a path. */
export const idSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, _ or -");

/** Thrown by repositories; the HTTP layer turns it into 404. */
export class NotFoundError extends Error {
  readonly code = "not_found";
}

/** Thrown when a change would break a reference or a uniqueness rule; the HTTP layer turns it into 409. */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * A person's, school's or room's name: trimmed, NFC, 1–max characters, and none of the characters that
 * only markup, scripts or SQL need (< > ; " ` { } \ and control characters). Apostrophes stay: Ma'ruf.
 * A lone surrogate (a JSON "\ud800" escape) is refused too: SQLite would store it as U+FFFD, silently.
 */
export function nameSchema(max = 100) {
  return z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max, `must be at most ${String(max)} characters`)
    .transform((s) => s.normalize("NFC"))
    .refine(
      // eslint-disable-next-line no-control-regex
      (s) => !/[<>;"`{}\\\x00-\x1f\x7f\uFFFD\uD800-\uDFFF]/u.test(s),
      'must not contain < > ; " ` { } \\, control characters or broken Unicode',
    );
}
