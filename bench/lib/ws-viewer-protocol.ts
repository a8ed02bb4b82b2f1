/** Messages between a benchmark and its WebSocket viewer processes (bench/lib/ws-viewer-worker.ts). */

export type ToWsWorker =
  /** Opens one viewer per URL, spread over `rampMs`, each in `group` (a camera); answered by `added`. */
  | { type: "add"; viewers: { url: string; group: string }[]; rampMs: number }
  /** Opens a measurement window (every viewer's window counters start again). */
  | { type: "open" }
  /** Closes the window; answered by `stats`. */
  | { type: "close" }
  | { type: "stop" };

/** One viewer's counts over a window. */
export interface WsViewerWindow {
  group: string;
  /** Fragments (moof) received, and the frames (trun samples) in them. */
  fragments: number;
  frames: number;
  bytes: number;
  /** Fragments skipped: gaps in the mfhd sequence numbers this viewer received. */
  missed: number;
  /** The socket was still open at the end of the window. */
  open: boolean;
  /** Close code, when the socket closed (during the window or before it). */
  closeCode: number | undefined;
  /** The last mfhd sequence number received, to tell a viewer that fell behind the others. */
  lastSequence: number | undefined;
}

export type FromWsWorker =
  | { type: "added"; ok: number; failed: number; errors: string[] }
  | { type: "stats"; viewers: WsViewerWindow[] };
