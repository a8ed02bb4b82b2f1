import { ApiError, errorText } from "../api.js";
import type { Lang } from "../i18n.js";

/** Plain words for a field the gateway refused with a bare `invalid_input` (it gives words only for some). */
const fieldWords: Record<string, { id: string; en: string }> = {
  name: {
    id: 'Nama harus 1–100 karakter, tanpa < > ; " ` { } atau \\.',
    en: 'The name must be 1–100 characters, without < > ; " ` { } or \\.',
  },
};

/** The error to show on a form field, when the gateway's refusal names one of `fields`; else undefined. */
export function fieldError(e: unknown, fields: readonly string[], lang: Lang): string | undefined {
  if (!(e instanceof ApiError) || e.field === undefined || !fields.includes(e.field)) return undefined;
  if (e.messages === undefined && e.code === "invalid_input") {
    const words = fieldWords[fields[0] ?? ""];
    if (words) return words[lang];
  }
  return errorText(e, lang);
}

/** Whether an error belongs on one of these fields (and so need not be shown again above the form). */
export function onField(e: unknown, fields: readonly string[]): boolean {
  return e instanceof ApiError && e.field !== undefined && fields.includes(e.field);
}
