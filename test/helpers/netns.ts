import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isRunning } from "./ready-process.js";

// A multicast test network made of Linux network namespaces (design.md, "Real parts"): a "switch" namespace
// holding a bridge, and a gateway and N camera namespaces, each joined to the bridge by a veth pair. The test
// subnet exists only inside them; nothing is added to the root namespace (both veth ends are created from
// inside the switch namespace with `peer … netns`), so a test can neither disturb the host nor reach past it.
// The one exception is asked for: an uplink (options.uplink), one veth pair from the test's own namespace to
// the gateway namespace, a /30 of its own: the school's internet line to a hub, which dials out over it and
// accepts no connection in (a filter in the gateway namespace drops inbound TCP SYNs, as the school's NAT
// router does). It goes with the gateway namespace.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// Owner records of live networks, so a later run can remove what a SIGKILLed run left behind (namespaces
// outlive their creator). /run is a tmpfs, like /run/netns itself.
const OWNERS_DIR = "/run/pantau-netns";
const GROUP = "239.0.0.0/8";
const FIRST_CAMERA_HOST = 11;
const MAX_CAMERAS = 254 - FIRST_CAMERA_HOST + 1;
const STOP_GRACE_MS = 2_000;
const EXEC_TIMEOUT_MS = 30_000;
// Classic BPF for tc's direct-action mode (the kernel here has cls_bpf but no gact module, and the machine no
// nft/iptables): `refuseSyn` shoots an IPv4 TCP segment with SYN set and ACK clear (a connection being
// opened towards the namespace) and passes everything else on (-1, the next filter); `dropAll` shoots all.
// The packet starts at its Ethernet header: ethertype at 12, IP protocol at 23, TCP flags at 14 + IHL + 13.
const refuseSyn = [
  "40 0 0 12", // ldh [12]
  "21 0 6 2048", // jeq #0x0800 (IPv4), else pass
  "48 0 0 23", // ldb [23]
  "21 0 4 6", // jeq #6 (TCP), else pass
  "177 0 0 14", // ldxb 4*([14]&0xf)
  "80 0 0 27", // ldb [x + 27]
  "84 0 0 18", // and #0x12 (SYN|ACK)
  "21 1 0 2", // jeq #0x02 (SYN alone): drop
  "6 0 0 4294967295", // ret #-1 (TC_ACT_UNSPEC: pass on)
  "6 0 0 2", // ret #2 (TC_ACT_SHOT)
];
const dropAll = ["6 0 0 2"];
const bytecode = (program: readonly string[]) => `${String(program.length)},${program.join(",")}`;

export interface NetnsHost {
  /** Network namespace name, for `ip netns exec`. */
  readonly ns: string;
  /** IPv4 address in the test subnet; moveCamera() changes it. */
  ip: string;
  /** The host's veth end inside its namespace. */
  readonly ifname: string;
}

/** The school's internet line (TestNetworkOptions.uplink): gateway namespace ↔ the test's own namespace. */
export interface TestUplink {
  /** The test's end: where a server the gateway dials out to listens (a hub's NATS server). */
  readonly hostIp: string;
  /** The gateway namespace's end. */
  readonly ip: string;
  /** Its interface in the gateway namespace. */
  readonly ifname: string;
  /** Packets the gateway namespace's uplink filters dropped so far (inbound SYNs refused, a cut line). */
  dropped(): Promise<number>;
  /** Drops every packet both ways, as a pulled cable (the interfaces stay up), until restore(). */
  cut(): Promise<void>;
  restore(): Promise<void>;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface TestNetwork {
  /** Per-run random prefix every namespace and interface name starts with (`pt3f2a9c`). */
  readonly prefix: string;
  /** The test subnet, e.g. "10.213.57.0/24". */
  readonly subnet: string;
  readonly gateway: NetnsHost;
  readonly cameras: readonly NetnsHost[];
  /** Present when asked for (options.uplink). */
  readonly uplink: TestUplink | undefined;
  /** Every namespace this network made: switch, gateway, cameras. */
  readonly namespaces: readonly string[];
  /** Wall time createTestNetwork() took. */
  readonly setupMs: number;
  /** Starts `command` inside namespace `ns` (`ip netns exec`); destroy() kills it if it still runs. */
  spawn(ns: string, command: string, args: readonly string[], opts?: SpawnOptions): ChildProcess;
  /** Runs `command` inside `ns` to completion; rejects only if it cannot start or outlives `timeoutMs`. */
  exec(
    ns: string,
    command: string,
    args: readonly string[],
    opts?: { input?: string; timeoutMs?: number },
  ): Promise<ExecResult>;
  /** Gives camera `index` a new address in the subnet, dropping the old one, as a new DHCP lease would. */
  moveCamera(index: number, newIp: string): Promise<void>;
  /** Kills every process started in the network, then deletes its namespaces (veths and bridge go with them). */
  destroy(): Promise<void>;
}

export interface TestNetworkOptions {
  cameras: number;
  /** Short label ([a-z0-9], ≤ 8) put into namespace names, so `ip netns list` shows whose they are. */
  name?: string;
  /** An uplink from the gateway namespace to the test's own namespace that refuses inbound connections. */
  uplink?: boolean;
}

interface Owner {
  pid: number;
  startTime: string;
}

function run(
  command: string,
  args: readonly string[],
  opts: { input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? EXEC_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (stdout += t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`${command} ${args.join(" ")} still running after ${timeoutMs} ms; stderr: ${stderr}`),
      );
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

/** Runs `ip` and fails with its own message; `batch` lines go through one `ip -batch -` call. */
async function ip(args: readonly string[], batch?: readonly string[]): Promise<void> {
  const full = batch ? [...args, "-batch", "-"] : args;
  const r = await run("ip", full, batch ? { input: batch.join("\n") + "\n" } : {});
  if (r.code !== 0) throw new Error(`ip ${full.join(" ")} failed (${String(r.code)}): ${r.stderr.trim()}`);
}

async function tc(ns: string, args: readonly string[]): Promise<void> {
  const r = await run("tc", ["-n", ns, ...args]);
  if (r.code !== 0)
    throw new Error(`tc -n ${ns} ${args.join(" ")} failed (${String(r.code)}): ${r.stderr.trim()}`);
}

/** A /30 in 10.212.0.0/16 that no address of this namespace is in yet. */
function freshUplinkNet(): string {
  const used = execFileSync("ip", ["-4", "-o", "addr", "show"], { encoding: "utf8" });
  for (;;) {
    const net = `10.212.${randomInt(256)}.${4 * randomInt(64)}`;
    const base = net.slice(0, net.lastIndexOf(".") + 1);
    const last = Number(net.slice(base.length));
    if (![1, 2].some((h) => used.includes(` ${base}${String(last + h)}/`))) return net;
  }
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // proc(5): fields after "(comm)"; starttime is field 22, the 20th after the closing parenthesis.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function listNamespaces(): string[] {
  // `ip netns list` prints "name" or "name (id: N)" per line.
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter(Boolean);
}

/** PIDs of the processes inside `namespaces` (compared by namespace inode, as `ip netns pids` does). */
function pidsIn(namespaces: readonly string[]): number[] {
  const inodes = new Set<string>();
  for (const ns of namespaces) {
    try {
      inodes.add(`net:[${statSync(`/run/netns/${ns}`).ino}]`);
    } catch {
      // already gone
    }
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${entry}/ns/net`))) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** SIGKILLs every process inside `namespaces` and deletes them, synchronously (usable in an exit hook). */
function deleteNamespacesSync(namespaces: readonly string[]): void {
  for (const pid of pidsIn(namespaces)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  try {
    execFileSync("ip", ["-force", "-batch", "-"], {
      input: namespaces.map((ns) => `netns del ${ns}`).join("\n") + "\n",
      stdio: ["pipe", "ignore", "ignore"],
    });
  } catch {
    // Some were never made (a failed setup) or are gone already; destroy() checks what is left.
  }
}

/** Removes networks whose creating process is gone (SIGKILLed runs skip every exit hook). */
function sweepAbandoned(): void {
  let records: string[];
  try {
    records = readdirSync(OWNERS_DIR);
  } catch {
    return;
  }
  const existing = listNamespaces();
  for (const record of records) {
    const prefix = record.replace(/\.json$/, "");
    let owner: Owner;
    try {
      owner = JSON.parse(readFileSync(join(OWNERS_DIR, record), "utf8")) as Owner;
    } catch {
      continue;
    }
    if (startTimeOf(owner.pid) === owner.startTime) continue;
    const left = existing.filter((ns) => ns.startsWith(`${prefix}-`));
    if (left.length > 0) deleteNamespacesSync(left);
    rmSync(join(OWNERS_DIR, record), { force: true });
  }
}

const live = new Set<{ destroySync(): void }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const net of live) net.destroySync();
  });
}

function preflight(): void {
  if (process.platform !== "linux")
    throw new Error(`createTestNetwork: needs Linux network namespaces; this is ${process.platform}`);
  const uid = process.getuid?.();
  if (uid !== 0)
    throw new Error(
      `createTestNetwork: needs root to create network namespaces (uid is ${String(uid)}); ` +
        "run the discovery tests as root, as CI does",
    );
}

function freshPrefix(): string {
  const existing = listNamespaces();
  for (;;) {
    // 24 random bits: two test files creating networks at the same moment will not pick the same one.
    const prefix = `pt${randomBytes(3).toString("hex")}`;
    if (!existing.some((ns) => ns.startsWith(`${prefix}-`))) return prefix;
  }
}

/**
 * Builds the network. Throws (never skips) when namespaces cannot be made: not root, no iproute2, no
 * permission to mount /run/netns. A failed setup deletes whatever it had made.
 */
export async function createTestNetwork(opts: TestNetworkOptions): Promise<TestNetwork> {
  const started = performance.now();
  if (!Number.isInteger(opts.cameras) || opts.cameras < 1 || opts.cameras > MAX_CAMERAS)
    throw new Error(`createTestNetwork: cameras must be 1…${MAX_CAMERAS}, got ${opts.cameras}`);
  if (opts.name !== undefined && !/^[a-z0-9]{1,8}$/.test(opts.name))
    throw new Error(`createTestNetwork: name must be 1–8 of [a-z0-9], got ${JSON.stringify(opts.name)}`);
  preflight();
  try {
    sweepAbandoned();
  } catch (err) {
    throw new Error(
      `createTestNetwork: cannot list network namespaces (is iproute2 installed?): ${String(err)}`,
    );
  }

  const prefix = freshPrefix();
  const nsName = (role: string) => `${prefix}${opts.name ? `-${opts.name}` : ""}-${role}`;
  // Interface names are per namespace but still carry the prefix, so a stray one says whose it is; the
  // longest, a switch port like "pt3f2a9c-c244p", is 14 characters (Linux allows 15).
  const ifName = (role: string) => `${prefix}-${role}`;
  const net24 = `10.213.${randomInt(256)}`;
  const subnet = `${net24}.0/24`;
  const sw = nsName("sw");
  const bridge = ifName("br");
  const host = (role: string, hostPart: number): NetnsHost & { role: string } => ({
    role,
    ns: nsName(role),
    ip: `${net24}.${hostPart}`,
    ifname: ifName(role),
  });
  const gateway = host("gw", 1);
  const cameras = Array.from({ length: opts.cameras }, (_v, i) => host(`c${i + 1}`, FIRST_CAMERA_HOST + i));
  const endpoints = [gateway, ...cameras];
  const namespaces = [sw, ...endpoints.map((h) => h.ns)];

  mkdirSync(OWNERS_DIR, { recursive: true });
  const ownerFile = join(OWNERS_DIR, `${prefix}.json`);
  const owner: Owner = { pid: process.pid, startTime: startTimeOf(process.pid) ?? "" };
  writeFileSync(ownerFile, JSON.stringify(owner) + "\n");

  let uplink: TestUplink | undefined;
  const addUplink = async () => {
    const n = freshUplinkNet();
    const base = n.slice(0, n.lastIndexOf(".") + 1);
    const last = Number(n.slice(base.length));
    const hostIp = `${base}${String(last + 1)}`;
    const ip4 = `${base}${String(last + 2)}`;
    const hostEnd = ifName("up");
    const nsEnd = ifName("upg");
    // Made from here with its peer put straight into the gateway namespace; deleting that one deletes both.
    await ip([], [`link add ${hostEnd} type veth peer name ${nsEnd} netns ${gateway.ns}`]);
    await ip([], [`addr add ${hostIp}/30 dev ${hostEnd}`, `link set ${hostEnd} up`]);
    await ip(["-n", gateway.ns], [`addr add ${ip4}/30 dev ${nsEnd}`, `link set ${nsEnd} up`]);
    await tc(gateway.ns, ["qdisc", "add", "dev", nsEnd, "clsact"]);
    await tc(gateway.ns, [
      "filter",
      "add",
      "dev",
      nsEnd,
      "ingress",
      "pref",
      "20",
      "bpf",
      "da",
      "bytecode",
      bytecode(refuseSyn),
    ]);
    const cutDirections = ["ingress", "egress"] as const;
    uplink = {
      hostIp,
      ip: ip4,
      ifname: nsEnd,
      async dropped() {
        const r = await run("tc", ["-n", gateway.ns, "-s", "qdisc", "show", "dev", nsEnd]);
        const m = /qdisc clsact[\s\S]*?dropped (\d+)/.exec(r.stdout);
        if (!m) throw new Error(`tc: no clsact drop count on ${nsEnd}: ${r.stdout}${r.stderr}`);
        return Number(m[1]);
      },
      async cut() {
        for (const d of cutDirections)
          await tc(gateway.ns, [
            "filter",
            "add",
            "dev",
            nsEnd,
            d,
            "pref",
            "10",
            "bpf",
            "da",
            "bytecode",
            bytecode(dropAll),
          ]);
      },
      async restore() {
        for (const d of cutDirections) await tc(gateway.ns, ["filter", "del", "dev", nsEnd, d, "pref", "10"]);
      },
    };
  };

  const children = new Set<ChildProcess>();
  const net = {
    destroySync() {
      for (const child of children) if (isRunning(child)) child.kill("SIGKILL");
      deleteNamespacesSync(namespaces);
      rmSync(ownerFile, { force: true });
      live.delete(net);
    },
  };
  installExitHook();
  live.add(net);

  try {
    try {
      await ip(
        [],
        namespaces.map((ns) => `netns add ${ns}`),
      );
    } catch (err) {
      throw new Error(
        `createTestNetwork: could not create network namespaces (root with CAP_SYS_ADMIN and ` +
          `CAP_NET_ADMIN is needed, and a writable /run/netns): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    // IGMP snooping off, so the bridge floods multicast to every port without waiting for membership reports.
    await ip(
      ["-n", sw],
      [
        "link set lo up",
        `link add ${bridge} type bridge mcast_snooping 0`,
        `link set ${bridge} up`,
        ...endpoints.flatMap((h) => [
          `link add ${ifName(`${h.role}p`)} type veth peer name ${h.ifname} netns ${h.ns}`,
          `link set ${ifName(`${h.role}p`)} master ${bridge} up`,
        ]),
      ],
    );
    // The multicast route lets a sender that does not set IP_MULTICAST_IF (the onvif package) reach the group.
    await Promise.all(
      endpoints.map((h) =>
        ip(
          ["-n", h.ns],
          [
            "link set lo up",
            `addr add ${h.ip}/24 dev ${h.ifname}`,
            `link set ${h.ifname} up`,
            `route add ${GROUP} dev ${h.ifname}`,
          ],
        ),
      ),
    );
    if (opts.uplink === true) await addUplink();
  } catch (err) {
    net.destroySync();
    throw err;
  }

  const own = (ns: string) => {
    if (!namespaces.includes(ns)) throw new Error(`${ns} is not a namespace of test network ${prefix}`);
  };
  let destroying: Promise<void> | undefined;

  const network: TestNetwork = {
    prefix,
    subnet,
    gateway: { ns: gateway.ns, ip: gateway.ip, ifname: gateway.ifname },
    cameras: cameras.map((c) => ({ ns: c.ns, ip: c.ip, ifname: c.ifname })),
    uplink,
    namespaces,
    setupMs: performance.now() - started,

    spawn(ns, command, args, spawnOpts = {}) {
      own(ns);
      if (destroying) throw new Error(`test network ${prefix} is being destroyed`);
      const child = spawn("ip", ["netns", "exec", ns, command, ...args], {
        cwd: ROOT,
        stdio: "pipe",
        ...spawnOpts,
      });
      children.add(child);
      child.once("exit", () => children.delete(child));
      return child;
    },

    exec(ns, command, args, execOpts = {}) {
      own(ns);
      return run("ip", ["netns", "exec", ns, command, ...args], { ...execOpts, cwd: ROOT });
    },

    async moveCamera(index, newIp) {
      const camera = network.cameras[index];
      if (!camera) throw new Error(`moveCamera: no camera ${index} (have ${network.cameras.length})`);
      const last = newIp.startsWith(`${net24}.`) ? newIp.slice(net24.length + 1) : "";
      const hostPart = /^[1-9]\d{0,2}$/.test(last) ? Number(last) : 0;
      if (hostPart < 2 || hostPart > 254)
        throw new Error(`moveCamera: ${newIp} is not a host address in ${subnet}`);
      if (endpoints.some((h) => h.ip === newIp) || network.cameras.some((c) => c.ip === newIp))
        throw new Error(`moveCamera: ${newIp} is already taken`);
      // Flushing drops the connected route too; the multicast route is bound to the device and stays.
      await ip(
        ["-n", camera.ns],
        [`addr flush dev ${camera.ifname}`, `addr add ${newIp}/24 dev ${camera.ifname}`],
      );
      camera.ip = newIp;
    },

    destroy() {
      return (destroying ??= (async () => {
        const running = [...children].filter(isRunning);
        await Promise.all(
          running.map(
            (child) =>
              new Promise<void>((resolve) => {
                const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
                child.once("exit", () => {
                  clearTimeout(timer);
                  resolve();
                });
                child.kill("SIGTERM");
              }),
          ),
        );
        net.destroySync();
        const left = listNamespaces().filter((ns) => namespaces.includes(ns));
        if (left.length > 0)
          throw new Error(`test network ${prefix}: namespaces left after destroy: ${left.join(" ")}`);
      })());
    },
  };
  return network;
}
