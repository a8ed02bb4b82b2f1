import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

// HTTP authentication of the camera's snapshot URI, as Hikvision and Dahua firmware guard it: Digest (RFC 7616,
// MD5, qop=auth) by default, Basic on older firmware, or none.

export const SNAPSHOT_AUTHS = ["digest", "basic", "none"] as const;
export type SnapshotAuth = (typeof SNAPSHOT_AUTHS)[number];

const REALM = "IP Camera";
const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");

/** The scheme the request's Authorization header uses, as the recorder notes it. */
export function schemeOf(req: IncomingMessage): "digest" | "basic" | "none" | "other" {
  const header = req.headers.authorization;
  if (header === undefined) return "none";
  if (/^Digest\s/i.test(header)) return "digest";
  if (/^Basic\s/i.test(header)) return "basic";
  return "other";
}

export class HttpAuth {
  private readonly nonces = new Set<string>();

  constructor(
    private readonly mode: SnapshotAuth,
    private readonly account: { username: string; password: string },
  ) {}

  /** The WWW-Authenticate challenge for a 401 (a fresh nonce each time). */
  challenge(): string {
    const nonce = randomBytes(16).toString("hex");
    this.nonces.add(nonce);
    if (this.nonces.size > 256) this.nonces.delete(this.nonces.values().next().value as string);
    return this.mode === "basic"
      ? `Basic realm="${REALM}"`
      : `Digest realm="${REALM}", qop="auth", nonce="${nonce}", algorithm=MD5`;
  }

  /** True when the request may have the snapshot. */
  allows(req: IncomingMessage): boolean {
    if (this.mode === "none") return true;
    const header = req.headers.authorization ?? "";
    if (this.mode === "basic") {
      const m = /^Basic\s+(\S+)$/i.exec(header);
      const expected = Buffer.from(`${this.account.username}:${this.account.password}`).toString("base64");
      return m?.[1] === expected;
    }
    if (!/^Digest\s/i.test(header)) return false;
    const p: Record<string, string> = {};
    for (const m of header.slice(7).matchAll(/([\w-]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g))
      p[(m[1] ?? "").toLowerCase()] = m[2] ?? m[3] ?? "";
    const { username, realm, nonce = "", uri, response, nc = "", cnonce = "", qop } = p;
    if (username !== this.account.username || realm !== REALM || !this.nonces.has(nonce)) return false;
    if (uri !== req.url || qop !== "auth") return false;
    const ha1 = md5(`${this.account.username}:${REALM}:${this.account.password}`);
    const ha2 = md5(`${req.method ?? "GET"}:${uri}`);
    return response === md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  }
}
