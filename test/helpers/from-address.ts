import { request } from "node:http";

export interface AddressAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * A client whose requests leave from one loopback source address (127.0.0.2, 127.0.0.3, …): two laptops on
 * the school network as the gateway sees them, without a proxy or X-Forwarded-For.
 */
export function fromAddress(base: string, localAddress: string) {
  const send = (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<AddressAnswer> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
      const req = request(
        new URL(path, base),
        {
          method,
          localAddress,
          agent: false,
          headers: {
            ...(data !== undefined && typeof body !== "string" && { "content-type": "application/json" }),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString("utf8"),
            });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(data);
    });
  return {
    localAddress,
    request: send,
    get: (path: string, headers?: Record<string, string>) => send("GET", path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) =>
      send("POST", path, body, headers),
    login: (username: string, password: string) => send("POST", "/api/auth/login", { username, password }),
  };
}
