import { createHash, timingSafeEqual } from "node:crypto";
import { Router, type Request } from "express";
import ipaddr from "ipaddr.js";
import { errorBody } from "../common/errors.js";
import type { GatewayMetrics } from "../health/metrics.js";
import { clientInfo } from "./client-info.js";

/** Headers a reverse proxy adds; with them on a loopback connection, the client is elsewhere. */
const forwardingHeaders = ["x-forwarded-for", "forwarded", "x-real-ip"] as const;

function isLoopback(ip: string | undefined): boolean {
  if (ip === undefined || !ipaddr.isValid(ip)) return false;
  return ipaddr.process(ip).range() === "loopback";
}

/**
 * A request from this machine: its address (client-info.ts: X-Forwarded-For only under http.trustProxy) is
 * loopback, and no proxy stands between. A loopback connection with forwarding headers came through a proxy
 * from who knows where, so it is local only when the trusted proxy's X-Forwarded-For says so: without
 * trustProxy, or with only `Forwarded` or `X-Real-IP` (which client-info.ts does not read), it is not.
 */
function fromThisMachine(req: Request, trustProxy: boolean): boolean {
  if (!isLoopback(clientInfo(req, trustProxy).ip)) return false;
  const vouched = trustProxy && req.headers["x-forwarded-for"] !== undefined;
  return vouched || forwardingHeaders.every((h) => req.headers[h] === undefined);
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * `GET /metrics`, the Prometheus exposition: open to clients on this machine (a local Prometheus or
 * node_exporter's textfile job); from anywhere else only with `Authorization: Bearer <metrics.token>`,
 * and not at all when no token is set.
 */
export function metricsRoutes(
  metrics: GatewayMetrics,
  o: { token: string | undefined; trustProxy: boolean },
) {
  const router = Router();
  // Compared as SHA-256 digests: equal lengths for timingSafeEqual, and the token's length is not timed.
  const expected = o.token === undefined ? undefined : digest(o.token);
  router.get("/metrics", async (req, res) => {
    res.set("Cache-Control", "no-store");
    if (!fromThisMachine(req, o.trustProxy)) {
      if (expected === undefined) {
        res
          .status(403)
          .json(
            errorBody("metrics_local_only", "metrics are open to this machine only (metrics.token unset)"),
          );
        return;
      }
      const given = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? "")?.[1];
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        res
          .status(401)
          .set("WWW-Authenticate", 'Bearer realm="pantau-metrics"')
          .json(errorBody("unauthorized", "a bearer token (metrics.token) is needed from other machines"));
        return;
      }
    }
    const text = await metrics.text();
    res.set("Content-Type", metrics.contentType).send(text);
  });
  return router;
}
