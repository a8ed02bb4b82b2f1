/**
 * Which requests the service worker may answer from its cache: the parent page's shell only. Everything
 * else — `/live/` (media and its WebSocket), `/api/` (the viewer's state, stream tokens, refusals), `/a/`
 * (access links), the console — goes to the network untouched: a kept copy of any of them would be stale
 * (a token, a revocation) or private (a picture).
 */
const shellPages = new Set(["/watch", "/demo", "/manifest.webmanifest"]);
const shellPrefixes = ["/assets/", "/icons/"];

export function shellRequest(method: string, url: URL, origin: string): boolean {
  if (method !== "GET" || url.origin !== origin) return false;
  const path = url.pathname;
  return shellPages.has(path) || shellPrefixes.some((p) => path.startsWith(p));
}
