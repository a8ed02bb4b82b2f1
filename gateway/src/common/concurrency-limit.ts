/** Thrown by ConcurrencyLimit.run when every slot is taken and the queue is full. */
export class BusyError extends Error {
  readonly code = "busy";
}

/**
 * At most `slots` tasks at once, at most `queue` more waiting their turn (first come, first served);
 * beyond that a task is refused at once with BusyError, so a burst of requests cannot pile up processes.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly slots: number,
    private readonly queue: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) {
      if (this.waiting.length >= this.queue) throw new BusyError("too many tasks waiting");
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      // The slot passes straight to the next in line, so `running` never drops below a waiting queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
