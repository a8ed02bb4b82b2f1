import type { Explanation } from "./explanation.js";

/** Thrown by repositories; the HTTP layer turns it into 404. */
export class NotFoundError extends Error {
  readonly code = "not_found";
}

/** Thrown when a change would break a reference or a uniqueness rule; the HTTP layer turns it into 409. */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * An error with the status it answers with and a stable code; rendered as `{error: {code, message, field?}}`.
 * Services throw it as Immich's services throw Nest's HTTP exceptions: the status is the service's verdict
 * (forbidden, conflict, busy), the HTTP layer only renders it.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** More members of the error object, e.g. every bad line of a CSV import. */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * An error a school admin must act on (wrong camera password, stream unreachable…): `message` is the
 * English text and `messages` carries it in Bahasa Indonesia and English, for a page to show as is.
 */
export function explainedError(
  status: number,
  code: string,
  text: Explanation,
  extra: Record<string, unknown> = {},
): HttpError {
  return new HttpError(status, code, text.en, undefined, { messages: text, ...extra });
}

/** The one error body shape of every API answer, WebSocket refusal and media error. */
export function errorBody(code: string, message: string, field?: string): { error: Record<string, string> } {
  return { error: { code, message, ...(field !== undefined && { field }) } };
}

export const forbidden = (what = "your role may not do this"): HttpError =>
  new HttpError(403, "forbidden", what);
export const notFound = (what: string): HttpError => new HttpError(404, "not_found", `no such ${what}`);
