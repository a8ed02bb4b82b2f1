import http from "node:http";
import { UnknownHostError, type NetworkGuard } from "../net/network-guard.js";
import { digestAuthorization, parseDigestChallenge } from "./http-digest.js";
import { OnvifError } from "./onvif-error.js";
import { soapBody, soapFault } from "./onvif-replies.js";
import { usernameToken, type Credentials } from "./ws-security.js";
import { parseXml, XmlError, type XmlNode } from "./xml.js";

export const NS = {
  device: "http://www.onvif.org/ver10/device/wsdl",
  media: "http://www.onvif.org/ver10/media/wsdl",
  schema: "http://www.onvif.org/ver10/schema",
} as const;

export interface SoapOptions {
  /** Whole exchange, connect to last byte: a camera that trickles its reply is cut off here. */
  timeoutMs: number;
  maxReplyBytes: number;
  /** Where cameras may be: every call connects to an address it checked, never to a name. */
  network: NetworkGuard;
}

export interface SoapCallOptions {
  /**
   * Ends the call at once when aborted, on top of timeoutMs (a caller's deadline over several calls): it
   * rejects with the signal's reason when that is an OnvifError, else with onvif_timeout.
   */
  signal?: AbortSignal | undefined;
}

export interface SoapAuth extends Credentials {
  /** Camera clock minus ours, in ms, from GetSystemDateAndTime; 0 when unknown. */
  skewMs: number;
}

/** The one place Pantau speaks SOAP 1.2 over HTTP to a camera. Every failure becomes an OnvifError. */
export class SoapClient {
  constructor(
    private readonly opts: SoapOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The address a call to `host` would connect to, checked against the allowed networks: an
   * AddressNotAllowedError when refused, an OnvifError when the name does not resolve. Nothing is sent.
   */
  async pin(host: string): Promise<string> {
    try {
      return await this.opts.network.resolve(host);
    } catch (e) {
      if (e instanceof UnknownHostError) throw new OnvifError("onvif_unreachable", e.message);
      throw e;
    }
  }

  /**
   * Calls `operation` of the service at `url` with the given body content (already XML, in the `ns`
   * namespace as prefix `m`) and returns the reply's SOAP Body.
   */
  async call(
    url: string,
    ns: string,
    operation: string,
    content: string,
    auth?: SoapAuth,
    opts: SoapCallOptions = {},
  ): Promise<XmlNode> {
    const header = auth
      ? `<s:Header>${usernameToken(auth, new Date(this.now() + auth.skewMs)).xml}</s:Header>`
      : "";
    const envelope =
      `<?xml version="1.0" encoding="UTF-8"?>` +
      `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="${NS.schema}">${header}` +
      `<s:Body><m:${operation} xmlns:m="${ns}">${content}</m:${operation}></s:Body></s:Envelope>`;
    const where = `${operation} at ${safeUrl(url)}`;
    let reply = await this.post(url, `${ns}/${operation}`, envelope, where, undefined, opts.signal);
    // Some firmware guards its ONVIF service with HTTP Digest instead of (or beside) WS-Security: answer
    // the challenge once with the same credentials.
    const challenge = reply.status === 401 && auth ? parseDigestChallenge(reply.wwwAuthenticate) : undefined;
    const target = new URL(url);
    const authorization =
      challenge && auth
        ? digestAuthorization(challenge, auth, "POST", target.pathname + target.search)
        : undefined;
    if (authorization !== undefined) {
      reply = await this.post(url, `${ns}/${operation}`, envelope, where, authorization, opts.signal);
    }
    const { status, contentType, body } = reply;

    const looksXml = /xml/i.test(contentType) || /^\s*(<\?xml|<[\w:-]*Envelope)/.test(body);
    if (!looksXml) {
      if (status === 401) throw new OnvifError("onvif_auth_failed", `HTTP 401 for ${where}`);
      throw new OnvifError(
        "onvif_not_onvif",
        `HTTP ${status} ${contentType || "no content type"} for ${where}`,
      );
    }
    let doc: XmlNode;
    try {
      doc = parseXml(body, this.opts.maxReplyBytes);
    } catch (e) {
      if (e instanceof XmlError) throw new OnvifError("onvif_bad_reply", `${where}: ${e.message}`);
      throw e;
    }
    const soap = soapBody(doc);
    if (!soap) {
      if (status === 401) throw new OnvifError("onvif_auth_failed", `HTTP 401 for ${where}`);
      throw new OnvifError("onvif_not_onvif", `HTTP ${status}, not a SOAP envelope, for ${where}`);
    }
    const fault = soapFault(soap);
    if (fault) {
      const said = `${fault.code}/${fault.subcode ?? "-"} "${fault.reason.slice(0, 200)}" for ${where}`;
      if (
        fault.subcode === "NotAuthorized" ||
        fault.subcode === "FailedAuthentication" ||
        fault.subcode === "InvalidSecurity" ||
        status === 401
      ) {
        throw new OnvifError("onvif_auth_failed", said);
      }
      if (fault.subcode === "ActionNotSupported" || fault.subcode === "NotImplemented") {
        throw new OnvifError("onvif_not_supported", said);
      }
      throw new OnvifError("onvif_bad_reply", `fault ${said}`);
    }
    if (status === 401) throw new OnvifError("onvif_auth_failed", `HTTP 401 for ${where}`);
    if (status !== 200)
      throw new OnvifError("onvif_bad_reply", `HTTP ${status} without a fault for ${where}`);
    return soap;
  }

  private async post(
    url: string,
    action: string,
    envelope: string,
    where: string,
    authorization?: string,
    signal?: AbortSignal,
  ): Promise<{ status: number; contentType: string; body: string; wwwAuthenticate: string | undefined }> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new OnvifError("onvif_bad_reply", `not a URL: ${safeUrl(url)}`);
    }
    if (target.protocol !== "http:") {
      throw new OnvifError("onvif_not_supported", `only http ONVIF services, not ${where}`);
    }
    // Resolved and checked here, then connected to by address with the name in Host: a name that
    // resolves elsewhere a moment later (DNS rebinding) cannot move the connection.
    const address = await this.pin(target.hostname);
    if (signal?.aborted === true) throw abortError(signal, where);
    return new Promise((resolve, reject) => {
      const payload = Buffer.from(envelope, "utf8");
      const req = http.request({
        host: address,
        port: target.port === "" ? 80 : Number(target.port),
        path: target.pathname + target.search,
        method: "POST",
        agent: false,
        headers: {
          Host: target.host,
          "Content-Type": `application/soap+xml; charset=utf-8; action="${action}"`,
          "Content-Length": payload.length,
          ...(authorization !== undefined && { Authorization: authorization }),
        },
      });
      const deadline = setTimeout(() => {
        req.destroy(
          new OnvifError("onvif_timeout", `no complete reply in ${this.opts.timeoutMs} ms for ${where}`),
        );
      }, this.opts.timeoutMs);
      const fail = (e: unknown) => {
        clearTimeout(deadline);
        reject(e instanceof OnvifError ? e : networkError(e as NodeJS.ErrnoException, where));
      };
      const onAbort = () => {
        if (signal) req.destroy(abortError(signal, where));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("close", () => signal?.removeEventListener("abort", onAbort));
      req.on("error", fail);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > this.opts.maxReplyBytes) {
            req.destroy(
              new OnvifError(
                "onvif_bad_reply",
                `reply larger than ${this.opts.maxReplyBytes} bytes for ${where}`,
              ),
            );
            return;
          }
          chunks.push(c);
        });
        res.on("error", fail);
        res.on("aborted", () => fail(new OnvifError("onvif_bad_reply", `reply cut off for ${where}`)));
        res.on("end", () => {
          clearTimeout(deadline);
          resolve({
            status: res.statusCode ?? 0,
            wwwAuthenticate: res.headers["www-authenticate"],
            contentType: res.headers["content-type"] ?? "",
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
      });
      req.end(payload);
    });
  }
}

function abortError(signal: AbortSignal, where: string): OnvifError {
  return signal.reason instanceof OnvifError
    ? signal.reason
    : new OnvifError("onvif_timeout", `stopped by the caller for ${where}`);
}

function networkError(e: NodeJS.ErrnoException, where: string): OnvifError {
  switch (e.code ?? "") {
    case "ECONNREFUSED":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EADDRNOTAVAIL":
      return new OnvifError("onvif_unreachable", `${e.code} for ${where}`);
    case "ETIMEDOUT":
      return new OnvifError("onvif_timeout", `${e.code} for ${where}`);
    case "ECONNRESET":
    case "EPIPE":
      return new OnvifError("onvif_bad_reply", `connection closed mid-reply (${e.code}) for ${where}`);
    default:
      // The HTTP parser's own errors (HPE_*) mean whatever answered does not speak HTTP properly.
      if (e.code?.startsWith("HPE_")) return new OnvifError("onvif_not_onvif", `${e.code} for ${where}`);
      return new OnvifError("onvif_unreachable", `${e.code ?? e.message} for ${where}`);
  }
}

/** A URL fit for logs and error details: no user info, no query. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}
