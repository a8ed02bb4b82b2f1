import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * Process CPU and memory from /proc (Linux): utime+stime from /proc/<pid>/stat, RSS from
 * /proc/<pid>/status, PSS from /proc/<pid>/smaps_rollup. Children are found by scanning every
 * /proc/<pid>/stat for its parent, because /proc/<pid>/task/<tid>/children needs CONFIG_PROC_CHILDREN,
 * which this kernel does not have.
 */
export interface ProcSample {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  rssBytes: number;
  pssBytes: number | undefined;
}

export const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function readStat(
  pid: number,
): { ppid: number; comm: string; cpuTicks: number; childTicks: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // proc(5): "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ")".
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const f = text.slice(close + 2).split(" ");
  // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17 (children reaped).
  return {
    ppid: Number(f[1]),
    comm,
    cpuTicks: Number(f[11]) + Number(f[12]),
    childTicks: Number(f[13]) + Number(f[14]),
  };
}

function readKb(path: string, key: string): number | undefined {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(readFileSync(path, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function sampleProcess(pid: number): ProcSample | undefined {
  const s = readStat(pid);
  if (!s) return undefined;
  return {
    pid,
    ppid: s.ppid,
    comm: s.comm,
    cpuTicks: s.cpuTicks,
    rssBytes: readKb(`/proc/${String(pid)}/status`, "VmRSS") ?? 0,
    pssBytes: readKb(`/proc/${String(pid)}/smaps_rollup`, "Pss"),
  };
}

/** `root` and every process below it, root first. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(name));
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Whole-machine CPU counters from /proc/stat: busy and total ticks summed over all cores. */
export function hostCpu(): { busy: number; total: number; cores: number } {
  const lines = readFileSync("/proc/stat", "utf8").split("\n");
  const v = (lines[0] ?? "").split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait, cores: lines.filter((l) => /^cpu\d/.test(l)).length };
}

/** Whole machine busy since `start` (from hostCpu()), in % of one core (out of cores × 100). */
export function hostBusySince(start: ReturnType<typeof hostCpu>): number {
  const now = hostCpu();
  const total = now.total - start.total;
  return total > 0 ? ((now.busy - start.busy) / total) * 100 * now.cores : 0;
}

/**
 * CPU ticks of `root` (default: this process) and everything below it, including children already exited
 * and reaped (cutime + cstime), so a child that lived less than a sampling interval still counts.
 */
export function treeTicks(root = process.pid): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    const s = readStat(pid);
    if (s) ticks += s.cpuTicks + s.childTicks;
  }
  return ticks;
}

export interface Load {
  /** Whole machine, % of one core (out of cores × 100). */
  host: number;
  /** This benchmark and every process it started (camera, gateway, ffmpeg, Chromium). */
  own: number;
  /** Everything else on the machine: the contention the figures suffered. */
  others: number;
}

/** Measures how busy the machine was, and how much of that was not the benchmark itself. */
export function startLoadMeter(): { stop(): Load } {
  const host = hostCpu();
  const own = treeTicks();
  const t0 = performance.now();
  return {
    stop() {
      const hostBusy = hostBusySince(host);
      const ownBusy = ((treeTicks() - own) / clockTicksPerSecond / ((performance.now() - t0) / 1000)) * 100;
      return { host: hostBusy, own: ownBusy, others: Math.max(0, hostBusy - ownBusy) };
    },
  };
}

export function meanLoad(loads: readonly Load[]): Load {
  const mean = (k: keyof Load) => loads.reduce((s, l) => s + l[k], 0) / Math.max(1, loads.length);
  return { host: mean("host"), own: mean("own"), others: mean("others") };
}

/**
 * Waits (up to `timeoutMs`) for a 2 s stretch in which other work on the machine used at most `maxOthers` %
 * of one core, so a measurement does not start in the middle of someone else's test run. Returns whether it
 * found one; the measurement's own load column still shows what happened during it.
 */
export async function waitQuiet(maxOthers: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const meter = startLoadMeter();
    await new Promise((r) => setTimeout(r, 2000));
    if (meter.stop().others <= maxOthers) return true;
    if (Date.now() > end) return false;
  }
}

/** "12 / 80 of 200": others / host, in % of one core, out of cores × 100. */
export const loadCell = (l: Load): string =>
  `${l.others.toFixed(0)} / ${l.host.toFixed(0)} of ${String(hostCpu().cores * 100)}`;

export interface GroupUsage {
  /** CPU time over the window as % of one core. */
  cpuPercent: number;
  /** Mean and peak of the group's summed RSS over the samples. */
  rssMeanBytes: number;
  rssMaxBytes: number;
  /** The group's summed RSS in the first and in the last sample of the window. */
  rssFirstBytes: number;
  rssLastBytes: number;
  pssMeanBytes: number;
  /** Processes seen in the group during the window. */
  pids: number[];
  /** Number of processes in the last sample. */
  count: number;
}

export interface WindowUsage {
  seconds: number;
  groups: Record<string, GroupUsage>;
  /** Whole machine busy over the window in % of one core (out of cores × 100): a contention indicator. */
  hostBusyPercent: number;
  hostCores: number;
  /** PIDs that disappeared during the window (a restart would show up here). */
  vanished: number[];
  /** CPU of each process over the window, % of one core. */
  perProcess: { pid: number; group: string; cpuPercent: number }[];
}

/**
 * Samples a set of processes once a second over a window: CPU from the difference of utime+stime between
 * the first and last sample of each PID (a PID that appears mid-window counts from 0), memory as the mean
 * and peak of the per-sample sums. `classify` picks each PID's group, or undefined to ignore it.
 */
export class UsageSampler {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, { ticks: number; group: string }>();
  private readonly rssSums: Record<string, number[]> = {};
  private readonly pssSums: Record<string, number[]> = {};
  private readonly counts: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private hostStart = hostCpu();

  constructor(
    private readonly pids: () => number[],
    private readonly classify: (s: ProcSample) => string | undefined,
    private readonly groups: readonly string[],
  ) {
    for (const g of groups) {
      this.rssSums[g] = [];
      this.pssSums[g] = [];
    }
  }

  start(): void {
    this.startedAt = performance.now();
    this.hostStart = hostCpu();
    this.sample(true);
    this.timer = setInterval(() => {
      this.sample(false);
    }, 1000);
  }

  stop(): WindowUsage {
    if (this.timer) clearInterval(this.timer);
    const seenAtEnd = this.sample(false);
    const seconds = (performance.now() - this.startedAt) / 1000;
    const host = hostCpu();
    const groups: Record<string, GroupUsage> = {};
    for (const g of this.groups) {
      let ticks = 0;
      const pids: number[] = [];
      for (const [pid, l] of this.last) {
        if (l.group !== g) continue;
        pids.push(pid);
        ticks += l.ticks - (this.first.get(pid) ?? 0);
      }
      const rss = this.rssSums[g] ?? [];
      const pss = this.pssSums[g] ?? [];
      groups[g] = {
        cpuPercent: (ticks / clockTicksPerSecond / seconds) * 100,
        rssMeanBytes: rss.reduce((s, v) => s + v, 0) / Math.max(1, rss.length),
        rssMaxBytes: Math.max(0, ...rss),
        rssFirstBytes: rss[0] ?? 0,
        rssLastBytes: rss.at(-1) ?? 0,
        pssMeanBytes: pss.reduce((s, v) => s + v, 0) / Math.max(1, pss.length),
        pids,
        count: this.counts[g] ?? 0,
      };
    }
    return {
      seconds,
      groups,
      hostBusyPercent: hostBusySince(this.hostStart),
      hostCores: host.cores,
      vanished: [...this.last.keys()].filter((pid) => !seenAtEnd.has(pid)),
      perProcess: [...this.last].map(([pid, l]) => ({
        pid,
        group: l.group,
        cpuPercent: ((l.ticks - (this.first.get(pid) ?? 0)) / clockTicksPerSecond / seconds) * 100,
      })),
    };
  }

  private sample(initial: boolean): Set<number> {
    const seen = new Set<number>();
    const rss: Record<string, number> = {};
    const pss: Record<string, number> = {};
    const counts: Record<string, number> = {};
    for (const pid of this.pids()) {
      const s = sampleProcess(pid);
      if (!s) continue;
      const g = this.classify(s);
      if (g === undefined || !this.groups.includes(g)) continue;
      seen.add(pid);
      if (!this.first.has(pid)) this.first.set(pid, initial ? s.cpuTicks : 0);
      this.last.set(pid, { ticks: s.cpuTicks, group: g });
      rss[g] = (rss[g] ?? 0) + s.rssBytes;
      pss[g] = (pss[g] ?? 0) + (s.pssBytes ?? s.rssBytes);
      counts[g] = (counts[g] ?? 0) + 1;
    }
    for (const g of this.groups) {
      this.rssSums[g]!.push(rss[g] ?? 0);
      this.pssSums[g]!.push(pss[g] ?? 0);
    }
    Object.assign(this.counts, Object.fromEntries(this.groups.map((g) => [g, counts[g] ?? 0])));
    return seen;
  }
}

export const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
