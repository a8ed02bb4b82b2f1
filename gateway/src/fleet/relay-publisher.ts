import type { Clock } from "../common/clock.js";
import type { Logger } from "../log/logger.js";
import type { InitEntry, LiveEvent } from "../streaming/live-stream.js";
import type { Rendition } from "../streaming/rendition.js";
import { SlowViewerPolicy } from "../streaming/ws/slow-viewer-policy.js";
import type { LinkTransport } from "./link-transport.js";
import { mediaHeader } from "./link-messages.js";
import { subjects } from "./subjects.js";

/** What the relay needs of a rendition (streaming/rendition.ts). */
export type RelayedRendition = Pick<Rendition, "stream" | "wsOpened" | "wsClosed" | "cameraId" | "name">;

/** The edge's relay counters, in its heartbeat. */
export interface RelayCounters {
  droppedFragments: number;
  sentBytes: number;
}

interface Session {
  /** Bytes sent before it joined, and what it said it received since. */
  sentAtJoin: number;
  received: number;
  lastSeen: number;
}

/**
 * At an edge, one rendition relayed to the hub: published on its media subject while at least one hub
 * session keeps it alive, starting with the init and the GOP cache (the hub's first frame is immediate).
 * The rendition counts it as one viewer, so an on-demand camera runs while the hub watches and stops after.
 * Flow control: the bytes a session has not acknowledged are what the link holds; above maxInFlightBytes
 * fragments are skipped until the next keyframe (the slow-viewer policy of the WebSocket viewers), each
 * counted, so a slow school uplink never queues without bound, and the picture resumes clean.
 */
export class RelayPublisher {
  private readonly sessions = new Map<string, Session>();
  private readonly policy: SlowViewerPolicy;
  private unsubscribe: (() => void) | undefined;
  private generation = "";
  private sent = 0;

  constructor(
    private readonly link: LinkTransport,
    private readonly edgeId: string,
    private readonly rendition: RelayedRendition,
    private readonly bootId: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly counters: RelayCounters,
    private readonly opts: { maxInFlightBytes: number; idleMs: number },
  ) {
    // Never "drop" (close): a hub behind is skipped to keyframes for as long as it is behind.
    this.policy = new SlowViewerPolicy(opts.maxInFlightBytes, Number.MAX_SAFE_INTEGER);
  }

  get active(): boolean {
    return this.unsubscribe !== undefined;
  }

  /** A hub session starts (or asks again): the init and GOP cache go out again for it. */
  join(session: string): void {
    const now = this.clock.now();
    const known = this.sessions.get(session);
    if (known) known.lastSeen = now;
    else this.sessions.set(session, { sentAtJoin: this.sent, received: 0, lastSeen: now });
    if (!this.unsubscribe) {
      this.rendition.wsOpened();
      this.unsubscribe = this.rendition.stream.subscribe((e) => {
        this.onEvent(e);
      });
      this.log.info(`relay to the hub started (session ${session})`);
    }
    const gop = this.rendition.stream.gop();
    if (gop) {
      this.sendInit(gop.init);
      gop.data.forEach((d, i) => {
        this.sendFragment(d, i === 0);
      });
    } else if (this.rendition.stream.current) {
      this.sendInit(this.rendition.stream.current);
    }
  }

  keepalive(session: string, receivedBytes: number | undefined): void {
    const s = this.sessions.get(session);
    if (!s) {
      this.join(session);
      return;
    }
    s.lastSeen = this.clock.now();
    if (receivedBytes !== undefined) s.received = Math.max(s.received, receivedBytes);
  }

  leave(session: string): void {
    this.sessions.delete(session);
    if (this.sessions.size === 0) this.stop("the hub stopped watching");
  }

  /** Drops sessions not heard from for idleMs; stops when none is left. */
  sweep(): void {
    const cutoff = this.clock.now() - this.opts.idleMs;
    for (const [id, s] of this.sessions) if (s.lastSeen < cutoff) this.sessions.delete(id);
    if (this.sessions.size === 0 && this.unsubscribe) this.stop("no keepalive from the hub");
  }

  stop(reason: string): void {
    this.sessions.clear();
    if (!this.unsubscribe) return;
    this.unsubscribe();
    this.unsubscribe = undefined;
    this.rendition.wsClosed();
    this.log.info(`relay to the hub stopped: ${reason}`);
  }

  /** The most any session has not acknowledged. */
  private inFlight(): number {
    let most = 0;
    for (const s of this.sessions.values()) most = Math.max(most, this.sent - s.sentAtJoin - s.received);
    return most;
  }

  private onEvent(e: LiveEvent): void {
    if (e.type === "init") this.sendInit(e.init);
    else if (e.type === "fragment") this.sendFragment(e.data, e.keyframe);
  }

  private sendInit(init: InitEntry): void {
    this.generation = `${this.bootId}.${String(init.id)}`;
    this.policy.reset();
    this.publish(init.data, "init");
  }

  private sendFragment(data: Buffer, keyframe: boolean): void {
    // Disconnected, the client would buffer without bound: skip until a keyframe after the link is back.
    const held = this.link.connected ? this.inFlight() : Number.MAX_SAFE_INTEGER;
    if (this.policy.decide(held, keyframe) !== "send") {
      this.counters.droppedFragments++;
      return;
    }
    this.publish(data, "frag");
  }

  private publish(data: Buffer, kind: "init" | "frag"): void {
    const subject = subjects.media(this.edgeId, this.rendition.cameraId, this.rendition.name);
    try {
      this.link.publish(subject, data, {
        [mediaHeader.kind]: kind,
        [mediaHeader.generation]: this.generation,
      });
    } catch (err) {
      // Larger than the server's max_payload, or the connection closing: counted, never thrown at ffmpeg.
      this.counters.droppedFragments++;
      this.log.warn(
        { err: (err as Error).message },
        `relay: ${kind} of ${String(data.length)} bytes not sent`,
      );
      return;
    }
    this.sent += data.length;
    this.counters.sentBytes += data.length;
  }
}
