import type { IncomingMessage } from "node:http";
import type { RequestHandler } from "express";
import { errorBody } from "../common/errors.js";

/**
 * A state-changing request must come from our own pages: a browser sends an Origin with every POST, and a
 * cross-site form or fetch carries one that does not match the Host (or `null`). No Origin at all is a
 * client that is not a browser (curl, a script), which no other site can make a phone send.
 */
export function isSameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  return host !== undefined && host === req.headers.host;
}

/** isSameOrigin for every API request but GET and HEAD (cookies are SameSite=Strict as well: a second lock). */
export const sameOrigin: RequestHandler = (req, res, next) => {
  if (req.method === "GET" || req.method === "HEAD" || isSameOrigin(req)) {
    next();
    return;
  }
  res.status(403).json(errorBody("cross_origin", "requests from other sites are not accepted"));
};
