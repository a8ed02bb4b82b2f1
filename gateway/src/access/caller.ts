import type { Actor } from "../audit/audit.repository.js";
import type { User } from "../users/user.js";

/**
 * Who calls a service: the signed-in admin (whose role and school the service checks) and how the audit
 * names them (with the address the request came from). Routes build it with `callerOf(req)`.
 */
export interface Caller {
  user: User;
  actor: Actor;
}
