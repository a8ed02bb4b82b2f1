import type { AccessState } from "../access/access-state.js";
import type { Db } from "../db/database.js";
import type { Actor, AuditRepository } from "./audit.repository.js";

export interface ChangeRecord {
  schoolId: string | null;
  action: string;
  targetKind: string;
  targetId?: string;
  detail?: Record<string, unknown>;
}

/**
 * Every admin change goes through here: the change and its audit record commit in one transaction (both or
 * neither), then the in-memory access state is invalidated so the very next media request sees it.
 */
export class Changes {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditRepository,
    private readonly state: AccessState,
  ) {}

  apply<T>(actor: Actor, what: ChangeRecord | ((result: T) => ChangeRecord), fn: () => T): T {
    const result = this.db.transaction(() => {
      const r = fn();
      const rec = typeof what === "function" ? what(r) : what;
      this.audit.record({ actor, ...rec });
      return r;
    })();
    this.state.invalidate();
    return result;
  }
}
