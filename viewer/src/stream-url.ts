/**
 * Stream URLs carry a short-lived token in the path (`/live/<token>/…`, design.md "Stream tokens"); these
 * helpers swap a renewed token in and decide when to renew.
 */

const tokenInPath = /\/live\/([^/?#]+)\//;

/** The stream token of a `/live/<token>/…` URL (absolute or not). */
export function tokenOf(url: string): string | undefined {
  return tokenInPath.exec(url)?.[1];
}

/** `url` with its `/live/<token>/` prefix pointing at `token`; other URLs unchanged. */
export function withToken(url: string, token: string): string {
  return url.replace(tokenInPath, `/live/${token}/`);
}

/** A rendition's own path under the token: `/live/t/index.m3u8` → `/live/t/sub/index.m3u8` (same for ws). */
export function renditionUrl(url: string, rendition: string): string {
  return url.replace(/\/(index\.m3u8|ws)$/, `/${rendition}/$1`);
}

/**
 * Milliseconds from now until a token should be renewed: at `fraction` of its life. The life is measured
 * against the server's clock (the watch response's Date header) because a phone's clock is often minutes
 * off; without that header the local clock stands in.
 */
export function renewDelayMs(
  expiresAt: string,
  serverDate: string | null,
  localNow: number,
  fraction = 0.8,
): number {
  const exp = Date.parse(expiresAt);
  const issued = serverDate === null ? Number.NaN : Date.parse(serverDate);
  const life = exp - (Number.isNaN(issued) ? localNow : issued);
  if (Number.isNaN(life)) return 60_000;
  return Math.max(5_000, Math.floor(life * fraction));
}

/** The `error.code` of a gateway error body (`{error:{code,message}}`), if that is what `body` is. */
export function reasonFromBody(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } } | null;
    const code = parsed?.error?.code;
    return typeof code === "string" && /^[a-z_]{1,40}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** What the page does about a refusal code, wherever it came from (watch call, media request, WebSocket). */
export type RefusalAction =
  /** The token went stale or is unknown (gateway restarted): ask for fresh URLs and start again. */
  | "reauthorize"
  /** A rule says no for now (hours, holiday, pause, limit, camera gone): stop, say why and when. */
  | "wait"
  /** This device may not watch at all any more: stop everything. */
  | "blocked"
  /** Too many requests: stop, try again a little later. */
  | "backoff";

export function refusalAction(code: string | undefined): RefusalAction {
  switch (code) {
    case "outside_hours":
    case "holiday":
    case "paused":
    case "camera_unavailable":
    case "camera_offline":
    case "not_authorized":
    case "viewer_limit":
    case "socket_limit":
    case "address_limit":
      return "wait";
    case "revoked":
    case "no_device":
    case "session_ended":
      return "blocked";
    case "rate_limited":
      return "backoff";
    case undefined:
    default:
      return "reauthorize";
  }
}
