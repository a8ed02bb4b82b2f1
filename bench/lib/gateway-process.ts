import type { ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RenditionHealthJson } from "../../gateway/src/http/health.routes.js";
import { ApiClient } from "../../test/helpers/api-client.js";
import { startGatewayProcess as startTestGatewayProcess } from "../../test/helpers/gateway-process.js";
import { stopChild, stopOnce, track } from "./cleanup.js";
import { sleep } from "./env.js";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** BENCH_CPU_PROF=<dir>: the gateway writes a V8 CPU profile there when it stops (open it in DevTools). */
const profileArgs = (): string[] => {
  const dir = process.env.BENCH_CPU_PROF;
  return dir === undefined || dir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
};

/** One rendition as GET /api/health reports it. */
export type RenditionHealth = RenditionHealthJson;

export interface GatewayProcess {
  url: string;
  /** The `Demo parent link: <url>` the gateway prints with the demo on (PANTAU_DEMO=1), else undefined. */
  demoLink: string | undefined;
  /** PID of the gateway's node process (its ffmpeg children sit below it). */
  pid: number;
  child: ChildProcess;
  /** The bench operator's signed-in client, for calls the helpers below do not cover. */
  admin: ApiClient;
  /** The bench school, where addCamera puts cameras unless told otherwise. */
  schoolId: string;
  /** POST /api/cameras; the body's schoolId, when given, replaces the bench school's. */
  addCamera(body: unknown): Promise<{ id: string }>;
  /** POST /api/schools as the bench operator (cameras go to the bench school unless told otherwise). */
  addSchool(name: string): Promise<{ id: string }>;
  /** PATCH /api/cameras/:id as the bench operator. */
  patchCamera(id: string, body: unknown): Promise<void>;
  /** DELETE /api/cameras/:id, which stops the camera's renditions before it answers. */
  deleteCamera(id: string): Promise<void>;
  health(): Promise<RenditionHealth[]>;
  /** The whole GET /api/health answer, for what a benchmark reads beside the renditions. */
  healthBody(): Promise<Record<string, unknown>>;
  /** Waits until every listed rendition of these cameras is live. */
  waitLive(cameraIds: readonly string[], rendition?: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The operator account the bench gateway is started with; its session cookie signs the admin calls. */
export const benchAdmin = { user: "bench", password: "bench-operator-password" };

/**
 * The gateway as its own process, the way `npm start` and the systemd unit run it
 * (`node --import tsx gateway/src/main.ts`), so its CPU and memory can be measured apart from the
 * benchmark. Loopback only, a free port, a fresh data folder; by default no demo camera and dev stream URLs on
 * (`env` overrides both).
 */
export async function startGatewayProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
  // The same launcher as the tests' (test/helpers/gateway-process.ts), with the benchmark's settings.
  const gw = await startTestGatewayProcess(
    {
      PANTAU_DEMO: "0",
      PANTAU_DEV_OPEN_STREAMS: "1",
      PANTAU_ADMIN_USER: benchAdmin.user,
      PANTAU_ADMIN_PASSWORD: benchAdmin.password,
      PANTAU_HTTP_RATE_LIMIT_PER_MINUTE: "1000000",
      PANTAU_LOG_LEVEL: "warn",
      ...env,
    },
    {
      nodeArgs: profileArgs(),
      // An empty config file, so a developer's config/pantau.yml cannot change what is measured.
      configYaml: "{}\n",
      onStderrLine: (line) => {
        if (process.env.BENCH_VERBOSE === "1") process.stderr.write(`[gateway] ${line}\n`);
      },
      readyTimeoutMs: 60_000,
    },
  );
  const { url, demoUrl: demoLink } = gw;
  const child = track(gw.child);

  const stop = stopOnce("gateway", async () => {
    // SIGTERM: the gateway stops its ffmpeg children itself (q, SIGTERM, SIGKILL), as under systemd.
    await stopChild(child, "SIGTERM", 10_000);
    await gw.cleanup();
  });

  const admin = await new ApiClient(url).login(benchAdmin.user, benchAdmin.password);
  const { id: schoolId } = (await admin.expect(201, "POST", "/api/schools", { name: "Bench school" })) as {
    id: string;
  };
  const healthBody = async (): Promise<Record<string, unknown>> =>
    (await admin.expect(200, "GET", "/api/health")) as Record<string, unknown>;
  const health = async (): Promise<RenditionHealth[]> =>
    ((await healthBody()) as { renditions: RenditionHealth[] }).renditions;

  return {
    url,
    demoLink,
    pid: child.pid!,
    child,
    admin,
    schoolId,
    health,
    healthBody,
    async addSchool(name) {
      return (await admin.expect(201, "POST", "/api/schools", { name })) as { id: string };
    },
    async addCamera(body) {
      return (await admin.expect(201, "POST", "/api/cameras", { schoolId, ...(body as object) })) as {
        id: string;
      };
    },
    async patchCamera(id, body) {
      await admin.expect(200, "PATCH", `/api/cameras/${encodeURIComponent(id)}`, body);
    },
    async deleteCamera(id) {
      await admin.expect(204, "DELETE", `/api/cameras/${encodeURIComponent(id)}`);
    },
    async waitLive(cameraIds, rendition = "main", timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const h = await health();
        const notLive = cameraIds.filter(
          (id) => !h.some((r) => r.cameraId === id && r.rendition === rendition && r.state === "live"),
        );
        if (notLive.length === 0) return;
        if (Date.now() > end)
          throw new Error(`renditions not live after ${String(timeoutMs)} ms: ${JSON.stringify(h, null, 1)}`);
        await sleep(250);
      }
    },
    stop,
  };
}
