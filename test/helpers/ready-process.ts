import { spawn, type ChildProcess, type ChildProcessByStdio } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";

// A helper process a test owns (the GStreamer test camera, the ONVIF simulator): it prints one JSON ready
// line on stdout, quits on "quit" on stdin, and exits when stdin closes, so it never outlives the test.

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;
const STDERR_TAIL_CHARS = 8_000;

export type ReadyChild = ChildProcessByStdio<Writable, Readable, Readable>;

/** The process did not get ready; `exitCode` tells a script's own reasons apart (e.g. "port taken"). */
export class StartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = "StartError";
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * SIGKILLs `child` if it still runs when this process exits: a ready process's stdin closing covers a
 * SIGKILLed test process, this covers a normal exit that forgot to stop it.
 */
export function killOnExit(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of running) c.kill("SIGKILL");
    });
  }
  running.add(child);
  child.once("exit", () => running.delete(child));
}

/** Neither exited nor killed by a signal yet (the tests' and the benchmarks' children alike). */
export const isRunning = (child: ChildProcess): boolean =>
  child.exitCode === null && child.signalCode === null;

/** Resolves once `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Spawns `command` (inside network namespace `netns` when given: `ip netns exec` execs, so the child is the
 * process itself) and resolves with its parsed ready line once `isReady` accepts it.
 */
export function startReadyProcess<T>(
  what: string,
  command: readonly string[],
  opts: { isReady: (line: unknown) => line is T; netns?: string | undefined },
): Promise<{ child: ReadyChild; ready: T }> {
  const [file = "", ...args] =
    opts.netns === undefined ? command : ["ip", "netns", "exec", opts.netns, ...command];
  const child = spawn(file, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  killOnExit(child);
  // Writing to a process that just died must not crash the test process with EPIPE.
  child.stdin.on("error", () => undefined);

  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
  });

  return new Promise((resolve, reject) => {
    const fail = (why: string, code: number | null) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new StartError(`${what} ${why}; stderr:\n${stderr}`, code));
    };
    const timer = setTimeout(() => fail(`not ready after ${READY_TIMEOUT_MS} ms`, null), READY_TIMEOUT_MS);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited before ready (code ${String(code)}, signal ${String(signal)})`, code);
    child.once("exit", onExit);

    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        fail(`printed ${JSON.stringify(line)} instead of the ready line`, null);
        return;
      }
      if (!opts.isReady(parsed)) {
        fail(`printed an unexpected ready line ${line}`, null);
        return;
      }
      clearTimeout(timer);
      child.off("exit", onExit);
      // Keep draining stdout so the process never blocks on a full pipe.
      lines.on("line", () => undefined);
      resolve({ child, ready: parsed });
    });
  });
}

/** Asks the process to quit and waits for it to exit (SIGTERM, then SIGKILL, if it hangs). */
export async function stopReadyProcess(child: ReadyChild): Promise<void> {
  if (!isRunning(child)) return;
  const done = exited(child);
  child.stdin.end("quit\n");
  const term = setTimeout(() => child.kill("SIGTERM"), STOP_GRACE_MS);
  const kill = setTimeout(() => child.kill("SIGKILL"), 2 * STOP_GRACE_MS);
  await done;
  clearTimeout(term);
  clearTimeout(kill);
}

/** SIGKILL, as a device losing power; waits for the exit. */
export async function killReadyProcess(child: ReadyChild): Promise<void> {
  const done = exited(child);
  child.kill("SIGKILL");
  await done;
}
