import type { Caller } from "../access/caller.js";
import { forbidden } from "../common/errors.js";
import type { AuditEvent, AuditRepository } from "./audit.repository.js";

export interface AuditQuery {
  schoolId?: string | undefined;
  /** ISO instants: from inclusive, to exclusive. */
  from?: string | undefined;
  to?: string | undefined;
  /** An action or its prefix (`guardian` matches `guardian.create`). */
  action?: string | undefined;
  /** An actor's name (an admin's username) or id. */
  actor?: string | undefined;
  /** The id of what was acted on. */
  target?: string | undefined;
  /** Only events older than this seq (keyset paging, newest first). */
  before?: number | undefined;
  limit: number;
}

/** Reading the audit log: an operator reads every school's, a school admin their own, a teacher none. */
export class AuditService {
  constructor(private readonly audit: AuditRepository) {}

  query(by: Caller, q: AuditQuery): AuditEvent[] {
    const { user } = by;
    if (user.role === "teacher") throw forbidden();
    const toIso = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
    return this.audit.query({
      schoolId: q.schoolId,
      // A school_admin reads their own school's log and nothing else, whatever they ask for.
      schoolIds: user.role === "operator" ? undefined : [user.schoolId ?? ""],
      from: toIso(q.from),
      to: toIso(q.to),
      action: q.action,
      actor: q.actor,
      target: q.target,
      before: q.before,
      limit: q.limit,
    });
  }
}
