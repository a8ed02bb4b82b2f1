/**
 * The RTMP listener, in its own process (started by rtmp-server.ts, never imported by the gateway):
 * node-media-server 4 patches express globally when loaded and exits the process on a listen error, so it
 * lives here, where neither can touch the gateway. Only its RTMP session (handshake, chunks, AMF, the GOP
 * cache and fan-out of its BroadcastServer) is used: no HTTP-FLV, no admin API, no store on disk, no
 * recording.
 *
 * Protocol with the gateway: the first line on stdin is the settings (JSON, with the publish key, which never
 * reaches a log or argv, and every pushed camera's current publish generation); each later line is one
 * camera's new generation (RtmpGenerationUpdate), and a push live on another generation is cut at once.
 * Events go out as JSON lines on stdout; node-media-server's own log lines go to stderr. When stdin closes
 * (the gateway stopped or died) this process exits.
 *
 * Why not node-media-server's own `auth.publish` (broadcast_server.js verifyAuth): it is an MD5 of
 * path + secret compared with `===`, and a refused publisher is only half-closed (`socket.end()`) while its
 * session keeps forwarding whatever media it sends to the path's viewers (rtmp_session.js onPacket does not
 * ask whether the session publishes). So the session's own handlers are wrapped before it runs: a push is
 * checked here (rtmp-publish-sign.ts, HMAC-SHA256, constant time) and a refused one is destroyed at once;
 * media from a session that is not the accepted publisher is dropped; playing is for this machine only
 * (loopback, or the bound address itself).
 */
import { createRequire } from "node:module";
import { createServer, type Socket } from "node:net";
import { createInterface } from "node:readline";
import { isLoopbackAddress, verifyPublish, type PublishRejection } from "./rtmp-publish-sign.js";

/** What the gateway sends on the first line of stdin. */
export interface RtmpChildSettings {
  host: string;
  port: number;
  /** base64 of the publish key (SecretKeys.derive("rtmp-publish")). */
  key: string;
  maxConnections: number;
  /** A connection that neither publishes nor plays within this long is closed. */
  idleSeconds: number;
  /** Camera id → current publish generation, for every camera of kind rtmp; no other camera may push. */
  generations: Record<string, number>;
}

/** A later line on stdin: a camera's publish generation changed (null: no longer a pushed camera). */
export interface RtmpGenerationUpdate {
  cameraId: string;
  generation: number | null;
}

/** What this process tells the gateway, one JSON object a line on stdout. */
export type RtmpChildEvent =
  | { event: "listening"; port: number }
  | { event: "publish"; cameraId: string; address: string }
  | { event: "unpublish"; cameraId: string }
  /** A live push cut because its URL's generation is no longer the camera's (or the camera is gone). */
  | { event: "cut"; cameraId: string; address: string; reason: "revoked" | "unknown_camera" }
  | {
      event: "refused";
      action: "publish" | "play";
      reason: PublishRejection | "not_loopback" | "not_publishing" | "already_publishing" | "busy" | "error";
      path: string;
      address: string;
    }
  | { event: "error"; message: string };

// node-media-server logs with console.log; stdout is the event channel.
console.log = (...args: unknown[]) => {
  console.error(...args);
};

interface NmsBroadcast {
  getPublishStatus(): "publishing" | "reconnecting" | "idle";
}

interface NmsSession {
  id: string;
  ip: string;
  isPublisher: boolean;
  streamPath: string;
  streamQuery: Record<string, unknown>;
  socket: Socket;
  run(): void;
  onData: (data: Buffer) => void;
  onPush: () => void;
  onPlay: () => void;
  onPacket: (packet: unknown) => void;
  onClose: () => void;
}

const require = createRequire(import.meta.url);
const Context = require("node-media-server/src/core/context.js") as {
  config: Record<string, unknown>;
  sessions: Map<string, NmsSession>;
  broadcasts: Map<string, NmsBroadcast>;
};
const RtmpSession = require("node-media-server/src/session/rtmp_session.js") as new (
  socket: Socket,
) => NmsSession;

function send(e: RtmpChildEvent): void {
  process.stdout.write(JSON.stringify(e) + "\n");
}

/** The accepted pushes, by camera: what a generation update compares and cuts. */
const publishers = new Map<string, { socket: Socket; generation: number; address: string }>();
const generations = new Map<string, number>();

function updateGeneration(u: RtmpGenerationUpdate): void {
  if (u.generation === null) generations.delete(u.cameraId);
  else generations.set(u.cameraId, u.generation);
  const live = publishers.get(u.cameraId);
  if (!live || live.generation === u.generation) return;
  publishers.delete(u.cameraId);
  send({
    event: "cut",
    cameraId: u.cameraId,
    address: live.address,
    reason: u.generation === null ? "unknown_camera" : "revoked",
  });
  live.socket.destroy();
}

function serve(settings: RtmpChildSettings): void {
  const key = Buffer.from(settings.key, "base64");
  Context.config = { bind: settings.host, rtmp: { port: settings.port } };
  const sockets = new Set<Socket>();
  for (const [cameraId, generation] of Object.entries(settings.generations))
    generations.set(cameraId, generation);

  const handle = (socket: Socket) => {
    const address = socket.remoteAddress ?? "";
    socket.on("error", () => {
      // Reported by the session's own error listener (a reset pusher is routine).
    });
    if (sockets.size >= settings.maxConnections) {
      send({ event: "refused", action: "publish", reason: "busy", path: "", address });
      socket.destroy();
      return;
    }
    sockets.add(socket);
    const session = new RtmpSession(socket);
    let accepted = false;
    const refuse = (
      action: "publish" | "play",
      reason: Extract<RtmpChildEvent, { event: "refused" }>["reason"],
    ) => {
      send({ event: "refused", action, reason, path: session.streamPath, address });
      socket.destroy();
    };
    const idle = setTimeout(() => {
      if (!accepted) socket.destroy();
    }, settings.idleSeconds * 1000);
    idle.unref();

    const { onData, onPush, onPlay, onPacket, onClose } = session;
    session.onData = (data) => {
      // A malformed message throws inside the parser (e.g. a connect without tcUrl): that session ends, the
      // listener stays.
      try {
        onData(data);
      } catch (err) {
        send({ event: "refused", action: "publish", reason: "error", path: session.streamPath, address });
        console.error(
          `RTMP session ${session.id} parse error: ${err instanceof Error ? err.message : String(err)}`,
        );
        socket.destroy();
      }
    };
    session.onPush = () => {
      if (socket.destroyed) return;
      const verdict = verifyPublish(
        key,
        session.streamPath,
        session.streamQuery.sign,
        Date.now() / 1000,
        (cameraId) => generations.get(cameraId),
      );
      if (!verdict.ok) {
        refuse("publish", verdict.reason);
        return;
      }
      onPush();
      if (!session.isPublisher) {
        // node-media-server refused it (the path has a publisher) but only half-closed it.
        refuse("publish", "already_publishing");
        return;
      }
      accepted = true;
      publishers.set(verdict.cameraId, { socket, generation: verdict.generation, address });
      send({ event: "publish", cameraId: verdict.cameraId, address });
    };
    session.onPlay = () => {
      if (socket.destroyed) return;
      const from = socket.remoteAddress?.replace(/^::ffff:/, "");
      if (!isLoopbackAddress(from) && from !== settings.host) {
        refuse("play", "not_loopback");
        return;
      }
      // Nothing to play yet: refused now, so the gateway's ffmpeg fails fast and backs off like an offline
      // camera, rather than waiting on a silent socket.
      if (Context.broadcasts.get(session.streamPath)?.getPublishStatus() !== "publishing") {
        refuse("play", "not_publishing");
        return;
      }
      accepted = true;
      onPlay();
    };
    session.onPacket = (packet) => {
      if (session.isPublisher && accepted) onPacket(packet);
    };
    session.onClose = () => {
      clearTimeout(idle);
      sockets.delete(socket);
      const cameraId = session.isPublisher ? session.streamPath.split("/")[2] : undefined;
      if (cameraId !== undefined && publishers.get(cameraId)?.socket === socket) publishers.delete(cameraId);
      onClose();
      if (cameraId !== undefined && accepted) send({ event: "unpublish", cameraId });
    };
    session.run();
    Context.sessions.set(session.id, session);
  };

  const server = createServer(handle);
  server.maxConnections = settings.maxConnections + 1;
  server.on("error", (err) => {
    send({
      event: "error",
      message: `RTMP listen on ${settings.host}:${String(settings.port)}: ${err.message}`,
    });
    process.exit(1);
  });
  server.listen(settings.port, settings.host, () => {
    const at = server.address();
    send({ event: "listening", port: typeof at === "object" && at !== null ? at.port : settings.port });
  });
  const stop = () => {
    server.close();
    for (const s of sockets) s.destroy();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

const lines = createInterface({ input: process.stdin });
let started = false;
lines.on("line", (line) => {
  if (!started) {
    started = true;
    serve(JSON.parse(line) as RtmpChildSettings);
    return;
  }
  let u: RtmpGenerationUpdate;
  try {
    u = JSON.parse(line) as RtmpGenerationUpdate;
  } catch {
    send({ event: "error", message: "unreadable generation update from the gateway" });
    return;
  }
  updateGeneration(u);
});
// The gateway is gone (stopped, or killed): no RTMP listener outlives it.
lines.on("close", () => {
  process.exit(0);
});
