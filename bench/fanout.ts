// bench:fanout — concurrent LL-HLS viewers of one camera (design.md, "Performance budgets": ≥ 1000 viewers on
// 2 cores with every part delivered). Pantau with authorization on (the demo parent's device and one stream
// token shared by every simulated viewer; every request still authorized in full): each viewer follows
// blocking playlist reloads and fetches every part. Then, in the same run, the baseline: ffmpeg's HLS muxer
// (fMP4, 1 s segments) from the same camera into a folder served by nginx, each viewer polling the playlist
// every target duration and fetching every segment. Viewer counts step up (BENCH_VIEWERS); each step is
// measured over BENCH_SECONDS after BENCH_SETTLE_SECONDS.
import { startFfmpegHls } from "./lib/baseline.js";
import { startCamera } from "./lib/camera.js";
import { runBench } from "./lib/cleanup.js";
import { envList, envNumber, sleep } from "./lib/env.js";
import { FanoutClients, histogramPercentile, type FanoutStats } from "./lib/fanout-clients.js";
import type { ViewerMode } from "./lib/fanout-protocol.js";
import { startGatewayProcess } from "./lib/gateway-process.js";
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

const steps = envList("BENCH_VIEWERS", [100, 250, 500, 1000, 1500, 2000]);
const seconds = envNumber("BENCH_SECONDS", 20, 1);
const settleSeconds = envNumber("BENCH_SETTLE_SECONDS", 5, 0);
const clientProcesses = envNumber("BENCH_CLIENT_PROCS", 2, 1);
/** 1 worker: one core for nginx, as the gateway is one event loop (BENCH_NGINX_WORKERS to change). */
const nginxWorkers = envNumber("BENCH_NGINX_WORKERS", 1, 1);
/** `rtsp`: the demo camera re-pointed at the GStreamer test camera (copy, as the baseline); `pattern`: as shipped. */
const cameraKind = process.env.BENCH_CAMERA === "pattern" ? "pattern" : "rtsp";
/** A step where fewer than this share of viewers held ends the ramp for that system. */
const giveUpBelow = 0.5;
/** Stream tokens live ≤ 10 min: renew well before. */
const renewEveryMs = 4 * 60 * 1000;
const groups = ["server", "ffmpeg", "client"] as const;
/** Before each measurement, wait up to this long for other work on the machine to drop below quietOthers. */
const quietWaitSeconds = envNumber("BENCH_QUIET_WAIT_SECONDS", 30, 0);
const quietOthers = 25;

interface StepRow {
  system: "pantau" | "baseline";
  viewers: number;
  added: { ok: number; failed: number };
  stats: Omit<FanoutStats, "histogram">;
  delayMs: { p50: number; p99: number; max: number };
  usage: WindowUsage;
  load: Load;
}

const cpu = (u: WindowUsage, g: string) => u.groups[g]?.cpuPercent ?? 0;
const rss = (u: WindowUsage, g: string) => u.groups[g]?.rssMeanBytes ?? 0;

/** Steps the viewer count up, measuring each step; `serverPids` is the server side (gateway or nginx). */
async function ramp(
  system: StepRow["system"],
  clients: FanoutClients,
  serverPids: () => number[],
  isFfmpeg: (s: ProcSample) => boolean,
): Promise<StepRow[]> {
  const rows: StepRow[] = [];
  for (const n of steps) {
    const add = n - clients.viewers;
    if (add < 0) continue;
    // Ramp 4 ms per viewer (a class of parents opening the link over a few seconds), at least 1 s.
    const added = await clients.add(add, Math.max(1000, add * 4));
    await sleep(settleSeconds * 1000);
    if (!(await waitQuiet(quietOthers, quietWaitSeconds * 1000)))
      process.stderr.write(
        `machine still busy with other work after ${String(quietWaitSeconds)} s; measuring anyway\n`,
      );
    const clientPids = [process.pid, ...clients.pids];
    const classify = (s: ProcSample) =>
      clientPids.includes(s.pid) ? "client" : isFfmpeg(s) ? "ffmpeg" : "server";
    const sampler = new UsageSampler(() => [...serverPids(), ...clientPids], classify, groups);
    process.stderr.write(`${system}: ${String(n)} viewers, measuring ${String(seconds)} s\n`);
    sampler.start();
    const meter = startLoadMeter();
    clients.open();
    await sleep(seconds * 1000);
    const stats = await clients.close();
    const usage = sampler.stop();
    const load = meter.stop();
    const { histogram, ...rest } = stats;
    const row: StepRow = {
      system,
      viewers: n,
      added,
      stats: rest,
      delayMs: {
        p50: histogramPercentile(histogram, 50),
        p99: histogramPercentile(histogram, 99),
        max: histogramPercentile(histogram, 100),
      },
      usage,
      load,
    };
    rows.push(row);
    process.stderr.write(
      `${system}: ${String(n)} viewers: ${String(rest.held)} held, ${String(rest.missed)} missed, p99 ${row.delayMs.p99.toFixed(0)} ms, server CPU ${cpu(usage, "server").toFixed(0)} %, client CPU ${cpu(usage, "client").toFixed(0)} %\n`,
    );
    if (rest.held < giveUpBelow * n) {
      process.stderr.write(`${system}: fewer than half the viewers held; no larger step\n`);
      break;
    }
  }
  return rows;
}

async function measurePantau(rtspUrl: string): Promise<{ rows: StepRow[]; notes: string[] }> {
  const notes: string[] = [];
  const gw = await startGatewayProcess(authorizedGatewayEnv);
  const clients = new FanoutClients(clientProcesses);
  let renew: NodeJS.Timeout | undefined;
  try {
    const session = await ViewerSession.open(gw);
    if (cameraKind === "rtsp") {
      const note = await pointDemoCameraAt(gw, session.cameraId, rtspUrl);
      if (note !== "")
        notes.push(`${note}; Pantau measured on the demo test pattern (libx264 in its ffmpeg)`);
    } else notes.push("Pantau measured on the demo test pattern (libx264 in its ffmpeg)");
    const grant = await session.watch();
    // The master playlist names the variants; viewers follow `main` (the larger one) as a laptop would.
    const master = await (await fetch(grant.hls)).text();
    const variant = master.split("\n").find((l) => l.startsWith("main/")) ?? "main/index.m3u8";
    const baseOf = (hls: string) => new URL(variant, hls).pathname.replace(/index\.m3u8$/, "");
    await gw.waitLive([session.cameraId], "main", 60_000);
    // A little history in the window first, so joining viewers find complete segments.
    await sleep(3000);
    clients.configure("llhls", gw.url, baseOf(grant.hls), 0);
    renew = setInterval(() => {
      session.watch().then(
        (g) => clients.setBase(baseOf(g.hls)),
        (err: unknown) => process.stderr.write(`token renewal failed: ${String(err)}\n`),
      );
    }, renewEveryMs);
    const restartsBefore = (await gw.health()).reduce((s, r) => s + r.restarts, 0);
    const rows = await ramp(
      "pantau",
      clients,
      () => processTree(gw.pid),
      (s) => s.comm === "ffmpeg",
    );
    const restarts = (await gw.health()).reduce((s, r) => s + r.restarts, 0) - restartsBefore;
    if (restarts > 0) notes.push(`Pantau's rendition restarted ${String(restarts)} time(s) during the ramp`);
    return { rows, notes };
  } finally {
    clearInterval(renew);
    await clients.stop();
    await gw.stop();
  }
}

async function measureBaseline(rtspUrl: string): Promise<StepRow[]> {
  const ffmpeg = startFfmpegHls(rtspUrl);
  try {
    await ffmpeg.waitSegments(6, 60_000, true);
    const nginx = await startNginx({ root: ffmpeg.dir, workers: nginxWorkers });
    const clients = new FanoutClients(clientProcesses);
    try {
      const mode: ViewerMode = "poll";
      // ffmpeg -hls_time 1: TARGETDURATION 1, the reload interval RFC 8216 §6.3.4 gives a plain client.
      clients.configure(mode, nginx.url, "/", 1000);
      const ffmpegPid = ffmpeg.child.pid!;
      return await ramp(
        "baseline",
        clients,
        () => [...processTree(nginx.pid), ffmpegPid],
        (s) => s.pid === ffmpegPid,
      );
    } finally {
      await clients.stop();
      await nginx.stop();
    }
  } finally {
    await ffmpeg.stop();
  }
}

async function main(): Promise<void> {
  // One camera per phase: the GStreamer test camera seeks its shared pipeline to 0 on every PLAY, so two
  // phases' clients must never share it (see bench/ingest.ts, withFreshCamera).
  const cam1 = await startCamera();
  const pantau = await measurePantau(cam1.url("main"));
  await cam1.stop();
  const cam2 = await startCamera();
  const baseline = await measureBaseline(cam2.url("main"));
  await cam2.stop();
  const rows = [...pantau.rows, ...baseline];

  printTable(
    `Fan-out: viewers of one camera (main, 640x360 800 kbit/s, 1 s GOP), ${String(seconds)} s per step after ${String(settleSeconds)} s; CPU in % of one core, delay = part listed in the first playlist → received by each viewer`,
    [
      "system",
      "viewers",
      "held",
      "parts missed",
      "viewers missing",
      "errors",
      "items/s",
      "delay p50 ms",
      "p99 ms",
      "max ms",
      "server CPU",
      "server RSS MB",
      "ffmpeg CPU",
      "client CPU",
      "MB/s out",
      "load: others / host",
    ],
    rows.map((r) => [
      r.system === "pantau" ? "Pantau LL-HLS" : "nginx + ffmpeg HLS",
      String(r.viewers),
      String(r.stats.held),
      String(r.stats.missed),
      String(r.stats.viewersMissing),
      String(r.stats.errors),
      (r.stats.distinctItems / seconds).toFixed(1),
      r.delayMs.p50.toFixed(0),
      r.delayMs.p99.toFixed(0),
      r.delayMs.max.toFixed(0),
      cpu(r.usage, "server").toFixed(0),
      mb(rss(r.usage, "server")),
      cpu(r.usage, "ffmpeg").toFixed(1),
      cpu(r.usage, "client").toFixed(0),
      (r.stats.bytes / seconds / 1e6).toFixed(1),
      loadCell(r.load),
    ]),
  );

  const allDelivered = (r: StepRow) => r.stats.held === r.viewers && r.stats.missed === 0;
  const best = (system: StepRow["system"]) =>
    Math.max(0, ...rows.filter((r) => r.system === system && allDelivered(r)).map((r) => r.viewers));
  const pantauBest = best("pantau");
  const baseBest = best("baseline");
  const budgets = [
    {
      budget: "Pantau: ≥ 1000 LL-HLS viewers with every part delivered",
      value: `${String(pantauBest)} viewers (baseline ${String(baseBest)})`,
      ok: pantauBest >= 1000,
      miss: pantauBest < Math.max(...steps) ? "see table" : "",
    },
  ];
  printTable(
    "Budgets (design.md)",
    ["budget", "measured", "verdict"],
    budgets.map((b) => [b.budget, b.value, verdict(b.ok, b.miss)]),
  );
  const notes = [
    ...pantau.notes,
    "Baseline fairness: nginx cannot hold a blocking playlist reload (_HLS_msn/_HLS_part are ignored by a static " +
      "server, and ffmpeg 5.1 writes no LL-HLS parts), so its viewers poll every target duration (1 s) and fetch " +
      "1 s segments. Its delays therefore include up to one poll interval by design, and its request rate is " +
      "about a tenth of Pantau's (2 requests per second per viewer against ~10).",
    `nginx runs ${String(nginxWorkers)} worker(s) (BENCH_NGINX_WORKERS); the gateway is one Node.js event loop.`,
    `Load generator: ${String(clientProcesses)} processes (BENCH_CLIENT_PROCS) of raw keep-alive sockets, one per ` +
      "viewer, on the same 2 cores: read the client CPU column beside the server's.",
  ];
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  for (const r of rows)
    if (Object.keys(r.stats.errorKinds).length > 0)
      process.stdout.write(
        `${r.system} ${String(r.viewers)}: errors ${JSON.stringify(r.stats.errorKinds)}\n`,
      );

  const file = writeResults("fanout", {
    environment: environment(),
    settings: { steps, seconds, settleSeconds, clientProcesses, nginxWorkers, cameraKind },
    budgets: budgets.map(({ budget, value, ok }) => ({ budget, value, ok })),
    notes,
    rows,
  });
  process.stdout.write(`results: ${file}\n`);
}

runBench(main);
