import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./gateway-process.js";

/** Writes `bench/results/<name>-<timestamp>.json` and returns its path. */
export function writeResults(name: string, data: unknown): string {
  const dir = join(repoRoot, "bench/results");
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const file = join(dir, `${name}-${stamp}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + "\n");
  return file;
}

/** What the figures depend on: versions and the machine. */
export function environment(): Record<string, unknown> {
  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split(
        "\n",
      )[0];
    } catch {
      return undefined;
    }
  };
  const pkg = (name: string) => {
    try {
      return (
        JSON.parse(readFileSync(join(repoRoot, "node_modules", name, "package.json"), "utf8")) as {
          version: string;
        }
      ).version;
    } catch {
      return undefined;
    }
  };
  const git = (...args: string[]) => {
    try {
      return execFileSync("git", args, { cwd: repoRoot, encoding: "utf8" }).trim();
    } catch {
      return undefined;
    }
  };
  return {
    date: new Date().toISOString(),
    commit: git("rev-parse", "HEAD"),
    // The figures belong to the working tree as it was, uncommitted changes included.
    uncommitted: git("status", "--porcelain")?.split("\n").filter(Boolean),
    node: process.version,
    ffmpeg: version("ffmpeg", ["-version"]),
    hlsJs: pkg("hls.js"),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
  };
}
