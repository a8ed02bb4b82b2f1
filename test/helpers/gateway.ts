import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import type { ConfigInput } from "../../gateway/src/config/config.schema.js";
import { parseConfig } from "../../gateway/src/config/load-config.js";
import { clockAt } from "../../gateway/src/common/clock.js";
import { startGateway, type Gateway } from "../../gateway/src/main.js";
import { ApiClient } from "./api-client.js";

export const testAdminUser = "operator";
export const testAdminPassword = "operator-test-password";
/** network.allowedNetworks of test gateways: loopback only, where every test camera listens. */
export const testAllowedNetworks = ["127.0.0.0/8", "::1/128"] as const;

export interface TestGateway extends Gateway {
  dataDir: string;
  /** The operator, signed in. */
  admin: ApiClient;
  /** POST /api/watch/:id (as an open dev viewer unless a client is given) and return absolute URLs. */
  watch(cameraId: string, as?: ApiClient): Promise<{ hls: string; ws: string; token: string }>;
  /** POST /api/cameras as the operator; a body without schoolId goes to a "Test school" made on first use. */
  addCamera(body: Record<string, unknown>): Promise<{ id: string }>;
  /** GET /api/health as the operator. */
  health(): Promise<{ renditions: Record<string, unknown>[] }>;
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A real gateway in this process: SQLite in a fresh temp folder, HTTP on 127.0.0.1 and a free port. */
export async function startTestGateway(
  overrides: DeepPartial<ConfigInput> = {},
  opts: {
    dataDir?: string;
    keepData?: boolean;
    now?: () => number;
    /** The gateway's logger (e.g. one writing to memory, for a test that reads the log); silent by default. */
    log?: Logger;
    /** Where `admin` and the helpers talk to the gateway when gw.url (publicUrl) is a proxy in front of it. */
    apiBase?: string;
  } = {},
): Promise<TestGateway> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "pantau-test-"));
  const config = parseConfig({
    dataDir,
    demo: false,
    logLevel: "silent",
    adminUser: testAdminUser,
    adminPassword: testAdminPassword,
    ...overrides,
    http: { host: "127.0.0.1", port: 0, rateLimitPerMinute: 100_000, ...overrides.http },
    access: { loginAttemptsPerIpPer15Min: 10_000, ...overrides.access },
    dev: { openStreams: true, ...overrides.dev },
    streaming: { ...overrides.streaming },
    // Tests run the re-probe themselves (gw.addressWatcher.runOnce()) and never multicast from the host's
    // own network: only on loopback or inside the network namespaces a test makes.
    onvif: { reprobeSeconds: 0, reprobeMulticast: false, ...overrides.onvif },
    // Health probes stay off unless a test turns them on: they would add RTSP connections to cameras whose
    // clients other tests count.
    health: { probeSeconds: 0, ...overrides.health },
    // Test cameras and simulators listen on loopback, on the gateway's own machine: allowed here by naming
    // loopback, as production defaults (private ranges only) never do.
    network: { allowedNetworks: [...testAllowedNetworks], ...overrides.network },
  });
  const log = opts.log ?? pino({ level: process.env.PANTAU_TEST_LOG ?? "silent" });
  const gw = await startGateway(config, log, opts.now ? { clock: clockAt(opts.now) } : {});
  const apiBase = opts.apiBase ?? gw.url;
  const admin = await new ApiClient(apiBase).login(testAdminUser, testAdminPassword);
  let testSchool: string | undefined;
  return {
    ...gw,
    dataDir,
    admin,
    close: async () => {
      await gw.close();
      if (opts.keepData !== true) rmSync(dataDir, { recursive: true, force: true });
    },
    async addCamera(body) {
      if (body.schoolId === undefined) {
        testSchool ??= (
          (await admin.expect(201, "POST", "/api/schools", { name: "Test school" })) as { id: string }
        ).id;
      }
      return (await admin.expect(201, "POST", "/api/cameras", { schoolId: testSchool, ...body })) as {
        id: string;
      };
    },
    async health() {
      return (await admin.expect(200, "GET", "/api/health")) as { renditions: Record<string, unknown>[] };
    },
    async watch(cameraId, as) {
      const r = await (as ?? new ApiClient(apiBase)).post(`/api/watch/${cameraId}`);
      if (r.status !== 200) throw new Error(`watch: ${String(r.status)} ${r.text}`);
      const w = r.body as { hls: string; ws: string };
      const token = /\/live\/([^/]+)\//.exec(w.hls)?.[1] ?? "";
      return { hls: gw.url + w.hls, ws: gw.url.replace(/^http/, "ws") + w.ws, token };
    },
  };
}
