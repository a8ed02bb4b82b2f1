/**
 * The console's one way to the gateway's JSON API: same origin, the session cookie, and errors as ApiError
 * carrying the gateway's code, field and, where it gives them, its words in both languages.
 */
export interface Messages {
  id: string;
  en: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly messages?: Messages,
    /** The rest of the error body (detail, retry hints). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** What the console tells an admin for the codes that have no words of their own in the answer. */
const knownCodes: Record<string, Messages> = {
  unauthorized: { id: "Silakan masuk lagi.", en: "Please sign in again." },
  forbidden: { id: "Akun Anda tidak boleh melakukan ini.", en: "Your account may not do this." },
  not_found: {
    id: "Data ini tidak ada lagi (mungkin sudah dihapus). Muat ulang halaman.",
    en: "This no longer exists (it may have been removed). Reload the page.",
  },
  conflict: {
    id: "Bentrok dengan data yang sudah ada: periksa nama atau alamatnya.",
    en: "This clashes with something that exists: check its name or address.",
  },
  rate_limited: {
    id: "Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi.",
    en: "Too many requests. Wait a moment and try again.",
  },
  body_too_large: { id: "Berkas atau isian terlalu besar.", en: "The file or form is too large." },
  invalid_credentials: {
    id: "Nama pengguna atau kata sandi salah.",
    en: "Wrong username or password.",
  },
  network: {
    id: "Gateway tidak dapat dihubungi. Periksa jaringan, lalu coba lagi.",
    en: "The gateway cannot be reached. Check the network, then try again.",
  },
  internal: {
    id: "Terjadi kesalahan di gateway. Coba lagi; bila berulang, hubungi Diskominfo.",
    en: "Something went wrong in the gateway. Try again; if it repeats, contact Diskominfo.",
  },
};

/** The words to show for an error: the gateway's own, else the console's for its code, else its message. */
export function errorText(e: unknown, lang: "id" | "en"): string {
  if (e instanceof ApiError) {
    const m = e.messages ?? knownCodes[e.code];
    if (m) return m[lang];
    return e.field !== undefined ? `${e.field}: ${e.message}` : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

type Body = unknown;

async function request(method: string, path: string, body?: Body, contentType?: string): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    if (contentType !== undefined) {
      headers["content-type"] = contentType;
      payload = body as BodyInit;
    } else {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  } catch (e) {
    throw new ApiError(0, "network", e instanceof Error ? e.message : "network error");
  }
  if (res.ok) return res;
  let err: { code?: string; message?: string; field?: string; messages?: Messages } = {};
  try {
    const j = (await res.json()) as { error?: typeof err };
    err = j.error ?? {};
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const { code, message, field, messages, ...extra } = err;
  if (res.status === 401) onSignedOut?.();
  throw new ApiError(
    res.status,
    code ?? `http_${res.status}`,
    message ?? res.statusText,
    field,
    messages,
    extra,
  );
}

/** Set by the session: a 401 anywhere means the session ended, and the console returns to sign-in. */
let onSignedOut: (() => void) | undefined;
export function whenSignedOut(f: () => void): void {
  onSignedOut = f;
}

export const api = {
  async get<T>(path: string): Promise<T> {
    return (await (await request("GET", path)).json()) as T;
  },
  async text(path: string): Promise<string> {
    return (await request("GET", path)).text();
  },
  async post<T>(path: string, body?: Body): Promise<T> {
    return parse<T>(await request("POST", path, body ?? {}));
  },
  async put<T>(path: string, body: Body): Promise<T> {
    return parse<T>(await request("PUT", path, body));
  },
  async patch<T>(path: string, body: Body): Promise<T> {
    return parse<T>(await request("PATCH", path, body));
  },
  async delete<T>(path: string): Promise<T> {
    return parse<T>(await request("DELETE", path));
  },
  /** A non-JSON body (the roster CSV). */
  async upload<T>(path: string, data: Blob | string, contentType: string): Promise<T> {
    return parse<T>(await request("POST", path, data, contentType));
  },
};

async function parse<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Path segments are ids the gateway made, but a name typed by someone never goes into a path unescaped. */
export const seg = encodeURIComponent;
