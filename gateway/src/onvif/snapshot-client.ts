import http from "node:http";
import { isJpeg } from "../common/jpeg.js";
import { UnknownHostError, type NetworkGuard } from "../net/network-guard.js";
import { digestAuthorization, parseDigestChallenge } from "./http-digest.js";
import { safeUrl } from "./soap-client.js";
import type { Credentials } from "./ws-security.js";

export type SnapshotFetchFailure = "timeout" | "unreachable" | "auth_failed" | "bad_reply";

/** A camera's snapshot URI gave no picture; `detail` is one line for the log (no credentials, no query). */
export class SnapshotFetchError extends Error {
  constructor(
    readonly reason: SnapshotFetchFailure,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export interface SnapshotClientOptions {
  /** Whole fetch, every round trip included: a camera that trickles its picture is cut off here. */
  timeoutMs: number;
  /** Largest picture read; a longer body (or a Content-Length above it) is refused and not read. */
  maxBytes: number;
  /** Where cameras may be: the fetch connects to the address it checked, never to a name. */
  network: NetworkGuard;
}

interface Reply {
  status: number;
  contentType: string;
  /** Every WWW-Authenticate header, one challenge each (node would join them into one string). */
  challenges: string[];
  body: Buffer;
}

/**
 * Fetches a camera's HTTP snapshot (the URI ONVIF GetSnapshotUri named). Credentials go only where the
 * camera asks for them: first without, then answering a Digest challenge (http-digest.ts), and Basic only
 * when Basic is all the camera offers, as for the stream (a password in the clear, but to the host that asked).
 */
export class SnapshotClient {
  constructor(private readonly opts: SnapshotClientOptions) {}

  async fetch(url: string, creds: Credentials | undefined): Promise<Buffer> {
    const target = parseUrl(url);
    const where = safeUrl(url);
    const deadline = Date.now() + this.opts.timeoutMs;
    let address: string;
    try {
      address = await this.opts.network.resolve(target.hostname);
    } catch (e) {
      if (e instanceof UnknownHostError)
        throw new SnapshotFetchError("unreachable", `${e.message} (${where})`);
      throw e;
    }
    let reply = await this.get(target, address, deadline, where);
    if (reply.status === 401 && creds !== undefined) {
      const authorization = answer(reply.challenges, creds, target);
      if (authorization !== undefined)
        reply = await this.get(target, address, deadline, where, authorization);
    }
    if (reply.status === 401 || reply.status === 403)
      throw new SnapshotFetchError("auth_failed", `HTTP ${String(reply.status)} for ${where}`);
    if (reply.status !== 200)
      throw new SnapshotFetchError("bad_reply", `HTTP ${String(reply.status)} for ${where}`);
    if (!isJpeg(reply.body))
      throw new SnapshotFetchError(
        "bad_reply",
        `not a JPEG (${reply.contentType || "no content type"}, ${String(reply.body.length)} bytes) from ${where}`,
      );
    return reply.body;
  }

  private get(
    target: URL,
    address: string,
    deadline: number,
    where: string,
    authorization?: string,
  ): Promise<Reply> {
    const { maxBytes } = this.opts;
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: address,
        port: target.port === "" ? 80 : Number(target.port),
        path: target.pathname + target.search,
        method: "GET",
        agent: false,
        headers: {
          Host: target.host,
          Accept: "image/jpeg",
          ...(authorization !== undefined && { Authorization: authorization }),
        },
      });
      const timer = setTimeout(
        () => {
          req.destroy(new SnapshotFetchError("timeout", `no whole picture in time from ${where}`));
        },
        Math.max(0, deadline - Date.now()),
      );
      const fail = (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof SnapshotFetchError ? e : networkError(e as NodeJS.ErrnoException, where));
      };
      const tooLarge = () =>
        new SnapshotFetchError("bad_reply", `more than ${String(maxBytes)} bytes from ${where}`);
      req.on("error", fail);
      req.on("response", (res) => {
        const declared = Number(res.headers["content-length"] ?? 0);
        if (res.statusCode === 200 && declared > maxBytes) {
          req.destroy(tooLarge());
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) {
            req.destroy(tooLarge());
            return;
          }
          chunks.push(c);
        });
        res.on("error", fail);
        res.on("aborted", () => {
          fail(new SnapshotFetchError("bad_reply", `picture cut off from ${where}`));
        });
        res.on("end", () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers["content-type"] ?? "",
            challenges: res.rawHeaders.filter(
              (_v, i, all) => i % 2 === 1 && all[i - 1]?.toLowerCase() === "www-authenticate",
            ),
            body: Buffer.concat(chunks),
          });
        });
      });
      req.end();
    });
  }
}

function parseUrl(url: string): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new SnapshotFetchError("bad_reply", `snapshot URI is not a URL: ${safeUrl(url)}`);
  }
  if (target.protocol !== "http:")
    throw new SnapshotFetchError("bad_reply", `only http snapshot URIs, not ${safeUrl(url)}`);
  return target;
}

/**
 * The Authorization header for the camera's challenges: Digest when one is offered (and answerable), Basic
 * only when the camera offers Basic and no Digest at all.
 */
function answer(challenges: readonly string[], creds: Credentials, target: URL): string | undefined {
  const digests = challenges.map(parseDigestChallenge).filter((c) => c !== undefined);
  for (const challenge of digests) {
    const header = digestAuthorization(challenge, creds, "GET", target.pathname + target.search);
    if (header !== undefined) return header;
  }
  if (digests.length === 0 && challenges.some((c) => /^\s*Basic(\s|$)/i.test(c)))
    return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, "utf8").toString("base64")}`;
  return undefined;
}

function networkError(e: NodeJS.ErrnoException, where: string): SnapshotFetchError {
  switch (e.code ?? "") {
    case "ETIMEDOUT":
      return new SnapshotFetchError("timeout", `${String(e.code)} for ${where}`);
    case "ECONNRESET":
    case "EPIPE":
      return new SnapshotFetchError(
        "bad_reply",
        `connection closed mid-reply (${String(e.code)}) for ${where}`,
      );
    default:
      if (e.code?.startsWith("HPE_")) return new SnapshotFetchError("bad_reply", `${e.code} for ${where}`);
      return new SnapshotFetchError("unreachable", `${e.code ?? e.message} for ${where}`);
  }
}
