import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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

/**
 * The gateway as `npm start` runs it (node --import tsx gateway/src/main.ts), in its own process, on a free
 * port; with `netns`, inside that network namespace (`ip netns exec`, which execs: the child is the gateway).
 */
export async function startGatewayProcess(
  env: Record<string, string> = {},
  opts: { netns?: string } = {},
): Promise<GatewayProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "pantau-proc-"));
  const node = [process.execPath, "--import", "tsx", "gateway/src/main.ts"];
  const [command = "", ...args] =
    opts.netns === undefined ? node : ["ip", "netns", "exec", opts.netns, ...node];
  const child = spawn(command, args, {
    cwd: root,
    env: {
      ...process.env,
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
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  child.stderr.setEncoding("utf8").on("data", (t: string) => stderr.push(t));
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
    setTimeout(() => reject(new Error(`gateway not ready after 30 s:\n${stderr.join("")}`)), 30_000).unref();
  });
  const { url, demoUrl } = await ready;
  return {
    child,
    url,
    demoUrl,
    stdout,
    stderr,
    dataDir,
    exited,
    cleanup: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
