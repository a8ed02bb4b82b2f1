import { z } from "zod";
import { AllowedNetworks, defaultAllowedNetworks, parseNetwork, refusalOf } from "../net/allowed-networks.js";
import { scanHosts } from "../net/scan-targets.js";

/**
 * The one description of every setting: type, default, validation and meaning sit together.
 * Environment overrides use `PANTAU_` + the setting's path in upper snake case
 * (`http.port` → `PANTAU_HTTP_PORT`), see load-config.ts.
 */
const encoder = z
  .enum(["libx264", "h264_vaapi", "h264_qsv", "h264_nvenc", "h264_v4l2m2m"])
  .describe("H.264 encoder used only when a source must be transcoded (H.265 camera, low rendition)");

export const configSchema = z
  .object({
    role: z
      .enum(["standalone", "edge", "hub"])
      .default("standalone")
      .describe("standalone serves its own cameras; edge relays to a hub; hub accepts edges"),
    dataDir: z.string().min(1).default("./data").describe("Folder for the SQLite database and the key file"),
    secretKey: z
      .string()
      .min(32)
      .optional()
      .describe("Key for stream tokens and camera passwords; a 0600 key file in dataDir is made when unset"),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    demo: z
      .boolean()
      .optional()
      .describe("Create a demo test-pattern camera; default: on when the database is empty"),
    adminUser: z.string().min(1).default("admin").describe("Operator account made on first start"),
    adminPassword: z.string().min(8).optional().describe("Its password; a generated one is printed once"),
    http: z
      .object({
        host: z.string().min(1).default("0.0.0.0"),
        port: z.number().int().min(0).max(65535).default(8080),
        publicUrl: z
          .url()
          .optional()
          .describe(
            "Base URL printed and used in links; default http://<host>:<port> (localhost for 0.0.0.0)",
          ),
        bodyLimitBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024)
          .describe("Largest JSON request body"),
        csvLimitBytes: z
          .number()
          .int()
          .positive()
          .default(2 * 1024 * 1024)
          .describe("Largest guardian CSV import"),
        rateLimitPerMinute: z
          .number()
          .int()
          .positive()
          .default(600)
          .describe("API requests per minute from one IP address (media under /live is not limited)"),
        trustProxy: z
          .boolean()
          .default(false)
          .describe("Behind a reverse proxy on this machine: take the client IP from X-Forwarded-For"),
        tls: z
          .object({
            certFile: z
              .string()
              .min(1)
              .optional()
              .describe(
                "PEM certificate chain (e.g. /etc/letsencrypt/live/<domain>/fullchain.pem): the gateway serves HTTPS; with keyFile",
              ),
            keyFile: z
              .string()
              .min(1)
              .optional()
              .describe("PEM private key of certFile (e.g. /etc/letsencrypt/live/<domain>/privkey.pem)"),
            reloadSeconds: z
              .number()
              .min(0.1)
              .max(3600)
              .default(10)
              .describe("How often the two files are looked at; a renewed pair is used without a restart"),
            redirectHttpPort: z
              .number()
              .int()
              .min(0)
              .max(65535)
              .optional()
              .describe("A plain HTTP port that answers every request with 308 to the same path over https"),
            acmeWebroot: z
              .string()
              .min(1)
              .optional()
              .describe(
                "certbot --webroot folder: the redirect port serves /.well-known/acme-challenge/ from it",
              ),
          })
          .prefault({}),
      })
      .prefault({}),
    rtmp: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            "Accept RTMP pushes from NVRs and encoders that cannot serve RTSP (cameras of kind rtmp); " +
              "a node-media-server child process listens",
          ),
        host: z
          .string()
          .min(1)
          .default("0.0.0.0")
          .describe("Address the RTMP listener binds to; 127.0.0.1 keeps it to this machine"),
        port: z.number().int().min(0).max(65535).default(1935).describe("RTMP port (1935 is RTMP's own)"),
        publicHost: z
          .string()
          .regex(/^[A-Za-z0-9.:-]{1,253}$/, "expected a host name or IP address, like 192.168.1.10")
          .optional()
          .describe(
            "Host an NVR pushes to, put into each camera's publish URL; default: the host of http.publicUrl, " +
              "else the host the admin reached the console at",
          ),
        publishUrlDays: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .default(365)
          .describe("How long a camera's signed publish URL stays valid; a new one can be fetched any time"),
      })
      .prefault({}),
    ffmpeg: z
      .object({
        path: z.string().min(1).default("ffmpeg"),
        ffprobePath: z.string().min(1).default("ffprobe"),
        encoder: encoder.default("libx264"),
        rtspTimeoutSeconds: z
          .number()
          .positive()
          .max(60)
          .default(5)
          .describe("ffmpeg -timeout: socket I/O timeout for RTSP, in seconds"),
      })
      .prefault({}),
    cameras: z
      .object({
        testTimeoutSeconds: z
          .number()
          .min(0.5)
          .max(60)
          .default(5)
          .describe(
            "A camera test (POST /api/cameras/test) reports a timeout after this long without an answer",
          ),
        maxConcurrentTests: z
          .number()
          .int()
          .min(1)
          .max(32)
          .default(4)
          .describe("Camera tests (one ffprobe each) run at once; up to 4× more wait, beyond that: busy"),
      })
      .prefault({}),
    health: z
      .object({
        probeSeconds: z
          .number()
          .min(0)
          .max(3600)
          .default(60)
          .describe(
            "Probe every enabled camera this often (RTSP OPTIONS + DESCRIBE, ONVIF clock and device " +
              "information), watched or not, jittered; a live rendition's evidence replaces the probe; 0 = never",
          ),
        probeTimeoutSeconds: z
          .number()
          .min(0.5)
          .max(60)
          .default(10)
          .describe("One probe of one camera gives up after this long (connect, auth and replies together)"),
        offlineAfterSeconds: z
          .number()
          .min(0)
          .max(86_400)
          .default(120)
          .describe(
            "A camera unreachable this long is offline: one lost probe or a camera reboot is not an outage",
          ),
        recoverAfterSeconds: z
          .number()
          .min(0)
          .max(86_400)
          .default(60)
          .describe("An offline camera reachable again this long is back (online or degraded)"),
        maxConcurrentProbes: z
          .number()
          .int()
          .min(1)
          .max(256)
          .default(8)
          .describe("Probes running at once; the rest wait their turn"),
        snapshotMaxAgeSeconds: z
          .number()
          .min(0)
          .max(3600)
          .default(10)
          .describe(
            "GET /api/cameras/:id/snapshot.jpg reuses a picture this young instead of taking a new one " +
              "(one frame of the live stream, else the camera's ONVIF snapshot); 0 = always a new one",
          ),
        snapshotTimeoutSeconds: z
          .number()
          .min(0.5)
          .max(60)
          .default(5)
          .describe(
            "Taking one picture (ffmpeg decoding a frame, or the camera's snapshot URI) gives up after this long",
          ),
        snapshotMaxBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .max(64 * 1024 * 1024)
          .default(4 * 1024 * 1024)
          .describe("Largest picture taken; a camera sending more is cut off and its answer refused"),
        snapshotCacheBytes: z
          .number()
          .int()
          .min(0)
          .max(1024 * 1024 * 1024)
          .default(32 * 1024 * 1024)
          .describe("Pictures kept in memory (never on disk), all cameras together; the oldest go first"),
        snapshotMaxConcurrentDecodes: z
          .number()
          .int()
          .min(1)
          .max(32)
          .default(2)
          .describe("ffmpeg decodes of a live frame at once; up to 4× more wait, beyond that: busy"),
      })
      .prefault({}),
    streaming: z
      .object({
        partTargetSeconds: z
          .number()
          .min(0.1)
          .max(1)
          .default(0.2)
          .describe("LL-HLS part duration; ffmpeg cuts a fragment at every keyframe and this often"),
        windowSeconds: z
          .number()
          .min(4)
          .max(120)
          .default(10)
          .describe("In-memory window of segments kept per rendition (nothing media touches disk)"),
        idleStopSeconds: z
          .number()
          .min(0)
          .default(30)
          .describe("A rendition stops this long after its last viewer (unless the camera is alwaysOn)"),
        stallSeconds: z
          .number()
          .min(1)
          .default(5)
          .describe("A rendition is stalled when no fragment arrived for this long, even if ffmpeg lives"),
        startTimeoutSeconds: z
          .number()
          .min(1)
          .default(15)
          .describe("A start fails when no init segment arrived for this long"),
        partHoldBackFactor: z
          .number()
          .min(2)
          .max(10)
          .default(3)
          .describe(
            "PART-HOLD-BACK as a multiple of the part target (RFC 8216bis: at least 2, 3 recommended)",
          ),
        blockingReloadMaxSeconds: z
          .number()
          .min(1)
          .max(30)
          .default(3)
          .describe("Cap on how long a blocking playlist reload waits (RFC 8216bis: 3 × target duration)"),
        wsMaxBufferedBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(2 * 1024 * 1024)
          .describe("A WebSocket viewer further behind than this skips to the next keyframe"),
        wsDropAfterSkips: z
          .number()
          .int()
          .min(1)
          .default(5)
          .describe("A WebSocket viewer that had to skip this many times in a row is disconnected"),
        wsMaxPerSession: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(2)
          .describe(
            "Open WebSockets one viewer session (a phone or sign-in) may hold on one camera; more are refused with socket_limit",
          ),
        wsMaxPerAddress: z
          .number()
          .int()
          .min(1)
          .default(40)
          .describe(
            "Open WebSockets from one client address, all viewers together (generous: parents share carrier CGNAT addresses); more are refused with address_limit",
          ),
      })
      .prefault({}),
    onvif: z
      .object({
        interface: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Interface name or IPv4 address multicast discovery probes leave by; the OS's choice when unset",
          ),
        discoveryPort: z
          .number()
          .int()
          .min(1)
          .max(65535)
          .default(3702)
          .describe("WS-Discovery UDP port (3702 is the standard; other values are for tests)"),
        scanSeconds: z
          .number()
          .min(0.5)
          .max(30)
          .default(3)
          .describe(
            "How long a discovery scan waits for answers (cameras wait up to 0.5 s before answering)",
          ),
        soapTimeoutSeconds: z
          .number()
          .min(0.5)
          .max(60)
          .default(5)
          .describe("Whole time one ONVIF call may take, connect to last byte"),
        maxReplyBytes: z
          .number()
          .int()
          .min(16 * 1024)
          .default(512 * 1024)
          .describe("Largest ONVIF SOAP reply read from a camera"),
        maxDatagramBytes: z
          .number()
          .int()
          .min(2048)
          .max(65507)
          .default(16 * 1024)
          .describe("Largest WS-Discovery answer read (real ones are 1–3 KB)"),
        reprobeSeconds: z
          .number()
          .min(0)
          .default(300)
          .describe("Re-probe ONVIF cameras this often to follow address changes (DHCP); 0 = never"),
        reprobeMulticast: z
          .boolean()
          .default(true)
          .describe(
            "Re-probes also send a multicast Probe (off where multicast would leave by the wrong interface)",
          ),
        reprobeRanges: z
          .array(
            z
              .string()
              .min(1)
              .superRefine((cidr, ctx) => {
                try {
                  scanHosts({ cidr });
                } catch (e) {
                  ctx.addIssue({ code: "custom", message: (e as Error).message });
                }
              }),
          )
          .default([])
          .describe(
            "CIDR ranges also probed by unicast on each re-probe; only inside them is a camera followed to a new address without a person",
          ),
      })
      .prefault({}),
    network: z
      .object({
        allowedNetworks: z
          .array(
            z
              .string()
              .min(1)
              .superRefine((entry, ctx) => {
                try {
                  parseNetwork(entry);
                } catch (e) {
                  ctx.addIssue({ code: "custom", message: (e as Error).message });
                }
              }),
          )
          .default([...defaultAllowedNetworks])
          .describe(
            "CIDR ranges (or single addresses) cameras may be at: ONVIF, camera tests and streams connect only " +
              "there. Never link-local, multicast, cloud metadata or the gateway's own addresses; loopback only " +
              "when an entry names it (127.0.0.0/8, ::1)",
          ),
      })
      .prefault({}),
    access: z
      .object({
        maxDevicesPerGuardian: z
          .number()
          .int()
          .min(1)
          .max(20)
          .default(2)
          .describe("Devices one guardian may register through access links"),
        maxViewersPerCamera: z
          .number()
          .int()
          .min(1)
          .default(50)
          .describe("Concurrent viewing sessions of one camera; one more is refused with viewer_limit"),
        sessionHours: z
          .number()
          .min(0.1)
          .max(24 * 30)
          .default(12)
          .describe("An admin sign-in lasts this long"),
        loginFailuresBeforeDelay: z
          .number()
          .int()
          .min(1)
          .default(5)
          .describe(
            "Wrong passwords for one account from one address before each further try from there must wait " +
              "(1 s, then doubling); other addresses are not affected (was loginMaxFailures)",
          ),
        loginMaxDelayMinutes: z
          .number()
          .min(1)
          .default(15)
          .describe(
            "The longest wait between two sign-in tries on one account from one address (was lockoutMinutes)",
          ),
        loginAttemptsPerIpPer15Min: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe("Sign-in attempts from one IP address per 15 minutes"),
        linkDays: z.number().int().min(1).max(365).default(30).describe("Default life of an access link"),
        viewingIdleSeconds: z
          .number()
          .min(5)
          .default(20)
          .describe("An LL-HLS viewing session ends this long after the player's last request"),
      })
      .prefault({}),
    guardians: z
      .object({
        requireConsent: z
          .boolean()
          .default(true)
          .describe(
            "Issue an access link only to a guardian whose consent is recorded (POST /api/guardians/:id/consent); " +
              "UU PDP 27/2022 asks for provable parental consent to process a child's data",
          ),
      })
      .prefault({}),
    alerts: z
      .object({
        smtp: z
          .object({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65535).default(587),
            secure: z
              .boolean()
              .default(false)
              .describe("TLS from the first byte (port 465); false: STARTTLS when the server offers it"),
            user: z.string().min(1).optional(),
            password: z.string().optional(),
            from: z.string().min(3).describe('Sender, e.g. "Pantau <pantau@diskominfo.example.go.id>"'),
          })
          .optional()
          .describe("SMTP server for e-mail alert channels; none: e-mail channels cannot be added"),
        telegramApiUrl: z
          .url({ protocol: /^https?$/ })
          .default("https://api.telegram.org")
          .describe("Telegram Bot API base URL (tests point it at a local receiver)"),
        groupSeconds: z
          .number()
          .min(0)
          .max(3600)
          .default(30)
          .describe("A school's alerts raised within this long go out as one message per channel"),
        reminderMinutes: z
          .array(z.number().positive())
          .max(10)
          .default([60, 1440])
          .describe("Reminders after an offline alert while the camera stays offline"),
        retry: z
          .object({
            attempts: z.number().int().min(1).max(20).default(6).describe("Delivery attempts per message"),
            firstDelaySeconds: z.number().min(0).default(5).describe("Wait before the first retry"),
            maxDelaySeconds: z.number().min(0).default(300).describe("Cap on the (doubling, jittered) wait"),
          })
          .prefault({}),
        timeoutSeconds: z
          .number()
          .min(0.5)
          .max(120)
          .default(10)
          .describe("One delivery attempt (webhook, Telegram, SMTP) may take this long"),
        queueLimit: z
          .number()
          .int()
          .min(1)
          .default(100)
          .describe("Messages waiting per channel; beyond that the oldest is dropped (and audited)"),
      })
      .prefault({}),
    metrics: z
      .object({
        token: z
          .string()
          .min(16)
          .optional()
          .describe(
            "Bearer token GET /metrics asks of clients on other machines (this machine needs none); " +
              "unset: other machines are refused",
          ),
      })
      .prefault({}),
    fleet: z
      .object({
        servers: z
          .array(z.string().regex(/^(nats|tls|ws|wss):\/\/[^\s]+$/, "a nats://, tls://, ws:// or wss:// URL"))
          .max(10)
          .default([])
          .describe(
            "The hub's NATS server(s) the link connects to (edge and hub): tls://hub.example:4222, or " +
              "wss://hub.example:443 where a school's firewall allows nothing else",
          ),
        edgeServers: z
          .array(z.string().regex(/^(nats|tls|ws|wss):\/\/[^\s]+$/, "a nats://, tls://, ws:// or wss:// URL"))
          .min(1)
          .max(10)
          .optional()
          .describe(
            "Hub: the NATS address(es) an edge dials from a school, as the console gives them to the installer " +
              "with a new edge's credentials (e.g. tls://nats.example:4222, wss://hub.example/nats); unset: " +
              "tls://<the host the console is served from>:4222, as config/nats/pantau-hub.conf listens",
          ),
        edgeId: z
          .string()
          .regex(/^edg_[A-Za-z0-9_-]{1,60}$/, "the id the hub gave this edge (edg_…)")
          .optional()
          .describe("Edge: its id, as the hub's console showed it when the edge was made"),
        seedFile: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Edge: the file (0600) holding the nkey seed the hub showed once. Hub: its own seed " +
              "(default <dataDir>/nats-hub.nk, made on first start)",
          ),
        authorizationFile: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Hub: the nats-server authorization file it rewrites when an edge is made or removed " +
              "(included by config/nats/pantau-hub.conf)",
          ),
        natsPidFile: z
          .string()
          .min(1)
          .optional()
          .describe("Hub: nats-server's pid_file, to make it reload the authorization file"),
        statusSeconds: z.number().min(0.5).max(60).default(2).describe("Edge: heartbeat interval"),
        offlineAfterSeconds: z
          .number()
          .min(2)
          .max(600)
          .default(10)
          .describe("Hub: an edge without a heartbeat this long is offline (its cameras unknown)"),
        maxInFlightBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(4 * 1024 * 1024)
          .describe(
            "Edge: relayed bytes the hub has not acknowledged before fragments are skipped to the next keyframe",
          ),
        requestTimeoutSeconds: z
          .number()
          .min(1)
          .max(120)
          .default(40)
          .describe("Hub: how long a forwarded console call (a scan) may take at the edge"),
      })
      .prefault({}),
    dev: z
      .object({
        openStreams: z
          .boolean()
          .default(false)
          .describe(
            "Development only: anyone may get stream URLs for any camera (dev player at /dev/player)",
          ),
      })
      .prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    // An edge needs to know where the hub is and who it is there; a hub where its edges come.
    const { fleet } = config;
    if (config.role !== "standalone" && fleet.servers.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["fleet", "servers"],
        message: `a ${config.role} needs the NATS server`,
      });
    // The NATS client takes one transport per connection: WebSocket or TCP, not both.
    for (const key of ["servers", "edgeServers"] as const) {
      const list = fleet[key] ?? [];
      const ws = list.filter((u) => /^wss?:/.test(u)).length;
      if (ws > 0 && ws < list.length)
        ctx.addIssue({
          code: "custom",
          path: ["fleet", key],
          message: "either every server over WebSocket (ws://, wss://) or none",
        });
    }
    if (config.role === "edge") {
      for (const key of ["edgeId", "seedFile"] as const) {
        if (fleet[key] === undefined)
          ctx.addIssue({
            code: "custom",
            path: ["fleet", key],
            message: "an edge needs it (from the hub's console)",
          });
      }
    }
    // HTTPS needs both files; one alone is a half-done setup, not a reason to serve plain HTTP.
    const { certFile, keyFile, redirectHttpPort } = config.http.tls;
    if ((certFile === undefined) !== (keyFile === undefined)) {
      const missing = certFile === undefined ? "certFile" : "keyFile";
      ctx.addIssue({
        code: "custom",
        path: ["http", "tls", missing],
        message: "http.tls.certFile and http.tls.keyFile are set together (HTTPS needs both)",
      });
    }
    if (config.http.tls.acmeWebroot !== undefined && redirectHttpPort === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["http", "tls", "acmeWebroot"],
        message: "is served on the redirect port, which needs http.tls.redirectHttpPort",
      });
    }
    if (redirectHttpPort !== undefined && certFile === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["http", "tls", "redirectHttpPort"],
        message: "redirects to HTTPS, which needs http.tls.certFile and http.tls.keyFile",
      });
    }
    // The re-probe reaches only where everything else may: each range inside the allowed networks.
    let allowed: AllowedNetworks;
    let ranges: string[][];
    try {
      allowed = AllowedNetworks.parse(config.network.allowedNetworks);
      ranges = config.onvif.reprobeRanges.map((cidr) => scanHosts({ cidr }));
    } catch {
      return; // a bad entry, already reported on its own field
    }
    config.onvif.reprobeRanges.forEach((cidr, i) => {
      const refused = (ranges[i] ?? []).find(
        (host) => refusalOf(host, allowed, { own: [], broadcast: [] }) !== undefined,
      );
      if (refused !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["onvif", "reprobeRanges", i],
          message: `${cidr} reaches ${refused}, outside network.allowedNetworks`,
        });
      }
    });
  });

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
