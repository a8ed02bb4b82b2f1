import type { z } from "zod";

/**
 * The URL a setting or body field holds, or undefined after telling `ctx` why not: no spaces or control
 * characters (a pasted line break, a header smuggled in), and parseable. What a scheme or host may be is
 * the caller's own rule.
 */
export function urlOf(value: string, ctx: z.RefinementCtx, example: string): URL | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(value)) {
    ctx.addIssue({ code: "custom", message: "URL must not contain spaces or control characters" });
    return undefined;
  }
  try {
    return new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: `not a valid URL; expected ${example}` });
    return undefined;
  }
}
