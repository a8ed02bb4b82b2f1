// bench:auth — authorized part requests per second (design.md, "Performance budgets": ≥ 0.5 × nginx serving
// the same bytes as a static file). Pantau with authorization on: keep-alive clients fetch a recent LL-HLS
// part again and again with one valid stream token, every request authorized in full. Then, in the same run
// and with the same client, nginx serves that part's bytes as a static file on loopback. BENCH_SECONDS
// (default 20, at least 15) per server after BENCH_WARMUP_SECONDS (default 3).
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuthWorkerResult, ToAuthWorker } from "./lib/auth-worker.js";
import { startCamera } from "./lib/camera.js";
import { onCleanup, runBench, stopChild, track } from "./lib/cleanup.js";
import { envNumber, sleep } from "./lib/env.js";
import { histogramPercentile } from "./lib/fanout-clients.js";
import { repoRoot, startGatewayProcess } from "./lib/gateway-process.js";
import { startNginx } from "./lib/nginx.js";
import {
  loadCell,
  mb,
  processTree,
  startLoadMeter,
  waitQuiet,
  type Load,
  type ProcSample,
  UsageSampler,
  type WindowUsage,
} from "./lib/proc.js";
import { environment, writeResults } from "./lib/results.js";
import { printTable, verdict } from "./lib/table.js";
import { authorizedGatewayEnv, pointDemoCameraAt, ViewerSession } from "./lib/viewer-session.js";

const seconds = envNumber("BENCH_SECONDS", 20, 15);
const warmupSeconds = envNumber("BENCH_WARMUP_SECONDS", 3, 0);
const clientProcesses = envNumber("BENCH_CLIENT_PROCS", 2, 1);
const connectionsPerProcess = envNumber("BENCH_CONNECTIONS", 16, 1);
const nginxWorkers = envNumber("BENCH_NGINX_WORKERS", 1, 1);
const groups = ["server", "ffmpeg", "client"] as const;
/** Before each measurement, wait up to this long for other work on the machine to drop below quietOthers. */
const quietWaitSeconds = envNumber("BENCH_QUIET_WAIT_SECONDS", 30, 0);
const quietOthers = 25;

interface Result {
  system: "pantau" | "nginx";
  requests: number;
  reqPerSecond: number;
  meanBytes: number;
  failures: Record<string, number>;
  latencyMs: { p50: number; p99: number; max: number };
  usage: WindowUsage;
  load: Load;
}

/** Runs the closed-loop client processes against `url` + `path` for `runSeconds`; merges their results. */
async function drive(
  url: string,
  path: string,
  runSeconds: number,
  onStart: (procs: ChildProcess[]) => void = () => undefined,
): Promise<{ merged: AuthWorkerResult; procs: ChildProcess[] }> {
  const u = new URL(url);
  const procs = Array.from({ length: clientProcesses }, () =>
    track(
      fork(join(repoRoot, "bench/lib/auth-worker.ts"), [], {
        cwd: repoRoot,
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      }),
    ),
  );
  const unregister = onCleanup("auth clients", () =>
    Promise.all(procs.map((p) => stopChild(p, "SIGTERM", 2000))).then(() => undefined),
  );
  try {
    const results = procs.map(
      (p) =>
        new Promise<AuthWorkerResult>((resolve, reject) => {
          p.once("message", (m: AuthWorkerResult) => resolve(m));
          p.once("exit", (code) => reject(new Error(`auth client exited ${String(code)}`)));
        }),
    );
    // Let every process load before the clock starts, so they run side by side.
    await sleep(1500);
    for (const p of procs) {
      const m: ToAuthWorker = {
        type: "run",
        host: u.hostname,
        port: Number(u.port),
        path,
        connections: connectionsPerProcess,
        seconds: runSeconds,
      };
      p.send(m);
    }
    onStart(procs);
    const all = await Promise.all(results);
    const hist = new Map<number, number>();
    const merged: AuthWorkerResult = {
      type: "result",
      requests: 0,
      bytes: 0,
      failures: {},
      histogram: [],
      seconds: Math.max(...all.map((r) => r.seconds)),
    };
    for (const r of all) {
      merged.requests += r.requests;
      merged.bytes += r.bytes;
      for (const [k, v] of Object.entries(r.failures)) merged.failures[k] = (merged.failures[k] ?? 0) + v;
      for (const [bin, c] of r.histogram) hist.set(bin, (hist.get(bin) ?? 0) + c);
    }
    merged.histogram = [...hist];
    return { merged, procs };
  } finally {
    unregister();
    await Promise.all(procs.map((p) => stopChild(p, "SIGTERM", 2000)));
  }
}

/** A warm-up run, then the measured run with CPU sampling of the server side and the clients. */
async function measure(
  system: Result["system"],
  url: string,
  path: () => string,
  serverPids: () => number[],
  isFfmpeg: (s: ProcSample) => boolean,
  onStart: (procs: ChildProcess[]) => void = () => undefined,
): Promise<Result> {
  if (warmupSeconds > 0) await drive(url, path(), warmupSeconds, onStart);
  if (!(await waitQuiet(quietOthers, quietWaitSeconds * 1000)))
    process.stderr.write(
      `machine still busy with other work after ${String(quietWaitSeconds)} s; measuring anyway\n`,
    );
  process.stderr.write(`${system}: measuring ${String(seconds)} s\n`);
  let sampler: UsageSampler | undefined;
  let meter: ReturnType<typeof startLoadMeter> | undefined;
  const { merged } = await drive(url, path(), seconds, (procs) => {
    onStart(procs);
    const clientPids = [process.pid, ...procs.map((p) => p.pid!)];
    const classify = (s: ProcSample) =>
      clientPids.includes(s.pid) ? "client" : isFfmpeg(s) ? "ffmpeg" : "server";
    sampler = new UsageSampler(() => [...serverPids(), ...clientPids], classify, groups);
    sampler.start();
    meter = startLoadMeter();
  });
  const usage = sampler!.stop();
  const load = meter!.stop();
  const hist = new Map(merged.histogram);
  // Bins are 10 µs.
  const pct = (p: number) => histogramPercentile(hist, p) / 100;
  return {
    system,
    requests: merged.requests,
    reqPerSecond: merged.requests / merged.seconds,
    meanBytes: merged.requests > 0 ? merged.bytes / merged.requests : 0,
    failures: merged.failures,
    latencyMs: { p50: pct(50), p99: pct(99), max: pct(100) },
    usage,
    load,
  };
}

async function measurePantau(rtspUrl: string): Promise<{ result: Result; part: Buffer; notes: string[] }> {
  const notes: string[] = [];
  const gw = await startGatewayProcess(authorizedGatewayEnv);
  let follow: NodeJS.Timeout | undefined;
  try {
    const session = await ViewerSession.open(gw);
    const note = await pointDemoCameraAt(gw, session.cameraId, rtspUrl);
    if (note !== "") notes.push(`${note}; Pantau measured on the demo test pattern (libx264 in its ffmpeg)`);
    await gw.waitLive([session.cameraId], "main", 60_000);
    await sleep(3000);
    let grant = await session.watch();
    // A part a little behind the live edge, so it stays in the gateway's window for a while; the path moves
    // on every 2 s (a part lives ~10 s), and the token is renewed 2 min before it expires.
    const recentPart = async (): Promise<{ path: string; data: Buffer }> => {
      if (grant.expiresAt - Date.now() < 120_000) grant = await session.watch();
      const m = new URL("main/index.m3u8", grant.hls);
      const text = await (await fetch(m)).text();
      const parts = [...text.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)].map((x) => x[1]!);
      const uri = parts.at(-3) ?? parts.at(-1);
      if (uri === undefined) throw new Error(`no part in ${m.href}:\n${text}`);
      const u = new URL(uri, m);
      const res = await fetch(u);
      if (!res.ok) throw new Error(`GET ${u.pathname}: ${String(res.status)}`);
      return { path: u.pathname, data: Buffer.from(await res.arrayBuffer()) };
    };
    let current = await recentPart();
    const first = current;
    let clients: ChildProcess[] = [];
    follow = setInterval(() => {
      recentPart().then(
        (p) => {
          current = p;
          const m: ToAuthWorker = { type: "path", path: p.path };
          for (const c of clients) if (c.connected) c.send(m);
        },
        (err: unknown) => process.stderr.write(`part refresh failed: ${String(err)}\n`),
      );
    }, 2000);
    const result = await measure(
      "pantau",
      gw.url,
      () => current.path,
      () => processTree(gw.pid),
      (s) => s.comm === "ffmpeg",
      (procs) => {
        clients = procs;
      },
    );
    return { result, part: first.data, notes };
  } finally {
    clearInterval(follow);
    await gw.stop();
  }
}

async function measureNginx(part: Buffer): Promise<Result> {
  const root = mkdtempSync(join(tmpdir(), "pantau-bench-static-"));
  const unregister = onCleanup("static part", () => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, "part.m4s"), part);
  const nginx = await startNginx({ root, workers: nginxWorkers });
  try {
    return await measure(
      "nginx",
      nginx.url,
      () => "/part.m4s",
      () => processTree(nginx.pid),
      () => false,
    );
  } finally {
    await nginx.stop();
    unregister();
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const camera = await startCamera();
  const pantau = await measurePantau(camera.url("main"));
  await camera.stop();
  const nginx = await measureNginx(pantau.part);
  const results = [pantau.result, nginx];

  const cpu = (r: Result, g: string) => r.usage.groups[g]?.cpuPercent ?? 0;
  printTable(
    `Authorized part requests, ${String(clientProcesses)} client processes × ${String(connectionsPerProcess)} keep-alive connections, ${String(seconds)} s each after ${String(warmupSeconds)} s warm-up (CPU in % of one core)`,
    [
      "server",
      "req/s",
      "bytes/resp",
      "p50 ms",
      "p99 ms",
      "max ms",
      "failures",
      "server CPU",
      "server µs CPU/req",
      "req/s per server core",
      "server RSS MB",
      "client CPU",
      "load: others / host",
    ],
    results.map((r) => [
      r.system === "pantau"
        ? "Pantau /live/<token>/main/part/<n>.m4s"
        : `nginx static file (${String(nginxWorkers)} worker)`,
      r.reqPerSecond.toFixed(0),
      r.meanBytes.toFixed(0),
      r.latencyMs.p50.toFixed(2),
      r.latencyMs.p99.toFixed(2),
      r.latencyMs.max.toFixed(1),
      String(Object.values(r.failures).reduce((s, v) => s + v, 0)),
      cpu(r, "server").toFixed(0),
      ((cpu(r, "server") * 10_000) / Math.max(1, r.reqPerSecond)).toFixed(0),
      (r.reqPerSecond / Math.max(0.01, cpu(r, "server") / 100)).toFixed(0),
      mb(r.usage.groups.server?.rssMeanBytes ?? 0),
      cpu(r, "client").toFixed(0),
      loadCell(r.load),
    ]),
  );
  const ratio = pantau.result.reqPerSecond / Math.max(1, nginx.reqPerSecond);
  const perCore = (r: Result) => r.reqPerSecond / Math.max(0.01, cpu(r, "server") / 100);
  const ratioPerCore = perCore(pantau.result) / Math.max(1, perCore(nginx));
  const budgets = [
    {
      budget: "Authorized part req/s ≥ 0.5 × nginx static",
      value: `${ratio.toFixed(2)} × (per server core: ${ratioPerCore.toFixed(2)} ×)`,
      ok: ratio >= 0.5,
      miss: `${(0.5 - ratio).toFixed(2)} short`,
    },
  ];
  printTable(
    "Budgets (design.md)",
    ["budget", "measured", "verdict"],
    budgets.map((b) => [b.budget, b.value, verdict(b.ok, b.miss)]),
  );
  const notes = [
    ...pantau.notes,
    "Pantau serves the part three behind the live edge, moving on every 2 s (a part stays ~10 s in memory); " +
      "nginx serves one of those parts, so bytes per response differ slightly (see bytes/resp).",
    "Client and servers share 2 cores: when the client's CPU is near the cores left over, the figure is the " +
      "client's limit, not the server's; 'server µs CPU/req' and 'req/s per server core' do not depend on it.",
  ];
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  for (const r of results)
    if (Object.keys(r.failures).length > 0)
      process.stdout.write(`${r.system}: failures ${JSON.stringify(r.failures)}\n`);
  const file = writeResults("auth", {
    environment: environment(),
    settings: { seconds, warmupSeconds, clientProcesses, connectionsPerProcess, nginxWorkers },
    budgets: budgets.map(({ budget, value, ok }) => ({ budget, value, ok })),
    ratio,
    ratioPerCore,
    notes,
    results,
  });
  process.stdout.write(`results: ${file}\n`);
}

runBench(main);
