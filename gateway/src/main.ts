import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DevWatchPolicy, TokenMediaAccess } from "./access/media-access.js";
import { SecretBox, SecretKeys } from "./access/secret-box.js";
import { StreamTokens } from "./access/stream-token.js";
import { CameraRepository } from "./cameras/camera.repository.js";
import { systemClock } from "./common/clock.js";
import type { Config } from "./config/config.schema.js";
import { ConfigError, loadConfig } from "./config/load-config.js";
import { openDatabase } from "./db/database.js";
import { ensureDemo } from "./demo/demo.js";
import { NodeProcessSpawner } from "./ffmpeg/process-spawner.js";
import { createApp } from "./http/app.js";
import { closeServer, listen } from "./http/server.js";
import { buildViewerAssets } from "./http/viewer-assets.js";
import { createLogger, type Logger } from "./log/logger.js";
import { StreamManager } from "./streaming/stream-manager.js";
import { attachWsFmp4 } from "./streaming/ws/ws-fmp4.js";

export interface Gateway {
  url: string;
  demoUrl: string | undefined;
  streams: StreamManager;
  spawner: NodeProcessSpawner;
  cameras: CameraRepository;
  tokens: StreamTokens;
  close(): Promise<void>;
}

/**
 * The composition root: config → db → repositories → services → stream manager → HTTP, in that order;
 * close() undoes it in reverse. Tests start it in-process; `npm start` runs it through run() below.
 */
export async function startGateway(
  config: Config,
  log: Logger = createLogger(config.logLevel),
): Promise<Gateway> {
  // 1. Secrets: token and encryption keys derived from one master key (config or a 0600 key file).
  const keys = SecretKeys.fromConfig(config.secretKey, join(config.dataDir, "secret.key"));

  // 2. Storage and repositories.
  const db = openDatabase(join(config.dataDir, "pantau.db"));
  const cameras = new CameraRepository(db, new SecretBox(keys.derive("camera-passwords")));
  const demo = ensureDemo(cameras, config.demo);

  // 3. Access services.
  const tokens = new StreamTokens(keys.derive("stream-tokens"));
  const access = new TokenMediaAccess(tokens, (id) => cameras.get(id));
  const watchPolicy = new DevWatchPolicy(config.dev.openStreams);

  // 4. Streams: one supervised ffmpeg per active rendition.
  const spawner = new NodeProcessSpawner();
  const streams = new StreamManager(cameras, spawner, systemClock, log, {
    ffmpegPath: config.ffmpeg.path,
    encoder: config.ffmpeg.encoder,
    rtspTimeoutSeconds: config.ffmpeg.rtspTimeoutSeconds,
    partTargetSeconds: config.streaming.partTargetSeconds,
    windowSeconds: config.streaming.windowSeconds,
    partHoldBackFactor: config.streaming.partHoldBackFactor,
    stallSeconds: config.streaming.stallSeconds,
    startTimeoutSeconds: config.streaming.startTimeoutSeconds,
    idleStopSeconds: config.streaming.idleStopSeconds,
  });
  streams.start();

  // 5. HTTP and WebSockets.
  const viewer = await buildViewerAssets();
  const app = createApp({
    log,
    cameras,
    streams,
    tokens,
    access,
    watchPolicy,
    viewer,
    hls: {
      partTargetSeconds: config.streaming.partTargetSeconds,
      partHoldBackFactor: config.streaming.partHoldBackFactor,
      blockingReloadMaxSeconds: config.streaming.blockingReloadMaxSeconds,
      coldStartWaitSeconds: config.streaming.startTimeoutSeconds,
    },
    bodyLimitBytes: config.http.bodyLimitBytes,
    devPlayer: config.dev.openStreams,
    demoPlayer: demo !== undefined,
  });
  const { server, address } = await listen(app, config.http.host, config.http.port);
  const wss = attachWsFmp4(server, streams, access, log, {
    maxBufferedBytes: config.streaming.wsMaxBufferedBytes,
    dropAfterSkips: config.streaming.wsDropAfterSkips,
  });
  const host = config.http.host === "0.0.0.0" || config.http.host === "::" ? "localhost" : config.http.host;
  const url = (
    config.http.publicUrl ?? `http://${host.includes(":") ? `[${host}]` : host}:${String(address.port)}`
  ).replace(/\/$/, "");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Reverse order: stop taking viewers, stop every ffmpeg, then close the database.
      for (const client of wss.clients) client.close(1001, "gateway stopping");
      wss.close();
      await closeServer(server);
      await streams.close();
      db.close();
    })());

  return { url, demoUrl: demo ? `${url}/demo` : undefined, streams, spawner, cameras, tokens, close };
}

async function run(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Pantau: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const gateway = await startGateway(config, log);
  process.on("exit", () => {
    gateway.spawner.killAll();
  });
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      log.warn("second signal: exiting now");
      process.exit(1);
    }
    log.info(`${signal}: shutting down`);
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  process.stdout.write(`Pantau ready at ${gateway.url}\n`);
  if (gateway.demoUrl !== undefined) process.stdout.write(`Demo parent link: ${gateway.demoUrl}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((err: unknown) => {
    process.stderr.write(
      `Pantau failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
