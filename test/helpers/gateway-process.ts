import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { exited as exitOf, isRunning, killOnExit } from "./ready-process.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  demoUrl: string | undefined;
  stdout: string[];
  stderr: string[];
  dataDir: string;
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  cleanup(): Promise<void>;
}

export interface GatewayProcessOptions {
  /** Run inside this network namespace (`ip netns exec`, which execs: the child is the gateway). */
  netns?: string;
  /** Node options before the gateway's entry point (the benchmarks' `--cpu-prof`). */
  nodeArgs?: readonly string[];
  /** Written to the data folder and passed as PANTAU_CONFIG, so config/pantau.yml cannot change the run. */
  configYaml?: string;
  /** Each line the gateway writes to stderr, from the start on. */
  onStderrLine?: (line: string) => void;
  readyTimeoutMs?: number;
  /**
   * This data folder instead of a fresh one: the same gateway started again after it was killed. Left in
   * place by cleanup(), for whoever made it.
   */
  dataDir?: string;
}

/**
 * The gateway as `npm start` runs it (node --import tsx gateway/src/main.ts), in its own process, on a free
 * port, with a fresh data folder; the benchmarks start it this way too (bench/lib/gateway-process.ts).
 */
export async function startGatewayProcess(
  env: Record<string, string> = {},
  opts: GatewayProcessOptions = {},
): Promise<GatewayProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "pantau-proc-"));
  let configEnv: Record<string, string> = {};
  if (opts.configYaml !== undefined) {
    const configFile = join(dataDir, "pantau.yml");
    writeFileSync(configFile, opts.configYaml);
    configEnv = { PANTAU_CONFIG: configFile };
  }
  const node = [process.execPath, ...(opts.nodeArgs ?? []), "--import", "tsx", "gateway/src/main.ts"];
  const [command = "", ...args] =
    opts.netns === undefined ? node : ["ip", "netns", "exec", opts.netns, ...node];
  const child = spawn(command, args, {
    cwd: root,
    env: {
      ...process.env,
      ...configEnv,
      PANTAU_DATA_DIR: dataDir,
      PANTAU_HTTP_HOST: "127.0.0.1",
      PANTAU_HTTP_PORT: "0",
      PANTAU_LOG_LEVEL: "info",
      // Test cameras listen on loopback; in a namespace the gateway keeps the production defaults (private
      // ranges), which hold the test subnet (10.213.x.0/24, test/helpers/netns.ts).
      ...(opts.netns === undefined && { PANTAU_NETWORK_ALLOWED_NETWORKS: "127.0.0.0/8 ::1/128" }),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  killOnExit(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  child.stderr.setEncoding("utf8").on("data", (t: string) => stderr.push(t));
  const { onStderrLine } = opts;
  if (onStderrLine) createInterface({ input: child.stderr }).on("line", onStderrLine);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const ready = new Promise<{ url: string; demoUrl: string | undefined }>((resolve, reject) => {
    let buf = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => {
      buf += t;
      stdout.push(t);
      const url = /Pantau ready at (\S+)/.exec(buf)?.[1];
      if (url && (env.PANTAU_DEMO === "0" || /Demo parent link: (\S+)/.test(buf)))
        resolve({ url, demoUrl: /Demo parent link: (\S+)/.exec(buf)?.[1] });
    });
    void exited.then(({ code }) =>
      reject(new Error(`gateway exited (${String(code)}) before ready:\n${stderr.join("")}`)),
    );
    setTimeout(() => {
      reject(new Error(`gateway not ready after ${String(readyTimeoutMs / 1000)} s:\n${stderr.join("")}`));
    }, readyTimeoutMs).unref();
  });
  const cleanup = async (): Promise<void> => {
    if (isRunning(child)) {
      child.kill("SIGKILL");
      await exitOf(child);
    }
    if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  };
  let started: { url: string; demoUrl: string | undefined };
  try {
    started = await ready;
  } catch (err) {
    // Nobody gets a handle to a gateway that never got ready, so it must not outlive this call.
    await cleanup();
    throw err;
  }
  return { child, ...started, stdout, stderr, dataDir, exited, cleanup };
}
