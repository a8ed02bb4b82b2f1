/**
 * Removes credentials from text that may hold a URL (ffmpeg argv, stderr lines, errors):
 * `rtsp://user:secret@host` → `rtsp://user:***@host`, plus any literal secret given.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*):([^@\s/]*)@/gi, "$1$2:***@");
  for (const s of secrets) {
    if (s !== undefined && s.length >= 3) {
      out = out.split(s).join("***");
      const encoded = encodeURIComponent(s);
      if (encoded !== s) out = out.split(encoded).join("***");
    }
  }
  return out;
}
