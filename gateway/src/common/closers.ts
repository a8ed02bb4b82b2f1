import type { Logger } from "../log/logger.js";

/**
 * What the composition root opened, closed in reverse order (MediaMTX's create/close symmetry): on shutdown,
 * and when start-up fails part way, so a failed start leaves no ffmpeg, timer, socket or open database behind.
 */
export class Closers {
  private readonly stack: { name: string; close: () => unknown }[] = [];

  constructor(private readonly log: Logger) {}

  add(name: string, close: () => unknown): void {
    this.stack.push({ name, close });
  }

  /** Closes everything added, last first; one failing close is logged and the rest still close. */
  async closeAll(): Promise<void> {
    for (let c = this.stack.pop(); c !== undefined; c = this.stack.pop()) {
      try {
        await c.close();
      } catch (err) {
        this.log.error({ err }, `closing ${c.name} failed`);
      }
    }
  }
}
