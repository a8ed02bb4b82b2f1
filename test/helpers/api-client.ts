/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment --
   tests read JSON answers ad hoc; the gateway's own code stays fully typed. */
/** A small HTTP client with a cookie jar: an admin's browser, or a parent's phone, in tests. */
export class ApiClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; text: string; headers: Headers }> {
    const init: RequestInit = { method, headers: { ...headers }, redirect: "manual" };
    if (this.cookies.size > 0) {
      (init.headers as Record<string, string>).cookie = [...this.cookies]
        .map(([k, v]) => `${k}=${v}`)
        .join("; ");
    }
    if (body !== undefined) {
      if (typeof body === "string" || Buffer.isBuffer(body)) {
        init.body = typeof body === "string" ? body : new Uint8Array(body);
      } else {
        init.body = JSON.stringify(body);
        (init.headers as Record<string, string>)["content-type"] ??= "application/json";
      }
    }
    const res = await fetch(this.base + path, init);
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (pair === undefined || eq < 0) continue;
      const value = pair.slice(eq + 1);
      if (value === "" || /max-age=0/i.test(c)) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), value);
    }
    const text = await res.text();
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  }

  get(path: string) {
    return this.request("GET", path);
  }
  post(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request("POST", path, body ?? {}, headers);
  }
  patch(path: string, body: unknown) {
    return this.request("PATCH", path, body);
  }
  put(path: string, body: unknown) {
    return this.request("PUT", path, body);
  }
  delete(path: string) {
    return this.request("DELETE", path);
  }

  /** Signs in; throws unless it worked. */
  async login(username: string, password: string): Promise<this> {
    const r = await this.post("/api/auth/login", { username, password });
    if (r.status !== 200) throw new Error(`login ${username}: ${String(r.status)} ${r.text}`);
    return this;
  }

  /** Like request, but throws unless the status is the expected one; returns the body. */
  async expect(status: number, method: string, path: string, body?: unknown): Promise<any> {
    const r = await this.request(method, path, body);
    if (r.status !== status)
      throw new Error(`${method} ${path}: expected ${String(status)}, got ${String(r.status)} ${r.text}`);
    return r.body;
  }
}
