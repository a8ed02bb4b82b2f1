import { createHash, randomBytes } from "node:crypto";

/** A bearer secret (session, link or device token): 256 random bits, shown once, stored as sha256Hex. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** How a bearer secret is stored and looked up: its hash, never the secret itself. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
