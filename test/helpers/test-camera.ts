import { fileURLToPath } from "node:url";
import {
  isRunning,
  killReadyProcess,
  StartError,
  startReadyProcess,
  stopReadyProcess,
  type ReadyChild,
} from "./ready-process.js";

// The GStreamer RTSP test camera (scripts/test-camera.py) as a child process the test owns.

const SCRIPT = fileURLToPath(new URL("../../scripts/test-camera.py", import.meta.url));
// Only the Debian python can load the GStreamer bindings (design.md, "Real parts").
const PYTHON = "/usr/bin/python3";
// Exit status of the script when it cannot bind its port (EXIT_LISTEN_FAILED there).
const EXIT_LISTEN_FAILED = 3;
const RESTART_BIND_RETRY_MS = 10_000;

export interface TestCameraOptions {
  fps?: number;
  /** Keyframe interval in frames; defaults to fps (a 1 s GOP). */
  gop?: number;
  /** Share of encoded frames dropped at random (0–1): a camera delivering far below its own rate (use gop 1). */
  drop?: number;
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
  /** Credentials every DESCRIBE must carry in its query (`?user=…&password=…`), as Dahua NVRs take them. */
  queryCredentials?: { username: string; password: string };
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

interface Started {
  child: ReadyChild;
  port: number;
}

function optionArgs(opts: TestCameraOptions): string[] {
  const args: string[] = [];
  const add = (flag: string, value: string | number | undefined) => {
    if (value !== undefined) args.push(flag, String(value));
  };
  add("--fps", opts.fps);
  add("--gop", opts.gop);
  add("--drop", opts.drop);
  add("--width", opts.width);
  add("--height", opts.height);
  add("--sub-width", opts.subWidth);
  add("--sub-height", opts.subHeight);
  add("--codec", opts.codec);
  add("--username", opts.username);
  add("--password", opts.password);
  add("--auth", opts.auth);
  add("--query-username", opts.queryCredentials?.username);
  add("--query-password", opts.queryCredentials?.password);
  if (opts.audio === true) args.push("--audio");
  return args;
}

async function spawnCamera(args: string[], port: number, host: string, netns?: string): Promise<Started> {
  const { child, ready } = await startReadyProcess(
    "test camera",
    [PYTHON, SCRIPT, "--host", host, "--port", String(port), ...args],
    {
      netns,
      isReady: (v): v is { ready: true; port: number } =>
        typeof v === "object" &&
        v !== null &&
        (v as { ready?: unknown }).ready === true &&
        typeof (v as { port?: unknown }).port === "number",
    },
  );
  return { child, port: ready.port };
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
      return stopReadyProcess(current.child);
    },
    kill() {
      return killReadyProcess(current.child);
    },
    async restart() {
      await stopReadyProcess(current.child);
      // The RTSP server binds with SO_REUSEADDR, but a port just released can still be taken
      // briefly (or grabbed by another test's port 0), so retry for a while before giving up.
      const deadline = Date.now() + RESTART_BIND_RETRY_MS;
      for (;;) {
        try {
          current = await spawnCamera(args, port, host, opts.netns);
          return;
        } catch (err) {
          const bindFailed = err instanceof StartError && err.exitCode === EXIT_LISTEN_FAILED;
          if (!bindFailed || Date.now() > deadline) throw err;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    },
  };
}
