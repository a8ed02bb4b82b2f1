import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { AccessState } from "./access/access-state.js";
import { AlertChannelRepository } from "./alerts/alert-channel.repository.js";
import { AlertChannelService } from "./alerts/alert-channel.service.js";
import { AlertDispatcher } from "./alerts/alert-dispatcher.js";
import { EmailSender } from "./alerts/email-sender.js";
import { TelegramSender } from "./alerts/telegram-sender.js";
import { WebhookSender } from "./alerts/webhook-sender.js";
import { TokenMediaAccess } from "./access/media-access.js";
import { SecretBox, SecretKeys } from "./common/secret-box.js";
import { StreamTokens } from "./access/stream-token.js";
import { ViewingTracker } from "./access/viewing-tracker.js";
import { MaintenanceRepository } from "./alerts/maintenance.repository.js";
import { MaintenanceService } from "./alerts/maintenance.service.js";
import { Suppressions } from "./alerts/suppression.js";
import { AuditRepository, systemActor } from "./audit/audit.repository.js";
import { AuditService } from "./audit/audit.service.js";
import { UnitOfWork } from "./audit/unit-of-work.js";
import { ViewingSessionRepository } from "./audit/viewing-session.repository.js";
import { CameraMoveRepository } from "./cameras/camera-move.repository.js";
import { CameraMoveService } from "./cameras/camera-move.service.js";
import type { Camera } from "./cameras/camera.js";
import { CameraRepository } from "./cameras/camera.repository.js";
import { CameraService } from "./cameras/camera.service.js";
import { StreamTester } from "./cameras/stream-tester.js";
import { systemClock, type Clock } from "./common/clock.js";
import { Closers } from "./common/closers.js";
import type { Config } from "./config/config.schema.js";
import { ConfigError, loadConfig } from "./config/load-config.js";
import { secureDataDir } from "./db/data-dir.js";
import { openDatabase } from "./db/database.js";
import { ensureDemo } from "./demo/demo.js";
import { grabJpegFrame } from "./ffmpeg/frame-grab.js";
import { NodeProcessSpawner } from "./ffmpeg/process-spawner.js";
import { GuardianRepository } from "./guardians/guardian.repository.js";
import { GuardianService } from "./guardians/guardian.service.js";
import { AdminAuth } from "./http/admin-auth.js";
import { createApp } from "./http/app.js";
import { liveBearerKey } from "./http/rate-limit-key.js";
import { clientInfo } from "./http/client-info.js";
import { alertChannelRoutes } from "./http/alert-channels.routes.js";
import { auditRoutes } from "./http/audit.routes.js";
import { authRoutes } from "./http/auth.routes.js";
import { cameraMoveRoutes } from "./http/camera-moves.routes.js";
import { cameraTestRoutes } from "./http/camera-test.routes.js";
import { cameraRoutes } from "./http/cameras.routes.js";
import { onvifRoutes } from "./http/onvif.routes.js";
import { OnvifAddressWatcher } from "./onvif/address-watcher.js";
import { OnvifInspector } from "./onvif/onvif-inspector.js";
import { SoapClient } from "./onvif/soap-client.js";
import { interfaceAddress, WsDiscovery } from "./onvif/ws-discovery.js";
import { guardianRoutes } from "./http/guardians.routes.js";
import { healthRoutes } from "./http/health.routes.js";
import { maintenanceRoutes } from "./http/maintenance.routes.js";
import { eventsSocket } from "./http/events.ws.js";
import { NetworkProber } from "./health/camera-prober.js";
import { HealthMonitor } from "./health/health-monitor.js";
import { alertOnHealth } from "./health/health-alerts.js";
import { HealthRepository } from "./health/health.repository.js";
import { HealthService } from "./health/health.service.js";
import { UptimeService } from "./health/uptime.service.js";
import { uptimeRoutes } from "./http/uptime.routes.js";
import { snapshotRoutes } from "./http/snapshot.routes.js";
import { SnapshotService } from "./health/snapshot.service.js";
import { SnapshotClient } from "./onvif/snapshot-client.js";
import { metricsRoutes } from "./http/metrics.routes.js";
import type { CameraState } from "./health/camera-state.js";
import { GatewayMetrics } from "./health/metrics.js";
import { schoolRoutes } from "./http/schools.routes.js";
import { closeServer, listen, listenRedirect, routeUpgrades } from "./http/server.js";
import { userRoutes } from "./http/users.routes.js";
import { buildViewerAssets } from "./http/viewer-assets.js";
import { viewerRoutes } from "./http/viewer.routes.js";
import { watchRoutes } from "./http/watch.routes.js";
import { contextLogger, createLogger, type Logger } from "./log/logger.js";
import { AllowedNetworks } from "./net/allowed-networks.js";
import { NetworkGuard } from "./net/network-guard.js";
import { loadTlsPair, TlsFilesError, watchTlsFiles, type TlsPair } from "./net/tls-files.js";
import { ClassroomRepository } from "./schools/classroom.repository.js";
import { SchoolRepository } from "./schools/school.repository.js";
import { SchoolService } from "./schools/school.service.js";
import { StreamManager } from "./streaming/stream-manager.js";
import { hlsRoutes } from "./streaming/hls/hls-routes.js";
import { wsFmp4 } from "./streaming/ws/ws-fmp4.js";
import { RtmpServer } from "./ingest/rtmp-server.js";
import { EdgeAgent } from "./fleet/edge-agent.js";
import { EdgeApi } from "./fleet/edge-api.js";
import { EdgeDirectory } from "./fleet/edge-directory.js";
import { EdgeRepository } from "./fleet/edge.repository.js";
import { EdgeService } from "./fleet/edge.service.js";
import {
  ensureEdgeSchool,
  fleetAwareProber,
  loopbackUrl,
  readSeed,
  unobservableAtHub,
} from "./fleet/fleet-wiring.js";
import { HubLink } from "./fleet/hub-link.js";
import { dialLink, DeferredLink } from "./fleet/link-transport.js";
import { NatsAuthorizationFile } from "./fleet/nats-authorization-file.js";
import { renderAuthorization } from "./fleet/nats-authorization.js";
import { hubNkey } from "./fleet/nats-nkeys.js";
import { edgeRoutes } from "./http/edges.routes.js";
import { hashPassword } from "./users/passwords.js";
import { SignInService } from "./users/sign-in.service.js";
import { UserRepository } from "./users/user.repository.js";
import { UserService } from "./users/user.service.js";

export interface Gateway {
  url: string;
  /** The plain HTTP listener that redirects to HTTPS (http.tls.redirectHttpPort), when there is one. */
  redirectUrl: string | undefined;
  /** The demo guardian link (`<url>/a/<token>`), when the demo is on. */
  demoUrl: string | undefined;
  /** The operator password generated on first start (shown once), when none was configured. */
  generatedAdminPassword: string | undefined;
  streams: StreamManager;
  spawner: NodeProcessSpawner;
  cameras: CameraRepository;
  /** Camera stream tests (ffprobe), capped per gateway; ONVIF onboarding tests its profiles through it. */
  streamTester: StreamTester;
  tokens: StreamTokens;
  /** Follows ONVIF cameras across address changes; tests run a round with runOnce(). */
  addressWatcher: OnvifAddressWatcher;
  /** Whether a camera's alerts are held back now (mute, maintenance) and what uptime leaves out. */
  suppressions: Suppressions;
  /** Camera health: every camera's state, probed or read from its live rendition. */
  monitor: HealthMonitor;
  /** Alerts to the configured channels: the health monitor calls raise(). */
  alerts: AlertDispatcher;
  /** The RTMP listener for pushed cameras (rtmp.enabled), else undefined. */
  rtmp: RtmpServer | undefined;
  close(): Promise<void>;
}

const version = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/**
 * The operator account is made on first start (design.md start-up contract): PANTAU_ADMIN_USER /
 * PANTAU_ADMIN_PASSWORD, or a generated password the caller prints once.
 */
async function ensureOperator(
  users: UserRepository,
  audit: AuditRepository,
  config: Config,
): Promise<string | undefined> {
  if (users.count() > 0) return undefined;
  const generated = config.adminPassword === undefined ? randomBytes(12).toString("base64url") : undefined;
  const user = users.create(
    { username: config.adminUser, displayName: "Operator", role: "operator" },
    await hashPassword(config.adminPassword ?? (generated as string)),
  );
  audit.record({
    actor: systemActor,
    schoolId: null,
    action: "user.create",
    targetKind: "user",
    targetId: user.id,
    detail: { username: user.username, role: "operator", firstStart: true },
  });
  return generated;
}

/**
 * The composition root: config → db → repositories → services → stream manager → HTTP, in that order;
 * close() undoes it in reverse. Tests start it in-process; `npm start` runs it through run() below.
 */
export async function startGateway(
  config: Config,
  log: Logger = createLogger(config.logLevel),
  opts: {
    /**
     * The one clock of the gateway: access decisions, tokens, records and stream timers. Tests move its
     * `now` across midnight and holidays (clockAt); by default the system's.
     */
    clock?: Clock;
  } = {},
): Promise<Gateway> {
  const opened = new Closers(log);
  try {
    return await openGateway(config, log, opts, opened);
  } catch (err) {
    await opened.closeAll();
    throw err;
  }
}

async function openGateway(
  config: Config,
  log: Logger,
  opts: { clock?: Clock },
  opened: Closers,
): Promise<Gateway> {
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const nowDate = () => new Date(now());
  // 0. With certificate files the gateway serves HTTPS itself: the pair is read and checked before anything
  //    opens, so a bad pair stops the start with the setting's name.
  const { certFile, keyFile } = config.http.tls;
  const tlsFiles = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined;
  let tls: TlsPair | undefined;
  if (tlsFiles) {
    try {
      tls = loadTlsPair(tlsFiles);
    } catch (err) {
      if (err instanceof TlsFilesError) throw new ConfigError(err.message);
      throw err;
    }
  }
  // 0b. The data directory and its files, readable by this user only (0700/0600), tightened if they were not.
  secureDataDir(config.dataDir, log);
  // 1. Secrets: token and encryption keys derived from one master key (config or a 0600 key file).
  const keys = SecretKeys.fromConfig(config.secretKey, join(config.dataDir, "secret.key"));

  // 2. Storage and repositories, one per aggregate.
  const db = openDatabase(join(config.dataDir, "pantau.db"));
  opened.add("the database", () => {
    db.close();
  });
  const schools = new SchoolRepository(db, nowDate);
  const classrooms = new ClassroomRepository(db, nowDate);
  const cameras = new CameraRepository(db, new SecretBox(keys.derive("camera-passwords")), nowDate);
  const cameraMoves = new CameraMoveRepository(db, nowDate);
  const guardians = new GuardianRepository(db, nowDate);
  const users = new UserRepository(db, nowDate);
  const audit = new AuditRepository(db, nowDate);
  const viewingSessions = new ViewingSessionRepository(db);
  for (const id of cameras.separateStoredUrlCredentials()) {
    log.warn(`[cam ${id}] credentials moved out of the stored stream URL (user=/password= parameters)`);
  }
  const generatedAdminPassword = await ensureOperator(users, audit, config);
  users.purgeExpiredSessions();
  const demo = ensureDemo(
    { db, schools, classrooms, cameras, guardians },
    // An edge shows its school's cameras, not a demo; a hub and a standalone gateway start with one.
    config.demo ?? (config.role === "edge" ? false : undefined),
    keys.derive("demo-link").toString("base64url"),
  );

  // 3. Access: the in-memory state every media request is decided on, viewing sessions, stream tokens.
  const state = new AccessState({ schools, classrooms, cameras, guardians, users }, demo !== undefined);
  // Every admin change commits through the unit of work; the access state hears of each at once.
  const work = new UnitOfWork(db, audit, log);
  work.onCommit(() => {
    state.invalidate();
  });
  // Maintenance windows and camera mutes (issue 11): their history, the admin service over it, and the
  // in-memory Suppressions that the alert dispatcher and the uptime arithmetic ask. Made right after the unit
  // of work, so its cache is renewed on a commit before any listener added later asks it.
  const maintenance = new MaintenanceRepository(db, nowDate);
  const maintenanceService = new MaintenanceService(maintenance, schools, cameras, work, now);
  const suppressions = new Suppressions(maintenance, schools, work);
  const tracker = new ViewingTracker(
    viewingSessions,
    audit,
    log,
    config.access.viewingIdleSeconds * 1000,
    now,
  );
  tracker.start();
  opened.add("viewing sessions", () => {
    tracker.close();
  });
  const tokens = new StreamTokens(keys.derive("stream-tokens"), now);
  const access = new TokenMediaAccess(
    tokens,
    state,
    tracker,
    {
      openStreams: config.dev.openStreams,
      maxViewersPerCamera: config.access.maxViewersPerCamera,
      wsMaxPerSession: config.streaming.wsMaxPerSession,
      wsMaxPerAddress: config.streaming.wsMaxPerAddress,
    },
    now,
  );
  const auth = new AdminAuth(users, now);

  // 4. Streams: one supervised ffmpeg per active rendition. Every connection to a camera (ffmpeg, ffprobe,
  //    ONVIF) goes to an address the network guard resolved and checked against network.allowedNetworks.
  const network = new NetworkGuard(AllowedNetworks.parse(config.network.allowedNetworks));
  const spawner = new NodeProcessSpawner();
  // 4a. RTMP push (rtmp.enabled): node-media-server in a child process it cannot take down the gateway
  //     from; pushes need the camera's signed URL, and ffmpeg pulls them from it like any camera.
  let rtmp: RtmpServer | undefined;
  if (config.rtmp.enabled) {
    const server = new RtmpServer(spawner, clock, contextLogger(log, "rtmp"), {
      host: config.rtmp.host,
      port: config.rtmp.port,
      key: keys.derive("rtmp-publish"),
      generations: () => cameras.publishGenerations(),
    });
    opened.add("the RTMP listener", () => server.close());
    await server.start();
    rtmp = server;
  }
  // 4b. The fleet link (role edge or hub): one NATS connection, dialled out in the background (an edge
  //     serves its school while the internet is down), reconnecting with backoff. At a hub the directory
  //     follows edges' heartbeats and HubLink makes the relayed feeds of edges' cameras.
  const link = config.role === "standalone" ? undefined : new DeferredLink();
  const edgesRepo = new EdgeRepository(db, nowDate);
  const directory =
    config.role === "hub"
      ? new EdgeDirectory(edgesRepo, clock, log, config.fleet.offlineAfterSeconds * 1000)
      : undefined;
  const hubLink =
    link && directory
      ? new HubLink(link, directory, clock, log, {
          stallSeconds: config.streaming.stallSeconds,
          startTimeoutSeconds: config.streaming.startTimeoutSeconds,
          keepaliveMs: 1000,
          requestTimeoutMs: 5000,
        })
      : undefined;
  if (directory && hubLink) {
    directory.start();
    hubLink.start();
    opened.add("the edge directory", () => {
      hubLink.close();
      directory.close();
    });
  }
  const streams = new StreamManager(cameras, spawner, clock, log, {
    streaming: config.streaming,
    ffmpeg: config.ffmpeg,
    network,
    timeZoneOf: (camera) => (camera.schoolId === null ? undefined : schools.get(camera.schoolId)?.timeZone),
    ...(rtmp && { rtmp }),
    ...(hubLink && { relay: hubLink.feeds }),
  });
  streams.start();
  opened.add("streams", () => streams.close());
  // A pushed camera's rendition waits while nobody pushes (not_publishing); it starts as the push begins.
  rtmp?.onPublish((cameraId) => {
    streams.sourceBack(cameraId);
  });
  // A changed camera, read once: the RTMP listener refuses the URLs of an earlier publish generation (a new
  // URL, a camera that stops being pushed or is removed) and cuts a push live on one; running renditions
  // follow an added, edited, moved or removed camera without a restart.
  work.onCommit((change) => {
    if (change.targetKind !== "camera" || change.targetId === undefined) return undefined;
    const camera = cameras.get(change.targetId);
    rtmp?.setGeneration(change.targetId, camera?.source.kind === "rtmp" ? camera.publishGeneration : null);
    return streams.cameraChanged(change.targetId, camera);
  });
  // Camera tests before and after adding one: ffprobe through the same spawner, so none outlives the gateway.
  const streamTester = new StreamTester(spawner, log, {
    ffprobePath: config.ffmpeg.ffprobePath,
    network,
    timeoutSeconds: config.cameras.testTimeoutSeconds,
    maxConcurrent: config.cameras.maxConcurrentTests,
    maxQueued: 4 * config.cameras.maxConcurrentTests,
  });
  opened.add("camera tests", () => {
    streamTester.close();
  });

  // 5. ONVIF: discovery and inspection for onboarding; a watcher follows cameras whose address changed.
  const discovery = new WsDiscovery(log, config.onvif.maxDatagramBytes);
  const soap = new SoapClient(
    {
      timeoutMs: config.onvif.soapTimeoutSeconds * 1000,
      maxReplyBytes: config.onvif.maxReplyBytes,
      network,
    },
    now,
  );
  const inspector = new OnvifInspector(soap, discovery, { discoveryPort: config.onvif.discoveryPort }, now);
  const onvifInterface =
    config.onvif.interface === undefined ? undefined : interfaceAddress(config.onvif.interface);
  if (config.onvif.interface !== undefined && onvifInterface === undefined) {
    log.warn(
      `onvif.interface "${config.onvif.interface}" has no IPv4 address here; multicast uses the OS's choice`,
    );
  }

  // 5b. Health: every camera probed (or read from its live rendition), each change stored for uptime.
  const healthRepo = new HealthRepository(db);
  const monitor = new HealthMonitor(
    state,
    streams,
    fleetAwareProber(
      new NetworkProber(soap, {
        network,
        now,
        ...(rtmp && { rtmpPublishing: (id: string) => rtmp.isPublishing(id) }),
      }),
      hubLink,
    ),
    healthRepo,
    clock,
    log,
    {
      probeMs: config.health.probeSeconds * 1000,
      probeTimeoutMs: config.health.probeTimeoutSeconds * 1000,
      offlineAfterMs: config.health.offlineAfterSeconds * 1000,
      recoverAfterMs: config.health.recoverAfterSeconds * 1000,
      maxConcurrentProbes: config.health.maxConcurrentProbes,
      // At a hub, an edge's camera is seen through its edge: unknown while the edge is away.
      ...(hubLink && directory && { unobservable: (c: Camera) => unobservableAtHub(c, directory, hubLink) }),
    },
  );
  monitor.start();
  opened.add("the health monitor", () => monitor.close());
  const healthService = new HealthService(monitor, healthRepo, state);
  const uptimeService = new UptimeService(healthRepo, state, suppressions, now);

  // 6. Services: every admin change (and every camera address move) goes through them and the unit of work.
  // People: schools and classrooms, guardians with their links and phones, admin accounts and sign-ins.
  const schoolService = new SchoolService(schools, classrooms, work, now);
  const guardianService = new GuardianService(schools, classrooms, guardians, viewingSessions, work, now, {
    linkDays: config.access.linkDays,
    publicUrl: config.http.publicUrl,
    maxDevicesPerGuardian: config.access.maxDevicesPerGuardian,
    demo: demo !== undefined,
    requireConsent: config.guardians.requireConsent,
  });
  const userService = new UserService(users, schools, classrooms, work);
  const signIns = new SignInService(users, audit, work, config.access, now);
  // Cameras, and the moves the address watcher proposes or applies.
  const cameraService = new CameraService(
    cameras,
    schools,
    classrooms,
    work,
    inspector,
    streamTester,
    network,
    rtmp && {
      key: keys.derive("rtmp-publish"),
      host:
        config.rtmp.publicHost ??
        (config.http.publicUrl === undefined ? undefined : new URL(config.http.publicUrl).hostname),
      port: () => rtmp.port,
      urlDays: config.rtmp.publishUrlDays,
      now,
    },
  );
  const cameraMoveService = new CameraMoveService(cameras, cameraMoves, work, log);
  const addressWatcher = new OnvifAddressWatcher(
    cameras,
    cameraMoves,
    cameraMoveService,
    discovery,
    inspector,
    log,
    {
      intervalMs: config.onvif.reprobeSeconds * 1000,
      multicast: config.onvif.reprobeMulticast,
      interfaceAddress: onvifInterface,
      port: config.onvif.discoveryPort,
      scanMs: config.onvif.scanSeconds * 1000,
      ranges: config.onvif.reprobeRanges,
    },
  );
  addressWatcher.start();
  opened.add("the address watcher", () => addressWatcher.stop());

  // 6b. Last pictures (GET /api/cameras/:id/snapshot.jpg, issue 11), in memory only: one frame of a running
  //     rendition's GOP (main first) decoded by a short ffmpeg through the same spawner, else the camera's
  //     ONVIF snapshot URI fetched through the network guard. A camera's change or removal drops its picture.
  const snapshotLimits = {
    timeoutMs: config.health.snapshotTimeoutSeconds * 1000,
    maxBytes: config.health.snapshotMaxBytes,
  };
  const snapshots = new SnapshotService(
    cameras,
    state,
    audit,
    {
      gop: (cameraId) => {
        const running = streams
          .renditionsOf(cameraId)
          .sort((a, b) => (a.name === "main" ? -1 : b.name === "main" ? 1 : 0));
        for (const r of running) {
          const gop = r.stream.gop();
          if (gop) return [gop.init.data, ...gop.data];
        }
        return undefined;
      },
      decode: (gop) =>
        grabJpegFrame(spawner, clock, gop, { ffmpegPath: config.ffmpeg.path, ...snapshotLimits }),
    },
    { inspector, client: new SnapshotClient({ network, ...snapshotLimits }) },
    {
      maxAgeMs: config.health.snapshotMaxAgeSeconds * 1000,
      cacheBytes: config.health.snapshotCacheBytes,
      maxConcurrentDecodes: config.health.snapshotMaxConcurrentDecodes,
    },
    log,
    now,
  );
  work.onCommit((change) => {
    if (change.targetKind === "camera" && change.targetId !== undefined) snapshots.forget(change.targetId);
  });

  // 6c. Alerts (issue 11): channels (webhook, e-mail, Telegram; secrets sealed) and the dispatcher the health
  //     monitor raises alerts on: grouped per school, a queue with retries per channel, reminders, every
  //     delivery audited. Mutes and maintenance windows (the Suppressions above) hold alerts back; fleet
  //     reachability plugs in with useReachability. Closed before the database: pending groups, reminders
  //     and retries are cancelled.
  const alertChannels = new AlertChannelRepository(db, new SecretBox(keys.derive("alert-secrets")), nowDate);
  const emailSender = new EmailSender(config.alerts.smtp, config.alerts.timeoutSeconds * 1000);
  const alerts = new AlertDispatcher(
    alertChannels,
    {
      webhook: new WebhookSender(),
      email: emailSender,
      telegram: new TelegramSender(config.alerts.telegramApiUrl),
    },
    audit,
    clock,
    log,
    {
      groupMs: config.alerts.groupSeconds * 1000,
      reminderMs: config.alerts.reminderMinutes.map((m) => m * 60_000),
      retry: {
        attempts: config.alerts.retry.attempts,
        firstDelayMs: config.alerts.retry.firstDelaySeconds * 1000,
        maxDelayMs: config.alerts.retry.maxDelaySeconds * 1000,
      },
      timeoutMs: config.alerts.timeoutSeconds * 1000,
      queueLimit: config.alerts.queueLimit,
    },
  );
  alerts.useSuppression(suppressions);
  // A school whose edge is off the link: its cameras' alerts wait until the edge is back.
  if (directory) {
    alerts.useReachability({
      schoolReachable: (schoolId) => {
        const edge = edgesRepo.bySchool(schoolId);
        return edge === undefined || directory.online(edge.id);
      },
    });
  }
  // What the health monitor stores becomes alerts: offline, recovery, drift, flapping.
  alertOnHealth(monitor, state, alerts);
  work.onCommit((change) => {
    if (change.action === "camera.delete" && change.targetId !== undefined)
      alerts.forgetCamera(change.targetId);
  });
  opened.add("alerts", () => {
    alerts.close();
    emailSender.close();
  });
  const alertChannelService = new AlertChannelService(alertChannels, schools, work, alerts, {
    smtpConfigured: config.alerts.smtp !== undefined,
  });

  // 7a. Prometheus metrics, read at every scrape: cameras and schools from the access state (in memory, no
  //     database read per scrape), counters and viewers from the stream manager, each camera's state from the
  //     health monitor. GET /metrics: loopback, else metrics.token.
  const cameraState = (c: Camera): CameraState => monitor.get(c.id)?.state ?? "unknown";
  const metrics = new GatewayMetrics(
    {
      cameras: () => {
        const snap = state.snapshot();
        const counters = new Map(streams.counters().map((c) => [c.cameraId, c]));
        return [...snap.cameras.values()].map((c) => {
          const k = counters.get(c.id);
          return {
            schoolId: c.schoolId ?? "",
            schoolName: (c.schoolId === null ? undefined : snap.schools.get(c.schoolId)?.name) ?? "",
            cameraId: c.id,
            cameraName: c.name,
            state: cameraState(c),
            lastFrameAt: k?.lastFragmentAt,
            reconnects: k?.reconnects ?? 0,
            ingestBytes: k?.ingestBytes ?? 0,
          };
        });
      },
      ...(directory && {
        edges: () =>
          edgesRepo.list().map((e) => {
            const v = directory.view(e);
            return {
              edgeId: e.id,
              schoolId: e.schoolId,
              online: v.online,
              rttMs: v.rttMs,
              skippedFragments: v.relay?.droppedFragments ?? 0,
            };
          }),
      }),
      viewers: () => {
        const { cameras: known } = state.snapshot();
        return streams.counters().flatMap((k) => {
          const camera = known.get(k.cameraId);
          if (!camera) return [];
          return (["hls", "ws"] as const).map((protocol) => ({
            schoolId: camera.schoolId ?? "",
            cameraId: k.cameraId,
            protocol,
            count: k.viewers[protocol],
          }));
        });
      },
    },
    { version },
  );

  // 7b. Fleet (hub): edges, their credentials and the console's calls forwarded to them; every edge made or
  //     removed rewrites the NATS server's authorization file and makes it reload.
  let edgeService: EdgeService | undefined;
  if (hubLink && directory) {
    edgeService = new EdgeService(
      edgesRepo,
      schools,
      classrooms,
      cameras,
      work,
      {
        view: (edge) => directory.view(edge),
        localSchool: (id) => directory.localSchool(id),
        cameras: (id) => directory.cameras(id),
        api: (id, req) => hubLink.api(id, req, config.fleet.requestTimeoutSeconds * 1000),
      },
      config.fleet.edgeServers,
    );
    const { authorizationFile, natsPidFile } = config.fleet;
    if (authorizationFile !== undefined && natsPidFile !== undefined) {
      const file = new NatsAuthorizationFile({ path: authorizationFile, pidFile: natsPidFile });
      const hubKey =
        config.fleet.seedFile === undefined ? hubNkey(config.dataDir) : readSeed(config.fleet.seedFile);
      const write = () =>
        file
          .write(
            renderAuthorization({
              hub: { publicKey: hubKey.publicKey },
              edges: edgesRepo.list().map((e) => ({ id: e.id, publicKey: e.publicKey })),
            }),
          )
          .then(
            (changed) => {
              if (changed)
                log.info(`NATS authorization rewritten (${authorizationFile}) and the server reloaded`);
            },
            (err: unknown) => {
              log.error({ err: (err as Error).message }, "NATS authorization not applied");
            },
          );
      await write();
      work.onCommit((change) => (change.targetKind === "edge" ? write() : undefined));
    }
  }

  // 7. HTTP and WebSockets. Cookies are Secure whenever the browser reaches the gateway over https, from the
  //    gateway itself (the pair loaded at step 0) or through a proxy named in publicUrl.
  const secureCookies = tls !== undefined || (config.http.publicUrl?.startsWith("https:") ?? false);
  const viewer = await buildViewerAssets();
  const app = createApp({
    log,
    routers: [
      healthRoutes(streams, state, healthService, auth),
      metricsRoutes(metrics, { token: config.metrics.token, trustProxy: config.http.trustProxy }),
    ],
    api: [
      authRoutes(signIns, auth, {
        ...config.access,
        secureCookies,
        role: config.role,
        rtmpEnabled: rtmp !== undefined,
      }),
      schoolRoutes(schoolService, auth),
      cameraRoutes(cameraService, auth),
      snapshotRoutes(snapshots, auth),
      cameraTestRoutes(cameraService, auth),
      cameraMoveRoutes(cameraMoveService, auth),
      maintenanceRoutes(maintenanceService, auth),
      onvifRoutes(discovery, inspector, cameraService, auth, config.onvif, network, log),
      guardianRoutes(guardianService, auth, config.http.csvLimitBytes),
      userRoutes(userService, auth),
      ...(edgeService ? [edgeRoutes(edgeService, auth)] : []),
      auditRoutes(new AuditService(audit), auth),
      uptimeRoutes(uptimeService, auth, now),
      alertChannelRoutes(alertChannelService, auth),
      viewerRoutes(
        guardianService,
        state,
        streams,
        { secureCookies, openStreams: config.dev.openStreams },
        now,
      ),
      watchRoutes(tokens, access, state, guardians, auth, streams, now),
    ],
    viewer,
    bodyLimitBytes: config.http.bodyLimitBytes,
    rateLimitPerMinute: config.http.rateLimitPerMinute,
    rateLimitKey: liveBearerKey(auth, guardians),
    trustProxy: config.http.trustProxy,
    https: secureCookies,
    version,
    devPlayer: config.dev.openStreams,
    demo: demo !== undefined,
    observeRequest: (method, route, status, seconds) => {
      metrics.observeRequest(method, route, status, seconds);
    },
  });
  const media = hlsRoutes(
    streams,
    access,
    config.streaming,
    (req) => clientInfo(req, config.http.trustProxy),
    log,
  );
  const { server, address } = await listen(app, config.http.host, config.http.port, media, tls);
  opened.add("the HTTP server", () => closeServer(server));
  if (tlsFiles && tls && "setSecureContext" in server) {
    log.info(`HTTPS with certificate ${tls.serial}, valid to ${tls.validTo}`);
    // A renewed pair (certbot) is used for new connections without a restart; a broken one is refused and
    // the pair in use stays, so a half-written renewal never takes the gateway off the air.
    const stopWatching = watchTlsFiles(tlsFiles, config.http.tls.reloadSeconds * 1000, () => {
      try {
        const next = loadTlsPair(tlsFiles);
        server.setSecureContext({ cert: next.cert, key: next.key });
        log.info(`HTTPS certificate reloaded: ${next.serial}, valid to ${next.validTo}`);
      } catch (err) {
        log.error(
          { err: err instanceof TlsFilesError ? err.message : err },
          "HTTPS certificate not reloaded; the previous one stays in use",
        );
      }
    });
    opened.add("the certificate watch", stopWatching);
  }
  const { wss, upgrade: liveUpgrade } = wsFmp4(
    streams,
    access,
    log,
    (req) => clientInfo(req, config.http.trustProxy),
    config.streaming,
  );
  opened.add("WebSockets", () => {
    for (const client of wss.clients) client.close(1001, "gateway stopping");
    wss.close();
  });
  const events = eventsSocket(monitor, healthService, streams, auth, log, { countersMs: 5000 });
  opened.add("the console's events", () => {
    events.close();
  });
  // Every WebSocket path the gateway serves; any other upgrade is answered 404 and closed.
  routeUpgrades(
    server,
    [
      { prefix: "/live/", handle: liveUpgrade },
      { prefix: "/api/events", handle: events.upgrade },
    ],
    log,
  );
  // 7c. The link dials out now that the API it forwards to listens.
  if (link) {
    const seed =
      config.role === "hub"
        ? (config.fleet.seedFile === undefined ? hubNkey(config.dataDir) : readSeed(config.fleet.seedFile))
            .seed
        : readSeed(config.fleet.seedFile as string).seed;
    const name = config.role === "hub" ? "pantau-hub" : `pantau-edge ${config.fleet.edgeId ?? ""}`;
    if (config.role === "edge") {
      const local = ensureEdgeSchool(schools);
      const loopback = loopbackUrl(config.http.host, address.port, tls !== undefined);
      const edgeApi = await EdgeApi.open(users, () => loopback, contextLogger(log, "edge api"));
      const agent = new EdgeAgent(
        link,
        {
          streams,
          cameras: () => cameras.list(),
          health: (id) => monitor.get(id),
          api: (req) => edgeApi.call(req),
          rtt: () => link.rtt(),
          clock,
          log,
        },
        {
          edgeId: config.fleet.edgeId as string,
          schoolId: local.id,
          version,
          statusMs: config.fleet.statusSeconds * 1000,
          maxInFlightBytes: config.fleet.maxInFlightBytes,
          relayIdleMs: 10_000,
        },
      );
      agent.start();
      opened.add("the edge agent", () => {
        agent.close();
      });
    }
    const dialer = dialLink(
      link,
      { servers: config.fleet.servers, seed, name },
      contextLogger(log, "link"),
      clock,
    );
    opened.add("the link", () => dialer.close());
  }
  const host = config.http.host === "0.0.0.0" || config.http.host === "::" ? "localhost" : config.http.host;
  const url = (
    config.http.publicUrl ??
    `${tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${String(address.port)}`
  ).replace(/\/$/, "");
  const redirectPort = config.http.tls.redirectHttpPort;
  let redirectUrl: string | undefined;
  if (tls && redirectPort !== undefined) {
    const publicOrigin = config.http.publicUrl?.startsWith("https:") ? new URL(url).origin : undefined;
    const redirect = await listenRedirect(config.http.host, redirectPort, {
      ...(publicOrigin === undefined ? {} : { origin: publicOrigin }),
      ...(config.http.tls.acmeWebroot === undefined ? {} : { acmeWebroot: config.http.tls.acmeWebroot }),
      httpsPort: address.port,
    });
    opened.add("the HTTP redirect", () => closeServer(redirect.server));
    redirectUrl = `http://${host.includes(":") ? `[${host}]` : host}:${String(redirect.address.port)}`;
  }

  // Reverse order: stop taking viewers, stop re-probing, camera tests and every ffmpeg, record the viewing
  // sessions, close the database.
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= opened.closeAll());

  return {
    url,
    redirectUrl,
    demoUrl: demo ? `${url}/a/${demo.linkToken}` : undefined,
    generatedAdminPassword,
    streams,
    spawner,
    cameras,
    streamTester,
    monitor,
    tokens,
    addressWatcher,
    suppressions,
    alerts,
    rtmp,
    close,
  };
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
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, log);
  } catch (err) {
    // Settings only the start can check (the certificate files): the same short message as a bad setting.
    if (err instanceof ConfigError) {
      process.stderr.write(`Pantau: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
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
  if (gateway.generatedAdminPassword !== undefined) {
    // Shown once, on the console of whoever started the gateway; never logged, never stored in clear.
    process.stdout.write(
      `Operator account "${config.adminUser}" created with password: ${gateway.generatedAdminPassword}\n` +
        "Akun operator dibuat; simpan kata sandi ini, tidak akan ditampilkan lagi.\n",
    );
  }
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
