/**
 * Camera credentials that sit inside an RTSP URL: the userinfo (`rtsp://user:pass@host/…`) and the
 * `name=value` parameters some cameras and recorders take instead, in the query or, on Xiongmai/XMEye
 * boxes, as the last path segment:
 * - Xiongmai/XMEye: `rtsp://host:554/user=admin&password=&channel=1&stream=0.sdp?` (their default URL);
 * - Dahua NVRs: `…/cam/realmonitor?channel=1&subtype=0&user=admin&password=…`;
 * - Hikvision: `…/Streaming/Channels/101?username=…&password=…` ("used only when a streaming media
 *   server fetches the stream");
 * - Foscam and its clones: `usr=` / `user=` with `pwd=`; other firmware spells them `passwd=` / `pass=`.
 * Both kinds are moved out of the URL before it is stored (the URL keeps the parameter, emptied, so it is
 * known where the value goes back) and are put back only in the argv of ffmpeg/ffprobe.
 */

const usernameParams = new Set(["user", "username", "usr"]);
const passwordParams = new Set(["password", "passwd", "pwd", "pass"]);

/** The parameter names that carry a password, for redact(): `(?:password|passwd|pwd|pass)`. */
export const passwordParamPattern = `(?:${[...passwordParams].join("|")})`;

type Role = "username" | "password";

function paramRole(rawName: string): Role | undefined {
  const name = safeDecode(rawName).toLowerCase();
  if (usernameParams.has(name)) return "username";
  if (passwordParams.has(name)) return "password";
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Rewrites each `name=value` item of an `&`-separated list (a query without its `?`, or a path segment)
 * whose name carries a credential; every other item stays byte for byte.
 */
function mapCredentialItems(list: string, map: (role: Role, rawValue: string) => string): string {
  if (!list.includes("=")) return list;
  return list
    .split("&")
    .map((item) => {
      const eq = item.indexOf("=");
      if (eq <= 0) return item;
      const role = paramRole(item.slice(0, eq));
      return role === undefined ? item : `${item.slice(0, eq + 1)}${map(role, item.slice(eq + 1))}`;
    })
    .join("&");
}

/** Applies mapCredentialItems to the query and to every path segment of a parsed URL, in place. */
function mapUrlCredentialItems(url: URL, map: (role: Role, rawValue: string) => string): void {
  url.pathname = url.pathname
    .split("/")
    .map((segment) => mapCredentialItems(segment, map))
    .join("/");
  if (url.search !== "") url.search = mapCredentialItems(url.search.slice(1), map);
}

/**
 * Splits `rtsp://user:pass@host/…?user=…&password=…` into a URL that holds no credential (the
 * parameters stay, emptied) plus the credentials themselves. The userinfo wins over a parameter.
 */
export function separateCredentials(raw: string): { url: string; username?: string; password?: string } {
  const url = new URL(raw);
  const found: { username?: string; password?: string } = {};
  if (url.username !== "") found.username = safeDecode(url.username);
  if (url.password !== "") found.password = safeDecode(url.password);
  url.username = "";
  url.password = "";
  mapUrlCredentialItems(url, (role, rawValue) => {
    if (rawValue !== "") found[role] ??= safeDecode(rawValue);
    return "";
  });
  return { url: url.toString(), ...found };
}

/**
 * The reverse, at spawn time only: fills each emptied credential parameter of a stored URL with the
 * camera's username or password (percent-encoded). The userinfo is handled by the caller.
 */
export function fillCredentialParams(raw: string, username?: string, password?: string): string {
  const url = new URL(raw);
  mapUrlCredentialItems(url, (role, rawValue) => {
    const value = role === "username" ? username : password;
    return rawValue === "" && value !== undefined ? encodeURIComponent(value) : rawValue;
  });
  return url.toString();
}
