// bench:discovery — how long the gateway takes to find a school's ONVIF cameras, and to inspect one, in a
// netns test network (design.md, "Real parts"), side by side with the baseline in the same run and the same
// gateway namespace: the `onvif` package (Discovery.probe, multicast only; Cam.connect for inspection).
// For each network size (BENCH_CAMERAS, default 1,20), BENCH_RUNS rounds (default 5) run in turn: Pantau by
// multicast, Pantau's unicast scan of the whole /24, and the baseline by multicast, all with BENCH_TIMEOUT_MS
// (default 3000). The figure to compare is when the last camera answered: Pantau's CLI stops early only
// because the bench tells it how many cameras to expect (--expect N), while the baseline always waits out its
// timeout (its "probe total"). Then one camera is inspected, by both (see measureInspect). The cameras are
// the ONVIF simulator (scripts/onvif-camera.ts), which answers a multicast probe after a random delay of up
// to 500 ms (WS-Discovery APP_MAX_DELAY) and a unicast one at once. Times are
// taken inside each prober, so Node and tsx start-up (about a second per process here) are left out.
// Needs root, for the network namespaces; every namespace and process is removed on exit, error or Ctrl-C.
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createTestNetwork, type NetnsHost, type TestNetwork } from "../test/helpers/netns.js";
import { runBench, stderrTail, stopChild, stopOnce } from "./lib/cleanup.js";
import { envList, envNumber } from "./lib/env.js";
import { repoRoot } from "./lib/gateway-process.js";
import type { BaselineInspect, BaselineProbe } from "./lib/onvif-baseline.js";
import { loadCell, meanLoad, startLoadMeter, type Load } from "./lib/proc.js";
import { environment, writeResults } from "./lib/results.js";
import { summarize } from "./lib/stats.js";
import { printTable } from "./lib/table.js";

const sizes = envList("BENCH_CAMERAS", [1, 20]);
const runs = envNumber("BENCH_RUNS", 5, 1);
const timeoutMs = envNumber("BENCH_TIMEOUT_MS", 3000, 100);
const SIMULATOR = "scripts/onvif-camera.ts";
const DISCOVER = "scripts/onvif-discover.ts";
const BASELINE = "bench/lib/onvif-baseline.ts";
const USERNAME = "admin";
const PASSWORD = "bench-pass";
const READY_TIMEOUT_MS = 90_000;
const TSX = ["--import", "tsx"];

interface Simulator {
  uuid: string;
  xaddr: string;
  host: NetnsHost;
  stop(): Promise<void>;
}

/** One prober run: cameras found, and when the last of them answered (ms after the first send). */
interface ProbeRun {
  found: number;
  lastMs: number;
  totalMs: number;
  load: Load;
}

interface DiscoverOutput {
  devices: { uuid: string; address: string; answeredAfterMs: number }[];
  durationMs: number;
}

interface InspectOutput {
  profiles: { streamUri?: string }[];
  durationMs: number;
}

type Variant = "pantauMulticast" | "pantauUnicast" | "onvifMulticast";

function startSimulator(
  net: TestNetwork,
  host: NetnsHost,
  i: number,
  extra: string[] = [],
): Promise<Simulator> {
  const child: ChildProcess = net.spawn(host.ns, process.execPath, [
    ...TSX,
    SIMULATOR,
    ...["--host", host.ip, "--multicast", "--name", `bench-${String(i + 1)}`],
    ...["--username", USERNAME, "--password", PASSWORD, ...extra],
  ]);
  const stderr = stderrTail(child, 20);
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`simulator at ${host.ip} ${why}; stderr:\n${stderr.join("\n")}`));
    };
    const timer = setTimeout(() => fail("not ready in time"), READY_TIMEOUT_MS);
    const onExit = (code: number | null) => fail(`exited (${String(code)}) before it was ready`);
    child.once("exit", onExit);
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => {
      clearTimeout(timer);
      child.off("exit", onExit);
      lines.on("line", () => undefined);
      const ready = JSON.parse(line) as { ready?: boolean; uuid?: string; xaddr?: string };
      if (ready.ready !== true || ready.uuid === undefined || ready.xaddr === undefined) {
        fail(`printed ${line} instead of its ready line`);
        return;
      }
      resolve({ uuid: ready.uuid, xaddr: ready.xaddr, host, stop: () => stopChild(child, "SIGTERM", 3000) });
    });
  });
}

/** Runs a node script in the gateway namespace and returns its last stdout line, parsed. */
async function runInGateway<T>(net: TestNetwork, script: string, args: string[]): Promise<T> {
  const r = await net.exec(net.gateway.ns, process.execPath, [...TSX, script, ...args], {
    timeoutMs: timeoutMs + 60_000,
  });
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  if (r.code !== 0)
    throw new Error(`${script} ${args.join(" ")} failed (${String(r.code)}): ${last}\n${r.stderr}`);
  return JSON.parse(last) as T;
}

async function pantauProbe(net: TestNetwork, sims: Simulator[], targets: string[]): Promise<ProbeRun> {
  const meter = startLoadMeter();
  const out = await runInGateway<DiscoverOutput>(net, DISCOVER, [
    "--json",
    ...targets,
    ...["--timeout-ms", String(timeoutMs), "--expect", String(sims.length)],
  ]);
  // Only the simulators count, each at the address it really has.
  const found = out.devices.filter((d) => sims.some((s) => s.uuid === d.uuid && s.host.ip === d.address));
  return {
    found: found.length,
    lastMs: Math.max(0, ...found.map((d) => d.answeredAfterMs)),
    totalMs: out.durationMs,
    load: meter.stop(),
  };
}

async function onvifProbe(net: TestNetwork): Promise<ProbeRun> {
  const meter = startLoadMeter();
  const out = await runInGateway<BaselineProbe>(net, BASELINE, [
    "probe",
    ...["--device", net.gateway.ifname, "--timeout-ms", String(timeoutMs)],
  ]);
  if (out.errors.length > 0) process.stderr.write(`onvif package errors: ${out.errors.join("; ")}\n`);
  return {
    found: out.found,
    lastMs: Math.max(0, ...out.foundAfterMs),
    totalMs: out.totalMs,
    load: meter.stop(),
  };
}

interface SizeResult {
  cameras: number;
  setupMs: number;
  runs: Record<Variant, ProbeRun[]>;
}

async function measureSize(n: number): Promise<SizeResult> {
  const net = await createTestNetwork({ cameras: n, name: "bench" });
  const destroy = stopOnce(`test network ${net.prefix}`, () => net.destroy());
  process.stderr.write(`${String(n)} camera(s): network ${net.subnet} up in ${net.setupMs.toFixed(0)} ms\n`);
  const sims = await Promise.all(net.cameras.map((c, i) => startSimulator(net, c, i)));

  const probers: Record<Variant, () => Promise<ProbeRun>> = {
    pantauMulticast: () => pantauProbe(net, sims, ["--interface", net.gateway.ip]),
    pantauUnicast: () => pantauProbe(net, sims, ["--no-multicast", "--cidr", net.subnet]),
    onvifMulticast: () => onvifProbe(net),
  };
  const size: SizeResult = {
    cameras: n,
    setupMs: net.setupMs,
    runs: { pantauMulticast: [], pantauUnicast: [], onvifMulticast: [] },
  };
  // Round-robin, so a burst of load from elsewhere on the machine hits every prober alike.
  for (let r = 0; r < runs; r++) {
    for (const [variant, probe] of Object.entries(probers) as [Variant, () => Promise<ProbeRun>][]) {
      const run = await probe();
      size.runs[variant].push(run);
      process.stderr.write(
        `  #${String(r + 1)} ${variant}: ${String(run.found)}/${String(n)}, last after ${run.lastMs.toFixed(0)} ms, ` +
          `done after ${run.totalMs.toFixed(0)} ms\n`,
      );
    }
  }
  await destroy();
  return size;
}

interface InspectRun {
  durationMs: number;
  profiles: number;
  streamUris: number;
}

interface InspectResult {
  /** The simulator's WS-Discovery answer delay (its APP_MAX_DELAY) in this part. */
  maxDelayMs: number;
  pantau: InspectRun[];
  onvif: (InspectRun & { refetched: boolean })[];
}

/**
 * Inspects one camera, Pantau and the baseline in turn. Pantau's inspect also asks the camera for its UUID
 * by a unicast WS-Discovery probe, beside its SOAP calls (the baseline does not).
 */
async function measureInspect(): Promise<InspectResult[]> {
  const net = await createTestNetwork({ cameras: 1, name: "inspect" });
  const destroy = stopOnce(`test network ${net.prefix}`, () => net.destroy());
  const creds = ["--username", USERNAME, "--password", PASSWORD];
  const results: InspectResult[] = [];
  for (const maxDelayMs of [500]) {
    const sim = await startSimulator(net, net.cameras[0]!, 0, ["--max-delay-ms", String(maxDelayMs)]);
    const result: InspectResult = { maxDelayMs, pantau: [], onvif: [] };
    for (let r = 0; r < runs; r++) {
      const p = await runInGateway<InspectOutput>(net, DISCOVER, [
        "--json",
        "--inspect",
        sim.xaddr,
        ...creds,
      ]);
      result.pantau.push({
        durationMs: p.durationMs,
        profiles: p.profiles.length,
        streamUris: p.profiles.filter((x) => x.streamUri !== undefined).length,
      });
      const o = await runInGateway<BaselineInspect>(net, BASELINE, [
        "inspect",
        "--xaddr",
        sim.xaddr,
        ...creds,
      ]);
      result.onvif.push({
        durationMs: o.durationMs,
        profiles: o.profiles,
        streamUris: o.streamUris.length,
        refetched: o.refetched,
      });
      process.stderr.write(
        `  inspect #${String(r + 1)}: Pantau ${String(p.durationMs)} ms, ` +
          `onvif ${o.durationMs.toFixed(0)} ms\n`,
      );
    }
    results.push(result);
    await sim.stop();
  }
  await destroy();
  return results;
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : "–");
/** "20/20", or "18–20/20" when the runs disagreed. */
const foundCell = (list: ProbeRun[], n: number) => {
  const f = summarize(list.map((r) => r.found));
  return `${f.min === f.max ? String(f.min) : `${String(f.min)}–${String(f.max)}`}/${String(n)}`;
};
const median = (list: readonly number[]) => summarize(list).median;
const packageVersion = (name: string) =>
  (
    JSON.parse(readFileSync(join(repoRoot, "node_modules", name, "package.json"), "utf8")) as {
      version: string;
    }
  ).version;

async function main(): Promise<void> {
  for (const file of [SIMULATOR, DISCOVER])
    if (!existsSync(join(repoRoot, file)))
      throw new Error(
        `${file} is missing: bench:discovery runs the ONVIF simulator and Pantau's discovery CLI`,
      );
  if (sizes.some((n) => n < 1)) throw new Error("BENCH_CAMERAS: every size must be at least 1");

  const results: SizeResult[] = [];
  for (const n of sizes) results.push(await measureSize(n));
  const inspect = await measureInspect();

  printTable(
    `Discovery in a netns test network, median of ${String(runs)} runs (time after the first probe; timeout ${String(timeoutMs)} ms)`,
    [
      "cameras",
      "Pantau multicast: last found",
      "found",
      "Pantau unicast /24: last found",
      "found",
      "onvif multicast: last found",
      "found",
      "onvif: probe total",
      "load: others / host",
    ],
    results.map((s) => [
      String(s.cameras),
      ms(median(s.runs.pantauMulticast.map((r) => r.lastMs))),
      foundCell(s.runs.pantauMulticast, s.cameras),
      ms(median(s.runs.pantauUnicast.map((r) => r.lastMs))),
      foundCell(s.runs.pantauUnicast, s.cameras),
      ms(median(s.runs.onvifMulticast.map((r) => r.lastMs))),
      foundCell(s.runs.onvifMulticast, s.cameras),
      ms(median(s.runs.onvifMulticast.map((r) => r.totalMs))),
      loadCell(
        meanLoad(
          Object.values(s.runs)
            .flat()
            .map((r) => r.load),
        ),
      ),
    ]),
  );
  const row = (label: string, list: readonly InspectRun[]) => {
    const d = summarize(list.map((x) => x.durationMs));
    const least = (k: "profiles" | "streamUris") => String(Math.min(...list.map((x) => x[k])));
    return [label, ms(d.median), ms(d.max), least("profiles"), least("streamUris")];
  };
  printTable(
    `Inspect one camera (device info, clock, profiles, stream and snapshot URIs), ${String(runs)} runs`,
    ["prober", "median", "max", "profiles", "stream URIs"],
    inspect.flatMap((r) => [row("Pantau inspect", r.pantau), row("onvif Cam.connect + URIs", r.onvif)]),
  );
  if (inspect.some((r) => r.onvif.some((x) => x.refetched)))
    process.stdout.write(
      "onvif: connect() dropped the profiles (GetVideoSources failed), so the baseline asked for them again.\n",
    );

  const file = writeResults("discovery", {
    environment: { ...environment(), onvif: packageVersion("onvif") },
    settings: {
      sizes,
      runs,
      timeoutMs,
      simulator: "scripts/onvif-camera.ts --multicast, APP_MAX_DELAY 500 ms",
    },
    results,
    inspect,
  });
  process.stdout.write(`results: ${file}\n`);
}

runBench(main);
