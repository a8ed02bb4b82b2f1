/** What to do with the next frame for one WebSocket viewer. */
export type FrameDecision = "send" | "skip" | "drop";

/**
 * A viewer is never buffered without bound: while more than `maxBufferedBytes` wait in its socket, frames are
 * skipped, and sending resumes only at a keyframe (the decoder must never see a frame whose references were
 * dropped). Every keyframe that still finds the viewer over the limit counts as one skip; after
 * `dropAfterSkips` of them in a row the viewer is disconnected (its page reconnects and starts fresh).
 */
export class SlowViewerPolicy {
  private skipping = false;
  private skips = 0;

  constructor(
    private readonly maxBufferedBytes: number,
    private readonly dropAfterSkips: number,
  ) {}

  decide(bufferedBytes: number, keyframe: boolean): FrameDecision {
    if (bufferedBytes > this.maxBufferedBytes) {
      if (!this.skipping || keyframe) this.skips++;
      this.skipping = true;
      return this.skips > this.dropAfterSkips ? "drop" : "skip";
    }
    if (this.skipping) {
      if (!keyframe) return "skip";
      this.skipping = false;
    } else if (keyframe) {
      // A whole GOP went out without trouble: forget earlier skips.
      this.skips = 0;
    }
    return "send";
  }

  /** A new init segment restarts decoding anyway. */
  reset(): void {
    this.skipping = false;
  }
}
