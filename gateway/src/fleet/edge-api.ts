import { randomBytes } from "node:crypto";
import { sessionCookie } from "../http/admin-auth.js";
import type { Logger } from "../log/logger.js";
import { hashPassword } from "../users/passwords.js";
import type { User } from "../users/user.js";
import type { UserRepository } from "../users/user.repository.js";
import type { ApiReply, ApiRequest } from "./link-messages.js";

/** The edge's own account the hub's forwarded calls run as (the edge's audit names it). */
export const hubUsername = "hub";

/**
 * The edge's own HTTP API, called on loopback for the hub: the same routes, checks and error texts the
 * school's admins get at the edge itself, with nothing written twice. Each call runs on a session of the
 * `hub` operator account that lasts only for the call; the account has a random password no one knows.
 */
export class EdgeApi {
  private constructor(
    private readonly users: UserRepository,
    private readonly user: User,
    private readonly baseUrl: () => string,
    private readonly log: Logger,
  ) {}

  static async open(users: UserRepository, baseUrl: () => string, log: Logger): Promise<EdgeApi> {
    const user =
      users.credentials(hubUsername)?.user ??
      users.create(
        { username: hubUsername, displayName: "Hub (Diskominfo)", role: "operator" },
        await hashPassword(randomBytes(24).toString("base64url")),
      );
    return new EdgeApi(users, user, baseUrl, log);
  }

  async call(req: ApiRequest): Promise<ApiReply> {
    const { session, token } = this.users.createSession(this.user.id, 120_000, "127.0.0.1");
    try {
      const res = await fetch(`${this.baseUrl()}${req.path}`, {
        method: req.method,
        headers: {
          cookie: `${sessionCookie}=${token}`,
          ...(req.body !== undefined && { "content-type": "application/json" }),
        },
        ...(req.body !== undefined && { body: JSON.stringify(req.body) }),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = { error: { code: "bad_gateway", message: "the edge answered something that is not JSON" } };
      }
      return { status: res.status, body };
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, `api ${req.method} ${req.path} failed at the edge`);
      return { status: 502, body: { error: { code: "edge_error", message: (err as Error).message } } };
    } finally {
      this.users.deleteSession(session.id);
    }
  }
}
