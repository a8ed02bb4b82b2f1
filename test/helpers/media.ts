import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Probe {
  codec: string | undefined;
  width: number | undefined;
  height: number | undefined;
  frames: number | undefined;
}

/** Real ffprobe on a URL or file (the protocol allow-list keeps it on http/file as asked). */
export async function ffprobe(
  input: string,
  opts: { countFrames?: boolean; timeoutMs?: number } = {},
): Promise<Probe> {
  const args = [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=codec_name,width,height,nb_read_frames",
    "-of",
    "json",
  ];
  if (opts.countFrames) args.push("-count_frames");
  args.push(input);
  const { stdout } = await run("ffprobe", args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 1 << 20 });
  const s = (JSON.parse(stdout) as { streams?: Record<string, string | number>[] }).streams?.[0] ?? {};
  return {
    codec: s.codec_name as string | undefined,
    width: s.width as number | undefined,
    height: s.height as number | undefined,
    frames: s.nb_read_frames === undefined ? undefined : Number(s.nb_read_frames),
  };
}

/** Polls `check` every 100 ms until it returns a value, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** PIDs of live processes whose command line contains `needle` (for the no-orphan checks). */
export async function pidsMatching(needle: string): Promise<number[]> {
  try {
    const { stdout } = await run("pgrep", ["-f", needle]);
    return stdout.split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
