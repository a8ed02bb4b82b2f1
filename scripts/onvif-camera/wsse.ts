import { createHash, timingSafeEqual } from "node:crypto";
import { child, type XmlElement } from "./xml.js";

// WS-Security UsernameToken with PasswordDigest, checked the way ONVIF cameras check it (ONVIF Core
// §5.12.2; OASIS UsernameToken Profile 1.0 §3.1): Digest = Base64(SHA-1(nonce bytes + Created + password)),
// and Created must be close to the camera's own clock — a skewed camera rejects a client that trusts its
// own time, which is why clients read GetSystemDateAndTime first.

export const WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
export const WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
const PASSWORD_DIGEST =
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";

/** How far Created may be from the camera's clock, either way. */
export const CREATED_WINDOW_MS = 5 * 60_000;

const CREATED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export type AuthResult = { readonly ok: true } | { readonly ok: false; readonly why: string };

export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash("sha1")
    .update(Buffer.concat([nonce, Buffer.from(created, "utf8"), Buffer.from(password, "utf8")]))
    .digest("base64");
}

/** Checks the UsernameToken in a SOAP Header against the camera's one account and clock. */
export function checkUsernameToken(
  header: XmlElement | undefined,
  account: { readonly username: string; readonly password: string },
  cameraNowMs: number,
): AuthResult {
  const token = child(child(header, WSSE_NS, "Security"), WSSE_NS, "UsernameToken");
  if (token === undefined) return { ok: false, why: "no wsse:Security/UsernameToken" };
  const username = child(token, WSSE_NS, "Username")?.text;
  const password = child(token, WSSE_NS, "Password");
  const nonce = child(token, WSSE_NS, "Nonce")?.text;
  const created = child(token, WSU_NS, "Created")?.text;
  if (username === undefined || password === undefined || nonce === undefined || created === undefined) {
    return { ok: false, why: "UsernameToken lacks Username, Password, Nonce or Created" };
  }
  if (password.attrs.get("Type") !== PASSWORD_DIGEST)
    return { ok: false, why: "password is not a PasswordDigest" };
  if (username !== account.username) return { ok: false, why: `unknown user ${JSON.stringify(username)}` };

  const expected = Buffer.from(passwordDigest(Buffer.from(nonce, "base64"), created, account.password));
  const given = Buffer.from(password.text);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, why: "digest does not match" };
  }
  const createdMs = CREATED.test(created) ? Date.parse(created) : NaN;
  if (Number.isNaN(createdMs))
    return { ok: false, why: `Created ${JSON.stringify(created)} is not a dateTime` };
  const offsetMs = createdMs - cameraNowMs;
  if (Math.abs(offsetMs) > CREATED_WINDOW_MS) {
    return { ok: false, why: `Created is ${Math.round(offsetMs / 1000)} s from the camera clock` };
  }
  return { ok: true };
}
