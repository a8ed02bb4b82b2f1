import { createHash, randomBytes } from "node:crypto";
import type { Credentials } from "./ws-security.js";

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");

/** The parameters of a `WWW-Authenticate: Digest …` challenge; undefined for any other scheme. */
export function parseDigestChallenge(header: string | undefined): Record<string, string> | undefined {
  if (header === undefined || !/^\s*Digest\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header
    .replace(/^\s*Digest\s+/i, "")
    .matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    const [, key = "", quoted, bare] = m;
    params[key.toLowerCase()] = quoted ?? bare ?? "";
  }
  return params.nonce === undefined || params.realm === undefined ? undefined : params;
}

/**
 * The `Authorization` header answering an HTTP Digest challenge (RFC 7616 with MD5, qop=auth or none), for
 * cameras that want HTTP authentication on their ONVIF service in place of, or beside, WS-Security.
 * Undefined when the challenge asks for something else (SHA-256, MD5-sess, auth-int only).
 */
export function digestAuthorization(
  challenge: Record<string, string>,
  creds: Credentials,
  method: string,
  uri: string,
  cnonce: string = randomBytes(8).toString("hex"),
): string | undefined {
  const algorithm = challenge.algorithm ?? "MD5";
  if (algorithm.toUpperCase() !== "MD5") return undefined;
  const qops = (challenge.qop ?? "").split(",").map((q) => q.trim());
  const qop = qops.includes("auth") ? "auth" : challenge.qop === undefined ? undefined : null;
  if (qop === null) return undefined;
  const { realm = "", nonce = "" } = challenge;
  const ha1 = md5(`${creds.username}:${realm}:${creds.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const nc = "00000001";
  const response =
    qop === "auth" ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const quote = (s: string) => `"${s.replace(/["\\]/g, "\\$&")}"`;
  return [
    `Digest username=${quote(creds.username)}`,
    `realm=${quote(realm)}`,
    `nonce=${quote(nonce)}`,
    `uri=${quote(uri)}`,
    `algorithm=MD5`,
    `response=${quote(response)}`,
    ...(qop === "auth" ? [`qop=auth`, `nc=${nc}`, `cnonce=${quote(cnonce)}`] : []),
    ...(challenge.opaque !== undefined ? [`opaque=${quote(challenge.opaque)}`] : []),
  ].join(", ");
}
