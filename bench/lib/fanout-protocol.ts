/** Messages between bench/fanout.ts and its load-generator processes (bench/lib/fanout-worker.ts). */

/**
 * `llhls`: blocking playlist reloads (_HLS_msn/_HLS_part), then every new part, on one keep-alive connection
 * per viewer. `poll`: plain HLS, the playlist every `pollMs` (phases spread evenly), then every new segment.
 */
export type ViewerMode = "llhls" | "poll";

export type ToWorker =
  | { type: "config"; mode: ViewerMode; host: string; port: number; base: string; pollMs: number }
  /** Starts `count` more viewers spread over `rampMs`; answered by `added`. */
  | { type: "add"; count: number; rampMs: number }
  /** A renewed stream token: the path prefix every later request uses. */
  | { type: "base"; base: string }
  /** Opens a measurement window (resets every viewer's window counters). */
  | { type: "open" }
  /** Closes the window; answered by `adverts`. */
  | { type: "close" }
  /** The earliest advertisement of each part over all workers; answered by `stats`. */
  | { type: "delays"; adverts: [number, number][] }
  | { type: "stop" };

export interface WindowStats {
  viewers: number;
  /**
   * Viewers that, within the window, missed no part, kept their connection and received at least one part
   * (an HTTP error answer that cost no part, e.g. a refused blocking reload, counts only in `errors`).
   */
  held: number;
  /** Parts skipped (a gap in part numbers) or answered with an error. */
  missed: number;
  /** Viewers that missed at least one part. */
  viewersMissing: number;
  /** Playlist answers other than 200, and connection errors. */
  errors: number;
  errorKinds: Record<string, number>;
  received: number;
  bytes: number;
  /** Delivery delay histogram in 1 ms bins: [bin, count]. */
  histogram: [number, number][];
  /** Receipts of parts whose advertisement nobody saw (should be 0). */
  unmatched: number;
  playlistRequests: number;
}

export type FromWorker =
  | { type: "added"; ok: number; failed: number }
  /** For each part received in the window: the earliest time this worker saw a playlist list it. */
  | { type: "adverts"; adverts: [number, number][] }
  | { type: "stats"; stats: WindowStats };
