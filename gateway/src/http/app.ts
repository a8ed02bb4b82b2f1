import express, { type Express } from "express";
import helmet from "helmet";
import type { MediaAccess, WatchPolicy } from "../access/media-access.js";
import type { StreamTokens } from "../access/stream-token.js";
import type { CameraRepository } from "../cameras/camera.repository.js";
import type { Logger } from "../log/logger.js";
import { hlsRoutes, type HlsRouteOptions } from "../streaming/hls/hls-routes.js";
import type { StreamManager } from "../streaming/stream-manager.js";
import { cameraRoutes } from "./cameras.routes.js";
import { errorBody, errorHandler } from "./errors.js";
import { healthRoutes } from "./health.routes.js";
import type { ViewerAssets } from "./viewer-assets.js";
import { watchRoutes } from "./watch.routes.js";

export interface AppDeps {
  log: Logger;
  cameras: CameraRepository;
  streams: StreamManager;
  tokens: StreamTokens;
  access: MediaAccess;
  watchPolicy: WatchPolicy;
  viewer: ViewerAssets;
  hls: HlsRouteOptions;
  bodyLimitBytes: number;
  /** Serve the development player at /dev/player (dev.openStreams). */
  devPlayer: boolean;
  /** Serve the demo player at /demo (demo camera present). */
  demoPlayer: boolean;
}

/** The express application: security headers, JSON API, viewer pages and LL-HLS (WebSockets attach in server.ts). */
export function createApp(d: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          "script-src": ["'self'"],
          // hls.js runs its transmuxer in a blob: worker; MSE plays from blob: URLs.
          "worker-src": ["'self'", "blob:"],
          "media-src": ["'self'", "blob:"],
          "connect-src": ["'self'"],
          "img-src": ["'self'", "data:"],
        },
      },
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.use(express.json({ limit: d.bodyLimitBytes, strict: true }));

  app.use(healthRoutes(d.streams));
  app.use(cameraRoutes(d.cameras, d.streams));
  app.use(watchRoutes(d.cameras, d.tokens, d.watchPolicy, d.streams));
  app.use(hlsRoutes(d.streams, d.access, d.hls));

  app.get("/assets/:file", (req, res, next) => {
    const js = d.viewer.scripts.get(req.params.file);
    if (js === undefined) {
      next();
      return;
    }
    res.type("text/javascript").set("Cache-Control", "no-cache").send(js);
  });
  app.get("/assets/viewer.css", (_req, res) => {
    res.type("text/css").set("Cache-Control", "no-cache").send(d.viewer.css);
  });
  const page = (_req: express.Request, res: express.Response) => {
    res.type("html").set("Cache-Control", "no-cache").send(d.viewer.playerHtml);
  };
  if (d.devPlayer) app.get("/dev/player", page);
  if (d.demoPlayer) app.get("/demo", page);
  app.get("/watch", page);
  app.get("/favicon.ico", (_req, res) => {
    res.status(204).end();
  });
  app.get("/", (_req, res) => {
    if (d.demoPlayer) res.redirect(302, "/demo");
    else if (d.devPlayer) res.redirect(302, "/dev/player");
    else res.type("text/plain").send("Pantau gateway\n");
  });

  app.use((_req, res) => {
    res.status(404).json(errorBody("not_found", "no such resource"));
  });
  app.use(errorHandler(d.log));
  return app;
}
