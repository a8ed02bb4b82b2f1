import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Allowed, MediaAccess } from "../../access/media-access.js";
import type { ClientInfo } from "../../access/viewing-tracker.js";
import type { Config } from "../../config/config.schema.js";
import { rejectUpgrade, type UpgradeHandler } from "../../net/http-upgrade.js";
import type { Logger } from "../../log/logger.js";
import type { LiveEvent } from "../live-stream.js";
import type { Rendition } from "../rendition.js";
import type { StreamManager } from "../stream-manager.js";
import { tooSlowClose, ViewerFeed, type FeedSocket } from "./viewer-feed.js";

/** Close codes the page understands (4000–4999 are for applications, RFC 6455 §7.4.2). */
export const wsClose = { denied: 4403, notFound: 4404, tooSlow: tooSlowClose.code, ended: 4410 } as const;

const pathPattern = /^\/live\/([A-Za-z0-9_.-]{1,512})(?:\/(main|sub))?\/ws$/;

/**
 * WebSocket fMP4 for MSE (`/live/<token>/ws`, or `/live/<token>/<rendition>/ws`): a JSON header
 * `{type:"init", codecs, width, height}`, the init segment, the GOP cache from the last keyframe, then every
 * frame's fragment the moment ffmpeg writes it (not per HLS part: that is what makes it sub-second). A slow
 * viewer is never buffered without bound (ViewerFeed). `upgrade` answers every upgrade under `/live/`.
 */
export function wsFmp4(
  streams: StreamManager,
  access: MediaAccess,
  log: Logger,
  clientOf: (req: IncomingMessage) => ClientInfo,
  o: Config["streaming"],
): { wss: WebSocketServer; upgrade: UpgradeHandler } {
  const feedLimits = { maxBufferedBytes: o.wsMaxBufferedBytes, dropAfterSkips: o.wsDropAfterSkips };
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  wss.on("error", (err) => {
    log.warn({ err }, "websocket server error");
  });

  const upgrade: UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    const m = pathPattern.exec(path);
    if (!m) {
      rejectUpgrade(socket, 404, "not_found", "no such stream");
      return;
    }
    const token = m[1] as string;
    // A refusal is told over the socket (close 4403 + the reason code): a browser shows a refused upgrade's
    // HTTP status to no one, only "closed, 1006", and the page could not say why it cannot play.
    const refuse = (code: string) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.close(wsClose.denied, code);
      });
    };
    const authorized = access.authorize(token);
    if (!authorized.ok) {
      refuse(authorized.code);
      return;
    }
    const query = new URLSearchParams((req.url ?? "").split("?")[1] ?? "");
    const name = m[2] ?? query.get("rendition") ?? "main";
    const rendition = name === "main" || name === "sub" ? streams.get(authorized.camera.id, name) : undefined;
    if (!rendition) {
      rejectUpgrade(socket, 404, "not_found", "no such rendition");
      return;
    }
    const client = clientOf(req);
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Counted once the handshake is done (a socket that never completes it holds no place): the socket
      // caps, then the viewer cap and viewing session.
      const opened = access.openSocket(authorized, client);
      if (!opened.ok) {
        ws.close(wsClose.denied, opened.code);
        return;
      }
      serve(ws, token, rendition, authorized, opened.close);
    });
  };

  const serve = (ws: WebSocket, token: string, rendition: Rendition, d: Allowed, closed: () => void) => {
    ws.on("error", (err) => {
      log.debug({ err }, "viewer websocket error");
    });
    ws.on("message", () => {
      // Viewers have nothing to say yet; ignore (maxPayload bounds what they could send).
    });
    const socket: FeedSocket = {
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      get open() {
        return ws.readyState === ws.OPEN;
      },
      send: (data) => {
        ws.send(data);
      },
      close: (code, reason) => {
        ws.close(code, reason);
      },
    };
    const feed = new ViewerFeed(socket, rendition.name, feedLimits, (bytes) => {
      access.served(d.key, bytes);
    });
    const onEvent = (e: LiveEvent) => {
      if (e.type === "init") feed.init(e.init);
      else if (e.type === "fragment") feed.fragment(e.data, e.keyframe);
    };
    rendition.wsOpened();
    const unsubscribe = rendition.stream.subscribe(onEvent);
    const gop = rendition.stream.gop();
    if (gop) feed.gop(gop);
    // No GOP yet (the init is written, the first keyframe not): the init now, or it would never come, as
    // its event has passed; the browser drops frames before the first keyframe (MSE coded frame processing).
    else if (rendition.stream.current) feed.init(rendition.stream.current);
    // Re-authorize every second: a revoked session, a paused classroom or a removed camera cuts the viewer.
    const recheck = setInterval(() => {
      const again = access.authorize(token, { allowExpired: true });
      if (!again.ok || again.camera.id !== d.camera.id)
        ws.close(wsClose.denied, again.ok ? "denied" : again.code);
    }, 1000);
    ws.on("close", () => {
      clearInterval(recheck);
      unsubscribe();
      rendition.wsClosed();
      closed();
    });
  };

  return { wss, upgrade };
}
