import { randomBytes } from "node:crypto";
import type { RenditionName } from "../cameras/camera.js";
import type { Clock, TimerHandle } from "../common/clock.js";
import type { Logger } from "../log/logger.js";
import { Fmp4BoxReader } from "../streaming/fmp4/box-reader.js";
import type { FeedCallbacks, RenditionFeed } from "../streaming/rendition-feed.js";
import { Backoff, type RenditionState, type SupervisorHealth } from "../streaming/rendition-supervisor.js";
import { decodeJson, encodeJson, type LinkMessage, type LinkTransport } from "./link-transport.js";
import { mediaHeader, relayReplySchema, type RelayRequest } from "./link-messages.js";
import { subjects } from "./subjects.js";

export interface RelayFeedOptions {
  /** No fragment for this long while live: stalled, asked again after a backoff. */
  stallSeconds: number;
  /** No fragment this long after the start was asked for: failed. */
  startTimeoutSeconds: number;
  /** How often the hub tells the edge it still watches (and how much it received). */
  keepaliveMs: number;
  requestTimeoutMs: number;
}

/**
 * At a hub, the feed of one rendition of an edge's camera: asks the edge to relay it (`relay.start`),
 * keeps it relaying while the rendition runs (`relay.keepalive` every second, with the bytes received: the
 * edge's flow control), and hands what arrives on the media subject to the same fMP4 reader a local ffmpeg's
 * output goes through, so the LiveStream above cannot tell the two apart and a malformed message from an
 * edge fails the run like unreadable ffmpeg output. Same states and backoff as rendition-supervisor.ts;
 * a link that goes quiet is a stall (the edge's or the link's), asked again after the backoff.
 */
export class RelayFeed implements RenditionFeed {
  private st: RenditionState = "idle";
  private sinceMs: number;
  private generation = 0;
  private session = "";
  private receivedBytes = 0;
  private unsubscribe: (() => void) | undefined;
  private reader: Fmp4BoxReader | undefined;
  /** The edge's `<bootId>.<initId>` of the init being read, and the last fragment number read under it. */
  private mediaGeneration: string | undefined;
  private lastSequence = -1;
  private lastFragment: number | undefined;
  private liveSince: number | undefined;
  private readonly backoffs = new Backoff();
  private nextAttempt: number | undefined;
  private restarts = 0;
  private error: string | undefined;
  private timer: TimerHandle | undefined;
  private keepTimer: TimerHandle | undefined;
  /** While in backoff because the edge is off the link: stops waiting for it to come back. */
  private stopWaiting: (() => void) | undefined;
  private readonly listeners = new Set<(s: RenditionState) => void>();

  constructor(
    private readonly link: LinkTransport,
    private readonly edgeId: string,
    private readonly cameraId: string,
    private readonly rendition: RenditionName,
    private readonly cb: FeedCallbacks,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: RelayFeedOptions,
    /** Whether the edge is on the link now (the directory): an offline edge is not asked. */
    private readonly edgeOnline: () => boolean,
    /** Calls the listener each time the edge comes (back) on the link; returns the unsubscribe. */
    private readonly onEdgeOnline?: (listener: () => void) => () => void,
  ) {
    this.sinceMs = clock.now();
  }

  get state(): RenditionState {
    return this.st;
  }

  start(): void {
    if (this.st === "idle") this.begin("start requested");
    else if (this.st === "backoff") {
      this.cb.onReconnect?.();
      this.begin("start requested");
    }
  }

  stop(reason = "stop requested"): Promise<void> {
    if (this.st === "idle") return Promise.resolve();
    const running = this.st === "starting" || this.st === "live";
    this.end();
    if (running) this.cb.onRunEnd();
    this.transition("idle", reason);
    return Promise.resolve();
  }

  restart(reason: string): void {
    if (this.st === "idle") return;
    const running = this.st === "starting" || this.st === "live";
    this.end();
    if (running) this.cb.onRunEnd();
    this.restarts++;
    this.begin(reason);
  }

  onStateChange(listener: (s: RenditionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  health(): SupervisorHealth {
    return {
      state: this.st,
      since: this.sinceMs,
      restarts: this.restarts,
      lastError: this.error,
      lastFragmentAt: this.lastFragment,
      nextAttemptAt: this.st === "backoff" ? this.nextAttempt : undefined,
      pid: undefined,
      stderr: [],
    };
  }

  private begin(reason: string): void {
    this.clearWait();
    const gen = ++this.generation;
    this.session = randomBytes(12).toString("base64url");
    this.receivedBytes = 0;
    this.reader = undefined;
    this.mediaGeneration = undefined;
    this.lastSequence = -1;
    this.lastFragment = undefined;
    this.transition("starting", reason);
    if (!this.edgeOnline()) {
      this.fail(gen, "the school's edge is not on the link");
      return;
    }
    // Timers before the request: the GOP may arrive before the reply does (the live watchdog then
    // replaces the start timeout).
    this.setTimer(gen, this.opts.startTimeoutSeconds * 1000, () => {
      if (this.st === "starting")
        this.fail(gen, `no video from the edge within ${String(this.opts.startTimeoutSeconds)} s`);
    });
    this.keepalive(gen);
    const subject = subjects.media(this.edgeId, this.cameraId, this.rendition);
    this.unsubscribe = this.link.subscribe(subject, (m) => {
      this.received(gen, m);
    });
    this.link
      .request(
        subjects.ctl(this.edgeId, "relay.start"),
        encodeJson(this.request()),
        this.opts.requestTimeoutMs,
      )
      .then(
        (data) => {
          if (gen !== this.generation) return;
          const reply = relayReplySchema.safeParse(decodeJson(data));
          if (!reply.success) this.fail(gen, "the edge answered relay.start with something unreadable");
          else if (!reply.data.ok)
            this.fail(gen, `the edge refused: ${reply.data.code}: ${reply.data.message}`);
        },
        (err: unknown) => {
          this.fail(gen, `the edge did not answer relay.start: ${(err as Error).message}`);
        },
      );
  }

  private request(): RelayRequest {
    return {
      cameraId: this.cameraId,
      rendition: this.rendition,
      session: this.session,
      receivedBytes: this.receivedBytes,
    };
  }

  private keepalive(gen: number): void {
    this.keepTimer = this.clock.setTimeout(() => {
      if (gen !== this.generation || (this.st !== "starting" && this.st !== "live")) return;
      if (this.link.connected)
        this.link.publish(subjects.ctl(this.edgeId, "relay.keepalive"), encodeJson(this.request()));
      this.keepalive(gen);
    }, this.opts.keepaliveMs);
  }

  private received(gen: number, m: LinkMessage): void {
    if (gen !== this.generation || (this.st !== "starting" && this.st !== "live")) return;
    const kind = m.header(mediaHeader.kind);
    const g = m.header(mediaHeader.generation);
    const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    this.receivedBytes += data.length;
    this.cb.onIngest?.(data.length);
    try {
      if (kind === "init") {
        // The same init again (a new session's GOP, sent to every hub): the stream goes on as it was.
        if (g === this.mediaGeneration) return;
        this.mediaGeneration = g;
        this.lastSequence = -1;
        this.reader = new Fmp4BoxReader({
          onInit: (init) => {
            this.cb.onInit(init);
          },
          onFragment: (f) => {
            // A GOP sent again for another session repeats fragments this hub has.
            if (f.sequenceNumber <= this.lastSequence) return;
            this.lastSequence = f.sequenceNumber;
            this.lastFragment = this.clock.now();
            if (this.st === "starting") this.becomeLive(gen);
            this.cb.onFragment(f);
          },
        });
        this.reader.push(data);
      } else if (kind === "frag") {
        // Fragments of an init this hub has not read (it joined mid-run): wait for the next init.
        if (g !== this.mediaGeneration || !this.reader) return;
        this.reader.push(data);
      } else {
        throw new Error(`a media message of kind ${JSON.stringify(kind)}`);
      }
    } catch (err) {
      this.fail(gen, `unreadable relay from the edge: ${(err as Error).message}`);
    }
  }

  private becomeLive(gen: number): void {
    this.liveSince = this.clock.now();
    this.transition("live", "first fragment from the edge");
    this.watch(gen);
  }

  private watch(gen: number): void {
    this.setTimer(gen, 1000, () => {
      if (this.st !== "live") return;
      const age = this.clock.now() - (this.lastFragment ?? 0);
      if (age > this.opts.stallSeconds * 1000) {
        this.error = `no fragment from the edge for ${String(this.opts.stallSeconds)} s`;
        this.transition("stalled", this.error);
        this.end();
        this.cb.onRunEnd();
        this.backoff();
      } else {
        this.watch(gen);
      }
    });
  }

  private fail(gen: number, message: string): void {
    if (gen !== this.generation || (this.st !== "starting" && this.st !== "live")) return;
    this.error = message;
    this.transition("failed", message);
    this.end();
    this.cb.onRunEnd();
    this.backoff();
  }

  /** Stops listening and tells the edge this session is over (it stops when no session is left). */
  private end(): void {
    this.clearTimers();
    this.clearWait();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.reader = undefined;
    if (this.session !== "" && this.link.connected) {
      this.link.publish(subjects.ctl(this.edgeId, "relay.stop"), encodeJson(this.request()));
    }
    this.generation++;
  }

  private backoff(): void {
    const delay = this.backoffs.next(
      this.liveSince === undefined ? undefined : this.clock.now() - this.liveSince,
    );
    this.liveSince = undefined;
    this.nextAttempt = this.clock.now() + delay;
    this.transition("backoff", `retry in ${(delay / 1000).toFixed(1)} s`);
    const gen = this.generation;
    const retry = (why: string) => {
      if (this.st !== "backoff" || gen !== this.generation) return;
      this.restarts++;
      this.cb.onReconnect?.();
      this.begin(why);
    };
    this.setTimer(gen, delay, () => {
      retry("backoff elapsed");
    });
    // An edge off the link (restarting, its line cut) is asked again the moment it is back, not after a
    // backoff that grew while it was away (up to a minute of a parent's black screen).
    if (this.onEdgeOnline && !this.edgeOnline())
      this.stopWaiting = this.onEdgeOnline(() => {
        retry("the edge is back on the link");
      });
  }

  private clearWait(): void {
    this.stopWaiting?.();
    this.stopWaiting = undefined;
  }

  private transition(to: RenditionState, reason: string): void {
    const from = this.st;
    this.st = to;
    this.sinceMs = this.clock.now();
    const level = to === "failed" || to === "stalled" ? "warn" : "info";
    this.log[level](`${from} → ${to}: ${reason}`);
    for (const l of this.listeners) l(to);
  }

  private setTimer(gen: number, ms: number, fn: () => void): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (gen === this.generation) fn();
    }, ms);
  }

  private clearTimers(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    if (this.keepTimer) this.clock.clearTimeout(this.keepTimer);
    this.timer = this.keepTimer = undefined;
  }
}
