import { createHash, randomBytes } from "node:crypto";
import { escapeXml } from "./xml.js";

export interface Credentials {
  username: string;
  password: string;
}

/**
 * WS-Security UsernameToken with PasswordDigest (ONVIF Core §5.12, OASIS UsernameToken Profile 1.0):
 * Base64(SHA-1(nonce + created + password)). `created` is in the CAMERA's clock: cameras refuse a token
 * whose time is far from their own, so the caller adds the skew it measured.
 */
export function usernameToken(
  creds: Credentials,
  created: Date,
  nonce: Buffer = randomBytes(16),
): { xml: string; digest: string } {
  // Whole seconds, as in the ONVIF Application Programmer's Guide example (§6.1.1.3).
  const createdText = created.toISOString().replace(/\.\d{3}Z$/, "Z");
  const digest = createHash("sha1")
    .update(Buffer.concat([nonce, Buffer.from(createdText, "utf8"), Buffer.from(creds.password, "utf8")]))
    .digest("base64");
  const xml =
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">` +
    `<wsse:UsernameToken><wsse:Username>${escapeXml(creds.username)}</wsse:Username>` +
    `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString("base64")}</wsse:Nonce>` +
    `<wsu:Created>${createdText}</wsu:Created></wsse:UsernameToken></wsse:Security>`;
  return { xml, digest };
}
