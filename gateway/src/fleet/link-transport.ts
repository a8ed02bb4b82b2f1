import {
  connect,
  headers as natsHeaders,
  nkeyAuthenticator,
  wsconnect,
  type NatsConnection,
  type Status,
} from "@nats-io/transport-node";
import { WebSocket as WsWebSocket } from "ws";
import type { Clock, TimerHandle } from "../common/clock.js";
import type { Logger } from "../log/logger.js";

/** A message as the fleet code sees it. */
export interface LinkMessage {
  subject: string;
  data: Uint8Array;
  header(name: string): string | undefined;
  /** Answers a request; false when the message was no request. */
  respond(data: Uint8Array): boolean;
}

/**
 * The part of NATS the fleet uses, so the relay and the agent are tested with a fake and run on the real
 * client (NatsLink below) unchanged.
 */
export interface LinkTransport {
  publish(subject: string, data: Uint8Array, headers?: Record<string, string>): void;
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  subscribe(subject: string, onMessage: (m: LinkMessage) => void): () => void;
  /** False while the connection is down. */
  readonly connected: boolean;
}

export interface LinkOptions {
  servers: string[];
  /** The nkey seed (`SU…`) this process authenticates with. */
  seed: string;
  /** Shown in the server's connection list: `pantau-edge <id>` or `pantau-hub`. */
  name: string;
}

/** How long a closing link waits for its pending messages to go out (NatsConnection.drain). */
const drainMs = 3000;

/** Reconnect waits: 1, 2, 5, 10, 30 s, then 30 s, each ±20 % (design.md backoff). */
const steps = [1000, 2000, 5000, 10_000, 30_000];

const json = new TextEncoder();
export const encodeJson = (v: unknown): Uint8Array => json.encode(JSON.stringify(v));
export const decodeJson = (d: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(d)) as unknown;

/**
 * One NATS connection with the settings the link needs: an nkey, reconnects forever with growing waits
 * (the first connection too: an edge that starts before the hub's network is up keeps trying), and every
 * status change logged.
 */
export class NatsLink implements LinkTransport {
  private online = true;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  static async open(o: LinkOptions, log: Logger): Promise<NatsLink> {
    let attempt = 0;
    const delay = () => {
      const base = steps[Math.min(attempt++, steps.length - 1)] ?? 30_000;
      return Math.round(base * (0.8 + 0.4 * Math.random()));
    };
    // ws:// and wss:// (a school firewall that lets only 443 out): NATS over WebSocket, through nats.js's
    // WebSocket transport, which needs a global WebSocket that Node 20 does not have: the ws package's.
    const overWebSocket = o.servers.every((s) => /^wss?:\/\//.test(s));
    if (overWebSocket) (globalThis as { WebSocket?: unknown }).WebSocket ??= WsWebSocket;
    const dial = overWebSocket ? wsconnect : connect;
    const nc = await dial({
      servers: o.servers,
      name: o.name,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(o.seed)),
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectDelayHandler: delay,
      pingInterval: 5000,
      maxPingOut: 2,
      timeout: 5000,
    });
    const link = new NatsLink(nc, log);
    link.watch(() => {
      attempt = 0;
    });
    return link;
  }

  /** False while reconnecting: the relay sends nothing then (the client would buffer it). */
  get connected(): boolean {
    return this.online && !this.nc.isClosed();
  }

  publish(subject: string, data: Uint8Array, headers?: Record<string, string>): void {
    if (headers === undefined) {
      this.nc.publish(subject, data);
      return;
    }
    const h = natsHeaders();
    for (const [k, v] of Object.entries(headers)) h.set(k, v);
    this.nc.publish(subject, data, { headers: h });
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const m = await this.nc.request(subject, data, { timeout: timeoutMs });
    return m.data;
  }

  subscribe(subject: string, onMessage: (m: LinkMessage) => void): () => void {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) {
          this.log.warn({ err: err.message }, `subscription ${subject} failed`);
          return;
        }
        onMessage({
          subject: msg.subject,
          data: msg.data,
          header: (name) => msg.headers?.get(name) || undefined,
          respond: (d) => msg.respond(d),
        });
      },
    });
    return () => {
      sub.unsubscribe();
    };
  }

  /** Round trip to the server (ms); undefined while disconnected. */
  async rtt(): Promise<number | undefined> {
    if (!this.online) return undefined;
    try {
      return await this.nc.rtt();
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    // A drain waits for the server, which a disconnected link (an edge the hub removed, refused at every
    // reconnect) never reaches again: then, or when the drain takes too long, the connection is only closed.
    if (this.online) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainMs);
      });
      await Promise.race([this.nc.drain().catch(() => undefined), bound]);
      clearTimeout(timer);
    }
    if (!this.nc.isClosed()) await this.nc.close();
  }

  private watch(onReconnect: () => void): void {
    void (async () => {
      for await (const s of this.nc.status()) this.statusChanged(s, onReconnect);
    })();
  }

  private statusChanged(s: Status, onReconnect: () => void): void {
    switch (s.type) {
      case "disconnect":
        this.online = false;
        this.log.warn(`link: disconnected from ${s.server}; reconnecting with backoff`);
        return;
      case "reconnect":
        this.online = true;
        onReconnect();
        this.log.info(`link: reconnected to ${s.server}`);
        return;
      case "error":
        this.log.warn({ err: s.error.message }, "link: server error");
        return;
      case "slowConsumer":
        this.log.warn(`link: slow consumer on ${s.sub.getSubject()} (${String(s.pending)} pending)`);
        return;
      case "reconnecting":
      case "update":
      case "ldm":
      case "ping":
      case "staleConnection":
      case "forceReconnect":
      case "close":
        return;
    }
  }
}

/**
 * The link before and after its connection is up: the gateway starts without waiting for the hub's NATS
 * server (an edge keeps serving its school while the internet is down), and everything subscribed early is
 * subscribed once the connection comes. Until then nothing is published and requests fail at once.
 */
export class DeferredLink implements LinkTransport {
  private link: NatsLink | undefined;
  private readonly subs = new Set<{ subject: string; on: (m: LinkMessage) => void; off?: () => void }>();

  attach(link: NatsLink): void {
    this.link = link;
    for (const s of this.subs) s.off = link.subscribe(s.subject, s.on);
  }

  get attached(): NatsLink | undefined {
    return this.link;
  }

  get connected(): boolean {
    return this.link?.connected ?? false;
  }

  publish(subject: string, data: Uint8Array, headers?: Record<string, string>): void {
    if (!this.link) throw new Error("not connected to the hub's NATS server yet");
    this.link.publish(subject, data, headers);
  }

  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (!this.link) return Promise.reject(new Error("not connected to the hub's NATS server yet"));
    return this.link.request(subject, data, timeoutMs);
  }

  subscribe(subject: string, on: (m: LinkMessage) => void): () => void {
    const s: { subject: string; on: (m: LinkMessage) => void; off?: () => void } = { subject, on };
    if (this.link) s.off = this.link.subscribe(subject, on);
    this.subs.add(s);
    return () => {
      s.off?.();
      this.subs.delete(s);
    };
  }

  rtt(): Promise<number | undefined> {
    return this.link?.rtt() ?? Promise.resolve(undefined);
  }

  close(): Promise<void> {
    return this.link?.close() ?? Promise.resolve();
  }
}

/**
 * Opens the link in the background and attaches it when it is up. A refused first connection (wrong
 * credentials, no server yet) is logged and tried again with growing waits; after that the client
 * reconnects by itself.
 */
export function dialLink(
  deferred: DeferredLink,
  o: LinkOptions,
  log: Logger,
  clock: Clock,
): { close(): Promise<void> } {
  let closed = false;
  let timer: TimerHandle | undefined;
  let attempt = 0;
  const dial = () => {
    NatsLink.open(o, log).then(
      (link) => {
        if (closed) {
          void link.close();
          return;
        }
        deferred.attach(link);
        log.info(`link: connected to ${o.servers.join(", ")} as ${o.name}`);
      },
      (err: unknown) => {
        if (closed) return;
        const wait = Math.round(
          (steps[Math.min(attempt++, steps.length - 1)] ?? 30_000) * (0.8 + 0.4 * Math.random()),
        );
        log.error(
          { err: (err as Error).message },
          `link: could not connect to ${o.servers.join(", ")}; trying again in ${(wait / 1000).toFixed(1)} s`,
        );
        timer = clock.setTimeout(dial, wait);
      },
    );
  };
  dial();
  return {
    close: async () => {
      closed = true;
      if (timer) clock.clearTimeout(timer);
      await deferred.close();
    },
  };
}
