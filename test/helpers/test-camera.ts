import { spawn, type ChildProcessByStdio } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";

// The GStreamer RTSP test camera (scripts/test-camera.py) as a child process the test owns.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SCRIPT = fileURLToPath(new URL("../../scripts/test-camera.py", import.meta.url));
// Only the Debian python can load the GStreamer bindings (design.md, "Real parts").
const PYTHON = "/usr/bin/python3";
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;
// Exit status of the script when it cannot bind its port (EXIT_LISTEN_FAILED there).
const EXIT_LISTEN_FAILED = 3;
const RESTART_BIND_RETRY_MS = 10_000;
const STDERR_TAIL_CHARS = 8_000;

export interface TestCameraOptions {
  fps?: number;
  /** Keyframe interval in frames; defaults to fps (a 1 s GOP). */
  gop?: number;
  width?: number;
  height?: number;
  subWidth?: number;
  subHeight?: number;
  /** mjpeg: a codec Pantau refuses, as old or cheap cameras send it. */
  codec?: "h264" | "h265" | "mjpeg";
  /** G.711 audio beside the video on /main and /sub (/audio always serves audio alone). */
  audio?: boolean;
  username?: string;
  password?: string;
  /** Challenges offered when username/password are set; IP cameras commonly offer both. */
  auth?: "basic" | "digest" | "both";
  /** 0 or unset picks a free port. */
  port?: number;
  /** Address to bind (default 127.0.0.1), e.g. the same one an ONVIF simulator answers on. */
  host?: string;
  /** Run inside this network namespace (`ip netns exec`, which execs: the child is the camera). */
  netns?: string;
}

export interface TestCamera {
  /** The bound port; restart() keeps it. */
  readonly port: number;
  url(mount?: "main" | "sub" | "audio", creds?: { username: string; password: string }): string;
  /** RTP timestamps of the streams being watched step back by ms from now on; frames keep flowing. */
  jumpBack(ms: number): void;
  /** Asks the camera to quit and waits for it to exit (SIGTERM, then SIGKILL, if it hangs). */
  stop(): Promise<void>;
  /** SIGKILL, as a camera losing power; waits for the exit. */
  kill(): Promise<void>;
  /** Starts again on the same port, stopping the current process first if it still runs. */
  restart(): Promise<void>;
}

type CameraProcess = ChildProcessByStdio<Writable, Readable, Readable>;

const running = new Set<CameraProcess>();
let exitHookInstalled = false;

// The script also exits when its stdin closes, so even a SIGKILLed test process leaves no camera;
// this hook covers a normal exit that forgot stop() without waiting for the pipe to close.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

const isRunning = (child: CameraProcess): boolean => child.exitCode === null && child.signalCode === null;

function exited(child: CameraProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

class CameraStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = "CameraStartError";
  }
}

interface Started {
  child: CameraProcess;
  port: number;
}

function optionArgs(opts: TestCameraOptions): string[] {
  const args: string[] = [];
  const add = (flag: string, value: string | number | undefined) => {
    if (value !== undefined) args.push(flag, String(value));
  };
  add("--fps", opts.fps);
  add("--gop", opts.gop);
  add("--width", opts.width);
  add("--height", opts.height);
  add("--sub-width", opts.subWidth);
  add("--sub-height", opts.subHeight);
  add("--codec", opts.codec);
  add("--username", opts.username);
  add("--password", opts.password);
  add("--auth", opts.auth);
  if (opts.audio === true) args.push("--audio");
  return args;
}

function spawnCamera(args: string[], port: number, host: string, netns?: string): Promise<Started> {
  installExitHook();
  const camera = [PYTHON, SCRIPT, "--host", host, "--port", String(port), ...args];
  const [command = PYTHON, ...rest] =
    netns === undefined ? camera : ["ip", "netns", "exec", netns, ...camera];
  const child = spawn(command, rest, {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  // Writing to a camera that just died must not crash the test process with EPIPE.
  child.stdin.on("error", () => undefined);

  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
  });

  return new Promise<Started>((resolve, reject) => {
    const fail = (why: string, code: number | null) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new CameraStartError(`test camera ${why}; stderr:\n${stderr}`, code));
    };
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`, null), READY_TIMEOUT_MS);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited before ready (code ${String(code)}, signal ${String(signal)})`, code);
    child.once("exit", onExit);

    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      let ready: { ready?: unknown; port?: unknown };
      try {
        ready = JSON.parse(line) as typeof ready;
      } catch {
        fail(`printed ${JSON.stringify(line)} instead of the ready line`, null);
        return;
      }
      if (ready.ready !== true || typeof ready.port !== "number") {
        fail(`printed an unexpected ready line ${line}`, null);
        return;
      }
      clearTimeout(timer);
      child.off("exit", onExit);
      // Keep draining stdout so the camera never blocks on a full pipe.
      lines.on("line", () => undefined);
      resolve({ child, port: ready.port });
    });
  });
}

async function stopChild(child: CameraProcess): Promise<void> {
  if (!isRunning(child)) return;
  const done = exited(child);
  child.stdin.end("quit\n");
  const term = setTimeout(() => child.kill("SIGTERM"), STOP_GRACE_MS);
  const kill = setTimeout(() => child.kill("SIGKILL"), 2 * STOP_GRACE_MS);
  await done;
  clearTimeout(term);
  clearTimeout(kill);
}

/** Starts the test camera on loopback and resolves once it accepts RTSP connections. */
export async function startTestCamera(opts: TestCameraOptions = {}): Promise<TestCamera> {
  const args = optionArgs(opts);
  const host = opts.host ?? "127.0.0.1";
  let current = await spawnCamera(args, opts.port ?? 0, host, opts.netns);
  const port = current.port;

  return {
    port,
    url(mount = "main", creds) {
      const auth = creds
        ? `${encodeURIComponent(creds.username)}:${encodeURIComponent(creds.password)}@`
        : "";
      return `rtsp://${auth}${host}:${port}/${mount}`;
    },
    jumpBack(ms) {
      if (!isRunning(current.child)) throw new Error("test camera is not running");
      current.child.stdin.write(`jump ${Math.round(ms)}\n`);
    },
    stop() {
      return stopChild(current.child);
    },
    async kill() {
      const done = exited(current.child);
      current.child.kill("SIGKILL");
      await done;
    },
    async restart() {
      await stopChild(current.child);
      // The RTSP server binds with SO_REUSEADDR, but a port just released can still be taken
      // briefly (or grabbed by another test's port 0), so retry for a while before giving up.
      const deadline = Date.now() + RESTART_BIND_RETRY_MS;
      for (;;) {
        try {
          current = await spawnCamera(args, port, host, opts.netns);
          return;
        } catch (err) {
          const bindFailed = err instanceof CameraStartError && err.exitCode === EXIT_LISTEN_FAILED;
          if (!bindFailed || Date.now() > deadline) throw err;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    },
  };
}
