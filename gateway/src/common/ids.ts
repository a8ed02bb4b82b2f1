import { randomBytes } from "node:crypto";
import { z } from "zod";

/** A new opaque id with a readable prefix (`sch_…`, `cls_…`); path-safe, so it can sit in URLs and tokens. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString("base64url")}`;
}

/** Ids in paths and bodies: letters, digits, _ and -, never anything a file system would read as a path. */
export const idSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, _ or -");
