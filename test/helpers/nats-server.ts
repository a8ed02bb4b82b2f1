import { spawn, type ChildProcessByStdio } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { NatsAuthorizationFile } from "../../gateway/src/fleet/nats-authorization-file.js";
import { exited, isRunning, killOnExit } from "./ready-process.js";

// A real Debian nats-server (design.md, "Real parts") for one test: its own temp folder with a config that
// includes an authorization fragment (as config/nats/pantau-hub.conf does) and a pid file, a port the server
// picks itself (`port: -1`, read back from its log, so no free-port race), and reloads through the gateway's
// own NatsAuthorizationFile, awaited on the server's log line.

export const natsServerBinary = "/usr/sbin/nats-server";
const READY_TIMEOUT_MS = 15_000;
const RELOAD_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_CHARS = 64_000;

export interface TestNatsServerOptions {
  /** The first authorization fragment (renderAuthorization's output). */
  authorization: string;
  /** Address to listen on; default 127.0.0.1 (a netns test gives a veth address). */
  host?: string;
  /** Run inside this network namespace (`ip netns exec`, which execs: the pid is nats-server's). */
  netns?: string;
  /** More top-level config lines (e.g. `max_payload: 8MB`). */
  extraConfig?: string;
  /**
   * A whole config of the caller's instead (the shipped one, paths substituted): written to `path`, with the
   * fragment at `authorizationPath` and the server's `pid_file` at `pidFile`, all inside `dir`. `host` and
   * `extraConfig` are then unused; the URL's host is the one the server says it listens on.
   */
  config?: { dir: string; path: string; text: string; authorizationPath: string; pidFile: string };
}

export interface TestNatsServer {
  /** `nats://host:port`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly pidFile: string;
  readonly authorizationFile: NatsAuthorizationFile;
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /**
   * Writes a new fragment through NatsAuthorizationFile and, when it changed, waits for the server's
   * "Reloaded server configuration" (rejects on "Failed to reload"); resolves whether it reloaded.
   */
  writeAuthorization(text: string): Promise<boolean>;
  /** Everything the server logged so far (the last 64 kB). */
  log(): string;
  /** SIGTERM (SIGKILL after 5 s), waits for the exit, removes the folder. */
  stop(): Promise<void>;
}

export async function startNatsServer(opts: TestNatsServerOptions): Promise<TestNatsServer> {
  const dir = opts.config?.dir ?? mkdtempSync(join(tmpdir(), "pantau-nats-"));
  const pidFile = opts.config?.pidFile ?? join(dir, "nats.pid");
  const authorizationPath = opts.config?.authorizationPath ?? join(dir, "authorization.conf");
  const configPath = opts.config?.path ?? join(dir, "nats.conf");
  writeFileSync(authorizationPath, opts.authorization, { mode: 0o640 });
  writeFileSync(
    configPath,
    opts.config?.text ??
      [
        `host: ${JSON.stringify(opts.host ?? "127.0.0.1")}`,
        "port: -1",
        `pid_file: ${JSON.stringify(pidFile)}`,
        opts.extraConfig ?? "",
        // Relative to this file's folder, as nats-server resolves every include.
        'include "./authorization.conf"',
        "",
      ].join("\n"),
  );

  const command = [natsServerBinary, "-c", configPath];
  const [file = "", ...args] =
    opts.netns === undefined ? command : ["ip", "netns", "exec", opts.netns, ...command];
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
  killOnExit(child);

  let log = "";
  const lineWaiters = new Set<(line: string) => void>();
  let partial = "";
  const onText = (text: string) => {
    log = (log + text).slice(-LOG_TAIL_CHARS);
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) for (const waiter of [...lineWaiters]) waiter(line);
  };
  child.stdout.setEncoding("utf8").on("data", onText);
  child.stderr.setEncoding("utf8").on("data", onText);

  /** Resolves with the first line `match` returns a value for; rejects if the server exits or `ms` pass. */
  const nextLine = <T>(what: string, ms: number, match: (line: string) => T | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        lineWaiters.delete(onLine);
        child.off("exit", onExit);
      };
      const onLine = (line: string) => {
        let value: T | undefined;
        try {
          value = match(line);
        } catch (err) {
          done();
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        done();
        reject(
          new Error(
            `nats-server exited (code ${String(code)}, signal ${String(signal)}) ${what}; log:\n${log}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`nats-server: no ${what} after ${ms} ms; log:\n${log}`));
      }, ms);
      lineWaiters.add(onLine);
      child.once("exit", onExit);
    });

  // Every reload's outcome line, in order: "Reloaded server configuration" or the "Failed to reload…" line.
  const reloads: string[] = [];
  lineWaiters.add((line) => {
    if (line.includes("Reloaded server configuration")) reloads.push("Reloaded server configuration");
    else if (line.includes("Failed to reload server configuration")) reloads.push(line);
  });
  const nextReload = (ms: number) =>
    nextLine("reload", ms, (line) =>
      line.includes("Reloaded server configuration") || line.includes("Failed to reload server configuration")
        ? reloads[reloads.length - 1]
        : undefined,
    );

  const stop = async () => {
    if (isRunning(child)) {
      const done = exited(child);
      child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await done;
      clearTimeout(kill);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  let host: string;
  let port: number;
  try {
    // "Listening for client connections on 127.0.0.1:41831", then "Server is ready".
    const listening = nextLine("client listener", READY_TIMEOUT_MS, (line) => {
      const m = /Listening for client connections on (.+):(\d+)\s*$/.exec(line);
      return m ? { host: m[1]!.replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) } : undefined;
    });
    const ready = nextLine("ready line", READY_TIMEOUT_MS, (line) =>
      line.includes("Server is ready") ? true : undefined,
    );
    [{ host, port }] = await Promise.all([listening, ready]);
  } catch (err) {
    await stop();
    throw err;
  }

  const authorizationFile = new NatsAuthorizationFile({ path: authorizationPath, pidFile });
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `nats://${urlHost}:${port}`,
    host,
    port,
    dir,
    pidFile,
    authorizationFile,
    child,
    async writeAuthorization(text: string): Promise<boolean> {
      const before = reloads.length;
      if (!(await authorizationFile.write(text))) return false;
      const outcome = reloads[before] ?? (await nextReload(RELOAD_TIMEOUT_MS));
      if (outcome !== "Reloaded server configuration") throw new Error(`nats-server: ${outcome}`);
      return true;
    },
    log: () => log,
    stop,
  };
}
