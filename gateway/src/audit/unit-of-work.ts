import type { Db } from "../db/database.js";
import type { Logger } from "../log/logger.js";
import type { Actor, AuditRepository } from "./audit.repository.js";

export interface ChangeRecord {
  schoolId: string | null;
  action: string;
  targetKind: string;
  targetId?: string;
  detail?: Record<string, unknown>;
}

/** Told after each commit; a promise it returns is awaited by applySettled() and logged if it fails. */
export type CommitListener = (change: ChangeRecord) => void | Promise<void>;

/**
 * The unit of work of every admin change: the change and its audit record commit in one transaction (both
 * or neither), then every listener hears of it. main.ts wires the access state (the very next media request
 * sees the change) and the stream manager (running renditions follow an edited camera) to it.
 */
export class UnitOfWork {
  private readonly listeners: CommitListener[] = [];

  constructor(
    private readonly db: Db,
    private readonly audit: AuditRepository,
    private readonly log: Logger,
  ) {}

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  /** Commits fn and its audit record; listeners are told at once and not waited for. */
  apply<T>(actor: Actor, what: ChangeRecord | ((result: T) => ChangeRecord), fn: () => T): T {
    return this.commit(actor, what, fn).result;
  }

  /** As apply(), and resolves once every listener has finished: a deleted camera's ffmpeg has exited. */
  async applySettled<T>(
    actor: Actor,
    what: ChangeRecord | ((result: T) => ChangeRecord),
    fn: () => T,
  ): Promise<T> {
    const { result, settled } = this.commit(actor, what, fn);
    await settled;
    return result;
  }

  private commit<T>(
    actor: Actor,
    what: ChangeRecord | ((result: T) => ChangeRecord),
    fn: () => T,
  ): { result: T; settled: Promise<void> } {
    let record: ChangeRecord | undefined;
    const result = this.db.transaction(() => {
      const r = fn();
      record = typeof what === "function" ? what(r) : what;
      this.audit.record({ actor, ...record });
      return r;
    })();
    const change = record as ChangeRecord;
    const settled = Promise.all(
      this.listeners.map(async (listener) => {
        try {
          await listener(change);
        } catch (err) {
          this.log.error({ err }, `after ${change.action}: a listener failed`);
        }
      }),
    ).then(() => undefined);
    return { result, settled };
  }
}
