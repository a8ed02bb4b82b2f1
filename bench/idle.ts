// bench:idle — the gateway's cost when nobody watches (design.md, "Performance budgets": 200 registered
// cameras, ≤ 2 % of a core on average, health probes included). For each camera count (BENCH_CAMERAS, default
// 200,1000) two gateway processes with the same cameras, measured side by side in the same window: health
// probes on (every BENCH_PROBE_SECONDS, default 60, as shipped) and off (PANTAU_HEALTH_PROBE_SECONDS=0), so the
// difference is what probing costs. CPU of the gateway and any child over BENCH_SECONDS (default 600) after
// BENCH_WARMUP_SECONDS (default 60) from /proc, RSS at the start, the end and the peak; the cameras are mounts
// on a few GStreamer servers (BENCH_CAMERA_SERVERS, default 4), measured apart. From GET /api/health (polled
// every BENCH_POLL_SECONDS, default 20, on both gateways alike): the cameras online at the end, the probes seen
// per minute and their duration (lastProbe.ms, p50/p99). BENCH_ALL_AT_ONCE=1 measures every count in one
// window (four gateways at once) when there is no time for one window per count.
import { cpus, loadavg, totalmem } from "node:os";
import { startMountCameras, type MountCameras } from "./lib/camera.js";
import { runBench } from "./lib/cleanup.js";
import { envList, envNumber, sleep } from "./lib/env.js";
import { startGatewayProcess, type GatewayProcess } from "./lib/gateway-process.js";
import {
  clockTicksPerSecond,
  loadCell,
  mb,
  processTree,
  sampleProcess,
  startLoadMeter,
  treeTicks,
  UsageSampler,
  type Load,
  type WindowUsage,
} from "./lib/proc.js";
import { environment, writeResults } from "./lib/results.js";
import { percentile } from "./lib/stats.js";
import { printTable, verdict } from "./lib/table.js";

const counts = envList("BENCH_CAMERAS", [200, 1000]);
const seconds = envNumber("BENCH_SECONDS", 600, 1);
const warmupSeconds = envNumber("BENCH_WARMUP_SECONDS", 60, 0);
const pollSeconds = envNumber("BENCH_POLL_SECONDS", 20, 1);
const probeSeconds = envNumber("BENCH_PROBE_SECONDS", 60, 1);
const serverCount = envNumber("BENCH_CAMERA_SERVERS", 4, 1);
const schoolCount = envNumber("BENCH_SCHOOLS", 10, 1);
const allAtOnce = process.env.BENCH_ALL_AT_ONCE === "1";
/** Cameras registered at once per gateway (POST /api/cameras in flight). */
const registerConcurrency = 8;
const budgetCameras = 200;
const budgetPercent = 2;

interface Phase {
  key: string;
  cameras: number;
  probes: boolean;
}

interface ProbeStats {
  /** Probes seen: a camera's lastProbe changed between two polls. */
  seen: number;
  /** From the first poll to the last, in s. */
  spanSeconds: number;
  ms: number[];
}

interface Row {
  phase: Phase;
  /** Registering the cameras, in s (POST /api/cameras, `registerConcurrency` at a time). */
  registerSeconds: number;
  /** The gateway and every process below it, reaped children included (utime+stime+cutime+cstime). */
  cpuPercent: number;
  usage: WindowUsage;
  /** Processes in the gateway's tree at the end (1: the gateway alone). */
  processes: number;
  /** The names of the gateway's children at the end. */
  children: string[];
  load: Load;
  /** undefined: GET /api/health has no `cameras` (no health monitor in this build). */
  states: Record<string, number> | undefined;
  probes: ProbeStats | undefined;
  /** Renditions running at the end: 0 when nobody watches, as it should be. */
  renditions: number;
}

interface CameraHealth {
  id: string;
  state: string | undefined;
  lastProbe: string | undefined;
  ms: number | undefined;
}

/** The `cameras` array of GET /api/health, or undefined when the gateway has none. */
function camerasOf(body: Record<string, unknown>): CameraHealth[] | undefined {
  const list = body.cameras;
  if (!Array.isArray(list)) return undefined;
  return list.map((raw: unknown) => {
    const c = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    const probe = typeof c.lastProbe === "object" && c.lastProbe !== null ? c.lastProbe : undefined;
    const ms = probe === undefined ? undefined : (probe as { ms?: unknown }).ms;
    return {
      id: String(c.cameraId ?? c.id),
      state: typeof c.state === "string" ? c.state : undefined,
      lastProbe: probe === undefined ? undefined : JSON.stringify(probe),
      ms: typeof ms === "number" ? ms : undefined,
    };
  });
}

/** Follows each camera's lastProbe across polls: every change is one probe. */
class ProbeWatch {
  private readonly last = new Map<string, string | undefined>();
  private first: number | undefined;
  private lastAt = 0;
  private seen = 0;
  private readonly ms: number[] = [];
  present = true;
  states: Record<string, number> = {};
  renditions = 0;

  observe(body: Record<string, unknown>): void {
    const now = performance.now();
    this.renditions = Array.isArray(body.renditions) ? body.renditions.length : 0;
    const cameras = camerasOf(body);
    if (cameras === undefined) {
      this.present = false;
      return;
    }
    this.states = {};
    for (const c of cameras) {
      const state = c.state ?? "(none)";
      this.states[state] = (this.states[state] ?? 0) + 1;
      if (this.first !== undefined && c.lastProbe !== undefined && c.lastProbe !== this.last.get(c.id)) {
        this.seen++;
        if (c.ms !== undefined) this.ms.push(c.ms);
      }
      this.last.set(c.id, c.lastProbe);
    }
    this.first ??= now;
    this.lastAt = now;
  }

  stats(): ProbeStats | undefined {
    if (!this.present || this.first === undefined) return undefined;
    return { seen: this.seen, spanSeconds: (this.lastAt - this.first) / 1000, ms: this.ms };
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

async function register(gw: GatewayProcess, urls: readonly string[]): Promise<number> {
  const t0 = performance.now();
  const schools: string[] = [];
  for (let i = 0; i < schoolCount; i++)
    schools.push((await gw.addSchool(`Bench school ${String(i + 1)}`)).id);
  await pool(urls, registerConcurrency, async (url, i) => {
    await gw.addCamera({
      schoolId: schools[i % schools.length],
      name: `Bench idle ${String(i + 1)}`,
      source: { kind: "rtsp", url },
    });
  });
  return (performance.now() - t0) / 1000;
}

const label = (p: Phase) => (p.probes ? `on, every ${String(probeSeconds)} s` : "off");

async function measureWindow(phases: readonly Phase[], cameras: MountCameras): Promise<Row[]> {
  const gateways: GatewayProcess[] = [];
  try {
    for (const p of phases)
      gateways.push(
        await startGatewayProcess({ PANTAU_HEALTH_PROBE_SECONDS: p.probes ? String(probeSeconds) : "0" }),
      );
    const registerSeconds: number[] = [];
    for (const [i, p] of phases.entries()) {
      const s = await register(gateways[i]!, cameras.urls.slice(0, p.cameras));
      registerSeconds.push(s);
      process.stderr.write(
        `${String(p.cameras)} cameras, probes ${label(p)}: registered in ${s.toFixed(1)} s\n`,
      );
    }
    process.stderr.write(`warming up ${String(warmupSeconds)} s\n`);
    await sleep(warmupSeconds * 1000);

    const cameraPids = new Set(cameras.serverPids);
    const keeperPids = new Set(cameras.keeperPids);
    const groupOf = new Map<number, string>();
    const pids = () => {
      groupOf.clear();
      for (const [i, gw] of gateways.entries())
        for (const pid of processTree(gw.pid)) groupOf.set(pid, phases[i]!.key);
      for (const pid of cameraPids) groupOf.set(pid, "cameras");
      for (const pid of keeperPids) groupOf.set(pid, "keepers");
      return [...groupOf.keys()];
    };
    const sampler = new UsageSampler(pids, (s) => groupOf.get(s.pid), [
      ...phases.map((p) => p.key),
      "cameras",
      "keepers",
    ]);
    const watches = phases.map(() => new ProbeWatch());
    const poll = () => Promise.all(gateways.map(async (gw, i) => watches[i]!.observe(await gw.healthBody())));

    process.stderr.write(
      `measuring ${String(seconds)} s: ${phases.map((p) => `${String(p.cameras)} cameras probes ${label(p)}`).join("; ")}\n`,
    );
    const ticks0 = gateways.map((gw) => treeTicks(gw.pid));
    const t0 = performance.now();
    sampler.start();
    const meter = startLoadMeter();
    await poll();
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      await sleep(Math.min(pollSeconds * 1000, Math.max(0, end - Date.now())));
      await poll();
    }
    const usage = sampler.stop();
    const load = meter.stop();
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = gateways.map(
      (gw, i) => ((treeTicks(gw.pid) - ticks0[i]!) / clockTicksPerSecond / elapsed) * 100,
    );
    const children = gateways.map((gw) =>
      processTree(gw.pid)
        .slice(1)
        .map((pid) => sampleProcess(pid)?.comm ?? "?"),
    );
    return phases.map((phase, i) => ({
      phase,
      registerSeconds: registerSeconds[i]!,
      cpuPercent: cpu[i]!,
      usage,
      processes: usage.groups[phase.key]?.count ?? 0,
      children: children[i]!,
      load,
      states: watches[i]!.present ? watches[i]!.states : undefined,
      probes: watches[i]!.stats(),
      renditions: watches[i]!.renditions,
    }));
  } finally {
    await Promise.all(gateways.map((gw) => gw.stop()));
  }
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "–");
const perMinute = (p: ProbeStats) => (p.spanSeconds > 0 ? (p.seen / p.spanSeconds) * 60 : Number.NaN);

function statesCell(r: Row): string {
  if (r.states === undefined) return "n/a";
  const online = r.states.online ?? 0;
  const others = Object.entries(r.states)
    .filter(([s]) => s !== "online")
    .map(([s, n]) => `${s} ${String(n)}`);
  return [`${String(online)}/${String(r.phase.cameras)}`, ...others].join(", ");
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg();
  const cpu = cpus();
  process.stdout.write(
    `Machine: ${cpu[0]?.model ?? "?"}, ${String(cpu.length)} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB; ` +
      `Node ${process.version}; load average ${loadAtStart
        .map((l) => l.toFixed(2))
        .join(" ")} at the start\n`,
  );
  const phases = counts.flatMap((n): Phase[] => [
    { key: `on-${String(n)}`, cameras: n, probes: true },
    { key: `off-${String(n)}`, cameras: n, probes: false },
  ]);
  const windows = allAtOnce ? [phases] : counts.map((n) => phases.filter((p) => p.cameras === n));
  const cameras = await startMountCameras(Math.max(1, ...counts), serverCount);
  const rows: Row[] = [];
  const cameraUsage: { cameras: number[]; usage: WindowUsage }[] = [];
  try {
    // The keepers' PLAY has to have built each server's pipeline before the first DESCRIBE.
    await sleep(3000);
    for (const w of windows) {
      const measured = await measureWindow(w, cameras);
      rows.push(...measured);
      cameraUsage.push({ cameras: w.map((p) => p.cameras), usage: measured[0]!.usage });
    }
  } finally {
    await cameras.stop();
  }

  printTable(
    `Idle gateway, nobody watching: ${String(seconds)} s window after ${String(warmupSeconds)} s warm-up ` +
      `(CPU in % of one core: the gateway and any child; RSS in MB; probes from GET /api/health)`,
    [
      "cameras",
      "probes",
      "CPU mean",
      "RSS start",
      "RSS end",
      "RSS max",
      "children",
      "online at end",
      "probes/min",
      "expected",
      "probe p50 ms",
      "probe p99 ms",
      "renditions",
      "load: others / host",
    ],
    rows.map((r) => {
      const g = r.usage.groups[r.phase.key];
      const p = r.probes;
      return [
        String(r.phase.cameras),
        label(r.phase),
        r.cpuPercent.toFixed(2),
        mb(g?.rssFirstBytes ?? 0),
        mb(g?.rssLastBytes ?? 0),
        mb(g?.rssMaxBytes ?? 0),
        r.children.length === 0 ? "none" : r.children.join(" "),
        statesCell(r),
        p ? perMinute(p).toFixed(1) : "n/a",
        r.phase.probes ? ((r.phase.cameras * 60) / probeSeconds).toFixed(0) : "0",
        p ? ms(percentile(p.ms, 50)) : "n/a",
        p ? ms(percentile(p.ms, 99)) : "n/a",
        String(r.renditions),
        loadCell(r.load),
      ];
    }),
  );

  const cost = counts.flatMap((n) => {
    const on = rows.find((r) => r.phase.cameras === n && r.phase.probes);
    const off = rows.find((r) => r.phase.cameras === n && !r.phase.probes);
    if (!on || !off) return [];
    const rss = (r: Row, k: "rssLastBytes" | "rssMaxBytes") => r.usage.groups[r.phase.key]?.[k] ?? 0;
    const dCpu = on.cpuPercent - off.cpuPercent;
    return [
      [
        String(n),
        on.cpuPercent.toFixed(2),
        off.cpuPercent.toFixed(2),
        dCpu.toFixed(2),
        n > 0 ? ((dCpu / n) * 100).toFixed(3) : "–",
        mb(rss(on, "rssLastBytes") - rss(off, "rssLastBytes")),
        mb(rss(on, "rssMaxBytes") - rss(off, "rssMaxBytes")),
      ],
    ];
  });
  printTable(
    "What probing costs (probes on − off, same cameras, same window)",
    ["cameras", "CPU on", "CPU off", "CPU probing", "per 100 cameras", "RSS end Δ MB", "RSS max Δ MB"],
    cost,
  );

  printTable(
    `The cameras (not the gateway): ${String(serverCount)} GStreamer servers, mounts sharing one 160x90 5 fps ` +
      "pipeline each, one ffmpeg keeper per server",
    ["window", "GStreamer CPU", "GStreamer RSS MB", "keepers CPU", "host busy"],
    cameraUsage.map(({ cameras: c, usage: u }) => [
      c.join(" + ") + " cameras",
      (u.groups.cameras?.cpuPercent ?? 0).toFixed(2),
      mb(u.groups.cameras?.rssMeanBytes ?? 0),
      (u.groups.keepers?.cpuPercent ?? 0).toFixed(2),
      `${u.hostBusyPercent.toFixed(0)} of ${String(u.hostCores * 100)}`,
    ]),
  );

  const budgets = rows
    .filter((r) => r.phase.probes && r.phase.cameras === budgetCameras)
    .map((r) => ({
      budget: `${String(budgetCameras)} cameras, nobody watching, probes on: gateway CPU ≤ ${String(budgetPercent)} % of a core (mean)`,
      value: `${r.cpuPercent.toFixed(2)} %`,
      ok: r.cpuPercent <= budgetPercent,
      miss: `${(r.cpuPercent - budgetPercent).toFixed(2)} points over`,
    }));
  if (budgets.length > 0)
    printTable(
      "Budgets (design.md)",
      ["budget", "measured", "verdict"],
      budgets.map((b) => [b.budget, b.value, verdict(b.ok, b.miss)]),
    );
  else process.stdout.write(`\nno ${String(budgetCameras)}-camera run: the budget is not judged\n`);
  if (rows.some((r) => r.states === undefined))
    process.stdout.write("n/a: GET /api/health has no `cameras` in this build (no health monitor)\n");
  const took = (Date.now() - started) / 1000;
  process.stdout.write(
    `registration: ${rows.map((r) => `${String(r.phase.cameras)} (${r.phase.probes ? "on" : "off"}) ${r.registerSeconds.toFixed(1)} s`).join(", ")}; ` +
      `whole run ${(took / 60).toFixed(1)} min\n`,
  );

  const file = writeResults("idle", {
    environment: { ...environment(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() },
    settings: {
      counts,
      seconds,
      warmupSeconds,
      pollSeconds,
      probeSeconds,
      cameraServers: serverCount,
      schools: schoolCount,
      allAtOnce,
      camera:
        "GStreamer test camera --mounts, 160x90 5 fps H.264, one shared pipeline per server, kept playing",
    },
    budgets: budgets.map(({ budget, value, ok }) => ({ budget, value, ok })),
    rows: rows.map((r) => ({
      ...r,
      usage: { ...r.usage, groups: { gateway: r.usage.groups[r.phase.key] } },
      probes: r.probes && {
        seen: r.probes.seen,
        spanSeconds: r.probes.spanSeconds,
        perMinute: perMinute(r.probes),
        msP50: percentile(r.probes.ms, 50),
        msP99: percentile(r.probes.ms, 99),
        msMax: r.probes.ms.length > 0 ? Math.max(...r.probes.ms) : undefined,
      },
    })),
    cameras: cameraUsage.map(({ cameras: c, usage: u }) => ({
      window: c,
      gstreamer: u.groups.cameras,
      keepers: u.groups.keepers,
      hostBusyPercent: u.hostBusyPercent,
    })),
    runSeconds: took,
  });
  process.stdout.write(`results: ${file}\n`);
}

runBench(main);
