import { passwordParamPattern } from "../cameras/url-credentials.js";

// `password=`-like items of a query or an XMEye path (cameras/url-credentials.ts): the value runs to the
// next `&`, `#` or blank, and stops before the `: ` with which ffmpeg follows a URL in its messages.
const passwordParam = new RegExp(`([?&/]${passwordParamPattern}=)(?:[^&#\\s:]|:(?!\\s|$))+`, "gi");

/**
 * Removes credentials from text that may hold a URL (ffmpeg argv, stderr lines, errors):
 * `rtsp://user:secret@host` → `rtsp://user:***@host`, `…?user=admin&password=secret` →
 * `…?user=admin&password=***`, plus any literal secret given.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text
    .replace(/([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*):([^@\s/]*)@/gi, "$1$2:***@")
    .replace(passwordParam, "$1***");
  for (const s of secrets) {
    if (s !== undefined && s.length >= 3) {
      out = out.split(s).join("***");
      const encoded = encodeURIComponent(s);
      if (encoded !== s) out = out.split(encoded).join("***");
    }
  }
  return out;
}
