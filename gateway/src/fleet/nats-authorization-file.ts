import { randomBytes } from "node:crypto";
import { open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export type NatsReloadErrorCode =
  | "nats_pid_file_missing"
  | "nats_pid_file_invalid"
  | "nats_not_running"
  | "nats_pid_not_nats_server"
  | "nats_signal_not_permitted";

/** The authorization file was written but nats-server could not be asked to reload it. */
export class NatsReloadError extends Error {
  constructor(
    readonly code: NatsReloadErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "NatsReloadError";
  }
}

export interface NatsAuthorizationFileOptions {
  /** The file the server's config includes (config/nats/pantau-hub.conf: /var/lib/pantau/nats/authorization.conf). */
  path: string;
  /** nats-server's `pid_file` (shipped: /run/pantau/nats.pid). */
  pidFile: string;
}

/**
 * The hub's authorization file for nats-server (rendered by renderAuthorization): written atomically (a temp
 * file in the same folder, renamed over the old one, so the server never reads half a file) with mode 0640,
 * then the server is asked to reload it with SIGHUP, the signal nats-server reloads its configuration on
 * (docs.nats.io, "Configuration reloading"). Nothing is written or signalled when the text is what the file
 * already holds, unless an earlier reload failed.
 */
export class NatsAuthorizationFile {
  private reloadOwed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: NatsAuthorizationFileOptions) {}

  get path(): string {
    return this.opts.path;
  }

  /**
   * Writes `text` and reloads the server; resolves true when it did, false when nothing changed. Rejects with
   * NatsReloadError when the file was written but the server could not be signalled (the next call retries
   * the signal even with the same text). Calls run one after another.
   */
  write(text: string): Promise<boolean> {
    const run = this.queue.then(() => this.writeNow(text));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeNow(text: string): Promise<boolean> {
    const current = await readFile(this.opts.path, "utf8").catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    });
    if (current === text && !this.reloadOwed) return false;
    if (current !== text) await writeAtomically(this.opts.path, text);
    this.reloadOwed = true;
    await signalReload(this.opts.pidFile);
    this.reloadOwed = false;
    return true;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const file = await open(temp, "wx", 0o640);
  try {
    await file.writeFile(text, "utf8");
    // The mode given to open is cut by the umask (the service's is 0077); nats-server may run as another
    // user of the file's group.
    await file.chmod(0o640);
    await file.sync();
  } catch (err) {
    await file.close();
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** SIGHUP to the nats-server whose pid `pidFile` holds, after checking that the pid is a nats-server. */
async function signalReload(pidFile: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(pidFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    throw new NatsReloadError(
      "nats_pid_file_missing",
      `nats-server's pid file ${pidFile} does not exist: is nats-server running with pid_file: ${pidFile}?`,
    );
  }
  const pid = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(pid) || pid <= 1) {
    throw new NatsReloadError(
      "nats_pid_file_invalid",
      `${pidFile} holds ${JSON.stringify(text.slice(0, 40))}, not a process id`,
    );
  }
  // nats-server 2.9 leaves its pid file behind when it exits, so the pid may be gone or another process's.
  try {
    process.kill(pid, 0);
  } catch (err) {
    throw signalError(err, pid, pidFile);
  }
  const name = await readFile(`/proc/${pid}/comm`, "utf8").then(
    (comm) => comm.trim(),
    () => undefined, // no /proc (not Linux): the signal below is the only check
  );
  if (name !== undefined && !name.startsWith("nats-server")) {
    throw new NatsReloadError(
      "nats_pid_not_nats_server",
      `${pidFile} names pid ${pid}, which is ${JSON.stringify(name)}, not nats-server (a pid file left by a ` +
        `server that exited?); not signalled`,
    );
  }
  try {
    process.kill(pid, "SIGHUP");
  } catch (err) {
    throw signalError(err, pid, pidFile);
  }
}

function signalError(err: unknown, pid: number, pidFile: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ESRCH") {
    return new NatsReloadError(
      "nats_not_running",
      `nats-server (pid ${pid} from ${pidFile}) is not running; it reads the new file when it starts`,
    );
  }
  if (code === "EPERM") {
    return new NatsReloadError(
      "nats_signal_not_permitted",
      `not allowed to signal nats-server (pid ${pid} from ${pidFile}): it must run as the hub's user ` +
        `(README, "NATS server at the hub")`,
    );
  }
  return err as Error;
}
