import type { IncomingMessage } from "node:http";
import type { ClientInfo } from "../access/viewing-tracker.js";

const loopback = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

/**
 * The viewer's address and browser for the viewing record. Behind a reverse proxy on this machine
 * (`http.trustProxy`), the address the proxy appended last to X-Forwarded-For; never a client's own claim.
 * Matches express's `trust proxy: "loopback"`, used for the API.
 */
export function clientInfo(req: IncomingMessage, trustProxy: boolean): ClientInfo {
  let ip = req.socket.remoteAddress;
  const forwarded = req.headers["x-forwarded-for"];
  if (trustProxy && ip !== undefined && loopback.has(ip) && typeof forwarded === "string") {
    ip = forwarded.split(",").at(-1)?.trim() || ip;
  }
  return { ip, userAgent: req.headers["user-agent"] };
}
