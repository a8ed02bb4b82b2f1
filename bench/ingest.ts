// bench:ingest — CPU and memory per copy-mode camera (design.md, "Performance budgets"): a gateway process
// with 0, 1, 8 and 16 alwaysOn cameras (BENCH_CAMERAS), all pulling the same test-camera mount so the
// camera's own encoding is paid once and not counted, measured over BENCH_SECONDS (default 30) after
// BENCH_WARMUP_SECONDS (default 30); then, in the same run, N plain `ffmpeg -c copy -f hls` processes.
import { startCamera } from "./lib/camera.js";
import { runBench } from "./lib/cleanup.js";
import { envList, envNumber, sleep } from "./lib/env.js";
import { startFfmpegHls, type FfmpegHls } from "./lib/baseline.js";
import { startGatewayProcess, type GatewayProcess } from "./lib/gateway-process.js";
import {
  loadCell,
  mb,
  processTree,
  startLoadMeter,
  type Load,
  UsageSampler,
  type ProcSample,
  type WindowUsage,
} from "./lib/proc.js";
import { environment, writeResults } from "./lib/results.js";
import { printTable, verdict } from "./lib/table.js";

// 0: the gateway with no camera, its fixed cost (no baseline row: there is nothing to run).
const counts = envList("BENCH_CAMERAS", [0, 1, 8, 16]);
const seconds = envNumber("BENCH_SECONDS", 30, 1);
// 30 s: a freshly started gateway spends its first ~30 s compiling and collecting (about 0.9 % of a core
// idle, against 0.2 % after), which is start-up, not ingest.
const warmupSeconds = envNumber("BENCH_WARMUP_SECONDS", 30, 0);
const joinGapMs = 300;
const groups = ["gateway", "ffmpeg", "other"] as const;

interface Row {
  system: "pantau" | "baseline";
  cameras: number;
  usage: WindowUsage;
  load: Load;
  /** Pantau only: every rendition live at every health check during the window. */
  allLive: boolean | undefined;
  healthChecks: number;
  notLive: string[];
  restarts: number | undefined;
  /** Pantau only: stall-restarts while the cameras joined the test camera (see withFreshCamera). */
  joinRestarts?: number;
}

const cpuOf = (u: WindowUsage, ...g: string[]) => g.reduce((s, k) => s + (u.groups[k]?.cpuPercent ?? 0), 0);
const rssOf = (u: WindowUsage, ...g: string[]) => g.reduce((s, k) => s + (u.groups[k]?.rssMeanBytes ?? 0), 0);
const pssOf = (u: WindowUsage, ...g: string[]) => g.reduce((s, k) => s + (u.groups[k]?.pssMeanBytes ?? 0), 0);

/**
 * A fresh test camera for each phase, tried up to `attempts` times. Two quirks of the GStreamer test camera
 * shape how clients join it: it seeks its shared pipeline to 0 on every RTSP PLAY (ffmpeg sends
 * `Range: npt=0.000-`), which steps the RTP timestamps of every client already connected back to 0; and
 * PLAYs arriving at the same moment can abort it (gst_rtsp_media_get_rates assertion). So clients join a
 * young pipeline one by one, `joinGapMs` apart, Pantau's phase waits until its stall-restarts have stopped
 * (each restart is a new PLAY that steps the others back again), and a phase that never settles is tried
 * again with a new camera.
 */
async function withFreshCamera<T>(what: string, fn: (url: string) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const camera = await startCamera();
    try {
      return await fn(camera.url("main"));
    } catch (err) {
      if (attempt >= attempts) throw err;
      const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
      process.stderr.write(
        `${what}: attempt ${String(attempt)} failed (${reason}); again with a new camera\n`,
      );
    } finally {
      await camera.stop();
    }
  }
}

/** Waits until every rendition is live and none has restarted for `quietMs`. */
async function settle(gw: GatewayProcess, ids: readonly string[], quietMs = 10_000, timeoutMs = 120_000) {
  const end = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  for (;;) {
    const h = (await gw.health()).filter((r) => ids.includes(r.cameraId) && r.rendition === "main");
    const restarts = h.reduce((s, r) => s + r.restarts, 0);
    const live = h.length === ids.length && h.every((r) => r.state === "live");
    if (restarts !== last || !live) {
      last = restarts;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return restarts;
    }
    if (Date.now() > end) throw new Error(`renditions did not settle in ${String(timeoutMs / 1000)} s`);
    await sleep(500);
  }
}

async function measurePantau(cameraUrl: string, n: number): Promise<Row> {
  const gw = await startGatewayProcess();
  try {
    return await measureGateway(gw, cameraUrl, n);
  } finally {
    await gw.stop();
  }
}

async function measureGateway(gw: GatewayProcess, cameraUrl: string, n: number): Promise<Row> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) await sleep(joinGapMs);
    const { id } = await gw.addCamera({
      name: `Bench ingest ${String(i + 1)}`,
      source: { kind: "rtsp", url: cameraUrl },
      alwaysOn: true,
    });
    ids.push(id);
  }
  await gw.waitLive(ids, "main", 60_000);
  const joinRestarts = await settle(gw, ids);
  process.stderr.write(
    `Pantau, ${String(n)} camera(s): all live (${String(joinRestarts)} restarts while joining); warming up ${String(warmupSeconds)} s\n`,
  );
  await sleep(warmupSeconds * 1000);
  const restartsBefore = (await gw.health()).reduce((s, r) => s + r.restarts, 0);
  // The gateway's node process and its ffmpeg children; "other" would be anything else it left running.
  const classify = (s: ProcSample) =>
    s.comm === "ffmpeg" ? "ffmpeg" : s.comm.startsWith("node") ? "gateway" : "other";
  const sampler = new UsageSampler(() => processTree(gw.pid), classify, groups);
  process.stderr.write(`Pantau, ${String(n)} camera(s): measuring ${String(seconds)} s\n`);
  sampler.start();
  const meter = startLoadMeter();
  const notLive: string[] = [];
  let checks = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await sleep(Math.min(2000, Math.max(0, end - Date.now())));
    const h = await gw.health();
    checks++;
    for (const id of ids) {
      const r = h.find((x) => x.cameraId === id && x.rendition === "main");
      if (r?.state !== "live") notLive.push(`${id}: ${r?.state ?? "missing"}`);
    }
  }
  const usage = sampler.stop();
  const load = meter.stop();
  const restarts = (await gw.health()).reduce((s, r) => s + r.restarts, 0) - restartsBefore;
  return {
    system: "pantau",
    cameras: n,
    usage,
    load,
    allLive: notLive.length === 0,
    healthChecks: checks,
    notLive,
    restarts,
    joinRestarts,
  };
}

async function measureBaseline(cameraUrl: string, n: number): Promise<Row> {
  const procs: FfmpegHls[] = [];
  try {
    for (let i = 0; i < n; i++) {
      if (i > 0) await sleep(joinGapMs);
      procs.push(startFfmpegHls(cameraUrl));
    }
    await Promise.all(procs.map((p) => p.waitSegments(2, 60_000)));
    process.stderr.write(`Baseline, ${String(n)} ffmpeg: writing; warming up ${String(warmupSeconds)} s\n`);
    await sleep(warmupSeconds * 1000);
    const pids = procs.map((p) => p.child.pid!);
    const sampler = new UsageSampler(
      () => pids,
      () => "ffmpeg",
      groups,
    );
    process.stderr.write(`Baseline, ${String(n)} ffmpeg: measuring ${String(seconds)} s\n`);
    sampler.start();
    const meter = startLoadMeter();
    await sleep(seconds * 1000);
    const usage = sampler.stop();
    const load = meter.stop();
    return {
      system: "baseline",
      cameras: n,
      usage,
      load,
      allLive: undefined,
      healthChecks: 0,
      notLive: [],
      restarts: undefined,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const n of counts) {
    rows.push(await withFreshCamera(`Pantau, ${String(n)} camera(s)`, (url) => measurePantau(url, n)));
    if (n > 0)
      rows.push(await withFreshCamera(`Baseline, ${String(n)} ffmpeg`, (url) => measureBaseline(url, n)));
  }

  const all = [...groups];
  printTable(
    `Ingest, copy mode, ${String(seconds)} s window after ${String(warmupSeconds)} s warm-up (CPU in % of one core, memory in MB)`,
    [
      "system",
      "cameras",
      "CPU total",
      "CPU/camera",
      "gateway CPU",
      "ffmpeg CPU",
      "RSS total",
      "gateway RSS",
      "other RSS",
      "ffmpeg RSS",
      "PSS total",
      "load: others / host",
      "all live",
    ],
    rows.map((r) => {
      const u = r.usage;
      return [
        r.system === "pantau" ? "Pantau" : "ffmpeg -f hls",
        String(r.cameras),
        cpuOf(u, ...all).toFixed(2),
        r.cameras > 0 ? (cpuOf(u, ...all) / r.cameras).toFixed(2) : "–",
        r.system === "pantau" ? cpuOf(u, "gateway", "other").toFixed(2) : "–",
        cpuOf(u, "ffmpeg").toFixed(2),
        mb(rssOf(u, ...all)),
        r.system === "pantau" ? mb(rssOf(u, "gateway")) : "–",
        r.system === "pantau" ? mb(rssOf(u, "other")) : "–",
        mb(rssOf(u, "ffmpeg")),
        mb(pssOf(u, ...all)),
        loadCell(r.load),
        r.allLive === undefined ? "–" : r.allLive ? `yes (${String(r.healthChecks)} checks)` : "NO",
      ];
    }),
  );

  // What each added camera costs, from the smallest to the largest camera count measured.
  const marginal = (["pantau", "baseline"] as const).flatMap((system) => {
    const list = rows.filter((r) => r.system === system && r.cameras > 0);
    const lo = list[0];
    const hi = list.at(-1);
    if (!lo || !hi || hi.cameras === lo.cameras) return [];
    const dn = hi.cameras - lo.cameras;
    return [
      [
        system === "pantau" ? "Pantau" : "ffmpeg -f hls",
        `${String(lo.cameras)} → ${String(hi.cameras)}`,
        ((cpuOf(hi.usage, ...all) - cpuOf(lo.usage, ...all)) / dn).toFixed(2),
        mb((rssOf(hi.usage, ...all) - rssOf(lo.usage, ...all)) / dn),
        mb((pssOf(hi.usage, ...all) - pssOf(lo.usage, ...all)) / dn),
        system === "pantau" ? mb((rssOf(hi.usage, "gateway") - rssOf(lo.usage, "gateway")) / dn) : "–",
      ],
    ];
  });
  if (marginal.length > 0)
    printTable(
      "Cost of each added camera",
      ["system", "cameras", "CPU %/camera", "RSS MB/camera", "PSS MB/camera", "gateway node RSS MB/camera"],
      marginal,
    );

  const budgets = rows
    .filter((r) => r.system === "pantau" && r.cameras > 0)
    .flatMap((r) => {
      const cpu = cpuOf(r.usage, ...all) / r.cameras;
      const rssBudget = (150 + 8 * r.cameras) * 1024 * 1024;
      // RSS sums count each shared library once per process (every ffmpeg maps the same libav*), so PSS,
      // which splits shared pages between their users, is shown beside it.
      const memory = [
        { basis: "RSS (gateway + ffmpeg)", bytes: rssOf(r.usage, ...all) },
        { basis: "PSS (gateway + ffmpeg)", bytes: pssOf(r.usage, ...all) },
      ];
      return [
        {
          budget: `${String(r.cameras)} camera(s): CPU ≤ 1.5 % of a core per camera (gateway + ffmpeg)`,
          value: `${cpu.toFixed(2)} %`,
          ok: cpu <= 1.5,
          miss: `${(cpu - 1.5).toFixed(2)} points over`,
        },
        ...memory.map((m) => ({
          budget: `${String(r.cameras)} camera(s): ${m.basis} ≤ ${mb(rssBudget)} MB (150 + 8 × ${String(r.cameras)})`,
          value: `${mb(m.bytes)} MB`,
          ok: m.bytes <= rssBudget,
          miss: `${mb(m.bytes - rssBudget)} MB over`,
        })),
        {
          budget: `${String(r.cameras)} camera(s): every rendition live throughout`,
          value: r.allLive
            ? `yes, ${String(r.restarts)} restarts`
            : `no: ${r.notLive.slice(0, 3).join(", ")}`,
          ok: r.allLive === true && r.restarts === 0,
          miss: "",
        },
      ];
    });
  printTable(
    "Budgets (design.md)",
    ["budget", "measured", "verdict"],
    budgets.map((b) => [b.budget, b.value, verdict(b.ok, b.miss)]),
  );

  const file = writeResults("ingest", {
    environment: environment(),
    settings: {
      counts,
      seconds,
      warmupSeconds,
      camera: "GStreamer test camera 640x360 25 fps, 1 s GOP, main, shared mount",
    },
    budgets: budgets.map(({ budget, value, ok }) => ({ budget, value, ok })),
    rows,
  });
  process.stdout.write(`results: ${file}\n`);
}

runBench(main);
