/** Time as the gateway sees it; injected so state machines are tested with a fake clock. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: unknown;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return { id: t };
  },
  clearTimeout: (h) => {
    clearTimeout(h.id as NodeJS.Timeout);
  },
};

/**
 * A clock that tells `now` (tests move it across midnight and holidays) while its timers stay the system's:
 * the gateway keeps one clock, so access decisions, tokens, records and stream timers agree on it.
 */
export function clockAt(now: () => number, timers: Clock = systemClock): Clock {
  return {
    now,
    setTimeout: (fn, ms) => timers.setTimeout(fn, ms),
    clearTimeout: (handle) => {
      timers.clearTimeout(handle);
    },
  };
}
