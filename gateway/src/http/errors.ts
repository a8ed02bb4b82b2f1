import type { ErrorRequestHandler } from "express";
import { z } from "zod";
import { ConflictError, errorBody, HttpError, notFound, NotFoundError } from "../common/errors.js";
import type { Explanation } from "../common/explanation.js";
import { idSchema } from "../common/ids.js";
import type { Logger } from "../log/logger.js";

/**
 * Parses a request part with a zod schema; a failure becomes a 400 that names the first bad field. A custom
 * issue whose params carry `{code, messages}` (a non-RTSP camera URL) keeps that code and its explanation.
 */
export function parseOr400<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue?.path.map(String).join(".") || undefined;
  const explained =
    issue?.code === "custom"
      ? (issue.params as { code?: string; messages?: Explanation } | undefined)
      : undefined;
  if (explained?.code !== undefined && explained.messages !== undefined) {
    throw new HttpError(400, explained.code, explained.messages.en, field, { messages: explained.messages });
  }
  throw new HttpError(
    400,
    "invalid_input",
    field ? `${field}: ${issue?.message ?? "invalid"}` : (issue?.message ?? "invalid input"),
    field,
  );
}

/** An id from the path; anything that is not one (traversal, SQL, markup) is simply "no such <what>". */
export function pathId(raw: unknown, what: string): string {
  const r = idSchema.safeParse(raw);
  if (!r.success) throw notFound(what);
  return r.data;
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/** The last middleware: known errors get their status; anything else is logged and answered 500. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof HttpError) {
      res
        .status(err.status)
        .json({ error: { ...errorBody(err.code, err.message, err.field).error, ...err.extra } });
      return;
    }
    if (err instanceof NotFoundError) {
      res.status(404).json(errorBody("not_found", err.message));
      return;
    }
    if (err instanceof ConflictError) {
      res.status(409).json(errorBody("conflict", err.message, err.field));
      return;
    }
    const e = err as BodyParserError;
    if (e.type === "entity.too.large") {
      res.status(413).json(errorBody("body_too_large", "request body is too large"));
      return;
    }
    if (e.type === "encoding.invalid_utf8") {
      res.status(400).json(errorBody("invalid_utf8", "request body is not valid UTF-8"));
      return;
    }
    if (
      e.type === "entity.parse.failed" ||
      e.type === "encoding.unsupported" ||
      e.type === "charset.unsupported"
    ) {
      res.status(400).json(errorBody("invalid_json", "request body is not valid JSON"));
      return;
    }
    if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
      res.status(e.status).json(errorBody("bad_request", e.message));
      return;
    }
    log.error({ err }, "unhandled error in request");
    res.status(500).json(errorBody("internal", "internal error"));
  };
}
