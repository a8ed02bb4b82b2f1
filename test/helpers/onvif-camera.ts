import { spawn, type ChildProcessByStdio } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Encoding, Misbehaviour, Style } from "../../scripts/onvif-camera/options.js";

// The ONVIF camera simulator (scripts/onvif-camera.ts) as a child process the test owns.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SCRIPT = fileURLToPath(new URL("../../scripts/onvif-camera.ts", import.meta.url));
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;
const STDERR_TAIL_CHARS = 8_000;

export type { Encoding, Misbehaviour, Style };

/** The simulator's command-line flags in camelCase; unset ones take the simulator's defaults. */
export interface OnvifCameraOptions {
  /** IPv4 address for HTTP and unicast WS-Discovery (default 127.0.0.1). */
  host?: string;
  /** 0 or unset picks a free port. */
  httpPort?: number;
  /** Default 3702; bind each simulator to its own 127.x.y.z so parallel files can share the port. */
  discoveryPort?: number;
  /** Also answer multicast probes to 239.255.255.250 (needs an interface with multicast, e.g. in a netns). */
  multicast?: boolean;
  /** Bare UUID or `urn:uuid:…`; default random. */
  uuid?: string;
  username?: string;
  password?: string;
  /** Camera clock offset from real time, in seconds (may be negative). */
  skewSeconds?: number;
  mainUri?: string;
  subUri?: string;
  snapshotUri?: string;
  /** `WIDTHxHEIGHT`, e.g. `1920x1080`. */
  mainSize?: string;
  subSize?: string;
  mainEncoding?: Encoding;
  subEncoding?: Encoding;
  fps?: number;
  name?: string;
  hardware?: string;
  location?: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  style?: Style;
  /** Advertise this host in XAddrs instead of `host`. */
  xaddrHost?: string;
  /** WS-Discovery APP_MAX_DELAY in ms (default 500); 0 answers at once. */
  maxDelayMs?: number;
  misbehave?: Misbehaviour;
  /** Run inside this network namespace (`ip netns exec <ns> node …`); needs root. */
  netns?: string;
}

export interface OnvifCamera {
  /** `urn:uuid:…` (a Dahua-style camera writes it as `uuid:…` in ProbeMatches). */
  readonly uuid: string;
  /** Device service on the real host: `http://<host>:<httpPort>/onvif/device_service`. */
  readonly xaddr: string;
  readonly host: string;
  readonly httpPort: number;
  readonly discoveryPort: number;
  /** Asks the simulator to quit and waits for it to exit (SIGTERM, then SIGKILL, if it hangs). */
  stop(): Promise<void>;
  /** SIGKILL, as a camera losing power; waits for the exit. */
  kill(): Promise<void>;
}

type SimulatorProcess = ChildProcessByStdio<Writable, Readable, Readable>;

const running = new Set<SimulatorProcess>();
let exitHookInstalled = false;

// The simulator also exits when its stdin closes, so even a SIGKILLed test process leaves none behind;
// this hook covers a normal exit that forgot stop() without waiting for the pipe to close.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

const isRunning = (child: SimulatorProcess): boolean => child.exitCode === null && child.signalCode === null;

function exited(child: SimulatorProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

const FLAGS: Record<Exclude<keyof OnvifCameraOptions, "netns" | "multicast">, string> = {
  host: "--host",
  httpPort: "--http-port",
  discoveryPort: "--discovery-port",
  uuid: "--uuid",
  username: "--username",
  password: "--password",
  skewSeconds: "--skew-seconds",
  mainUri: "--main-uri",
  subUri: "--sub-uri",
  snapshotUri: "--snapshot-uri",
  mainSize: "--main-size",
  subSize: "--sub-size",
  mainEncoding: "--main-encoding",
  subEncoding: "--sub-encoding",
  fps: "--fps",
  name: "--name",
  hardware: "--hardware",
  location: "--location",
  manufacturer: "--manufacturer",
  model: "--model",
  firmware: "--firmware",
  serial: "--serial",
  style: "--style",
  xaddrHost: "--xaddr-host",
  maxDelayMs: "--max-delay-ms",
  misbehave: "--misbehave",
};

/** The simulator's argv for these options (`--flag=value`, so negative numbers stay values). */
export function onvifCameraArgs(opts: OnvifCameraOptions): string[] {
  const args: string[] = [];
  for (const [key, flag] of Object.entries(FLAGS) as [keyof typeof FLAGS, string][]) {
    const value = opts[key];
    if (value !== undefined) args.push(`${flag}=${String(value)}`);
  }
  if (opts.multicast === true) args.push("--multicast");
  return args;
}

interface ReadyLine {
  ready: true;
  uuid: string;
  xaddr: string;
  httpPort: number;
  discoveryPort: number;
}

function isReadyLine(value: unknown): value is ReadyLine {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.ready === true &&
    typeof v.uuid === "string" &&
    typeof v.xaddr === "string" &&
    typeof v.httpPort === "number" &&
    typeof v.discoveryPort === "number"
  );
}

/** Starts the simulator and resolves once HTTP and WS-Discovery are bound. */
export async function startOnvifCamera(opts: OnvifCameraOptions = {}): Promise<OnvifCamera> {
  installExitHook();
  const nodeArgs = ["--import", "tsx", SCRIPT, ...onvifCameraArgs(opts)];
  const child =
    opts.netns === undefined
      ? spawn(process.execPath, nodeArgs, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] })
      : spawn("ip", ["netns", "exec", opts.netns, process.execPath, ...nodeArgs], {
          cwd: ROOT,
          stdio: ["pipe", "pipe", "pipe"],
        });
  running.add(child);
  child.once("exit", () => running.delete(child));
  // Writing to a simulator that just died must not crash the test process with EPIPE.
  child.stdin.on("error", () => undefined);

  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
  });

  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`ONVIF camera simulator ${why}; stderr:\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited before ready (code ${String(code)}, signal ${String(signal)})`);
    child.once("exit", onExit);

    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        fail(`printed ${JSON.stringify(line)} instead of the ready line`);
        return;
      }
      if (!isReadyLine(parsed)) {
        fail(`printed an unexpected ready line ${line}`);
        return;
      }
      clearTimeout(timer);
      child.off("exit", onExit);
      // Keep draining stdout so the simulator never blocks on a full pipe.
      lines.on("line", () => undefined);
      resolve(parsed);
    });
  });

  return {
    uuid: ready.uuid,
    xaddr: ready.xaddr,
    host: new URL(ready.xaddr).hostname,
    httpPort: ready.httpPort,
    discoveryPort: ready.discoveryPort,
    async stop() {
      if (!isRunning(child)) return;
      const done = exited(child);
      child.stdin.end("quit\n");
      const term = setTimeout(() => child.kill("SIGTERM"), STOP_GRACE_MS);
      const kill = setTimeout(() => child.kill("SIGKILL"), 2 * STOP_GRACE_MS);
      await done;
      clearTimeout(term);
      clearTimeout(kill);
    },
    async kill() {
      const done = exited(child);
      child.kill("SIGKILL");
      await done;
    },
  };
}
