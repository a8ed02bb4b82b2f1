import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { MediaAccess } from "../../access/media-access.js";
import type { ClientInfo } from "../../access/viewing-tracker.js";
import type { Logger } from "../../log/logger.js";
import type { LiveEvent } from "../live-stream.js";
import type { StreamManager } from "../stream-manager.js";
import { SlowViewerPolicy } from "./slow-viewer-policy.js";

export interface WsOptions {
  /** A viewer with more than this queued skips ahead to the next keyframe. */
  maxBufferedBytes: number;
  /** Skips in a row before a viewer is disconnected as too slow. */
  dropAfterSkips: number;
}

/** Close codes the page understands (4000–4999 are for applications, RFC 6455 §7.4.2). */
export const wsClose = { denied: 4403, notFound: 4404, tooSlow: 4408, ended: 4410 } as const;

const pathPattern = /^\/live\/([A-Za-z0-9_.-]{1,512})(?:\/(main|sub))?\/ws$/;

/**
 * WebSocket fMP4 for MSE (`/live/<token>/ws`, or `/live/<token>/<rendition>/ws`): a JSON header
 * `{type:"init", codecs, width, height}`, the init segment, the GOP cache from the last keyframe, then every
 * frame's fragment the moment ffmpeg writes it (not per HLS part: that is what makes it sub-second). A slow viewer is never buffered without bound: it skips to the next keyframe, and is dropped
 * after repeated skips.
 */
export function attachWsFmp4(
  server: Server,
  streams: StreamManager,
  access: MediaAccess,
  log: Logger,
  clientOf: (req: IncomingMessage) => ClientInfo,
  o: WsOptions,
): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  wss.on("error", (err) => {
    log.warn({ err }, "websocket server error");
  });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", (err) => {
      log.debug({ err }, "upgrade socket error");
    });
    const path = (req.url ?? "").split("?")[0] ?? "";
    const m = pathPattern.exec(path);
    if (!m) {
      // Other upgrade paths (e.g. /api/events later) are handled by their own listeners.
      if (path.startsWith("/live/")) notFound(socket);
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
      notFound(socket);
      return;
    }
    const decision = access.admit(authorized, clientOf(req));
    if (!decision.ok) {
      refuse(decision.code);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      serve(ws, token, rendition, decision.camera.id, decision.key);
    });
  });

  const serve = (
    ws: WebSocket,
    token: string,
    rendition: NonNullable<ReturnType<StreamManager["get"]>>,
    cameraId: string,
    key: string,
  ) => {
    ws.on("error", (err) => {
      log.debug({ err }, "viewer websocket error");
    });
    ws.on("message", () => {
      // Viewers have nothing to say yet; ignore (maxPayload bounds what they could send).
    });
    const policy = new SlowViewerPolicy(o.maxBufferedBytes, o.dropAfterSkips);
    const send = (data: Buffer | string) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(data);
      access.served(key, data.length);
    };
    const sendInit = (init: { codecs: string; width: number; height: number; data: Buffer }) => {
      send(
        JSON.stringify({
          type: "init",
          codecs: init.codecs,
          width: init.width,
          height: init.height,
          rendition: rendition.name,
        }),
      );
      send(init.data);
      policy.reset();
    };
    const sendFragment = (data: Buffer, keyframe: boolean) => {
      switch (policy.decide(ws.bufferedAmount, keyframe)) {
        case "send":
          send(data);
          return;
        case "skip":
          return;
        case "drop":
          ws.close(wsClose.tooSlow, "too_slow");
          return;
      }
    };
    const onEvent = (e: LiveEvent) => {
      if (e.type === "init") sendInit(e.init);
      else if (e.type === "fragment") sendFragment(e.data, e.keyframe);
    };
    rendition.wsOpened();
    access.socketOpened(key);
    const unsubscribe = rendition.stream.subscribe(onEvent);
    const gop = rendition.stream.gop();
    if (gop) {
      sendInit(gop.init);
      for (const d of gop.data) send(d);
    }
    // Re-authorize every second: a revoked session, a paused classroom or a removed camera cuts the viewer.
    const recheck = setInterval(() => {
      const d = access.authorize(token, { allowExpired: true });
      if (!d.ok || d.camera.id !== cameraId) ws.close(wsClose.denied, d.ok ? "denied" : d.code);
    }, 1000);
    ws.on("close", () => {
      clearInterval(recheck);
      unsubscribe();
      rendition.wsClosed();
      access.socketClosed(key);
    });
  };

  return wss;
}

/** A path that names no stream: a plain HTTP 404 on the upgrade (nothing to explain to a viewer). */
function notFound(socket: Duplex): void {
  socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
}
