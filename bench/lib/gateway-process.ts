import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { stderrTail, stopChild, stopOnce, track } from "./cleanup.js";
import { sleep } from "./env.js";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** BENCH_CPU_PROF=<dir>: the gateway writes a V8 CPU profile there when it stops (open it in DevTools). */
const profileArgs = (): string[] => {
  const dir = process.env.BENCH_CPU_PROF;
  return dir === undefined || dir === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
};

export interface RenditionHealth {
  cameraId: string;
  rendition: string;
  state: string;
  fps: number;
  bitrate: number;
  restarts: number;
  lastError: string | undefined;
  viewers: number;
  pid: number | undefined;
  memoryBytes: number;
}

export interface GatewayProcess {
  url: string;
  /** The `Demo parent link: <url>` the gateway prints with the demo on (PANTAU_DEMO=1), else undefined. */
  demoLink: string | undefined;
  /** PID of the gateway's node process (its ffmpeg children sit below it). */
  pid: number;
  child: ChildProcess;
  addCamera(body: unknown): Promise<{ id: string }>;
  /** PATCH /api/cameras/:id as the bench operator. */
  patchCamera(id: string, body: unknown): Promise<void>;
  /** DELETE /api/cameras/:id, which stops the camera's renditions before it answers. */
  deleteCamera(id: string): Promise<void>;
  health(): Promise<RenditionHealth[]>;
  /** Waits until every listed rendition of these cameras is live. */
  waitLive(cameraIds: readonly string[], rendition?: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The operator account the bench gateway is started with; its session cookie signs the admin calls. */
const benchAdmin = { user: "bench", password: "bench-operator-password" };

/**
 * The gateway as its own process, the way `npm start` and the systemd unit run it
 * (`node --import tsx gateway/src/main.ts`), so its CPU and memory can be measured apart from the
 * benchmark. Loopback only, a free port, a fresh data folder; by default no demo camera and dev stream URLs on
 * (`env` overrides both).
 */
export async function startGatewayProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "pantau-bench-"));
  // An empty config file, so a developer's config/pantau.yml cannot change what is measured.
  const configFile = join(dataDir, "bench.yml");
  writeFileSync(configFile, "{}\n");
  const child = track(
    spawn(process.execPath, [...profileArgs(), "--import", "tsx", "gateway/src/main.ts"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        PANTAU_CONFIG: configFile,
        PANTAU_DATA_DIR: dataDir,
        PANTAU_HTTP_HOST: "127.0.0.1",
        PANTAU_HTTP_PORT: "0",
        PANTAU_DEMO: "0",
        PANTAU_DEV_OPEN_STREAMS: "1",
        PANTAU_ADMIN_USER: benchAdmin.user,
        PANTAU_ADMIN_PASSWORD: benchAdmin.password,
        PANTAU_HTTP_RATE_LIMIT_PER_MINUTE: "1000000",
        PANTAU_LOG_LEVEL: "warn",
        // The benchmark's cameras listen on 127.0.0.1: allowed only where a setting names loopback.
        PANTAU_NETWORK_ALLOWED_NETWORKS: "127.0.0.0/8 ::1/128",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  const stderr = stderrTail(child, 200, (line) => {
    if (process.env.BENCH_VERBOSE === "1") process.stderr.write(`[gateway] ${line}\n`);
  });
  const stdout = createInterface({ input: child.stdout! });
  // The demo link is printed right after the ready line (main.ts), so wait for both when the demo is on.
  const expectDemo = (env.PANTAU_DEMO ?? "0") !== "0";
  let demoLink: string | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`gateway not ready after 60 s:\n${stderr.join("\n")}`));
    }, 60_000);
    let ready: string | undefined;
    stdout.on("line", (line) => {
      const m = /^Pantau ready at (\S+)/.exec(line);
      if (m) ready = m[1]!;
      const d = /^Demo parent link: (\S+)/.exec(line);
      if (d) demoLink = d[1]!;
      if (ready !== undefined && (!expectDemo || demoLink !== undefined)) {
        clearTimeout(timer);
        resolve(ready);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`gateway exited (${String(code ?? signal)}) before it was ready:\n${stderr.join("\n")}`),
      );
    });
  });

  const stop = stopOnce("gateway", async () => {
    // SIGTERM: the gateway stops its ffmpeg children itself (q, SIGTERM, SIGKILL), as under systemd.
    await stopChild(child, "SIGTERM", 10_000);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const login = await fetch(`${url}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: benchAdmin.user, password: benchAdmin.password }),
  });
  if (!login.ok) throw new Error(`sign-in: ${String(login.status)} ${await login.text()}`);
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const schoolRes = await fetch(`${url}/api/schools`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ name: "Bench school" }),
  });
  if (schoolRes.status !== 201) throw new Error(`POST /api/schools: ${String(schoolRes.status)}`);
  const schoolId = ((await schoolRes.json()) as { id: string }).id;

  const health = async (): Promise<RenditionHealth[]> => {
    const res = await fetch(`${url}/api/health`, { headers: { cookie } });
    if (!res.ok) throw new Error(`/api/health: ${String(res.status)}`);
    return ((await res.json()) as { renditions: RenditionHealth[] }).renditions;
  };

  return {
    url,
    demoLink,
    pid: child.pid!,
    child,
    health,
    async addCamera(body) {
      const res = await fetch(`${url}/api/cameras`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify({ schoolId, ...(body as object) }),
      });
      if (res.status !== 201) throw new Error(`POST /api/cameras: ${String(res.status)} ${await res.text()}`);
      return (await res.json()) as { id: string };
    },
    async patchCamera(id, body) {
      const res = await fetch(`${url}/api/cameras/${encodeURIComponent(id)}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", cookie },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`PATCH /api/cameras/${id}: ${String(res.status)} ${await res.text()}`);
      await res.arrayBuffer();
    },
    async deleteCamera(id) {
      const res = await fetch(`${url}/api/cameras/${encodeURIComponent(id)}`, {
        method: "DELETE",
        headers: { cookie },
      });
      if (res.status !== 204)
        throw new Error(`DELETE /api/cameras/${id}: ${String(res.status)} ${await res.text()}`);
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
