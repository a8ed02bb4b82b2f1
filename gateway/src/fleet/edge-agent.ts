import { randomBytes } from "node:crypto";
import { renditionsOf, type Camera } from "../cameras/camera.js";
import type { Clock, TimerHandle } from "../common/clock.js";
import { contextLogger, type Logger } from "../log/logger.js";
import type { CameraHealthView } from "../health/health-monitor.js";
import type { StreamManager } from "../streaming/stream-manager.js";
import { decodeJson, encodeJson, type LinkMessage, type LinkTransport } from "./link-transport.js";
import {
  apiRequestSchema,
  isForwardable,
  relayRequestSchema,
  type ApiReply,
  type ApiRequest,
  type EdgeStatus,
  type RelayReply,
} from "./link-messages.js";
import { RelayPublisher, type RelayCounters } from "./relay-publisher.js";
import { subjects, verbOf } from "./subjects.js";

export interface EdgeAgentOptions {
  edgeId: string;
  /** The edge's one local school, where the hub's registrations put cameras. */
  schoolId: string;
  version: string;
  statusMs: number;
  maxInFlightBytes: number;
  /** A relayed rendition no hub session kept alive for this long stops. */
  relayIdleMs: number;
}

export interface EdgeAgentDeps {
  streams: StreamManager;
  cameras: () => readonly Camera[];
  health: (cameraId: string) => CameraHealthView | undefined;
  /** The edge's own API, called for the hub (edge-api.ts): only the forwardable calls arrive here. */
  api: (req: ApiRequest) => Promise<ApiReply>;
  /** Round trip to the NATS server, for the heartbeat. */
  rtt: () => Promise<number | undefined>;
  clock: Clock;
  log: Logger;
}

/**
 * A school's edge on the link: dials out to the hub's NATS server (it accepts nothing inbound), says every
 * few seconds who it is and how its cameras are, relays renditions while the hub watches, and answers the
 * console's discovery, inspect, test and registration calls from its own API. Camera sources and passwords
 * never go up: the heartbeat carries names and states, the relay carries video.
 */
export class EdgeAgent {
  private readonly publishers = new Map<string, RelayPublisher>();
  private readonly counters: RelayCounters = { droppedFragments: 0, sentBytes: 0 };
  private readonly bootId = randomBytes(8).toString("base64url");
  private readonly log: Logger;
  private unsubscribe: (() => void) | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly link: LinkTransport,
    private readonly deps: EdgeAgentDeps,
    private readonly opts: EdgeAgentOptions,
  ) {
    this.log = contextLogger(deps.log, `edge ${opts.edgeId}`);
  }

  start(): void {
    this.unsubscribe = this.link.subscribe(subjects.allCtl(this.opts.edgeId), (m) => {
      this.handle(m).catch((err: unknown) => {
        this.log.warn({ err }, "control request failed");
      });
    });
    this.beat();
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.unsubscribe?.();
    for (const p of this.publishers.values()) p.stop("edge stopping");
    this.publishers.clear();
  }

  /** The heartbeat, and the relay's idle sweep, every statusMs. */
  private beat(): void {
    if (this.closed) return;
    for (const p of this.publishers.values()) p.sweep();
    void this.status().then((status) => {
      if (this.closed || !this.link.connected) return;
      try {
        this.link.publish(subjects.status(this.opts.edgeId), encodeJson(status));
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, "heartbeat not sent");
      }
    });
    this.timer = this.deps.clock.setTimeout(() => {
      this.beat();
    }, this.opts.statusMs);
  }

  private async status(): Promise<EdgeStatus> {
    const rtt = await this.deps.rtt();
    return {
      version: this.opts.version,
      bootId: this.bootId,
      sentAt: this.deps.clock.now(),
      schoolId: this.opts.schoolId,
      ...(rtt !== undefined && { rttMs: Math.round(rtt * 10) / 10 }),
      cameras: this.deps.cameras().map((c) => {
        const h = this.deps.health(c.id);
        return {
          id: c.id,
          name: c.name,
          state: h?.state ?? "unknown",
          reason: (h?.reason ?? "").slice(0, 200),
          sub: renditionsOf(c).includes("sub"),
          ...(h?.fps !== undefined && { fps: h.fps }),
        };
      }),
      relay: {
        droppedFragments: this.counters.droppedFragments,
        sentBytes: this.counters.sentBytes,
        activeRenditions: [...this.publishers.values()].filter((p) => p.active).length,
      },
    };
  }

  private async handle(m: LinkMessage): Promise<void> {
    const verb = verbOf(m.subject, this.opts.edgeId);
    let body: unknown;
    try {
      body = decodeJson(m.data);
    } catch {
      body = undefined;
    }
    switch (verb) {
      case "relay.start":
      case "relay.keepalive":
      case "relay.stop": {
        const req = relayRequestSchema.safeParse(body);
        if (!req.success) {
          this.log.warn(`${verb}: refused, not a relay request`);
          this.reply(m, { ok: false, code: "invalid_input", message: "not a relay request" });
          return;
        }
        const { cameraId, rendition, session, receivedBytes } = req.data;
        const key = `${cameraId}/${rendition}`;
        if (verb === "relay.stop") {
          this.publishers.get(key)?.leave(session);
          return;
        }
        let p = this.publishers.get(key);
        if (!p) {
          const r = this.deps.streams.get(cameraId, rendition);
          if (!r) {
            this.reply(m, {
              ok: false,
              code: "not_found",
              message: "no such camera or rendition at this edge",
            });
            return;
          }
          p = new RelayPublisher(
            this.link,
            this.opts.edgeId,
            r,
            this.bootId,
            this.deps.clock,
            contextLogger(this.log, `cam ${cameraId}/${rendition}`),
            this.counters,
            { maxInFlightBytes: this.opts.maxInFlightBytes, idleMs: this.opts.relayIdleMs },
          );
          this.publishers.set(key, p);
        }
        if (verb === "relay.start") {
          // The answer first: the hub subscribed before asking, so the GOP that follows reaches it.
          this.reply(m, {
            ok: true,
            subject: subjects.media(this.opts.edgeId, cameraId, rendition),
          });
          p.join(session);
        } else {
          p.keepalive(session, receivedBytes);
        }
        return;
      }
      case "api": {
        const req = apiRequestSchema.safeParse(body);
        if (!req.success || !isForwardable(req.data.method, req.data.path)) {
          this.log.warn("api: refused a call the hub may not forward");
          this.reply(m, {
            status: 403,
            body: { error: { code: "forbidden", message: "the hub may not call this at an edge" } },
          });
          return;
        }
        this.reply(m, await this.deps.api(req.data));
        return;
      }
      case undefined:
        this.log.warn(`unknown control subject ${m.subject}: ignored`);
        return;
    }
  }

  private reply(m: LinkMessage, answer: RelayReply | ApiReply): void {
    m.respond(encodeJson(answer));
  }
}
