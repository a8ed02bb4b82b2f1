import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Caller } from "../access/caller.js";
import type { HealthMonitor, MonitorEvent } from "../health/health-monitor.js";
import type { HealthService } from "../health/health.service.js";
import type { Logger } from "../log/logger.js";
import { rejectUpgrade, type UpgradeHandler } from "../net/http-upgrade.js";
import type { StreamManager } from "../streaming/stream-manager.js";
import type { AdminAuth } from "./admin-auth.js";
import { isSameOrigin } from "./same-origin.js";

/** Close codes of /api/events (4000–4999 are the application's, RFC 6455 §7.4.2). */
export const eventsClose = { signedOut: 4401, forbidden: 4403, tooSlow: 4408 } as const;

/** A console that does not read its messages is let go rather than buffered without bound. */
const maxBufferedBytes = 1 << 20;

export interface EventsOptions {
  /** How often counters (viewers, fps, bitrate per camera) are sent, and the session re-checked. */
  countersMs: number;
}

/**
 * `GET /api/events` (WebSocket) for the console: `{type:"hello", cameras}` with every camera's health the
 * admin may see (`?hello=none`: an empty list, for a page that read GET /api/fleet), then `{type:"state"|"flapping"|"drift", …}` as the monitor stores each change, and
 * `{type:"counters", cameras:[{cameraId, viewers, fps, bitrate}]}` every few seconds. Operators see every
 * school, school admins their own; teachers are refused (4403), as on /api/health. The socket is closed
 * 4401 when the sign-in ends. Only our own pages may open it (Origin), so another site cannot read it
 * with the admin's cookie.
 */
export function eventsSocket(
  monitor: HealthMonitor,
  health: HealthService,
  streams: StreamManager,
  auth: AdminAuth,
  log: Logger,
  opts: EventsOptions,
): { wss: WebSocketServer; upgrade: UpgradeHandler; close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false });
  wss.on("error", (err) => {
    log.warn({ err }, "events websocket server error");
  });
  const subscribers = new Map<WebSocket, { req: IncomingMessage; caller: Caller }>();

  const send = (ws: WebSocket, message: unknown) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > maxBufferedBytes) {
      ws.close(eventsClose.tooSlow, "too_slow");
      return;
    }
    ws.send(JSON.stringify(message));
  };

  monitor.onEvent((e: MonitorEvent) => {
    for (const [ws, s] of subscribers) {
      if (!health.visible(s.caller, e.schoolId)) continue;
      const { kind, ...rest } = e;
      send(ws, { type: kind, ...rest, at: new Date(e.at).toISOString() });
    }
  });

  const timer = setInterval(() => {
    if (subscribers.size === 0) return;
    // Read once per tick, then filtered per subscriber.
    const live = streams
      .health()
      .filter((h) => h.rendition === "main")
      .map((h) => ({
        schoolId: monitor.get(h.cameraId)?.schoolId,
        counters: { cameraId: h.cameraId, viewers: h.viewers, fps: h.fps, bitrate: h.bitrate },
      }));
    const at = new Date().toISOString();
    for (const [ws, s] of subscribers) {
      const signedIn = auth.reread(s.req);
      if (!signedIn || signedIn.user.role !== s.caller.user.role) {
        ws.close(eventsClose.signedOut, "session_ended");
        continue;
      }
      const cameras = live
        .filter((c) => c.schoolId !== undefined && health.visible(s.caller, c.schoolId))
        .map((c) => c.counters);
      send(ws, { type: "counters", at, cameras });
    }
  }, opts.countersMs);
  timer.unref();

  const upgrade: UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const [path, query = ""] = (req.url ?? "").split("?", 2);
    const bare = new URLSearchParams(query).get("hello") === "none";
    if (path !== "/api/events") {
      rejectUpgrade(socket, 404, "not_found", "no WebSocket is served at this path");
      return;
    }
    if (!isSameOrigin(req)) {
      rejectUpgrade(socket, 403, "cross_origin", "requests from other sites are not accepted");
      return;
    }
    const signedIn = auth.current(req);
    if (!signedIn) {
      rejectUpgrade(socket, 401, "not_signed_in", "sign in first (POST /api/auth/login)");
      return;
    }
    const caller: Caller = {
      user: signedIn.user,
      actor: {
        kind: "user",
        id: signedIn.user.id,
        name: signedIn.user.username,
        ip: req.socket.remoteAddress,
      },
    };
    if (caller.user.role === "teacher") {
      rejectUpgrade(socket, 403, "forbidden", "your role may not do this");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("error", (err) => {
        log.debug({ err }, "events socket error");
      });
      ws.on("close", () => subscribers.delete(ws));
      // The console only listens; anything it sends is ignored.
      subscribers.set(ws, { req, caller });
      // A dashboard that loads GET /api/fleet first asks for no list here: at 10 000 cameras it is 3.7 MB.
      send(ws, { type: "hello", cameras: bare ? [] : health.cameras(caller) });
    });
  };

  return {
    wss,
    upgrade,
    close() {
      clearInterval(timer);
      for (const ws of wss.clients) ws.close(1001, "gateway stopping");
      wss.close();
    },
  };
}
