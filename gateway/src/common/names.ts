import { z } from "zod";

/**
 * A person's, school's or room's name: trimmed, NFC, 1–max characters, and none of the characters that
 * only markup, scripts or SQL need (< > ; " ` { } \ and control characters). Apostrophes stay: Ma'ruf.
 * A lone surrogate (a JSON "\ud800" escape) is refused too: SQLite would store it as U+FFFD, silently.
 */
export function nameSchema(max = 100) {
  return z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max, `must be at most ${String(max)} characters`)
    .transform((s) => s.normalize("NFC"))
    .refine(
      // eslint-disable-next-line no-control-regex
      (s) => !/[<>;"`{}\\\x00-\x1f\x7f\uFFFD\uD800-\uDFFF]/u.test(s),
      'must not contain < > ; " ` { } \\, control characters or broken Unicode',
    );
}
