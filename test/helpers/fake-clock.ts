import type { Clock, TimerHandle } from "../../gateway/src/common/clock.js";

/** A clock that only moves when the test says so; timers fire in time order during advance(). */
export class FakeClock implements Clock {
  private t: number;
  private timers: { id: number; at: number; fn: () => void }[] = [];
  private nextId = 0;

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.nextId;
    this.timers.push({ id, at: this.t + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(h: TimerHandle): void {
    this.timers = this.timers.filter((x) => x.id !== h.id);
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }

  get pending(): number {
    return this.timers.length;
  }
}
