import { chmodSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../log/logger.js";

/** What the gateway keeps in its data directory: the database (with its WAL and shared memory) and the key. */
export const dataFiles = [
  "pantau.db",
  "pantau.db-wal",
  "pantau.db-shm",
  "pantau.db-journal",
  "secret.key",
  // A hub's NATS seed (fleet/nats-nkeys.ts).
  "nats-hub.nk",
];

/**
 * Makes the data directory 0700, or tightens an existing one, and its files to 0600: they hold camera
 * passwords (sealed, with the key beside them), the audit log and guardians' names. A loose mode left by
 * an older version or a copied backup is tightened and logged; a file system that cannot store modes
 * (chmod refused) gets a warning, not a refusal to start.
 */
export function secureDataDir(dir: string, log: Logger): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700, log);
  for (const name of dataFiles) tighten(join(dir, name), 0o600, log);
}

function tighten(path: string, mode: number, log: Logger): void {
  let current: number;
  try {
    current = statSync(path).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if ((current & ~mode) === 0) return;
  const from = current.toString(8).padStart(4, "0");
  const to = mode.toString(8).padStart(4, "0");
  try {
    chmodSync(path, mode);
    log.warn(`[data] ${path} was readable by other users (mode ${from}); tightened to ${to}`);
  } catch (err) {
    log.warn(
      `[data] ${path} has mode ${from} and could not be tightened to ${to}: ${(err as Error).message}`,
    );
  }
}
