import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { isRunning } from "../../test/helpers/ready-process.js";
import { processTree } from "./proc.js";

type Cleanup = () => Promise<void> | void;

const cleanups: { name: string; fn: Cleanup }[] = [];
const children = new Set<ChildProcess>();

/** Registers an undo step; steps run in reverse order when the benchmark ends, fails or is interrupted. */
export function onCleanup(name: string, fn: Cleanup): () => void {
  const entry = { name, fn };
  cleanups.push(entry);
  return () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/**
 * `fn` runs once: when the returned stop() is called (which also takes it off the exit list), or when the
 * benchmark ends first.
 */
export function stopOnce(name: string, fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const run = () => (done ??= fn());
  const unregister = onCleanup(name, run);
  return () => {
    unregister();
    return run();
  };
}

/** The last `max` lines a child wrote to stderr, for the error message when it fails. */
export function stderrTail(child: ChildProcess, max: number, onLine?: (line: string) => void): string[] {
  const lines: string[] = [];
  if (child.stderr)
    createInterface({ input: child.stderr }).on("line", (line) => {
      lines.push(line);
      if (lines.length > max) lines.shift();
      onLine?.(line);
    });
  return lines;
}

/** A child that must not outlive the benchmark: SIGKILLed (with its whole tree) on exit if still running. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Sends `signal`, then SIGKILL after `graceMs`; resolves when the child has exited. */
export function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = 5000,
): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) killTree(child.pid);
    }, graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** SIGKILL a process and everything below it (children first found, then killed all at once). */
export function killTree(pid: number): void {
  for (const p of processTree(pid).reverse()) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const { name, fn } = cleanups.pop()!;
    try {
      await Promise.race([
        fn(),
        new Promise((_r, reject) =>
          setTimeout(() => reject(new Error("timed out after 15 s")), 15_000).unref(),
        ),
      ]);
    } catch (err) {
      process.stderr.write(`cleanup ${name} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

/**
 * Runs a benchmark: undoes every registered step on success, error, SIGINT and SIGTERM, and as a last resort
 * SIGKILLs any tracked child (and its children) still alive when the process exits.
 */
export function runBench(main: () => Promise<void>): void {
  let finishing: Promise<void> | undefined;
  const finish = (code: number) =>
    (finishing ??= (async () => {
      await runCleanups();
      process.exit(code);
    })());
  process.on("exit", () => {
    for (const child of children) if (isRunning(child) && child.pid !== undefined) killTree(child.pid);
  });
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.on(signal, () => {
      if (finishing) process.exit(code);
      process.stderr.write(`\n${signal}: cleaning up (again to exit at once)\n`);
      void finish(code);
    });
  }
  main().then(
    () => finish(0),
    (err: unknown) => {
      process.stderr.write(
        `benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      return finish(1);
    },
  );
}
