import { ApiError, type Messages } from "../api.js";
import type { Lang } from "../i18n.js";

/**
 * The gateway names the field it refused (`error.field`, e.g. "npsn" or "windows.2.end"): a form shows the
 * refusal under that field, in the form's own words for the error's code when it has them (`invalid_input`,
 * `conflict`…), else the gateway's.
 */
export function fieldError(
  e: unknown,
  field: string,
  lang: Lang,
  words: Partial<Record<string, Messages>> = {},
): string | undefined {
  if (!(e instanceof ApiError) || e.field !== field) return undefined;
  const w = words[e.code] ?? e.messages;
  if (w !== undefined) return w[lang];
  // "npsn: NPSN is 8 digits" → "NPSN is 8 digits": the field is named by where it is shown.
  return e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message;
}

/** The error for the form as a whole: undefined when it belongs to one of `fields` (shown there instead). */
export function formError(e: unknown, fields: readonly string[]): unknown {
  if (e instanceof ApiError && e.field !== undefined && fields.includes(e.field)) return undefined;
  return e;
}
