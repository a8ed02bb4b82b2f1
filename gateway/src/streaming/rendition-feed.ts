import type { Camera, EdgeSource, RenditionName } from "../cameras/camera.js";
import type { Logger } from "../log/logger.js";
import type { Fragment, InitSegment } from "./fmp4/fmp4-types.js";
import type { RenditionState, SupervisorHealth } from "./rendition-supervisor.js";

/** What a feed tells its rendition: the same for a local ffmpeg and for fragments relayed from an edge. */
export interface FeedCallbacks {
  onInit: (init: InitSegment) => void;
  onFragment: (f: Fragment) => void;
  /** A run ended for any reason (the stream's waiters are woken). */
  onRunEnd: () => void;
  /** Bytes received (the camera's ingest counter). */
  onIngest?: (bytes: number) => void;
  /** A start that follows a failure or a stall. */
  onReconnect?: () => void;
}

/**
 * Where a rendition's init segments and fragments come from, with one lifecycle (rendition-supervisor.ts's
 * states): a supervised ffmpeg at the gateway that pulls the camera, or at a hub the edge's relay
 * (fleet/relay-feed.ts). The LiveStream, LL-HLS and WebSocket code above it cannot tell them apart.
 */
export interface RenditionFeed {
  readonly state: RenditionState;
  start(reason?: string): void;
  stop(reason?: string): Promise<void>;
  restart(reason: string): void;
  onStateChange(listener: (s: RenditionState) => void): () => void;
  health(): SupervisorHealth;
}

/** A hub's maker of relayed feeds: a camera of an edge, one of its renditions. */
export type RelayFeeds = (
  camera: Camera & { source: EdgeSource },
  rendition: RenditionName,
  callbacks: FeedCallbacks,
  log: Logger,
) => RenditionFeed;
