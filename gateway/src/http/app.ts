import { isUtf8 } from "node:buffer";
import express, { type Express } from "express";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import helmet from "helmet";
import type { Logger } from "../log/logger.js";
import type { ApiRouter } from "./api-router.js";
import { errorBody } from "../common/errors.js";
import { errorHandler } from "./errors.js";
import { openApiDocument } from "./openapi.js";
import { sameOrigin } from "./same-origin.js";
import type { BrowserApp, ViewerAssets } from "./viewer-assets.js";

export interface AppDeps {
  log: Logger;
  /** The JSON API, each router documenting its routes (OpenAPI). */
  api: ApiRouter[];
  /** Plain routers mounted before the API (health). */
  routers: express.Router[];
  viewer: ViewerAssets;
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  /** The live phone or admin sign-in a request is counted against (rate-limit-key.ts); else its address. */
  rateLimitKey: (req: express.Request) => string | undefined;
  trustProxy: boolean;
  /** Served over TLS (publicUrl https): only then may the CSP ask browsers to upgrade requests to https. */
  https: boolean;
  version: string;
  /** Serve the development player at /dev/player (dev.openStreams). */
  devPlayer: boolean;
  /**
   * The demo setting is on: /demo is the player for the demo test pattern, open to anyone without a phone
   * registration (nothing is written per visit), and / leads there.
   */
  demo: boolean;
  /**
   * Told of every answered request with its express route pattern (`/api/cameras/:id`; "unmatched" when no
   * route matched), never the path, which holds ids and tokens: the HTTP duration metric.
   */
  observeRequest?: (method: string, route: string, status: number, seconds: number) => void;
}

/** The express application: security headers, JSON API and viewer pages (LL-HLS and WebSockets sit in front). */
export function createApp(d: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("trust proxy", d.trustProxy ? "loopback" : false);
  const { observeRequest } = d;
  if (observeRequest) {
    // First, so it times everything; the route is read when the answer is finished, after routing set it.
    app.use((req, res, next) => {
      const start = process.hrtime.bigint();
      res.on("finish", () => {
        const route = (req.route as { path?: unknown } | undefined)?.path;
        const pattern = typeof route === "string" ? req.baseUrl + route : "unmatched";
        observeRequest(req.method, pattern, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
      });
      next();
    });
  }
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
          // helmet's default would make a phone fetch the player's assets over https from a gateway that a
          // school serves over plain http on its LAN (http://192.168.x.x): the page would load blank.
          "upgrade-insecure-requests": d.https ? [] : null,
        },
      },
      crossOriginEmbedderPolicy: false,
    }),
  );

  // Media under /live is served before express (streaming/hls/hls-routes.ts): no body parsing, no rate
  // limit (a player makes several requests a second), token-gated.

  app.use(
    "/api",
    rateLimit({
      windowMs: 60_000,
      limit: d.rateLimitPerMinute,
      standardHeaders: "draft-7",
      legacyHeaders: false,
      // Per phone or admin sign-in where there is a live one: Indonesian mobile carriers put hundreds of
      // parents behind one address (CGNAT), and their pages poll /api/viewer/me. Per address otherwise,
      // made-up cookies included.
      keyGenerator: (req) => d.rateLimitKey(req) ?? ipKeyGenerator(req.ip ?? ""),
      handler: (_req, res) => {
        res.status(429).json(errorBody("rate_limited", "too many requests; wait a minute"));
      },
    }),
  );
  app.use("/api", sameOrigin);
  app.use(
    express.json({
      limit: d.bodyLimitBytes,
      strict: true,
      // Bytes that are not UTF-8 would otherwise become U+FFFD inside names without anyone noticing.
      verify: (_req, _res, buf) => {
        if (!isUtf8(buf))
          throw Object.assign(new Error("body is not UTF-8"), { type: "encoding.invalid_utf8" });
      },
    }),
  );

  for (const r of d.routers) app.use(r);
  for (const a of d.api) app.use(a.router);
  const openapi = openApiDocument(
    d.api.flatMap((a) => a.routes),
    d.version,
  );
  app.get("/api/openapi.json", (_req, res) => {
    res.json(openapi);
  });

  const serveApp = (prefix: string, name: string, a: BrowserApp) => {
    app.get(`${prefix}/:file`, (req, res, next) => {
      const js = a.scripts.get(req.params.file);
      if (js === undefined) {
        next();
        return;
      }
      res.type("text/javascript").set("Cache-Control", "no-cache").send(js);
    });
    app.get(`${prefix}/${name}.css`, (_req, res) => {
      res.type("text/css").set("Cache-Control", "no-cache").send(a.css);
    });
  };
  serveApp("/assets", "viewer", d.viewer.player);
  serveApp("/admin/assets", "console", d.viewer.console);
  const page = (_req: express.Request, res: express.Response) => {
    res.type("html").set("Cache-Control", "no-cache").send(d.viewer.player.html);
  };
  // The console is one page; its screens are addressed after the # (/admin#/cameras), so nothing else here.
  app.get("/admin", (_req, res) => {
    res.type("html").set("Cache-Control", "no-cache").send(d.viewer.console.html);
  });
  app.get("/watch", page);
  if (d.devPlayer) app.get("/dev/player", page);
  if (d.demo) app.get("/demo", page);
  // The installable parent app: manifest, icons and the shell-only service worker (viewer/src/sw.ts), at
  // the root so the worker's scope covers /watch and /demo without a Service-Worker-Allowed header.
  const { shell } = d.viewer;
  app.get("/manifest.webmanifest", (_req, res) => {
    res.type("application/manifest+json").set("Cache-Control", "no-cache").send(shell.manifest);
  });
  app.get("/sw.js", (_req, res) => {
    // no-cache: browsers check the worker for updates on every navigation anyway, but never from a stale copy.
    res.type("text/javascript").set("Cache-Control", "no-cache").send(shell.serviceWorker);
  });
  app.get("/icons/:file", (req, res, next) => {
    const png = shell.icons.get(req.params.file);
    if (png === undefined) {
      next();
      return;
    }
    res.type("image/png").set("Cache-Control", "public, max-age=86400").send(png);
  });
  app.get("/favicon.ico", (_req, res) => {
    res.status(204).end();
  });
  app.get("/", (_req, res) => {
    if (d.demo) res.redirect(302, "/demo");
    else if (d.devPlayer) res.redirect(302, "/dev/player");
    else res.type("text/plain").send("Pantau gateway\n");
  });

  app.use((_req, res) => {
    res.status(404).json(errorBody("not_found", "no such resource"));
  });
  app.use(errorHandler(d.log));
  return app;
}
