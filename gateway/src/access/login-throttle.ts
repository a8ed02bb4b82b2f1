export interface LoginThrottleOptions {
  /** Tries on one account from one address that need no wait; after that each try waits for the next. */
  freeFailures: number;
  /** The longest wait between two tries; the wait starts at 1 s and doubles up to this. */
  maxDelayMs: number;
}

export type LoginTry =
  /** Check the password; `waitMs` is how long this address waits before its next try if it was wrong. */
  | { allowed: true; waitMs: number }
  /** Answer without checking the password: this address is still waiting. */
  | { allowed: false; waitMs: number };

interface Entry {
  failures: number;
  nextAt: number;
  lastAt: number;
}

const firstDelayMs = 1000;
/** An account and address that have been quiet this long start again with a clean count. */
const forgetAfterMs = 24 * 3_600_000;
/** Bounds memory however many names and addresses are tried: the longest-quiet entries go first. */
const maxEntries = 50_000;

/**
 * Slows password guessing per (account name, client address) instead of locking the account: a laptop that
 * guesses waits longer after each wrong try (1 s, 2 s, 4 s … up to the cap), while the real user signs in
 * from anywhere else at once. Names are counted whether or not an account has them, so the waits tell a
 * stranger nothing about which accounts exist. In memory: a restart forgets the counts, which costs an
 * attacker nothing they did not have (the per-address attempt limit still holds) and needs no migration.
 */
export class LoginThrottle {
  /** In order of last try, oldest first (an entry is moved to the end on each try). */
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly o: LoginThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Called before the password is checked, and counted as a failure at once: parallel tries from one address
   * cannot all slip through before the first one fails. A sign-in that works then calls succeeded().
   */
  attempt(account: string, address: string): LoginTry {
    const at = this.now();
    this.forgetQuiet(at);
    const key = `${address}\n${account}`;
    const entry = this.entries.get(key);
    // A clock set back does not turn a wait into hours: only a try inside the wait is held back.
    if (entry && at >= entry.lastAt && at < entry.nextAt)
      return { allowed: false, waitMs: entry.nextAt - at };
    const failures = (entry?.failures ?? 0) + 1;
    const waitMs = this.delayAfter(failures);
    this.entries.delete(key);
    this.entries.set(key, { failures, nextAt: at + waitMs, lastAt: at });
    if (this.entries.size > maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return { allowed: true, waitMs };
  }

  /** The right password: this address starts again with a clean count for this account. */
  succeeded(account: string, address: string): void {
    this.entries.delete(`${address}\n${account}`);
  }

  /** The wait left by the `failures`-th wrong try in a row. */
  delayAfter(failures: number): number {
    if (failures < this.o.freeFailures) return 0;
    return Math.min(this.o.maxDelayMs, firstDelayMs * 2 ** Math.min(failures - this.o.freeFailures, 40));
  }

  private forgetQuiet(at: number): void {
    for (const [key, e] of this.entries) {
      if (at - e.lastAt < forgetAfterMs) return;
      this.entries.delete(key);
    }
  }
}
