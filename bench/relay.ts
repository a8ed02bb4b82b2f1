// bench:relay — what the fleet link costs (issue 13, "Benchmark"). A hub and an edge gateway as separate
// processes over a real nats-server on loopback, set up as test/integration/fleet-link.test.ts does, in one run:
//   1. glass-to-glass latency added by the hop: the same camera in Chromium over WebSocket MSE, watched at the
//      edge directly and relayed at the hub (bench/lib/latency-variant.ts, the method of bench:latency);
//   2. CPU of the hub, the edge (and its ffmpeg) and nats-server, each apart, during every window;
//   3. 8 cameras watched at once across the edge's link, one WebSocket viewer each at the hub;
//   4. how many relayed WebSocket viewers of one camera one hub process holds, in steps.
// `--seconds N` sets every measured window; `--quick` is a short smoke run. BENCH_VIEWERS (steps),
// BENCH_CLIENT_PROCS (load-generator processes) as in bench:fanout.
import { startCamera, startMountCameras, type MountCameras } from "./lib/camera.js";
import { startChromium } from "./lib/chromium.js";
import { runBench } from "./lib/cleanup.js";
import { envList, envNumber, sleep } from "./lib/env.js";
import { startFleet, waitUntil, type EdgeLinkView, type Fleet } from "./lib/fleet.js";
import { chromiumPage, latencyTable, measureTogether, type VariantResult } from "./lib/latency-variant.js";
import {
  loadCell,
  mb,
  processTree,
  startLoadMeter,
  UsageSampler,
  waitQuiet,
  type Load,
  type ProcSample,
  type WindowUsage,
} from "./lib/proc.js";
import { environment, writeResults } from "./lib/results.js";
import { sec } from "./lib/stats.js";
import { printTable } from "./lib/table.js";
import { groupStats, WsViewers, type WsGroupStats } from "./lib/ws-viewers.js";

const t0 = performance.now();
/** A progress line on stderr, with the seconds since the start (the run should stay within ~6 min). */
const progress = (line: string) => {
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${line}\n`);
};

/** `--seconds N` and `--quick` from the command line (after `npm run bench:relay --`). */
function parseArgs(argv: readonly string[]): { seconds: number | undefined; quick: boolean } {
  let seconds: number | undefined;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") quick = true;
    else if (a === "--seconds") {
      seconds = Number(argv[++i]);
      if (!Number.isFinite(seconds) || seconds < 1)
        throw new Error(`--seconds: a number ≥ 1, not ${argv[i]}`);
    } else throw new Error(`unknown argument ${String(a)} (--seconds N, --quick)`);
  }
  return { seconds, quick };
}

const args = parseArgs(process.argv.slice(2));
const latencyTiming = {
  seconds: args.seconds ?? (args.quick ? 8 : 30),
  warmupSeconds: args.quick ? 3 : 8,
};
const camerasSeconds = args.seconds ?? (args.quick ? 8 : 20);
const stepSeconds = args.seconds ?? (args.quick ? 8 : 15);
const settleSeconds = args.quick ? 2 : 5;
const steps = envList("BENCH_VIEWERS", args.quick ? [50, 100] : [100, 250, 500, 1000, 1500]);
const clientProcesses = envNumber("BENCH_CLIENT_PROCS", 2, 1);
const cameraCount = 8;
/**
 * The ramp stops at a step that delivered less than this, where the hub's one event loop is this busy, or
 * where the whole machine was busy (the load generator shares it, so a larger step measures the machine).
 */
const minDelivered = 0.99;
const saturatedCpu = 95;
/** Before each window, wait up to this long for other work on the machine to drop below quietOthers. */
const quietWaitSeconds = args.quick ? 0 : 3;
const quietOthers = 25;

const groups = ["hub", "edge", "edge ffmpeg", "nats-server", "cameras", "browser", "bench"] as const;
type Group = (typeof groups)[number];

/** CPU and memory of each part, apart: the hub's and the edge's process trees, nats-server, the rest. */
function fleetSampler(fleet: Fleet, benchPids: () => readonly number[]): UsageSampler {
  const groupOf = new Map<number, Group>();
  const pids = () => {
    groupOf.clear();
    for (const pid of processTree(process.pid)) groupOf.set(pid, "browser");
    for (const pid of processTree(fleet.hub.pid)) groupOf.set(pid, "hub");
    for (const pid of processTree(fleet.edge.pid)) groupOf.set(pid, "edge");
    groupOf.set(fleet.nats.child.pid!, "nats-server");
    for (const pid of [process.pid, ...benchPids()]) groupOf.set(pid, "bench");
    return [...groupOf.keys()];
  };
  const classify = (s: ProcSample): Group | undefined => {
    const g = groupOf.get(s.pid);
    if (g === "edge" && s.comm === "ffmpeg") return "edge ffmpeg";
    // Under the benchmark itself: the GStreamer cameras and the ffmpeg keeping their pipelines running.
    if (g === "browser" && (s.comm === "python3" || s.comm === "ffmpeg")) return "cameras";
    return g;
  };
  return new UsageSampler(pids, classify, groups);
}

const cpu = (u: WindowUsage, g: Group) => u.groups[g]?.cpuPercent ?? 0;
const rss = (u: WindowUsage, g: Group) => u.groups[g]?.rssMeanBytes ?? 0;
const relayOf = (v: EdgeLinkView) =>
  v.link.relay ?? { droppedFragments: 0, sentBytes: 0, activeRenditions: 0 };

/** The link over a window, from the edge's heartbeats at the hub (GET /api/edges/:id). */
interface LinkWindow {
  droppedFragments: number;
  sentBytesPerSecond: number;
  activeRenditions: number;
  rttMs: number | null;
}

async function linkMeter(fleet: Fleet): Promise<{ stop(): Promise<LinkWindow> }> {
  const a = relayOf(await fleet.edgeView());
  const t0 = performance.now();
  return {
    async stop() {
      const view = await fleet.edgeView();
      const b = relayOf(view);
      return {
        droppedFragments: b.droppedFragments - a.droppedFragments,
        sentBytesPerSecond: (b.sentBytes - a.sentBytes) / ((performance.now() - t0) / 1000),
        activeRenditions: b.activeRenditions,
        rttMs: view.link.rttMs,
      };
    },
  };
}

/** A fresh stream token per viewer (POST /api/watch at the hub, an open dev session each): its WebSocket URL. */
async function wsUrls(fleet: Fleet, cameraId: string, n: number): Promise<string[]> {
  const one = async () => {
    const r = await fetch(`${fleet.hub.url}/api/watch/${encodeURIComponent(cameraId)}`, { method: "POST" });
    if (!r.ok) throw new Error(`POST /api/watch at the hub: ${String(r.status)} ${await r.text()}`);
    const body = (await r.json()) as { ws: string };
    return fleet.hub.url.replace(/^http/, "ws") + body.ws;
  };
  const out: string[] = [];
  while (out.length < n)
    out.push(...(await Promise.all(Array.from({ length: Math.min(20, n - out.length) }, one))));
  return out;
}

async function quiet(): Promise<void> {
  if (quietWaitSeconds > 0 && !(await waitQuiet(quietOthers, quietWaitSeconds * 1000)))
    progress(`machine still busy with other work after ${String(quietWaitSeconds)} s; measuring anyway`);
}

/** Waits until the edge relays at most `n` renditions (the hub's idle ones stopped, as its heartbeat says). */
async function relaysDownTo(fleet: Fleet, n: number): Promise<void> {
  await waitUntil(`the edge to relay at most ${String(n)} rendition(s)`, 60_000, async () => {
    return relayOf(await fleet.edgeView()).activeRenditions <= n;
  });
}

interface LatencyPhase {
  local: VariantResult;
  relayed: VariantResult;
  /** The processes while both pages played: the edge serving one viewer and the relay, the hub the other. */
  usage: WindowUsage;
  link: LinkWindow;
}

async function latencyPhase(fleet: Fleet, cameraId: string): Promise<LatencyPhase> {
  const browser = await startChromium();
  const open = () => chromiumPage(browser);
  const player = (origin: string) =>
    `${origin}/dev/player?camera=${cameraId}&mode=ws&rendition=main&measure=1`;
  await quiet();
  // Both pages at once: the same frames of the same camera and the same load on the machine, so what differs
  // between them is the hop (one after the other, each page's own join and stalls outweighed it).
  let link: Promise<{ stop(): Promise<LinkWindow> }> | undefined;
  let usage: WindowUsage | undefined;
  const [local, relayed] = await measureTogether(
    [
      { open, key: "local", label: "Local: at the edge, WebSocket MSE", url: player(fleet.edge.url) },
      { open, key: "relayed", label: "Relayed: at the hub, WebSocket MSE", url: player(fleet.hub.url) },
    ],
    {
      ...latencyTiming,
      onWindow: () => {
        link = linkMeter(fleet);
        const sampler = fleetSampler(fleet, () => []);
        sampler.start();
        return () => {
          usage = sampler.stop();
        };
      },
    },
  );
  const linkWindow = await (await link!).stop();
  return { local: local!, relayed: relayed!, usage: usage!, link: linkWindow };
}

interface CamerasPhase {
  ids: string[];
  cameras: { label: string; stats: WsGroupStats }[];
  added: { ok: number; failed: number; errors: string[] };
  usage: WindowUsage;
  link: LinkWindow;
  load: Load;
}

async function camerasPhase(fleet: Fleet, mounts: MountCameras): Promise<CamerasPhase> {
  const ids: string[] = [];
  for (const [i, url] of mounts.urls.entries())
    ids.push(
      await fleet.addEdgeCamera({ name: `Bench relay ${String(i + 1)}`, source: { kind: "rtsp", url } }),
    );
  const viewers = new WsViewers(1);
  try {
    const urls = await Promise.all(ids.map(async (id) => (await wsUrls(fleet, id, 1))[0]!));
    progress(`${String(cameraCount)} cameras across the link: starting`);
    const added = await viewers.add(
      urls.map((url, i) => ({ url, group: `camera ${String(i + 1)}` })),
      1000,
    );
    await sleep(settleSeconds * 1000);
    await quiet();
    progress(`${String(cameraCount)} cameras across the link: measuring ${String(camerasSeconds)} s`);
    const sampler = fleetSampler(fleet, () => viewers.pids);
    const link = await linkMeter(fleet);
    const meter = startLoadMeter();
    sampler.start();
    viewers.open();
    await sleep(camerasSeconds * 1000);
    const all = await viewers.close();
    const usage = sampler.stop();
    const load = meter.stop();
    const linkWindow = await link.stop();
    const cameras = [...new Set(all.map((v) => v.group))].map((label) => {
      const mine = all.filter((v) => v.group === label);
      return {
        label,
        stats: groupStats(mine, Math.ceil(Math.max(...mine.map((v) => v.fragments)) / camerasSeconds)),
      };
    });
    return { ids, cameras, added, usage, link: linkWindow, load };
  } finally {
    await viewers.stop();
  }
}

interface RampStep {
  viewers: number;
  /** Viewers that got a first fragment, of all opened so far. */
  connected: number;
  added: { ok: number; failed: number; errors: string[] };
  stats: WsGroupStats;
  usage: WindowUsage;
  link: LinkWindow;
  load: Load;
}

async function rampPhase(fleet: Fleet, cameraId: string): Promise<RampStep[]> {
  const viewers = new WsViewers(clientProcesses);
  const rows: RampStep[] = [];
  let connected = 0;
  try {
    for (const n of steps) {
      const more = n - viewers.viewers;
      if (more <= 0) continue;
      const urls = await wsUrls(fleet, cameraId, more);
      progress(`ramp: ${String(more)} more tokens; opening viewers`);
      // 4 ms per viewer (a class of parents opening the link over a few seconds), at least 1 s, as bench:fanout.
      const added = await viewers.add(
        urls.map((url) => ({ url, group: "relayed" })),
        Math.max(1000, more * 4),
      );
      connected += added.ok;
      await sleep(settleSeconds * 1000);
      await quiet();
      progress(`ramp: ${String(n)} relayed viewers, measuring ${String(stepSeconds)} s`);
      const sampler = fleetSampler(fleet, () => viewers.pids);
      const link = await linkMeter(fleet);
      const meter = startLoadMeter();
      sampler.start();
      viewers.open();
      await sleep(stepSeconds * 1000);
      const all = await viewers.close();
      const usage = sampler.stop();
      const load = meter.stop();
      const linkWindow = await link.stop();
      const open = all.filter((v) => v.open);
      const perViewer = Math.max(0, ...open.map((v) => v.fragments)) / stepSeconds;
      const stats = groupStats(all, Math.ceil(perViewer));
      rows.push({ viewers: n, connected, added, stats, usage, link: linkWindow, load });
      progress(
        `ramp: ${String(n)} viewers: ${(stats.delivered * 100).toFixed(2)} % delivered, ${String(stats.held)} held, hub CPU ${cpu(usage, "hub").toFixed(0)} %`,
      );
      if (stats.delivered < minDelivered) {
        progress(`ramp: delivery below ${String(minDelivered * 100)} %; no larger step`);
        break;
      }
      if (usage.hostBusyPercent >= 0.98 * usage.hostCores * 100) {
        progress("ramp: the machine is saturated (hub, load generator and others together); no larger step");
        break;
      }
      if (cpu(usage, "hub") >= saturatedCpu) {
        progress(`ramp: the hub's event loop is saturated; no larger step`);
        break;
      }
    }
    return rows;
  } finally {
    await viewers.stop();
  }
}

const pct = (v: number) => v.toFixed(0);

function cpuTable(
  title: string,
  windows: readonly { label: string; usage: WindowUsage; load: Load }[],
): void {
  printTable(
    title,
    [
      "window",
      "hub CPU",
      "hub RSS MB",
      "edge CPU",
      "edge ffmpeg CPU",
      "edge RSS MB",
      "nats CPU",
      "cameras CPU",
      "browser CPU",
      "bench CPU",
      "load: others / host",
    ],
    windows.map((w) => [
      w.label,
      pct(cpu(w.usage, "hub")),
      mb(rss(w.usage, "hub")),
      pct(cpu(w.usage, "edge")),
      pct(cpu(w.usage, "edge ffmpeg")),
      mb(rss(w.usage, "edge")),
      pct(cpu(w.usage, "nats-server")),
      pct(cpu(w.usage, "cameras")),
      pct(cpu(w.usage, "browser")),
      pct(cpu(w.usage, "bench")),
      loadCell(w.load),
    ]),
  );
}

async function main(): Promise<void> {
  const fleet = await startFleet(
    {
      // One token per simulated viewer, all from 127.0.0.1: the per-camera and per-address caps out of the way.
      PANTAU_ACCESS_MAX_VIEWERS_PER_CAMERA: "100000",
      PANTAU_STREAMING_WS_MAX_PER_ADDRESS: "100000",
      // A phase's relays end soon after its viewers, so the next phase's link carries only its own.
      PANTAU_STREAMING_IDLE_STOP_SECONDS: "2",
    },
    { PANTAU_FLEET_STATUS_SECONDS: "1" },
  );
  const camera = await startCamera();
  const cameraId = await fleet.addEdgeCamera({
    name: "Bench relay latency",
    source: { kind: "rtsp", url: camera.url("main") },
    alwaysOn: true,
  });
  await fleet.edge.waitLive([cameraId], "main", 60_000);
  progress("hub, edge and nats-server up; the camera live at the edge");

  // 1 and 2: latency local and relayed, CPU of each part during each.
  const lat = await latencyPhase(fleet, cameraId);

  // 3: eight cameras across the link (one GStreamer encoder, eight RTSP mounts of it).
  await relaysDownTo(fleet, 0);
  const mounts = await startMountCameras(cameraCount, 1, { width: 640, height: 360, fps: 25, bitrate: 800 });
  const cams = await camerasPhase(fleet, mounts);

  // 4: relayed viewers of one camera at the hub, in steps; the eight cameras gone first (removed at the edge,
  // which stops their renditions, before their RTSP server stops).
  await relaysDownTo(fleet, 0);
  for (const id of cams.ids) {
    await fleet.hub.deleteCamera(id);
    await fleet.edge.deleteCamera(id);
  }
  await mounts.stop();
  progress("the eight cameras removed");
  const ramp = await rampPhase(fleet, cameraId);
  const restarted = async (gw: Fleet["hub"]) =>
    (await gw.health())
      .filter((r) => r.restarts > 0)
      .map((r) => ({ cameraId: r.cameraId, rendition: r.rendition, restarts: r.restarts }));
  const restartedAt = { hub: await restarted(fleet.hub), edge: await restarted(fleet.edge) };
  const restarts = {
    hub: restartedAt.hub.reduce((s, r) => s + r.restarts, 0),
    edge: restartedAt.edge.reduce((s, r) => s + r.restarts, 0),
  };

  // Tables.
  latencyTable([lat.local, lat.relayed], latencyTiming);
  const d = (k: "median" | "p10" | "p90") => lat.relayed.latency[k] - lat.local.latency[k];
  printTable(
    "Latency added by the hop (relayed − local, Chromium WebSocket MSE, seconds)",
    ["", "median", "p10", "p90", "link RTT ms", "relay dropped"],
    [
      [
        "local (edge)",
        sec(lat.local.latency.median),
        sec(lat.local.latency.p10),
        sec(lat.local.latency.p90),
        "–",
        "–",
      ],
      [
        "relayed (hub)",
        sec(lat.relayed.latency.median),
        sec(lat.relayed.latency.p10),
        sec(lat.relayed.latency.p90),
        String(lat.link.rttMs ?? "–"),
        String(lat.link.droppedFragments),
      ],
      ["added by the hop", sec(d("median"), 3), sec(d("p10"), 3), sec(d("p90"), 3), "", ""],
    ],
  );
  printTable(
    `${String(cameraCount)} cameras across one edge's link (640x360 25 fps 800 kbit/s each), one WebSocket viewer each at the hub, ${String(camerasSeconds)} s`,
    ["camera", "fps at hub", "fragments/s", "kbit/s", "missed", "open"],
    cams.cameras.map((c) => [
      c.label,
      (c.stats.frames / camerasSeconds).toFixed(1),
      (c.stats.fragments / camerasSeconds).toFixed(1),
      ((c.stats.bytes * 8) / camerasSeconds / 1000).toFixed(0),
      String(c.stats.missed),
      c.stats.closed === 0 ? "yes" : "no",
    ]),
  );
  const hubBytes = cams.cameras.reduce((s, c) => s + c.stats.bytes, 0) / camerasSeconds;
  printTable(
    "The link with 8 cameras",
    [
      "edge → hub (heartbeat sentBytes)",
      "viewers at the hub received",
      "relay dropped fragments",
      "relayed renditions",
      "link RTT ms",
    ],
    [
      [
        `${((cams.link.sentBytesPerSecond * 8) / 1e6).toFixed(2)} Mbit/s`,
        `${((hubBytes * 8) / 1e6).toFixed(2)} Mbit/s`,
        String(cams.link.droppedFragments),
        String(cams.link.activeRenditions),
        String(cams.link.rttMs ?? "–"),
      ],
    ],
  );
  printTable(
    `Relayed WebSocket viewers of one camera at one hub, ${String(stepSeconds)} s per step after ${String(settleSeconds)} s; CPU % of one core`,
    [
      "viewers",
      "connected",
      "held",
      "delivered",
      "missed",
      "behind",
      "closed",
      "fragments/s each",
      "MB/s out",
      "hub CPU",
      "hub RSS MB",
      "edge CPU",
      "nats CPU",
      "load gen CPU",
      "relay dropped",
      "load: others / host",
    ],
    ramp.map((r) => [
      String(r.viewers),
      `${String(r.connected)}/${String(r.viewers)}`,
      String(r.stats.held),
      `${(r.stats.delivered * 100).toFixed(2)} %`,
      String(r.stats.missed),
      String(r.stats.behind),
      String(r.stats.closed),
      (r.stats.fragments / Math.max(1, r.stats.viewers) / stepSeconds).toFixed(1),
      (r.stats.bytes / stepSeconds / 1e6).toFixed(2),
      pct(cpu(r.usage, "hub")),
      mb(rss(r.usage, "hub")),
      pct(cpu(r.usage, "edge") + cpu(r.usage, "edge ffmpeg")),
      pct(cpu(r.usage, "nats-server")),
      pct(cpu(r.usage, "bench")),
      String(r.link.droppedFragments),
      loadCell(r.load),
    ]),
  );
  cpuTable("CPU by process over each window, % of one core; mean RSS", [
    { label: "latency: 1 local + 1 relayed Chromium viewer", usage: lat.usage, load: lat.local.load },
    { label: `${String(cameraCount)} cameras, 1 viewer each at the hub`, usage: cams.usage, load: cams.load },
    ...ramp.map((r) => ({
      label: `${String(r.viewers)} relayed viewers of 1 camera`,
      usage: r.usage,
      load: r.load,
    })),
  ]);
  const best = Math.max(0, ...ramp.filter((r) => r.stats.delivered >= minDelivered).map((r) => r.viewers));
  process.stdout.write(
    `note: one hub process held ${String(best)} relayed WebSocket viewers with ≥ ${String(minDelivered * 100)} % of fragments delivered (largest step tried ${String(ramp.at(-1)?.viewers ?? 0)}).\n`,
  );
  process.stdout.write(
    "note: everything on one machine (2 cores): the load generator, Chromium and the cameras compete with hub, edge and nats-server; read the load column.\n",
  );
  if (restarts.hub + restarts.edge > 0)
    process.stdout.write(
      `note: renditions restarted during the run: hub ${String(restarts.hub)}, edge ${String(restarts.edge)}\n`,
    );
  for (const r of [lat.local, lat.relayed])
    if (r.errors.length > 0) process.stdout.write(`${r.label}: page errors: ${r.errors.join("; ")}\n`);
  for (const r of ramp) {
    const codes = Object.entries(r.stats.closeCodes);
    if (codes.length > 0 || r.added.errors.length > 0)
      process.stdout.write(
        `ramp ${String(r.viewers)}: closed ${JSON.stringify(r.stats.closeCodes)} ${r.added.errors.join("; ")}\n`,
      );
  }

  const file = writeResults("relay", {
    environment: environment(),
    settings: {
      latencyTiming,
      camerasSeconds,
      stepSeconds,
      settleSeconds,
      steps,
      clientProcesses,
      cameraCount,
      camera: "GStreamer test camera 640x360 25 fps 800 kbit/s, 1 s GOP, main",
    },
    latency: {
      local: lat.local,
      relayed: lat.relayed,
      addedMs: { median: d("median"), p10: d("p10"), p90: d("p90") },
      usage: lat.usage,
      link: lat.link,
    },
    cameras: cams,
    ramp,
    bestViewers: best,
    restarts,
    restartedAt,
  });
  process.stdout.write(`results: ${file}\n`);
  await fleet.stop();
}

runBench(main);
